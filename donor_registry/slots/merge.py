"""Merging two records of one donor who both booked the same drive: the kept donor's booking
stays, the duplicate's is cancelled and its place given back (one active booking per donor
and drive is a unique index, which the generic merge would otherwise break)."""

import datetime as dt

from sqlmodel import Session, select

from donor_registry.donors.duplicates import BEFORE_MERGE
from donor_registry.slots import waitlist
from donor_registry.slots.models import BookingStatus, SlotBooking, SlotWaitlist
from donor_registry.slots.service import cancel


def cancel_duplicate_bookings(*, session: Session, keep_id: int, duplicate_id: int, now: dt.datetime,
                              **_context) -> None:
    """Cancel the duplicate's active bookings at drives the kept donor has booked too."""
    active = SlotBooking.status == BookingStatus.active
    kept_drives = set(session.exec(select(SlotBooking.drive_id).where(SlotBooking.donor_id == keep_id, active)))
    for booking in session.exec(select(SlotBooking).where(SlotBooking.donor_id == duplicate_id, active)).all():
        if booking.drive_id in kept_drives:
            cancel(session=session, booking_id=booking.id, now=now, actor="merge")


if cancel_duplicate_bookings not in BEFORE_MERGE:
    BEFORE_MERGE.append(cancel_duplicate_bookings)


def leave_duplicate_waits(*, session: Session, keep_id: int, duplicate_id: int, now: dt.datetime,
                          **_context) -> None:
    """Take the duplicate off waiting lists the kept donor is on, or of drives it has booked (one
    entry per donor and drive is a unique index too)."""
    kept = set(session.exec(select(SlotWaitlist.drive_id).where(
        SlotWaitlist.donor_id == keep_id, SlotWaitlist.status.in_(waitlist.ON_LIST))))
    kept |= set(session.exec(select(SlotBooking.drive_id).where(
        SlotBooking.donor_id == keep_id, SlotBooking.status == BookingStatus.active)))
    for drive_id in kept:
        waitlist.leave(session=session, donor_id=duplicate_id, drive_id=drive_id, now=now, actor="merge")


if leave_duplicate_waits not in BEFORE_MERGE:
    BEFORE_MERGE.append(leave_duplicate_waits)
