"""The chapter settings page: an admin sees each setting of its chapter with its value and where
it comes from, changes it or lets it inherit again (audited), each refusal next to its field in
Vietnamese; chapters below through ?chapter=, never another chapter's; other roles get 403."""

import re

import pytest
from sqlmodel import select

from donor_registry.accounts.models import Role, User
from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.chapter_settings.models import ChapterSetting
from donor_registry.chapters import service as chapters
from donor_registry.config import Settings
from donor_registry.db import session_scope
from tests.api.workspace_support import HASH, add_people, signed_in

NAME, RING, DAYS = "general.chapter_name", "campaigns.drive_ring", "sms.reminders.invitation_days_before"


@pytest.fixture
def world(engine, db_url, now):
    settings = Settings(database={"url": db_url}, general={"chapter_name": "Hội CTĐ Việt Nam"},
                        campaigns={"drive_ring": "10km"})
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="92")
        tree = {"vn": vn, "home": home, "ward": add(kind="commune", parent_id=home, commune_code="31507"),
                "other": add(kind="province", parent_id=vn, province_code="15")}
        people = add_people(session, now, home, tree["other"])
        for login, chapter in (("admin", home), ("root", None), ("other.admin", tree["other"])):
            user = User(login=login, password_hash=HASH, role=Role.admin, chapter_id=chapter, created_at=now,
                        updated_at=now, password_changed_at=now)
            session.add(user)
            session.flush()
            people[login] = user.id
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "tree": tree}


def _source(page: str, field: str) -> str:
    return re.search(rf'id="{field}-source">([^<]*)<', page).group(1)


def _effective(page: str, field: str) -> str:
    return re.search(rf'id="{field}-effective">[^<]*<strong>([^<]*)</strong>', page).group(1)


def _stored(world) -> set[tuple[int, str, str, str]]:
    with session_scope(world["engine"]) as session:
        return {(r.chapter_id, r.key, r.value, r.updated_by) for r in session.exec(select(ChapterSetting))}


def _post(client, csrf, chapter, **fields):
    form = {"csrftoken": csrf, "chapter": str(chapter), "chapter_name": "", "drive_ring": "",
            "invitation_days_before": ""} | fields
    return client.post("/admin/settings", data=form)


def test_the_admin_sees_its_chapters_settings_from_config(world):
    client, _ = signed_in(world, "admin")
    page = client.get("/")
    assert 'href="/admin/settings"' in page.text
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert "VN-92" in re.search(r'<h2 id="chapter">([^<]*)<', page.text).group(1)
    assert [_effective(page.text, f) for f in ("chapter_name", "drive_ring", "invitation_days_before")] \
        == ["Hội CTĐ Việt Nam", "10km", "5"]
    assert {_source(page.text, f) for f in ("chapter_name", "drive_ring", "invitation_days_before")} \
        == {"config.toml"}


def test_a_change_is_saved_audited_and_inherited_below(world):
    client, csrf = signed_in(world, "admin")
    home, ward = world["tree"]["home"], world["tree"]["ward"]
    saved = _post(client, csrf, home, chapter_name="Hội CTĐ thành phố Cần Thơ", drive_ring="25km")
    assert saved.status_code == 303 and saved.headers["location"] == f"/admin/settings?chapter={home}&saved=1"
    assert _stored(world) == {(home, NAME, "Hội CTĐ thành phố Cần Thơ", "user:admin"),
                              (home, RING, "25km", "user:admin")}
    page = client.get(saved.headers["location"]).text
    assert 'id="saved"' in page and _source(page, "chapter_name") == "Hội này"
    below = client.get("/admin/settings", params={"chapter": ward}).text
    assert _effective(below, "drive_ring") == "25km"
    assert _source(below, "drive_ring").startswith("từ Hội cấp trên: VN-92")
    assert _source(below, "invitation_days_before") == "config.toml"
    with session_scope(world["engine"]) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")
                               .order_by(AuditEntry.id)).all()
        assert [(e.actor, e.subject_id, e.detail["key"], e.detail["before"], e.detail["after"]) for e in entries] \
            == [("user:admin", home, NAME, "Hội CTĐ Việt Nam", "Hội CTĐ thành phố Cần Thơ"),
                ("user:admin", home, RING, "10km", "25km")]
    # Sending the same form again changes and audits nothing.
    assert _post(client, csrf, home, chapter_name="Hội CTĐ thành phố Cần Thơ", drive_ring="25km").status_code == 303
    with session_scope(world["engine"]) as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")).all()) == 2


