"""Slots of a drive and the donors' bookings: book, move, cancel, never above capacity.

Capacity is kept by the database, not by a count read beforehand: a slot's `booked` changes only
by `UPDATE drive_slots SET booked = booked + 1 WHERE id = :id AND booked < capacity` (checking
that it changed one row) in the same transaction as the booking, and a CHECK refuses any count
above capacity. On PostgreSQL a second booking of the same slot waits for the first one's row
lock and then sees its count, so parallel bookings can never overfill a slot; SQLite runs one
writer at a time (BEGIN IMMEDIATE). A unique partial index keeps one active booking per donor
and drive even when two requests of the same donor race.

Every change locks rows in one order, the booking first, then slots by id, so that two moves in
opposite directions, or a cancel and a new booking of the same donor, cannot deadlock. A refused
change is undone by a savepoint: the caller's transaction stays as it was.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.drives import get_drive
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.donors.models import Donor
from donor_registry.donors.service import get_donor
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.i18n import _, formatting
from donor_registry.slots import codes, waitlist
from donor_registry.slots.models import BookingStatus, DriveSlot, SlotBooking
from donor_registry.slots.rules import TIMEZONE, split_hours


class AlreadyBooked(Conflict):
    """The donor already holds an active booking at this drive (a parallel request may have made it)."""


def create_slots(*, session: Session, drive: Drive, slot_minutes: int, now: dt.datetime,
                 actor: str = "cli") -> list[DriveSlot]:
    """Split the drive's hours into slots of `slot_minutes`, sharing its capacity (slots/rules.py)."""
    if drive.capacity is None:
        raise UserError(_("drive #{drive_id} has no capacity to share among slots; give --capacity").format(
            drive_id=drive.id))
    if session.exec(select(DriveSlot.id).where(DriveSlot.drive_id == drive.id)).first() is not None:
        raise Conflict(_("drive #{drive_id} already has slots").format(drive_id=drive.id))
    plans = split_hours(drive.start_time, drive.end_time, slot_minutes, drive.capacity)
    slots = [DriveSlot(drive_id=drive.id, start_time=p.start, end_time=p.end, capacity=p.capacity) for p in plans]
    session.add_all(slots)
    session.flush()
    audit(session=session, now=now, actor=actor, action="drives.slots", subject_type="drive", subject_id=drive.id,
          detail={"slot_minutes": slot_minutes, "slots": len(slots)})
    return slots


def list_slots(*, session: Session, drive_id: int) -> list[DriveSlot]:
    """The drive's slots by time, their counts read afresh."""
    get_drive(session=session, drive_id=drive_id)
    return list(session.exec(select(DriveSlot).where(DriveSlot.drive_id == drive_id)
                             .order_by(DriveSlot.start_time).execution_options(populate_existing=True)))


def get_slot(*, session: Session, slot_id: int) -> DriveSlot:
    """The slot with this number, or NotFound."""
    slot = session.get(DriveSlot, slot_id, populate_existing=True)
    if slot is None:
        raise NotFound(_("there is no slot #{slot_id}").format(slot_id=slot_id))
    return slot


def book(*, session: Session, donor_id: int, slot_id: int, now: dt.datetime, timezone: str = TIMEZONE,
         actor: str = "cli") -> SlotBooking:
    """Book the donor into the slot; refused when it is full, has begun, or the donor holds a
    booking at that drive already (moving it is the way)."""
    donor = get_donor(session=session, donor_id=donor_id)
    slot = get_slot(session=session, slot_id=slot_id)
    drive = _bookable(session, slot, now, timezone)
    held = session.exec(select(SlotBooking).where(
        SlotBooking.donor_id == donor.id, SlotBooking.drive_id == drive.id,
        SlotBooking.status == BookingStatus.active)).first()
    if held is not None:
        raise AlreadyBooked(_already_booked(donor, drive))
    for _attempt in range(3):
        booking = SlotBooking(drive_id=drive.id, slot_id=slot.id, donor_id=donor.id, created_at=now,
                              updated_at=now, check_in_code=codes.draw(active_codes(session=session,
                                                                                    drive_id=drive.id)))
        savepoint = session.begin_nested()
        try:
            session.add(booking)
            session.flush()  # the booking row first: see the lock order above
            break
        except IntegrityError:  # the same donor booked in a parallel request, or (rarely) its code did
            savepoint.rollback()
            if _active_booking_id(session, donor.id, drive.id) is not None or _attempt == 2:
                raise AlreadyBooked(_already_booked(donor, drive)) from None
    try:
        _take_place(session, slot, drive)
    except UserError:
        savepoint.rollback()
        raise
    savepoint.commit()
    audit(session=session, now=now, actor=actor, action="bookings.book", subject_type="booking",
          subject_id=booking.id, detail={"donor_id": donor.id, "drive_id": drive.id, "slot_id": slot.id})
    waitlist.booked(session=session, donor_id=donor.id, drive_id=drive.id, now=now, actor=actor)
    return booking


