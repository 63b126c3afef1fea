"""Slots of a drive and bookings: book, move, cancel, full slots refused, and the counts the
database keeps (CHECK and the unique partial index), on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.donors.duplicates import merge_donors
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.i18n import use_language
from donor_registry.slots import service as slots
from donor_registry.slots.models import BookingStatus, SlotBooking
from tests.service import emergency_support as make

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2026, 6, 20)


def drive_with_slots(session, now, *, capacity=8, slot_minutes=60, start=dt.time(7), end=dt.time(11), day=DAY):
    """A drive of 07:00–11:00 whose 8 places make 4 one-hour slots of 2."""
    data = DriveCreate(date=day, start_time=start, end_time=end, venue="Nhà văn hóa xã Tân Lập", capacity=capacity)
    drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
    created = slots.create_slots(session=session, drive=drive, slot_minutes=slot_minutes, now=now)
    session.commit()
    return drive, created


def counts(session, drive_id):
    """[(start, capacity, booked, active bookings)] of each slot, the bookings counted apart."""
    session.expire_all()
    active = dict(session.exec(select(SlotBooking.slot_id, func.count()).where(
        SlotBooking.drive_id == drive_id, SlotBooking.status == BookingStatus.active)
        .group_by(SlotBooking.slot_id)).all())
    return [(f"{s.start_time:%H:%M}", s.capacity, s.booked, active.get(s.id, 0))
            for s in slots.list_slots(session=session, drive_id=drive_id)]


def test_a_drive_gets_its_slots_from_its_hours_and_capacity(session, now):
    drive, _ = drive_with_slots(session, now, capacity=9, end=dt.time(11, 30))
    assert counts(session, drive.id) == [("07:00", 2, 0, 0), ("08:00", 2, 0, 0), ("09:00", 2, 0, 0),
                                         ("10:00", 2, 0, 0), ("11:00", 1, 0, 0)]
    with pytest.raises(Conflict, match=f"drive #{drive.id} already has slots"):
        slots.create_slots(session=session, drive=drive, slot_minutes=30, now=now)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "drives.slots")).one()
    assert entry.detail == {"slot_minutes": 60, "slots": 5}


def test_a_drive_without_capacity_has_no_slots_to_share(session, now):
    data = DriveCreate(date=DAY, start_time=dt.time(7), end_time=dt.time(11), venue="Trường THPT Đan Phượng")
    drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
    with pytest.raises(UserError, match="has no capacity"):
        slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)


def test_book_move_cancel_keep_the_counts(session, now):
    drive, (seven, eight, nine, ten) = drive_with_slots(session, now)
    lan, binh = make.donor(session, now), make.donor(session, now)
    booking = slots.book(session=session, donor_id=lan, slot_id=seven.id, now=now)
    session.commit()
    assert (booking.status, booking.slot_id, booking.drive_id) == (BookingStatus.active, seven.id, drive.id)
    assert counts(session, drive.id)[0] == ("07:00", 2, 1, 1)

    with pytest.raises(Conflict, match="already has a booking at drive"):
        slots.book(session=session, donor_id=lan, slot_id=eight.id, now=now)
    slots.move(session=session, booking_id=booking.id, slot_id=nine.id, now=now)
    slots.book(session=session, donor_id=binh, slot_id=nine.id, now=now)
    session.commit()
    assert counts(session, drive.id) == [("07:00", 2, 0, 0), ("08:00", 2, 0, 0), ("09:00", 2, 2, 2),
                                         ("10:00", 2, 0, 0)]
    # Back to a lower slot (the other lock order), then cancelled: the place is free again.
    slots.move(session=session, booking_id=booking.id, slot_id=eight.id, now=now)
    cancelled = slots.cancel(session=session, booking_id=booking.id, now=now)
    session.commit()
    assert (cancelled.status, cancelled.cancelled_at) == (BookingStatus.cancelled, now)
    assert counts(session, drive.id) == [("07:00", 2, 0, 0), ("08:00", 2, 0, 0), ("09:00", 2, 1, 1),
                                         ("10:00", 2, 0, 0)]
    with pytest.raises(UserError, match=f"booking #{booking.id} was cancelled"):
        slots.cancel(session=session, booking_id=booking.id, now=now)
    # The cancelled booking stays; a new active one is allowed beside it.
    again = slots.book(session=session, donor_id=lan, slot_id=ten.id, now=now)
    session.commit()
    assert again.id != booking.id
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.subject_type == "booking")
                           .order_by(AuditEntry.id)).all()
    assert actions == ["bookings.book", "bookings.move", "bookings.book", "bookings.move", "bookings.cancel",
                       "bookings.book"]


def test_a_full_slot_is_refused_in_plain_vietnamese_and_nothing_changes(session, now):
    drive, (seven, eight, *_) = drive_with_slots(session, now)
    first, second, third, fourth = (make.donor(session, now) for _ in range(4))
    for donor in (first, second):
        slots.book(session=session, donor_id=donor, slot_id=seven.id, now=now)
    late = slots.book(session=session, donor_id=third, slot_id=eight.id, now=now)
    session.commit()
    before = counts(session, drive.id)
    full = f"khung giờ 07:00–08:00 của buổi hiến máu #{drive.id} đã đủ người (2 chỗ); hãy chọn khung giờ khác"
    with use_language("vi"), pytest.raises(Conflict) as refused:
        slots.book(session=session, donor_id=fourth, slot_id=seven.id, now=now)
    assert str(refused.value) == full
    with use_language("vi"), pytest.raises(Conflict) as refused:
        slots.move(session=session, booking_id=late.id, slot_id=seven.id, now=now)
    assert str(refused.value) == full
    session.commit()
    assert counts(session, drive.id) == before
    assert session.get(SlotBooking, late.id).slot_id == eight.id


def test_begun_slots_other_drives_and_cancelled_drives_take_no_booking(session, now):
    _, (_, eight, nine, _) = drive_with_slots(session, now)
    other, (other_seven, *_) = drive_with_slots(session, now, day=DAY + dt.timedelta(days=1))
    donor = make.donor(session, now)
    at_0830 = dt.datetime(2026, 6, 20, 1, 30, tzinfo=dt.UTC)  # 08:30 in Vietnam, the drive's day
    with pytest.raises(UserError, match="the slot 08:00–09:00 of 20/06/2026 has already begun"):
        slots.book(session=session, donor_id=donor, slot_id=eight.id, now=at_0830)
    booking = slots.book(session=session, donor_id=donor, slot_id=nine.id, now=at_0830)
    with pytest.raises(UserError, match=f"belongs to drive #{other.id}"):
        slots.move(session=session, booking_id=booking.id, slot_id=other_seven.id, now=now)
    with pytest.raises(NotFound, match="there is no slot #999"):
        slots.book(session=session, donor_id=donor, slot_id=999, now=now)
    with pytest.raises(NotFound, match="there is no booking #999"):
        slots.cancel(session=session, booking_id=999, now=now)
    drives.cancel_drive(session=session, drive_id=other.id, now=now)
    with pytest.raises(UserError, match="is not planned any more"):
        slots.book(session=session, donor_id=donor, slot_id=other_seven.id, now=now)


def test_the_database_itself_refuses_overfilling_and_a_second_active_booking(engine, session, now):
    drive, (seven, *_) = drive_with_slots(session, now)
    donor = make.donor(session, now)
    booking = slots.book(session=session, donor_id=donor, slot_id=seven.id, now=now)
    session.commit()
    with engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(text("UPDATE drive_slots SET booked = capacity + 1 WHERE id = :id"), {"id": seven.id})
    with engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(text(
            "INSERT INTO slot_bookings (drive_id, slot_id, donor_id, status, created_at, updated_at)"
            " VALUES (:drive, :slot, :donor, 'active', :t, :t)"),
            {"drive": drive.id, "slot": seven.id, "donor": donor, "t": now})
    assert booking.id is not None


def test_merging_two_records_who_booked_one_drive_keeps_one_booking_and_frees_the_other_place(session, now, rules):
    drive, (seven, eight, *_) = drive_with_slots(session, now)
    other, (other_seven, *_) = drive_with_slots(session, now, day=DAY + dt.timedelta(days=1))
    keep, duplicate = make.donor(session, now), make.donor(session, now)
    kept = slots.book(session=session, donor_id=keep, slot_id=seven.id, now=now)
    doubled = slots.book(session=session, donor_id=duplicate, slot_id=eight.id, now=now)
    elsewhere = slots.book(session=session, donor_id=duplicate, slot_id=other_seven.id, now=now)
    session.commit()
    merge_donors(session=session, keep_id=keep, duplicate_id=duplicate, rules=rules, now=now, command="test")
    session.commit()
    session.expire_all()
    assert [(b.id, b.donor_id, b.status) for b in session.exec(select(SlotBooking).order_by(SlotBooking.id))] == [
        (kept.id, keep, BookingStatus.active), (doubled.id, keep, BookingStatus.cancelled),
        (elsewhere.id, keep, BookingStatus.active)]
    assert counts(session, drive.id) == [("07:00", 2, 1, 1), ("08:00", 2, 0, 0), ("09:00", 2, 0, 0),
                                         ("10:00", 2, 0, 0)]
    assert counts(session, other.id)[0] == ("07:00", 2, 1, 1)


def test_a_drive_with_slots_keeps_its_hours_but_may_move_to_another_day(session, now):
    drive, _ = drive_with_slots(session, now)
    with pytest.raises(UserError, match=f"drive #{drive.id} has time slots; its hours cannot change"):
        drives.reschedule_drive(session=session, settings=CampaignSettings(), drive_id=drive.id, now=now,
                                end_time=dt.time(12))
    moved, _ = drives.reschedule_drive(session=session, settings=CampaignSettings(), drive_id=drive.id, now=now,
                                       date=DAY + dt.timedelta(days=7), start_time=dt.time(7))
    assert (moved.date, moved.start_time, moved.end_time) == (DAY + dt.timedelta(days=7), dt.time(7), dt.time(11))