def test_reset_lets_the_chapter_inherit_again(world):
    client, csrf = signed_in(world, "admin")
    home, ward = world["tree"]["home"], world["tree"]["ward"]
    _post(client, csrf, home, drive_ring="25km")
    _post(client, csrf, ward, drive_ring="commune", invitation_days_before="3")
    page = client.get("/admin/settings", params={"chapter": ward}).text
    assert 'id="drive_ring-reset"' in page and 'id="chapter_name-reset"' not in page
    reset = client.post("/admin/settings", data={"csrftoken": csrf, "chapter": str(ward), "reset": RING})
    assert reset.status_code == 303
    assert _stored(world) == {(home, RING, "25km", "user:admin"), (ward, DAYS, "3", "user:admin")}
    assert _effective(client.get(reset.headers["location"]).text, "drive_ring") == "25km"
    # A field emptied in the form inherits again too.
    assert _post(client, csrf, ward).status_code == 303
    assert _stored(world) == {(home, RING, "25km", "user:admin")}


def test_each_refused_value_is_shown_next_to_its_field_and_nothing_is_saved(world):
    client, csrf = signed_in(world, "admin")
    home = world["tree"]["home"]
    refused = _post(client, csrf, home, chapter_name="Hội CTĐ Cần Thơ", drive_ring="everywhere",
                    invitation_days_before="99")
    assert refused.status_code == 422
    assert re.search(r'id="invitation_days_before-error">([^<]*)<', refused.text).group(1) == "phải nhiều nhất là 60"
    assert "drive_ring" in re.search(r'id="drive_ring-error">([^<]*)<', refused.text).group(1)
    assert 'id="chapter_name-error"' not in refused.text
    assert 'value="99"' in refused.text and 'value="Hội CTĐ Cần Thơ"' in refused.text  # the form keeps what was typed
    assert _stored(world) == set()
    with session_scope(world["engine"]) as session:
        assert session.exec(select(AuditEntry)).all() == []


def test_an_admin_reaches_its_chapter_and_below_never_another_nor_above(world):
    client, csrf = signed_in(world, "admin")
    tree = world["tree"]
    page = client.get("/admin/settings").text
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(tree["home"]), str(tree["ward"])]
    for chapter in (tree["other"], tree["vn"], 999_999, "x"):
        assert client.get("/admin/settings", params={"chapter": chapter}).status_code == 404
        assert _post(client, csrf, chapter, drive_ring="5km").status_code == 404
    assert _stored(world) == set()
    other, _ = signed_in(world, "other.admin")
    assert other.get("/admin/settings", params={"chapter": tree["ward"]}).status_code == 404


def test_the_whole_registrys_admin_starts_at_the_root_and_reaches_every_chapter(world):
    client, csrf = signed_in(world, "root")
    page = client.get("/admin/settings").text
    assert re.search(r'<h2 id="chapter">VN ', page)
    assert len(re.findall(r'<option value="(\d+)"', page)) == 4
    assert _post(client, csrf, world["tree"]["other"], invitation_days_before="7").status_code == 303
    assert _stored(world) == {(world["tree"]["other"], DAYS, "7", "user:root")}


@pytest.mark.parametrize("who", ["coordinator", "viewer"])
def test_coordinators_and_viewers_are_refused(world, who):
    client, csrf = signed_in(world, who)
    assert 'href="/admin/settings"' not in client.get("/").text
    assert client.get("/admin/settings").status_code == 403
    assert _post(client, csrf, world["tree"]["home"], drive_ring="5km").status_code == 403
    assert _stored(world) == set()
