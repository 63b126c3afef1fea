"""The admins' audit page: a chapter's admin reads what its users did and what was done to its
donors, never another chapter's; filters by donor, action and actor; pages of 50, newest first."""

import datetime as dt
import re

import pytest

from donor_registry.accounts.models import Role, User
from donor_registry.api import create_app
from donor_registry.audit import service as audit
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from tests.api.workspace_support import HASH, add_people, signed_in

pytestmark = pytest.mark.usefixtures("english")


def _donor(session, now, name, chapter_id) -> int:
    donor = Donor(full_name=name, name_folded=name.lower(), chapter_id=chapter_id, created_at=now, updated_at=now)
    session.add(donor)
    session.flush()
    return donor.id


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        home = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                       province_code="79").id
        other = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                        province_code="80").id
        people = add_people(session, now, home, other)
        for login, chapter in (("admin", home), ("root", None)):
            user = User(login=login, password_hash=HASH, role=Role.admin, chapter_id=chapter, created_at=now,
                        updated_at=now, password_changed_at=now)
            session.add(user)
            session.flush()
            people[login] = user.id
        ours = _donor(session, now, "Lê Thị Hoa", home)
        theirs = _donor(session, now, "Trần Văn Bình", other)
        at = lambda minutes: now - dt.timedelta(minutes=minutes)
        rows = [  # (minutes ago, actor, action, donor): newest last
            (60, "user:coordinator", "donor.show", ours),       # ours: by our user, about our donor
            (50, "user:other", "donor.show", theirs),          # theirs on both counts
            (40, "user:other", "donor.update", ours),          # about our donor: ours
            (30, "cli:root", "donor.show", theirs),            # neither: not ours
            (20, "user:coordinator", "drive.add", None),       # by our user: ours
            (10, "user:other", "drive.add", None),             # theirs
        ]
        ids = [audit.record(session=session, now=at(m), actor=who, action=what,
                            subject_type="donor" if donor else None, subject_id=donor).id or 0
               for m, who, what, donor in rows]
        session.flush()
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "ours": ours,
            "theirs": theirs, "ids": ids}


def _shown(page: str) -> list[str]:
    return re.findall(r'<tr id="entry-\d+"><td>[^<]*</td><td>([^<]+)</td><td><code>([^<]+)</code>', page)


def test_a_chapters_admin_sees_its_users_acts_and_its_donors_only(world):
    client, _ = signed_in(world, "admin")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    # Newest first; the sign-in of the test client is not an audited login (sessions opened directly).
    assert _shown(page.text) == [("user:coordinator", "drive.add"), ("user:other", "donor.update"),
                                 ("user:coordinator", "donor.show")]
    assert f'/donors/{world["theirs"]}"' not in page.text


def test_the_whole_registrys_admin_sees_everything_and_filters(world):
    client, _ = signed_in(world, "root")
    assert len(_shown(client.get("/admin/audit").text)) == 6
    by_donor = _shown(client.get("/admin/audit", params={"donor": f"#{world['theirs']}"}).text)
    assert by_donor == [("cli:root", "donor.show"), ("user:other", "donor.show")]
    assert _shown(client.get("/admin/audit", params={"action": "drive."}).text) == [
        ("user:other", "drive.add"), ("user:coordinator", "drive.add")]
    assert _shown(client.get("/admin/audit", params={"actor": "cli:root"}).text) == [("cli:root", "donor.show")]
    bad = client.get("/admin/audit", params={"donor": "abc"})
    assert bad.status_code == 200 and 'id="donor-error"' in bad.text


def test_pages_go_back_in_time_by_keyset(world, monkeypatch):
    monkeypatch.setattr("donor_registry.web.admin.AUDIT_PAGE", 4)
    client, _ = signed_in(world, "root")
    first = client.get("/admin/audit").text
    assert len(_shown(first)) == 4
    older = re.search(r'id="older" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).text
    assert _shown(second) == [("user:other", "donor.show"), ("user:coordinator", "donor.show")]
    assert 'id="older"' not in second


@pytest.mark.parametrize("who", ["coordinator", "viewer"])
def test_only_admins_read_the_trail(world, who):
    client, _ = signed_in(world, who)
    assert client.get("/admin/audit").status_code == 403
