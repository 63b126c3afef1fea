"""The workspace over HTTP: sign in and out, expiry and revocation on a pinned clock, throttling,
CSRF refusals, cookie flags, and the audit actor of web requests."""

import datetime as dt
import re
import warnings

import pytest
from sqlmodel import select

from donor_registry.accounts import users
from donor_registry.accounts.models import Role, User, UserSession
from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.web.deps import SESSION_COOKIE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "mật khẩu quản trị 2026"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def site(engine, db_url, now):
    with session_scope(engine) as session:
        users.add_user(session=session, now=now, actor="cli:root", login="admin", password=PASSWORD,
                       role=Role.admin, chapter_id=None, min_password_length=10)
    return _site(engine, Settings(database={"url": db_url}), now)


def _site(engine, settings, now):
    app = create_app(settings, engine)
    app.state.clock = Clock(now)
    return {"app": app, "engine": engine, "clock": app.state.clock}


def _browser(site, base_url="http://testserver", **kwargs) -> TestClient:
    return TestClient(site["app"], base_url=base_url, follow_redirects=False, **kwargs)


def _csrf(client, path="/") -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', client.get(path).text).group(1)


def _sign_in(client, login="admin", password=PASSWORD):
    return client.post("/login", data={"csrftoken": _csrf(client), "login": login, "password": password})


def test_sign_in_shows_the_dashboard_and_sign_out_ends_the_session(site):
    client = _browser(site)
    home = client.get("/")
    assert home.status_code == 200 and 'id="login"' in home.text and "Đăng nhập" in home.text
    signed = _sign_in(client)
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    dashboard = client.get("/")
    assert 'id="dashboard"' in dashboard.text and "quản trị viên" in dashboard.text
    token = client.cookies.get(SESSION_COOKIE)
    assert client.post("/logout", data={"csrftoken": _csrf(client)}).status_code == 303
    assert 'id="login"' in client.get("/").text
    client.cookies.set(SESSION_COOKIE, token)  # the old cookie, replayed: the session is revoked
    assert client.get("/admin/users").headers["location"] == "/"


def test_a_wrong_password_is_refused_in_plain_words_and_sets_no_session(site):
    client = _browser(site)
    refused = _sign_in(client, password="không đúng mật khẩu")
    assert refused.status_code == 401 and "không đúng" in refused.text
    assert SESSION_COOKIE not in client.cookies


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(site):
    plain = _sign_in(_browser(site)).headers["set-cookie"]
    assert "HttpOnly" in plain and "SameSite=lax" in plain and "Secure" not in plain
    secure = _sign_in(_browser(site, base_url="https://testserver")).headers["set-cookie"]
    assert "HttpOnly" in secure and "SameSite=lax" in secure and "Secure" in secure
    first = _browser(site).get("/").headers["set-cookie"]
    assert first.startswith("csrftoken=") and "HttpOnly" in first and "SameSite=Lax" in first


def test_behind_a_trusted_proxy_x_forwarded_proto_makes_cookies_secure(engine, db_url, now, site):
    trusting = _site(engine, Settings(database={"url": db_url}, web={"trust_forwarded_proto": True,
                                                                    "forwarded_allow_ips": "*"}), now)
    client = _browser(trusting, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    form = client.get("/")
    assert "Secure" in form.headers["set-cookie"]
    # The test client speaks plain http to the app, so it would keep a Secure cookie to itself.
    client.cookies.set("csrftoken", form.cookies["csrftoken"] if "csrftoken" in form.cookies
                       else re.search(r"csrftoken=([^;]+)", form.headers["set-cookie"]).group(1))
    csrf = re.search(r'name="csrftoken" value="([^"]+)"', form.text).group(1)
    signed = client.post("/login", data={"csrftoken": csrf, "login": "admin", "password": PASSWORD})
    assert signed.status_code == 303 and "Secure" in signed.headers["set-cookie"]
    untrusting = _browser(site, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in _sign_in(untrusting).headers["set-cookie"]
    with session_scope(engine) as session:
        addresses = [e.detail["address"] for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == "accounts.login").order_by(AuditEntry.id))]
    assert addresses[0] == "203.0.113.9"  # the client's, as the trusted proxy said


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site):
    client = _browser(site)
    assert client.post("/login", data={"login": "admin", "password": PASSWORD}).status_code == 403
    assert SESSION_COOKIE not in client.cookies
    _sign_in(client)
    forged = client.post("/admin/users", data={"login": "mallory", "role": "admin", "password": "x" * 12,
                                                 "csrftoken": "forged.token"})
    assert forged.status_code == 403 and "Biểu mẫu đã hết hạn" in forged.text
    with session_scope(site["engine"]) as session:
        assert session.exec(select(User).where(User.login == "mallory")).first() is None