def move(*, session: Session, booking_id: int, slot_id: int, now: dt.datetime, timezone: str = TIMEZONE,
         actor: str = "cli", settings=None) -> SlotBooking:
    """Move an active booking to another slot of the same drive; refused (and left where it
    was) when that slot is full or has begun. With `settings`, the place left is offered to the
    drive's waiting list (slots/waitlist.py)."""
    booking = _locked_active(session, booking_id)
    new = get_slot(session=session, slot_id=slot_id)
    if new.drive_id != booking.drive_id:
        raise UserError(_("slot #{slot_id} belongs to drive #{other}, not to the booking's drive #{drive_id}").format(
            slot_id=new.id, other=new.drive_id, drive_id=booking.drive_id))
    if new.id == booking.slot_id:
        return booking
    drive = _bookable(session, new, now, timezone)
    old_slot_id = booking.slot_id
    savepoint = session.begin_nested()
    try:
        if old_slot_id < new.id:
            _give_back(session, old_slot_id)
            _take_place(session, new, drive)
        else:
            _take_place(session, new, drive)
            _give_back(session, old_slot_id)
        booking.slot_id, booking.updated_at = new.id, now
        session.flush()
    except UserError:
        savepoint.rollback()
        raise
    savepoint.commit()
    audit(session=session, now=now, actor=actor, action="bookings.move", subject_type="booking",
          subject_id=booking.id, detail={"from_slot_id": old_slot_id, "slot_id": new.id})
    if settings is not None:
        waitlist.offer_freed_place(session=session, settings=settings, slot_id=old_slot_id, now=now, actor=actor,
                                   timezone=timezone)
    return booking


def cancel(*, session: Session, booking_id: int, now: dt.datetime, actor: str = "cli", settings=None,
           timezone: str = TIMEZONE) -> SlotBooking:
    """Cancel an active booking; its place is free again at once and, with `settings`, offered
    to the drive's waiting list (slots/waitlist.py)."""
    booking = _locked_active(session, booking_id)
    _give_back(session, booking.slot_id)
    booking.status, booking.cancelled_at, booking.updated_at = BookingStatus.cancelled, now, now
    session.flush()
    audit(session=session, now=now, actor=actor, action="bookings.cancel", subject_type="booking",
          subject_id=booking.id, detail={"slot_id": booking.slot_id})
    if settings is not None:
        waitlist.offer_freed_place(session=session, settings=settings, slot_id=booking.slot_id, now=now, actor=actor,
                                   timezone=timezone)
    return booking


def drive_bookings(*, session: Session, drive_id: int) -> list[tuple[DriveSlot, SlotBooking, Donor]]:
    """The drive's active bookings with their slot and donor, by slot time then booking order."""
    get_drive(session=session, drive_id=drive_id)
    return list(session.exec(
        select(DriveSlot, SlotBooking, Donor)
        .join(SlotBooking, SlotBooking.slot_id == DriveSlot.id).join(Donor, Donor.id == SlotBooking.donor_id)
        .where(DriveSlot.drive_id == drive_id, SlotBooking.status == BookingStatus.active)
        .order_by(DriveSlot.start_time, SlotBooking.id)).all())


def active_codes(*, session: Session, drive_id: int) -> set[str]:
    """The check-in codes of the drive's active bookings."""
    return set(session.exec(select(SlotBooking.check_in_code).where(
        SlotBooking.drive_id == drive_id, SlotBooking.status == BookingStatus.active,
        SlotBooking.check_in_code.is_not(None))))


def _active_booking_id(session: Session, donor_id: int, drive_id: int) -> int | None:
    return session.exec(select(SlotBooking.id).where(
        SlotBooking.donor_id == donor_id, SlotBooking.drive_id == drive_id,
        SlotBooking.status == BookingStatus.active)).first()


def _bookable(session: Session, slot: DriveSlot, now: dt.datetime, timezone: str) -> Drive:
    drive = get_drive(session=session, drive_id=slot.drive_id)
    if drive.status != DriveStatus.planned:
        raise UserError(_("drive #{drive_id} is not planned any more; it takes no bookings").format(drive_id=drive.id))
    begins = dt.datetime.combine(drive.date, slot.start_time, tzinfo=ZoneInfo(timezone))
    if begins <= now:
        raise UserError(_("the slot {start}–{end} of {date} has already begun; choose a later one").format(
            start=f"{slot.start_time:%H:%M}", end=f"{slot.end_time:%H:%M}", date=formatting.date(drive.date)))
    return drive


def _locked_active(session: Session, booking_id: int) -> SlotBooking:
    booking = session.exec(select(SlotBooking).where(SlotBooking.id == booking_id).with_for_update()
                           .execution_options(populate_existing=True)).first()
    if booking is None:
        raise NotFound(_("there is no booking #{booking_id}").format(booking_id=booking_id))
    if booking.status != BookingStatus.active:
        raise UserError(_("booking #{booking_id} was cancelled").format(booking_id=booking_id))
    return booking


def _take_place(session: Session, slot: DriveSlot, drive: Drive) -> None:
    taken = session.execute(
        update(DriveSlot).where(DriveSlot.id == slot.id, DriveSlot.booked < DriveSlot.capacity)
        .values(booked=DriveSlot.booked + 1).execution_options(synchronize_session=False)).rowcount
    session.expire(slot, ["booked"])
    if taken != 1:
        raise Conflict(_("the slot {start}–{end} of drive #{drive_id} is full ({capacity} places); "
                         "choose another slot").format(start=f"{slot.start_time:%H:%M}",
                                                       end=f"{slot.end_time:%H:%M}", drive_id=drive.id,
                                                       capacity=slot.capacity))


def _give_back(session: Session, slot_id: int) -> None:
    freed = session.execute(
        update(DriveSlot).where(DriveSlot.id == slot_id, DriveSlot.booked > 0)
        .values(booked=DriveSlot.booked - 1).execution_options(synchronize_session=False)).rowcount
    if freed != 1:  # an active booking always counts in its slot
        raise RuntimeError(f"slot #{slot_id} counted no booking to give back")
    slot = session.get(DriveSlot, slot_id)
    if slot is not None:
        session.expire(slot, ["booked"])


def _already_booked(donor: Donor, drive: Drive) -> str:
    return _("{name} already has a booking at drive #{drive_id}; move or cancel it instead").format(
        name=donor.full_name, drive_id=drive.id)
