"""Accounts: Argon2id hashes, sign-in with throttling and an audit trail, sessions that expire
and are revoked. The clock is a parameter: nothing sleeps."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from donor_registry.accounts import sessions, signin, users
from donor_registry.accounts.models import LoginAttempt, Role
from donor_registry.accounts.passwords import verify_password
from donor_registry.accounts.settings import AccountSettings
from donor_registry.audit.models import AuditEntry
from donor_registry.errors import Conflict, UserError

SETTINGS = AccountSettings(session_hours=12, idle_minutes=120, throttle_minutes=15,
                           max_failures_per_login=5, max_failures_per_address=20)
PASSWORD = "mật khẩu đủ dài 2026"


def _add(session, now, login="lan.nguyen", role=Role.coordinator, chapter_id=None, password=PASSWORD):
    user = users.add_user(session=session, now=now, actor="cli:root", login=login, password=password,
                          role=role, chapter_id=chapter_id, min_password_length=10)
    session.commit()
    return user


def _sign_in(session, now, login="lan.nguyen", password=PASSWORD, address="203.0.113.5"):
    result = signin.sign_in(session=session, now=now, login=login, password=password, address=address,
                            user_agent="Firefox/140", settings=SETTINGS)
    session.commit()
    return result


def test_passwords_are_stored_as_argon2id_and_verify(session, now):
    user = _add(session, now)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)


def test_login_names_are_folded_and_unique(session, now):
    assert _add(session, now, login="  Lan.Nguyen ").login == "lan.nguyen"
    with pytest.raises(Conflict, match="đã có người dùng"):
        _add(session, now, login="LAN.NGUYEN")
    for bad in ("lan nguyen", "lân", "ab", "-lan", "x" * 41):
        with pytest.raises(UserError, match="tên đăng nhập"):
            users.normalise_login(bad)


@pytest.mark.parametrize(("password", "reason"), [("short", "ít nhất 10"), ("lan.nguyen", "trùng tên đăng nhập"),
                                                  ("0123456789\x00", "ký tự điều khiển")])
def test_weak_passwords_are_refused_in_plain_words(session, now, password, reason):
    with pytest.raises(UserError, match=reason):
        _add(session, now, password=password)
    assert users.list_users(session=session) == []


def test_a_good_sign_in_opens_a_session_whose_token_is_kept_only_as_a_hash(session, now):
    user = _add(session, now)
    result = _sign_in(session, now, login="Lan.Nguyen")
    assert result.ok and result.user.id == user.id
    assert result.session.token_hash != result.token and len(result.token) >= 40
    signed = sessions.resolve(session=session, now=now, token=result.token, settings=SETTINGS)
    assert signed.user.id == user.id
    assert sessions.resolve(session=session, now=now, token=result.token + "x", settings=SETTINGS) is None


def test_every_attempt_is_audited_with_the_address_and_browser(session, now):
    _add(session, now)
    _sign_in(session, now, password="wrong password!")
    _sign_in(session, now, login="nobody")
    _sign_in(session, now)
    rows = session.exec(select(AuditEntry).where(AuditEntry.action.like("accounts.%"))
                        .order_by(AuditEntry.id)).all()
    assert [(r.action, r.detail.get("why", None)) for r in rows] == [
        ("accounts.login_failed", "wrong password"), ("accounts.login_failed", "unknown login"),
        ("accounts.login", None)]
    assert {r.detail["address"] for r in rows} == {"203.0.113.5"}
    assert {r.detail["user_agent"] for r in rows} == {"Firefox/140"}
    assert rows[-1].actor == "user:lan.nguyen"


def test_a_session_ends_when_idle_and_at_its_end_whatever_the_use(session, now):
    _add(session, now)
    token = _sign_in(session, now).token

    def alive(at):
        found = sessions.resolve(session=session, now=at, token=token, settings=SETTINGS) is not None
        session.commit()
        return found

    assert alive(now + dt.timedelta(minutes=119))  # idle just under 2 hours
    assert not alive(now + dt.timedelta(minutes=119 + 121))  # idle 2 h 1 min
    token = _sign_in(session, now).token
    for minutes in range(0, 12 * 60, 100):  # used every 100 minutes: never idle
        assert alive(now + dt.timedelta(minutes=minutes))
    assert not alive(now + dt.timedelta(hours=12))


def test_sign_out_disable_and_reset_revoke_sessions(session, now):
    user = _add(session, now)
    first, second = _sign_in(session, now), _sign_in(session, now)
    signed = sessions.resolve(session=session, now=now, token=first.token, settings=SETTINGS)
    signin.sign_out(session=session, now=now, signed=signed)
    session.commit()
    assert sessions.resolve(session=session, now=now, token=first.token, settings=SETTINGS) is None
    assert sessions.resolve(session=session, now=now, token=second.token, settings=SETTINGS) is not None
    users.reset_password(session=session, now=now, actor="user:admin", user=user, password="một mật khẩu mới",
                         min_password_length=10)
    session.commit()
    assert sessions.resolve(session=session, now=now, token=second.token, settings=SETTINGS) is None
    assert not _sign_in(session, now).ok and _sign_in(session, now, password="một mật khẩu mới").ok
    third = _sign_in(session, now, password="một mật khẩu mới")
    users.set_disabled(session=session, now=now, actor="user:admin", user=user, disabled=True)
    session.commit()
    assert sessions.resolve(session=session, now=now, token=third.token, settings=SETTINGS) is None
    assert _sign_in(session, now, password="một mật khẩu mới").reason == "refused"


def test_changing_ones_password_keeps_this_session_and_ends_the_others(session, now):
    user = _add(session, now)
    here, elsewhere = _sign_in(session, now), _sign_in(session, now)
    with pytest.raises(UserError, match="mật khẩu hiện tại"):
        users.change_password(session=session, now=now, user=user, current="not it at all",
                              new="một mật khẩu mới", min_password_length=10)
    users.change_password(session=session, now=now, user=user, current=PASSWORD, new="một mật khẩu mới",
                          min_password_length=10, keep_session_id=here.session.id)
    session.commit()
    assert sessions.resolve(session=session, now=now, token=here.token, settings=SETTINGS) is not None
    assert sessions.resolve(session=session, now=now, token=elsewhere.token, settings=SETTINGS) is None


def test_five_failures_for_a_name_lock_it_for_the_window_from_any_address(session, now):
    _add(session, now)
    for minute in range(5):
        assert _sign_in(session, now + dt.timedelta(minutes=minute), password="wrong password!",
                        address=f"198.51.100.{minute}").reason == "refused"
    later = now + dt.timedelta(minutes=5)
    refused = _sign_in(session, later, address="192.0.2.77")  # right password, other address
    assert refused.reason == "throttled"
    assert refused.retry_after_seconds == 10 * 60 + 1  # the first failure leaves the window at +15 min
    assert _sign_in(session, now + dt.timedelta(minutes=15, seconds=1)).ok
    assert session.exec(select(LoginAttempt)).all()[-1].succeeded


def test_one_address_trying_many_names_is_throttled(session, now):
    _add(session, now)
    for i in range(20):
        _sign_in(session, now, login=f"guess{i:02d}", password="wrong password!")
    assert _sign_in(session, now).reason == "throttled"
    assert _sign_in(session, now, address="198.51.100.9").ok  # another address is not held back


@given(offsets=st.lists(st.integers(min_value=0, max_value=40), max_size=12), probe=st.integers(0, 60))
def test_throttling_counts_exactly_the_failures_inside_the_window(offsets, probe):
    """Against an independent count: refused iff at least `limit` failures in (probe-15, probe]."""
    base = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    times = sorted(base + dt.timedelta(minutes=m) for m in offsets)
    probe_at = base + dt.timedelta(minutes=probe)
    inside = [t for t in times if probe_at - dt.timedelta(minutes=15) <= t <= probe_at]
    wait = signin._wait(inside, 5, probe_at, SETTINGS)
    assert (wait > 0) == (len(inside) >= 5)
    if wait:
        assert probe_at + dt.timedelta(seconds=wait) > inside[-5] + dt.timedelta(minutes=15)
