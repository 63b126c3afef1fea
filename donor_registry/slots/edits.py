"""Editing a drive's slots after they were made: a slot's capacity (never below the places
already booked; 0 closes it to new bookings) and a slot added before or after the others (the
drive's hours widen to hold it: staying open longer is how a drive gains a slot).

The capacity only changes by a conditional UPDATE (`… WHERE booked <= :capacity`), so a booking
made at the same moment either counts before the change (and may refuse it) or finds the new
capacity; the CHECK on drive_slots holds either way. The drive's capacity follows the sum of its
slots'. Places added are offered to the drive's waiting list, one per place (slots/waitlist.py).
"""

import datetime as dt

from sqlalchemy import func, update
from sqlmodel import Session, select

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.drives import get_drive
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.errors import Conflict, UserError
from donor_registry.i18n import _, labels
from donor_registry.slots import waitlist
from donor_registry.slots.models import DriveSlot
from donor_registry.slots.rules import MIN_SLOT_MINUTES, TIMEZONE
from donor_registry.slots.service import get_slot


def set_capacity(*, session: Session, slot_id: int, capacity: int, now: dt.datetime, actor: str = "cli",
                 settings=None, timezone: str = TIMEZONE) -> DriveSlot:
    """Give the slot `capacity` places; refused below its bookings or for a drive not planned."""
    if capacity < 0:
        raise UserError(_("a slot's capacity cannot be negative ({capacity})").format(capacity=capacity))
    slot = get_slot(session=session, slot_id=slot_id)
    drive = _planned(session, slot.drive_id)
    before = slot.capacity
    changed = session.execute(
        update(DriveSlot).where(DriveSlot.id == slot.id, DriveSlot.booked <= capacity)
        .values(capacity=capacity).execution_options(synchronize_session=False)).rowcount
    session.refresh(slot)
    if changed != 1:
        raise Conflict(_("the slot {start}–{end} has {booked} places booked: its capacity cannot be {capacity}; "
                         "cancel or move bookings first").format(
            start=f"{slot.start_time:%H:%M}", end=f"{slot.end_time:%H:%M}", booked=slot.booked, capacity=capacity))
    _follow_drive_capacity(session, drive)
    audit(session=session, now=now, actor=actor, action="drives.slot_capacity", subject_type="drive",
          subject_id=drive.id, detail={"slot_id": slot.id, "before": before, "after": capacity})
    if settings is not None:
        for _place in range(max(0, capacity - before)):
            if waitlist.offer_freed_place(session=session, settings=settings, slot_id=slot.id, now=now,
                                          actor=actor, timezone=timezone) is None:
                break
    return slot


def add_slot(*, session: Session, drive_id: int, start: dt.time, end: dt.time, capacity: int, now: dt.datetime,
             actor: str = "cli", settings=None, timezone: str = TIMEZONE) -> DriveSlot:
    """A new slot overlapping none of the drive's slots; the drive's hours widen to hold it."""
    drive = _planned(session, drive_id)
    _check_slot(start, end, capacity)
    for other in session.exec(select(DriveSlot).where(DriveSlot.drive_id == drive.id)):
        if start < other.end_time and other.start_time < end:
            raise Conflict(_("{start}–{end} overlaps the slot {other_start}–{other_end} of drive #{drive_id}").format(
                start=f"{start:%H:%M}", end=f"{end:%H:%M}", other_start=f"{other.start_time:%H:%M}",
                other_end=f"{other.end_time:%H:%M}", drive_id=drive.id))
    slot = DriveSlot(drive_id=drive.id, start_time=start, end_time=end, capacity=capacity)
    session.add(slot)
    hours = f"{drive.start_time:%H:%M}–{drive.end_time:%H:%M}"
    drive.start_time, drive.end_time = min(drive.start_time, start), max(drive.end_time, end)
    session.flush()
    _follow_drive_capacity(session, drive)
    audit(session=session, now=now, actor=actor, action="drives.slot_added", subject_type="drive",
          subject_id=drive.id, detail={"slot_id": slot.id, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
                                       "capacity": capacity, "hours_before": hours,
                                       "hours": f"{drive.start_time:%H:%M}–{drive.end_time:%H:%M}"})
    if settings is not None:
        for _place in range(capacity):
            if waitlist.offer_freed_place(session=session, settings=settings, slot_id=slot.id, now=now,
                                          actor=actor, timezone=timezone) is None:
                break
    return slot


def _planned(session: Session, drive_id: int) -> Drive:
    drive = get_drive(session=session, drive_id=drive_id)
    if drive.status != DriveStatus.planned:
        raise Conflict(_("drive #{drive_id} is {status}: its slots cannot change").format(
            drive_id=drive.id, status=labels.label(drive.status)))
    return drive


def _check_slot(start: dt.time, end: dt.time, capacity: int) -> None:
    if capacity < 1:
        raise UserError(_("a new slot needs at least one place (--capacity {capacity})").format(capacity=capacity))
    if end <= start:
        raise UserError(_("the slot ends ({end}) before it starts ({start})").format(
            end=f"{end:%H:%M}", start=f"{start:%H:%M}"))
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if minutes < MIN_SLOT_MINUTES:
        raise UserError(_("a slot must last at least {least} minutes ({start}–{end})").format(
            least=MIN_SLOT_MINUTES, start=f"{start:%H:%M}", end=f"{end:%H:%M}"))


def _follow_drive_capacity(session: Session, drive: Drive) -> None:
    drive.capacity = session.exec(select(func.sum(DriveSlot.capacity)).where(DriveSlot.drive_id == drive.id)).one()
    session.add(drive)
    session.flush()
