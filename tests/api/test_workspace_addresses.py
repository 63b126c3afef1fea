"""The addresses to review in the workspace: a coordinator sees the flagged addresses of the
donors of their chapter and below with the candidate communes, picks one (audited with what it
was before), and cannot reach another chapter's; a viewer reads without picking. Commune codes
are hand-copied from the published lists (tests/cli/test_addresses_cli.py has the same ones)."""

import pytest
from sqlmodel import select

from donor_registry.accounts.models import Role
from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.places.status import AddressStatus
from tests.api.test_workspace_access import _chapters, _client, _user
from tests.service import emergency_support as make

SPLIT = {"province": "Cần Thơ", "district": "Huyện Thới Lai", "commune": "Xã Tân Thạnh"}  # -> 31288 or 31666


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        tree = _chapters(session, now)
        people = {role.value: _user(session, now, role.value, role, tree["home"]).id for role in Role}
        people["other_coordinator"] = _user(session, now, "other.coord", Role.coordinator, tree["other"]).id
        donors = {"binh": make.donor(session, now, name="Trần Thị Bình", place=SPLIT),
                  "far": make.donor(session, now, name="Lê Văn Xa", place=SPLIT),
                  "lost": make.donor(session, now, name="Phạm Văn Lạc")}
        for key, chapter in (("binh", tree["ward"]), ("far", tree["other"]), ("lost", tree["ward"])):
            session.get(Donor, donors[key]).chapter_id = chapter
        lost = session.get(Donor, donors["lost"])  # an address that names no unit, in Lào Cai (15)
        lost.address_status, lost.province_code, lost.commune_code, lost.address_candidates = (
            AddressStatus.unknown, "15", None, None)
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "donors": donors, "tree": tree,
            "people": people}


def _address(world, donor_id) -> tuple:
    with session_scope(world["engine"]) as session:
        donor = session.get(Donor, donor_id)
        return donor.address_status.value, donor.province_code, donor.commune_code


def _picks(world) -> list[tuple[str, int]]:
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == "address.pick").order_by(AuditEntry.id))]


def _row(page: str, donor_id: int) -> str:
    row = page[page.index(f'id="address-{donor_id}"'):]
    return row[:row.index("</tr>")]


def test_the_coordinator_sees_the_chapters_flagged_addresses_with_candidates(world):
    binh, far, lost = (world["donors"][k] for k in ("binh", "far", "lost"))
    assert _address(world, binh) == ("split", "92", None)  # the fixture is what the page reviews
    client, _ = _client(world, "coordinator")
    page = client.get("/addresses")
    assert page.status_code == 200
    row = _row(page.text, binh)
    assert "Trần Thị Bình" in row and "Xã Tân Thạnh, Huyện Thới Lai, Cần Thơ" in row
    assert 'value="31288"' in row and 'value="31666"' in row and "chia tách" in row
    assert 'name="commune_code" inputmode="numeric"' in _row(page.text, lost)  # no candidates: a code
    assert f'id="address-{far}"' not in page.text and "Lê Văn Xa" not in page.text  # another chapter's
    only_unknown = client.get("/addresses", params={"status": "unknown"}).text
    assert f'id="address-{lost}"' in only_unknown and f'id="address-{binh}"' not in only_unknown
    dashboard = client.get("/").text
    assert 'href="/addresses"' in dashboard


def test_picking_a_candidate_sets_the_commune_and_is_audited(world):
    binh = world["donors"]["binh"]
    client, csrf = _client(world, "coordinator")
    picked = client.post(f"/addresses/{binh}/pick", data={"csrftoken": csrf, "commune_code": "31666"})
    assert picked.status_code == 303 and picked.headers["location"] == f"/addresses?picked={binh}"
    assert _address(world, binh) == ("picked", "92", "31666")
    assert _picks(world) == [("user:coordinator", binh)]
    after = client.get(picked.headers["location"]).text
    assert f'id="address-{binh}"' not in after and f"#{binh}" in after


def test_a_wrong_pick_is_a_plain_error_and_changes_nothing(world):
    binh, lost = world["donors"]["binh"], world["donors"]["lost"]
    client, csrf = _client(world, "coordinator")
    for donor_id, code in ((binh, "31507"), (binh, ""), (lost, "31507"), (lost, "99999")):
        refused = client.post(f"/addresses/{donor_id}/pick", data={"csrftoken": csrf, "commune_code": code})
        assert refused.status_code == 422 and 'id="problem"' in refused.text, (donor_id, code)
    assert _address(world, binh) == ("split", "92", None)
    assert _address(world, lost) == ("unknown", "15", None)
    assert _picks(world) == []


def test_a_viewer_reads_and_another_chapter_is_refused(world):
    binh, far = world["donors"]["binh"], world["donors"]["far"]
    viewer, viewer_csrf = _client(world, "viewer")
    page = viewer.get("/addresses").text
    assert "Trần Thị Bình" in page and f'id="pick-{binh}"' not in page
    assert viewer.post(f"/addresses/{binh}/pick", data={"csrftoken": viewer_csrf,
                                                         "commune_code": "31666"}).status_code == 403
    coordinator, csrf = _client(world, "coordinator")
    assert coordinator.post(f"/addresses/{far}/pick", data={"csrftoken": csrf,
                                                            "commune_code": "31666"}).status_code == 404
    assert _address(world, binh) == ("split", "92", None) and _address(world, far) == ("split", "92", None)
