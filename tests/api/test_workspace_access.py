"""The workspace's authorisation matrix: every workspace route of tests/api/test_access.py's
table, for a visitor, each role, and an admin of another chapter."""

import datetime as dt
import re
import warnings

import pytest
from sqlmodel import select

from donor_registry.accounts import sessions
from donor_registry.accounts.models import Role, User
from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.honours.models import CeremonyCreate
from donor_registry.honours.rules import HonourLevel
from donor_registry.honours.service import create_ceremony
from donor_registry.web.deps import SESSION_COOKIE, action_of
from tests.api.test_access import ACCESS, ROLES_OF, _served_routes
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

WORKSPACE = {route: who for route, who in ACCESS.items() if who in ROLES_OF}
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$not-a-real-hash-sessions-are-opened-directly"

def _chapters(session, now) -> dict[str, int]:
    """VN ─ 92 (Cần Thơ, the home province) ─ 31507 (a ward below it);  VN ─ 15 (Lào Cai)."""
    add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
    vn = add(kind="national")
    home = add(kind="province", parent_id=vn, province_code="92")
    return {"home": home, "ward": add(kind="commune", parent_id=home, commune_code="31507"),
            "other": add(kind="province", parent_id=vn, province_code="15")}


def _user(session, now, login, role, chapter_id):
    user = User(login=login, password_hash=HASH, role=role, chapter_id=chapter_id, created_at=now,
                updated_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        tree = _chapters(session, now)
        people = {role.value: _user(session, now, role.value, role, tree["home"]).id for role in Role}
        people["other_admin"] = _user(session, now, "other.admin", Role.admin, tree["other"]).id
        people["ward_admin"] = _user(session, now, "ward.admin", Role.admin, tree["ward"]).id
        target = _user(session, now, "target", Role.viewer, tree["ward"]).id  # below the home province
        _user(session, now, "far.away", Role.viewer, tree["other"])
        people["other_coordinator"] = _user(session, now, "other.coord", Role.coordinator, tree["other"]).id
        donors = {}
        for key, chapter in (("home", tree["ward"]), ("other", tree["other"])):
            donors[key] = make.donor(session, now, name=f"Trần Thị {key.title()}", national_id=f"07909600000{len(donors)}")
            session.get(Donor, donors[key]).chapter_id = chapter
        drive = add_drive(session=session, settings=settings.campaigns, now=now, data=DriveCreate(
            date=now.date(), start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa", chapter_id=tree["ward"]))[0].id
        ceremony = create_ceremony(session=session, now=now, data=CeremonyCreate(
            name="Tôn vinh phường", held_on=now.date(), level=HonourLevel.commune, chapter_id=tree["ward"])).id
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "target": target,
            "tree": tree, "donors": donors, "drive": drive,
            "ceremony": ceremony}


def _client(world, who: str | None) -> tuple[TestClient, str]:
    """A browser (signed in as `who`, a fresh session) and its CSRF token from the home page."""
    client = TestClient(world["app"], follow_redirects=False)
    if who is not None:
        with session_scope(world["engine"]) as session:
            user = session.get(User, world["people"][who])
            _, token = sessions.start(session=session, now=world["now"], user=user,
                                      settings=world["settings"].accounts)
        client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/")
    return client, re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)


def _call(world, client, csrf, method, path):
    url = path.replace("{user_id}", str(world["target"])).replace("{donor_id}", str(world["donors"]["home"])) \
        .replace("{drive_id}", str(world["drive"])).replace("{ceremony_id}", str(world["ceremony"])) \
        .replace("{message_id}", "999999").replace("{request_id}", "999999").replace("{campaign_id}", "999999") \
        .replace("{booking_id}", "999999").replace("{slot_id}", "999999")
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrftoken": csrf, "password": "short"})  # a weak password: 422, no change


def test_every_workspace_route_names_a_policy_action(world):
    routes = {(m, sub.path): sub for r in world["app"].routes
              for sub in getattr(getattr(r, "original_router", None), "routes", [r])
              for m in getattr(sub, "methods", ()) or ()}
    for route in WORKSPACE:
        assert action_of(routes[route]) is not None, route


@pytest.mark.parametrize("route", sorted(WORKSPACE))
def test_a_visitor_not_signed_in_is_sent_to_the_sign_in_page(world, route):
    client, csrf = _client(world, None)
    response = _call(world, client, csrf, *route)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_each_role_may_use_exactly_the_routes_the_table_gives_it(world):
    wrong = []
    for route, who in sorted(WORKSPACE.items()):
        for role in ("admin", "coordinator", "viewer"):
            client, csrf = _client(world, role)
            response = _call(world, client, csrf, *route)
            refused = response.status_code == 403
            redirected_to_sign_in = response.status_code == 303 and response.headers["location"] == "/" \
                and route != ("POST", "/logout")
            allowed = not refused and not redirected_to_sign_in and response.status_code < 500
            if allowed != (role in ROLES_OF[who]):
                wrong.append((route, role, response.status_code))
    assert wrong == []


def test_an_admin_of_another_chapter_never_sees_or_changes_this_chapters_accounts(world):
    client, csrf = _client(world, "other_admin")
    target = world["target"]
    listing = client.get("/admin/users").text
    assert "far.away" in listing and "target" not in listing and ">viewer<" not in listing
    assert client.get(f"/admin/users/{target}").status_code == 404
    for action in ("disable", "password"):
        assert client.post(f"/admin/users/{target}/{action}",
                           data={"csrftoken": csrf, "password": "một mật khẩu đủ dài"}).status_code == 404
    added = client.post("/admin/users", data={"csrftoken": csrf, "login": "intruder", "role": "admin",
                                              "chapter": str(world["tree"]["ward"]),
                                              "password": "một mật khẩu đủ dài"})
    assert added.status_code == 422 and "Hội cấp dưới" in added.text
    with session_scope(world["engine"]) as session:
        assert session.get(User, target).disabled is False
        assert session.get(User, target).password_hash == HASH
        assert session.exec(select(User).where(User.login == "intruder")).first() is None


def test_an_admin_manages_its_chapter_and_below_but_not_above(world):
    province, _ = _client(world, "admin")
    assert "target" in province.get("/admin/users").text  # a ward account, below the province
    assert province.get(f"/admin/users/{world['target']}").status_code == 200
    ward, _ = _client(world, "ward_admin")
    listing = ward.get("/admin/users").text
    assert "target" in listing and ">coordinator<" not in listing and "other.admin" not in listing
    assert ward.get(f"/admin/users/{world['people']['coordinator']}").status_code == 404  # the province's


def test_a_coordinator_of_another_chapter_never_sees_this_chapters_donor(world):
    client, _ = _client(world, "other_coordinator")
    home, other = world["donors"]["home"], world["donors"]["other"]
    refused = client.get(f"/donors/{home}")
    assert refused.status_code == 404 and "Trần Thị Home" not in refused.text
    assert client.get(f"/donors/{other}").status_code == 200
    assert client.get("/donors/999999").status_code == 404  # the same answer as for no donor at all


def test_a_viewer_sees_phones_masked_and_a_coordinators_full_view_is_audited(world):
    home = world["donors"]["home"]
    viewer, _ = _client(world, "viewer")
    masked = viewer.get(f"/donors/{home}").text
    with session_scope(world["engine"]) as session:
        donor = session.get(Donor, home)
        phone, national_id = donor.phone_e164, donor.national_id
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "donor.show")).all() == []
    assert phone not in masked and national_id not in masked and national_id[-3:] in masked
    coordinator, _ = _client(world, "coordinator")
    full = coordinator.get(f"/donors/{home}").text
    assert phone in full and national_id in full
    with session_scope(world["engine"]) as session:
        shown = session.exec(select(AuditEntry).where(AuditEntry.action == "donor.show")).all()
    assert [(e.actor, e.subject_id) for e in shown] == [("user:coordinator", home)]


def test_the_access_table_still_names_every_route(world):
    assert _served_routes(world["app"]) == set(ACCESS)
