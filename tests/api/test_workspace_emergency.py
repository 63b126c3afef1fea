"""The emergency pages over HTTP: a request taken by phone (audited as user:<login>), a donor's
answer by phone and an arrival changing the counts, phones masked for a viewer who cannot act,
and a coordinator of another chapter finding nothing."""

import re

import pytest
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.emergency.models import CallOut, EmergencyRequest, Hospital
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="79")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        hospital = make.hospital(session, now)[0]
        far = make.hospital(session, now, name="Bệnh viện Lào Cai")[0]
        session.get(Hospital, hospital.id).chapter_id = home
        session.get(Hospital, far.id).chapter_id = other
        donors = [make.donor(session, now, "O+", name=name) for name in ("Trần Thị Lan", "Lê Văn Hùng")]
        for donor in donors:
            session.get(Donor, donor).chapter_id = home
        hospital_id, far_id = hospital.id, far.id
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people,
            "hospital": hospital_id, "far": far_id, "donors": donors}


def _file(client, csrf, hospital_id, **extra):
    return client.post("/emergency", data={"csrftoken": csrf, "hospital_id": str(hospital_id), "blood_group": "O+",
                                           "units": "2", "product": "red_cells", "needed_by": "", "note": "", **extra})


def _counts(page: str, request_id: int) -> dict[str, int]:
    row = re.search(rf'<tr id="request-{request_id}">(.*?)</tr>', page, re.DOTALL).group(1)
    return {name: int(n) for name, n in re.findall(r'<td class="(\w+)">(\d+)</td>', row)}


def test_a_request_by_phone_then_an_answer_and_an_arrival_change_the_counts(world):
    client, csrf = signed_in(world, "coordinator")
    filed = _file(client, csrf, world["hospital"])
    assert filed.status_code == 303, filed.text
    request_id = int(filed.headers["location"].rsplit("/", 1)[1])
    with session_scope(world["engine"]) as session:
        assert session.get(EmergencyRequest, request_id).created_by == "user:coordinator"
        asked = make.asked(session, request_id)
        logged = session.exec(select(AuditEntry).where(AuditEntry.action == "emergency.request")).all()
    assert sorted(asked) == sorted(world["donors"]) and [e.actor for e in logged] == ["user:coordinator"]
    form = client.get("/emergency/new")
    assert form.status_code == 200 and "Bệnh viện Bình Dân" in form.text and "Bệnh viện Lào Cai" not in form.text
    assert 'http-equiv="refresh"' not in form.text  # a half-typed request is never wiped
    listing = client.get("/emergency")
    assert 'http-equiv="refresh"' in listing.text and 'href="/emergency/new"' in listing.text
    assert _counts(listing.text, request_id) == {"asked": 2, "accepted": 0, "declined": 0, "no_answer": 2,
                                                 "arrived": 0, "donated": 0}
    donor = asked[0]
    answered = client.post(f"/emergency/{request_id}/answer",
                           data={"csrftoken": csrf, "donor_id": str(donor), "answer": "accept", "arrive_in": "40"})
    assert answered.status_code == 303 and answered.headers["location"].endswith("done=recorded")
    arrived = client.post(f"/emergency/{request_id}/arrived", data={"csrftoken": csrf, "donor_id": str(donor)})
    assert arrived.status_code == 303
    assert _counts(client.get("/emergency").text, request_id) == {
        "asked": 2, "accepted": 1, "declined": 0, "no_answer": 1, "arrived": 1, "donated": 0}
    with session_scope(world["engine"]) as session:
        callout = session.exec(select(CallOut).where(CallOut.request_id == request_id, CallOut.donor_id == donor)).one()
        assert callout.arrived_at is not None
        actors = {e.action: e.actor for e in session.exec(select(AuditEntry)) if e.action.startswith("emergency.")}
    assert actors["emergency.answer"] == actors["emergency.arrived"] == "user:coordinator"
    page = client.get(f"/emergency/{request_id}")
    assert page.status_code == 200 and "Trần Thị Lan" in page.text


def test_a_bad_request_form_says_which_field(world):
    client, csrf = signed_in(world, "coordinator")
    refused = _file(client, csrf, world["hospital"], blood_group="Z", units="0")
    assert refused.status_code == 422 and 'id="units-error"' in refused.text
    refused = _file(client, csrf, world["hospital"], blood_group="Z")
    assert refused.status_code == 422 and 'id="blood_group-error"' in refused.text
    assert _file(client, csrf, world["far"]).status_code == 422  # a hospital of another chapter
    with session_scope(world["engine"]) as session:
        assert session.exec(select(EmergencyRequest)).all() == []


def test_a_viewer_reads_masked_phones_and_cannot_act_another_chapter_finds_nothing(world):
    with session_scope(world["engine"]) as session:
        request_id = make.request(session, world["now"], world["settings"], world["hospital"], units=2).id
        phone = session.get(Donor, world["donors"][0]).phone_e164
    viewer, csrf = signed_in(world, "viewer")
    page = viewer.get(f"/emergency/{request_id}")
    assert page.status_code == 200 and "Trần Thị Lan" in page.text and phone not in page.text
    assert 'action="/emergency/' not in page.text and 'id="new-request"' not in viewer.get("/emergency").text
    assert viewer.get("/emergency/new").status_code == 403
    for action in ("answer", "arrived"):
        assert viewer.post(f"/emergency/{request_id}/{action}", data={
            "csrftoken": csrf, "donor_id": str(world["donors"][0]), "answer": "accept"}).status_code == 403
    assert _file(viewer, csrf, world["hospital"]).status_code == 403
    coordinator, _ = signed_in(world, "coordinator")
    assert phone in coordinator.get(f"/emergency/{request_id}").text  # in full, and that view is audited
    other, csrf = signed_in(world, "other")
    assert other.get(f"/emergency/{request_id}").status_code == 404
    assert f'id="request-{request_id}"' not in other.get("/emergency").text
    assert other.post(f"/emergency/{request_id}/arrived", data={
        "csrftoken": csrf, "donor_id": str(world["donors"][0])}).status_code == 404
    with session_scope(world["engine"]) as session:
        assert session.exec(select(CallOut).where(CallOut.arrived_at.is_not(None))).all() == []
        views = session.exec(select(AuditEntry).where(AuditEntry.action == "emergency.view")).all()
    assert [e.actor for e in views] == ["user:coordinator"]
