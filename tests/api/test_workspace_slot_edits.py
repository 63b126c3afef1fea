"""A drive's slots edited on its workspace page: a slot's places (never below those booked), a
slot added after the others; a viewer or another chapter's coordinator refused; on SQLite and
PostgreSQL."""

import datetime as dt

import pytest
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import Drive, DriveCreate
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.slots import service as slots
from donor_registry.slots.models import DriveSlot
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make

DAY = dt.date(2026, 6, 5)  # `now` is 10:00 on 1 June 2026 in Vietnam


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="92")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        data = DriveCreate(date=DAY, start_time=dt.time(7), end_time=dt.time(9), venue="Nhà văn hóa phường",
                           capacity=4, chapter_id=home)
        drive = add_drive(session=session, settings=settings.campaigns, data=data, now=now, actor="test")[0]
        made = slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)  # 2 + 2 places
        slots.book(session=session, donor_id=make.donor(session, now, name="Trần Thị Lan"), slot_id=made[1].id,
                   now=now)
        ids, drive_id = [s.id for s in made], drive.id
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "drive": drive_id,
            "slots": ids}


def _slots(world):
    with session_scope(world["engine"]) as session:
        drive = session.get(Drive, world["drive"])
        return (f"{drive.start_time:%H:%M}–{drive.end_time:%H:%M}", drive.capacity,
                [(f"{s.start_time:%H:%M}", s.capacity, s.booked) for s in session.exec(
                    select(DriveSlot).where(DriveSlot.drive_id == world["drive"]).order_by(DriveSlot.start_time))])


def test_a_coordinator_changes_a_slots_places_and_adds_a_slot(world):
    client, csrf = signed_in(world, "coordinator")
    page = client.get(f"/drives/{world['drive']}")
    assert page.status_code == 200 and 'id="add-slot"' in page.text
    seven, _eight = world["slots"]
    assert client.post(f"/drives/{world['drive']}/slots/{seven}/capacity",
                       data={"csrftoken": csrf, "capacity": "5"}).status_code == 303
    assert client.post(f"/drives/{world['drive']}/slots", data={
        "csrftoken": csrf, "start_time": "09:00", "end_time": "9h30", "capacity": "3"}).status_code == 303
    assert _slots(world) == ("07:00–09:30", 10, [("07:00", 5, 0), ("08:00", 2, 1), ("09:00", 3, 0)])
    with session_scope(world["engine"]) as session:
        actions = session.exec(select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.action.in_(["drives.slot_capacity", "drives.slot_added"])).order_by(AuditEntry.id)).all()
    assert actions == [("drives.slot_capacity", "user:coordinator"), ("drives.slot_added", "user:coordinator")]


@pytest.mark.parametrize(("path", "form", "says"), [
    ("/slots/{eight}/capacity", {"capacity": "0"}, "has 1 places booked"),
    ("/slots/{eight}/capacity", {"capacity": "hai"}, "whole number"),
    ("/slots/999999/capacity", {"capacity": "3"}, "no such time slot"),
    ("/slots", {"start_time": "08:30", "end_time": "09:30", "capacity": "2"}, "overlaps the slot 08:00–09:00"),
    ("/slots", {"start_time": "nine", "end_time": "09:30", "capacity": "2"}, "not a time of day"),
])
def test_a_refused_edit_says_why_and_changes_nothing(world, path, form, says):
    client, csrf = signed_in(world, "coordinator")
    before = _slots(world)
    answer = client.post(f"/drives/{world['drive']}" + path.format(eight=world["slots"][1]),
                         data={"csrftoken": csrf, **form}, headers={"Accept-Language": "en"})
    assert answer.status_code in (404, 422) and 'id="problem"' in answer.text
    assert _slots(world) == before


def test_a_viewer_or_another_chapter_may_not_edit_slots(world):
    for who, status in (("viewer", 403), ("other", 404)):
        client, csrf = signed_in(world, who)
        answer = client.post(f"/drives/{world['drive']}/slots/{world['slots'][0]}/capacity",
                             data={"csrftoken": csrf, "capacity": "9"})
        assert answer.status_code == status, who
    assert _slots(world)[2][0] == ("07:00", 2, 0)
