"""Users: add, list, disable, enable, reset and change passwords. Every change is audited."""

import datetime as dt
import re
import unicodedata

from sqlmodel import Session, select

from donor_registry.accounts.models import Role, User
from donor_registry.accounts.passwords import hash_password, verify_password
from donor_registry.accounts.sessions import revoke_all
from donor_registry.audit import service as audit
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.i18n import _

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,38}[a-z0-9]")


class WrongPassword(UserError):
    """The password given to confirm a change is not the account's."""


def normalise_login(raw: str) -> str:
    """' Lan.Nguyen ' -> 'lan.nguyen'; refuses what is not 3-40 letters, digits, '.', '_' or '-'."""
    login = unicodedata.normalize("NFC", raw).strip().casefold()
    if not LOGIN_PATTERN.fullmatch(login):
        raise UserError(_("login name '{login}': use 3 to 40 letters a-z, digits, '.', '_' or '-' "
                          "(no spaces or accents), starting and ending with a letter or digit")
                        .format(login=raw.strip()[:40]))
    return login


def parse_role(raw: str) -> Role:
    try:
        return Role(raw.strip().lower())
    except ValueError:
        raise UserError(_("role '{role}': choose admin, coordinator or viewer").format(role=raw)) from None


def check_password(password: str, *, login: str, min_length: int) -> None:
    """The rules a new password must meet (length, not the login name), in plain words."""
    if len(password) < min_length:
        raise UserError(_("the password must have at least {n} characters").format(n=min_length))
    if password.strip().casefold() == login.casefold():
        raise UserError(_("the password must not be the login name"))
    if any(unicodedata.category(c) == "Cc" for c in password):
        raise UserError(_("the password must not hold control characters"))


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("no user #{id}").format(id=user_id))
    return user


def find_user(*, session: Session, login: str) -> User | None:
    return session.exec(select(User).where(User.login == login.strip().casefold())).first()


def user_by_login(*, session: Session, login: str) -> User:
    user = find_user(session=session, login=login)
    if user is None:
        raise NotFound(_("no user '{login}'").format(login=login.strip()[:40]))
    return user


def add_user(
    *, session: Session, now: dt.datetime, actor: str, login: str, password: str, role: Role,
    chapter_id: int | None, min_password_length: int,
) -> User:
    login = normalise_login(login)
    check_password(password, login=login, min_length=min_password_length)
    if find_user(session=session, login=login) is not None:
        raise Conflict(_("login name '{login}' is already taken").format(login=login))
    user = User(login=login, password_hash=hash_password(password), role=role, chapter_id=chapter_id,
                created_at=now, updated_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    audit.record(session=session, now=now, actor=actor, action="users.add", subject_type="user",
                 subject_id=user.id, detail={"login": login, "role": role.value, "chapter_id": chapter_id})
    return user


def list_users(*, session: Session, chapter_ids: set[int] | None = None) -> list[User]:
    """Every user, or those whose chapter is one of `chapter_ids` (None: all)."""
    query = select(User).order_by(User.login)
    if chapter_ids is not None:
        query = query.where(User.chapter_id.in_(sorted(chapter_ids)))
    return list(session.exec(query))


def set_disabled(*, session: Session, now: dt.datetime, actor: str, user: User, disabled: bool) -> User:
    """Disable (every session ends at once) or enable an account."""
    if user.disabled != disabled:
        user.disabled, user.updated_at = disabled, now
        session.add(user)
        if disabled:
            revoke_all(session=session, now=now, user_id=user.id)
        audit.record(session=session, now=now, actor=actor, action="users.disable" if disabled else "users.enable",
                     subject_type="user", subject_id=user.id, detail={"login": user.login})
    return user


def reset_password(
    *, session: Session, now: dt.datetime, actor: str, user: User, password: str, min_password_length: int,
) -> User:
    """An admin sets a new password; the user's sessions end."""
    check_password(password, login=user.login, min_length=min_password_length)
    _set_password(session, now, user, password)
    audit.record(session=session, now=now, actor=actor, action="users.reset_password", subject_type="user",
                 subject_id=user.id, detail={"login": user.login})
    return user


def change_password(
    *, session: Session, now: dt.datetime, user: User, current: str, new: str, min_password_length: int,
    keep_session_id: int | None = None,
) -> User:
    """The user changes their own password; their other sessions end."""
    if not verify_password(user.password_hash, current):
        raise WrongPassword(_("the current password is not right"))
    check_password(new, login=user.login, min_length=min_password_length)
    _set_password(session, now, user, new, keep_session_id=keep_session_id)
    audit.record(session=session, now=now, actor=f"user:{user.login}", action="users.change_password",
                 subject_type="user", subject_id=user.id, detail={})
    return user


def _set_password(session: Session, now: dt.datetime, user: User, password: str, *,
                  keep_session_id: int | None = None) -> None:
    user.password_hash, user.password_changed_at, user.updated_at = hash_password(password), now, now
    session.add(user)
    revoke_all(session=session, now=now, user_id=user.id, except_id=keep_session_id)
