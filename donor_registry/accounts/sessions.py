"""Sessions in the database: a random token in the cookie, its SHA-256 here; revocable, expiring."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from donor_registry.accounts.models import User, UserSession
from donor_registry.accounts.settings import AccountSettings

#: last_seen_at is written at most this often (not on every request).
TOUCH_EVERY = dt.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Signed:
    """A live session and its user."""

    user: User
    session: UserSession


def start(*, session: Session, now: dt.datetime, user: User, settings: AccountSettings,
          address: str | None = None, user_agent: str | None = None) -> tuple[UserSession, str]:
    """A new session for `user`; returns it and the token for the cookie (shown only now)."""
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=token_hash(token), created_at=now,
                      expires_at=now + dt.timedelta(hours=settings.session_hours), last_seen_at=now,
                      address=(address or "")[:64] or None, user_agent=(user_agent or "")[:300] or None)
    session.add(row)
    session.flush()
    return row, token


def is_live(row: UserSession, user: User, now: dt.datetime, settings: AccountSettings) -> bool:
    """Not revoked, not past its end, not idle too long, and its user not disabled."""
    idle_limit = row.last_seen_at + dt.timedelta(minutes=settings.idle_minutes)
    return row.revoked_at is None and now < row.expires_at and now < idle_limit and not user.disabled


def resolve(*, session: Session, now: dt.datetime, token: str | None, settings: AccountSettings) -> Signed | None:
    """The live session the cookie's token names (and note it was seen), or None."""
    if not token or len(token) > 100:
        return None
    row = session.exec(select(UserSession).where(UserSession.token_hash == token_hash(token))).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not is_live(row, user, now, settings):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return Signed(user=user, session=row)


def revoke(*, session: Session, now: dt.datetime, row: UserSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)


def revoke_all(*, session: Session, now: dt.datetime, user_id: int, except_id: int | None = None) -> int:
    """End every open session of the user (but `except_id`); returns how many."""
    rows = session.exec(select(UserSession).where(UserSession.user_id == user_id,
                                                  UserSession.revoked_at.is_(None))).all()
    ended = 0
    for row in rows:
        if row.id != except_id:
            revoke(session=session, now=now, row=row)
            ended += 1
    return ended
