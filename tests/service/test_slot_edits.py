"""Editing a drive's slots: a capacity never below the places booked (also when a booking races
the change), 0 closes a slot, an added slot stays within the hours and overlaps none, the
drive's capacity follows, new places go to the waiting list; on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlmodel import select

from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.models import Drive
from donor_registry.config import Settings
from donor_registry.errors import Conflict, UserError
from donor_registry.slots import edits, waitlist
from donor_registry.slots import service as slots
from donor_registry.slots.models import DriveSlot, SlotWaitlist, WaitStatus
from donor_registry.sms.models import OutboxMessage
from tests.service import emergency_support as make
from tests.service.test_waitlist import full_drive

pytestmark = pytest.mark.usefixtures("english")

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def full(session, now):
    """07:00–10:00, three one-place slots, all booked (by Anh, Bảo, Chi)."""
    return full_drive(session, now)


def _capacities(session, drive_id):
    return [(f"{s.start_time:%H:%M}", s.capacity, s.booked) for s in session.exec(
        select(DriveSlot).where(DriveSlot.drive_id == drive_id).order_by(DriveSlot.start_time)
        .execution_options(populate_existing=True))]


def test_a_capacity_never_goes_below_the_places_booked_and_the_drive_follows(session, now, full):
    drive, created, _booked = full
    edits.set_capacity(session=session, slot_id=created[0].id, capacity=4, now=now, actor="user:lan")
    with pytest.raises(Conflict, match="has 1 places booked: its capacity cannot be 0"):
        edits.set_capacity(session=session, slot_id=created[1].id, capacity=0, now=now)
    with pytest.raises(UserError, match="cannot be negative"):
        edits.set_capacity(session=session, slot_id=created[1].id, capacity=-1, now=now)
    assert _capacities(session, drive.id) == [("07:00", 4, 1), ("08:00", 1, 1), ("09:00", 1, 1)]
    assert session.get(Drive, drive.id, populate_existing=True).capacity == 6
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "drives.slot_capacity")).one()
    assert (entry.actor, entry.detail) == ("user:lan", {"slot_id": created[0].id, "before": 1, "after": 4})


def test_a_closed_slot_takes_no_booking_and_an_empty_one_may_close(session, now, full):
    drive, created, booked = full
    slots.cancel(session=session, booking_id=booked["Anh"].id, now=now)
    edits.set_capacity(session=session, slot_id=created[0].id, capacity=0, now=now)
    donor = make.donor(session, now, name="Lê Văn Dũng")
    with pytest.raises(Conflict, match="is full"):
        slots.book(session=session, donor_id=donor, slot_id=created[0].id, now=now)
    assert _capacities(session, drive.id)[0] == ("07:00", 0, 0)


def test_an_added_slot_overlaps_none_and_widens_the_drives_hours(session, now, full):
    drive, _created, _booked = full  # 07:00–10:00 in three one-hour slots
    at = dt.time
    for start, end, capacity, why in [
        (at(9, 30), at(10, 30), 2, "overlaps the slot 09:00–10:00"),
        (at(6, 30), at(7, 30), 2, "overlaps the slot 07:00–08:00"),
        (at(11, 0), at(10, 30), 2, "ends \\(10:30\\) before it starts \\(11:00\\)"),
        (at(10, 0), at(10, 3), 2, "at least 5 minutes"),
        (at(10, 0), at(11, 0), 0, "at least one place"),
    ]:
        with pytest.raises((UserError, Conflict), match=why):
            edits.add_slot(session=session, drive_id=drive.id, start=start, end=end, capacity=capacity, now=now)
    assert _capacities(session, drive.id) == [("07:00", 1, 1), ("08:00", 1, 1), ("09:00", 1, 1)]
    edits.add_slot(session=session, drive_id=drive.id, start=at(10), end=at(10, 30), capacity=2, now=now)
    edits.add_slot(session=session, drive_id=drive.id, start=at(6, 30), end=at(7), capacity=1, now=now)
    assert _capacities(session, drive.id) == [("06:30", 1, 0), ("07:00", 1, 1), ("08:00", 1, 1), ("09:00", 1, 1),
                                              ("10:00", 2, 0)]
    drive = session.get(Drive, drive.id, populate_existing=True)
    assert (drive.start_time, drive.end_time, drive.capacity) == (at(6, 30), at(10, 30), 6)
    donor = make.donor(session, now, name="Lê Văn Dũng")
    late = session.exec(select(DriveSlot).where(DriveSlot.drive_id == drive.id, DriveSlot.start_time == at(10))).one()
    assert slots.book(session=session, donor_id=donor, slot_id=late.id, now=now).slot_id == late.id


def test_new_places_are_offered_to_the_waiting_list_one_per_place(session, now, full):
    drive, created, _booked = full
    waiting = []
    for i, name in enumerate(("Đỗ Thị Em", "Phan Văn Giang", "Vũ Thị Hà")):
        waiting.append(make.donor(session, now, name=name))
        waitlist.join(session=session, donor_id=waiting[-1], drive_id=drive.id, now=now + i * MINUTE, actor="test")
    edits.set_capacity(session=session, slot_id=created[2].id, capacity=3, now=now, settings=Settings())
    offered = {e.donor_id: e.status for e in session.exec(select(SlotWaitlist).where(
        SlotWaitlist.drive_id == drive.id).execution_options(populate_existing=True))}
    assert offered == {waiting[0]: WaitStatus.offered, waiting[1]: WaitStatus.offered,
                       waiting[2]: WaitStatus.waiting}
    texts = session.exec(select(OutboxMessage.donor_id).where(OutboxMessage.kind == "waitlist_offer")
                         .order_by(OutboxMessage.id)).all()
    assert texts == waiting[:2]


def test_a_drive_not_planned_keeps_its_slots(session, now, full):
    drive, created, _booked = full
    from donor_registry.campaigns.drives import cancel_drive
    cancel_drive(session=session, drive_id=drive.id, now=now)
    with pytest.raises(Conflict, match="cancelled: its slots cannot change"):
        edits.set_capacity(session=session, slot_id=created[0].id, capacity=5, now=now)
