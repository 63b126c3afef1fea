"""Signing in: throttled per login name and per client address, counted in the database (so
every process agrees), each attempt in the audit log with the address and the browser."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from donor_registry.accounts import sessions
from donor_registry.accounts.models import LoginAttempt, User, UserSession
from donor_registry.accounts.passwords import hash_password, needs_rehash, verify_password
from donor_registry.accounts.settings import AccountSettings
from donor_registry.audit import service as audit


@dataclass(frozen=True)
class SignIn:
    """What came of an attempt. `reason`: None (signed in), "refused" or "throttled"."""

    reason: str | None
    user: User | None = None
    session: UserSession | None = None
    token: str | None = None
    retry_after_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.reason is None


def throttled_for(*, session: Session, now: dt.datetime, login: str, address: str,
                  settings: AccountSettings) -> int:
    """Seconds until an attempt for `login` from `address` may be judged again (0: now)."""
    start = now - dt.timedelta(minutes=settings.throttle_minutes)
    last_success = session.exec(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.login == login, LoginAttempt.succeeded.is_(True), LoginAttempt.at >= start)).one()
    by_login = _failures(session, LoginAttempt.login == login, since=max(start, last_success or start))
    by_address = _failures(session, LoginAttempt.address == address, since=start)
    return max(_wait(by_login, settings.max_failures_per_login, now, settings),
               _wait(by_address, settings.max_failures_per_address, now, settings))


def _failures(session: Session, where, *, since: dt.datetime) -> list[dt.datetime]:
    query = select(LoginAttempt.at).where(where, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    return sorted(session.exec(query.order_by(LoginAttempt.at)).all())


def _wait(times: list[dt.datetime], limit: int, now: dt.datetime, settings: AccountSettings) -> int:
    if len(times) < limit:
        return 0
    # The attempt that must leave the window before one more failure fits under the limit.
    leaves = _aware(times[len(times) - limit]) + dt.timedelta(minutes=settings.throttle_minutes)
    return max(1, int((leaves - now).total_seconds()) + 1)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def sign_in(*, session: Session, now: dt.datetime, login: str, password: str, address: str,
            user_agent: str | None, settings: AccountSettings) -> SignIn:
    """Check the name and password and open a session. Never raises for a wrong attempt: the
    attempt must be committed (and counted) whatever comes of it."""
    name = login.strip().casefold()[:40]
    address = (address or "unknown")[:64]
    detail = {"login": name, "address": address, "user_agent": (user_agent or "")[:300]}
    wait = throttled_for(session=session, now=now, login=name, address=address, settings=settings)
    if wait:
        audit.record(session=session, now=now, actor=f"web:{address}", action="accounts.login_throttled",
                     detail=detail)
        return SignIn("throttled", retry_after_seconds=wait)
    user = session.exec(select(User).where(User.login == name)).first()
    matches = verify_password(user.password_hash if user else None, password)
    ok = matches and user is not None and not user.disabled
    session.add(LoginAttempt(at=now, login=name, address=address, succeeded=ok))
    if not ok:
        why = "unknown login" if user is None else "disabled" if matches else "wrong password"
        audit.record(session=session, now=now, actor=f"web:{address}", action="accounts.login_failed",
                     subject_type="user", subject_id=user.id if user else None, detail={**detail, "why": why})
        return SignIn("refused")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    row, token = sessions.start(session=session, now=now, user=user, settings=settings,
                                address=address, user_agent=user_agent)
    audit.record(session=session, now=now, actor=f"user:{user.login}", action="accounts.login",
                 subject_type="user", subject_id=user.id, detail=detail)
    return SignIn(None, user=user, session=row, token=token)


def sign_out(*, session: Session, now: dt.datetime, signed: sessions.Signed) -> None:
    sessions.revoke(session=session, now=now, row=signed.session)
    audit.record(session=session, now=now, actor=f"user:{signed.user.login}", action="accounts.logout",
                 subject_type="user", subject_id=signed.user.id, detail={})