def test_sessions_end_when_idle_and_at_their_end_on_the_apps_clock(site):
    client = _browser(site)
    _sign_in(client)
    start = site["clock"].now
    site["clock"].now = start + dt.timedelta(minutes=110)
    assert client.get("/admin/users").status_code == 200  # used: idle time starts again
    site["clock"].now = start + dt.timedelta(minutes=110 + 121)
    assert client.get("/admin/users").headers["location"] == "/"
    client = _browser(site)
    _sign_in(client)
    start = site["clock"].now
    for hours in range(1, 12):
        site["clock"].now = start + dt.timedelta(hours=hours)
        assert client.get("/admin/users").status_code == 200
    site["clock"].now = start + dt.timedelta(hours=12)
    assert client.get("/admin/users").headers["location"] == "/"


def test_disabling_an_account_ends_its_open_sessions(site, now):
    client = _browser(site)
    _sign_in(client)
    with session_scope(site["engine"]) as session:
        user = session.exec(select(User).where(User.login == "admin")).one()
        users.set_disabled(session=session, now=now, actor="cli:root", user=user, disabled=True)
    assert client.get("/").text.count('id="login"') == 1
    with session_scope(site["engine"]) as session:
        assert all(s.revoked_at is not None for s in session.exec(select(UserSession)))


def test_five_wrong_passwords_throttle_the_name_with_retry_after(site):
    client = _browser(site)
    for _ in range(5):
        assert _sign_in(client, password="không đúng mật khẩu").status_code == 401
    held = _sign_in(client)  # even the right password, now
    assert held.status_code == 429 and held.headers["retry-after"] == str(15 * 60 + 1)
    assert "thử lại sau 16 phút" in held.text  # 901 s, rounded up to whole minutes
    site["clock"].now += dt.timedelta(minutes=15, seconds=1)
    assert _sign_in(client).status_code == 303


def test_web_writes_are_audited_with_the_user(site):
    client = _browser(site)
    _sign_in(client)
    added = client.post("/admin/users", data={"csrftoken": _csrf(client, "/admin/users"), "login": "lan",
                                               "role": "coordinator", "chapter": "", "password": "mật khẩu của Lan"})
    assert added.status_code == 303
    with session_scope(site["engine"]) as session:
        lan = session.exec(select(User).where(User.login == "lan")).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "users.add",
                                                      AuditEntry.subject_id == lan.id)).one()
    assert entry.actor == "user:admin" and lan.password_hash.startswith("$argon2id$")
    client.post(f"/admin/users/{lan.id}/disable", data={"csrftoken": _csrf(client)})
    with session_scope(site["engine"]) as session:
        assert session.get(User, lan.id).disabled
        actors = {e.actor for e in session.exec(select(AuditEntry).where(AuditEntry.action == "users.disable"))}
    assert actors == {"user:admin"}


def test_a_bad_field_is_named_next_to_it(site):
    client = _browser(site)
    _sign_in(client)
    bad = client.post("/admin/users", data={"csrftoken": _csrf(client), "login": "lân", "role": "viewer",
                                             "chapter": "", "password": "ngắn"})
    assert bad.status_code == 422
    assert "tên đăng nhập" in re.search(r'id="login-error">([^<]+)', bad.text).group(1)
    assert "ít nhất 10" in re.search(r'id="password-error">([^<]+)', bad.text).group(1)


def test_pages_carry_a_strict_content_security_policy(site):
    response = _browser(site).get("/")
    assert response.headers["content-security-policy"].startswith("default-src 'none'; style-src 'self'")
    assert "script-src 'self';" in response.headers["content-security-policy"]  # the vendored htmx only
    assert "unsafe" not in response.headers["content-security-policy"]
    assert "http" not in re.sub(r'href="/[^"]*"', "", response.text.split("<body>")[0])  # nothing from elsewhere
