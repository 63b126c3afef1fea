"""Checking a donor in at the drive by the code of their booking (slots/codes.py).

The coordinator's phone types the code; the booking is found among the drive's bookings and
marked once: `checked_in_at` changes only by `UPDATE ... WHERE checked_in_at IS NULL`, so two
phones checking the same code in at once check it in once and the second is told so. A code
that is unknown, cancelled, another drive's, or already checked in changes nothing and says why
(the `why` keys of `Refused`, worded by the workspace page).
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, select

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.donors.models import Donor
from donor_registry.slots import codes
from donor_registry.slots.models import BookingStatus, DriveSlot, SlotBooking


class Refused(Exception):
    """Nothing was checked in; `why` is unknown, cancelled, other_drive, already or drive_cancelled."""

    def __init__(self, why: str, booking: SlotBooking | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.booking = booking


@dataclass(frozen=True)
class CheckedIn:
    booking: SlotBooking
    slot: DriveSlot
    donor: Donor


def check_in(*, session: Session, drive: Drive, typed: str, now: dt.datetime, actor: str) -> CheckedIn:
    """Check in the drive's active booking with this code (Refused otherwise, nothing changed)."""
    if drive.status == DriveStatus.cancelled:
        raise Refused("drive_cancelled")
    code = codes.normalise(typed)
    if code is None:
        raise Refused("unknown")
    found = list(session.exec(select(SlotBooking).where(SlotBooking.check_in_code == code)
                              .order_by(SlotBooking.id.desc()).execution_options(populate_existing=True)))
    here = [b for b in found if b.drive_id == drive.id]
    booking = next((b for b in here if b.status == BookingStatus.active), None)
    if booking is None:
        if here:
            raise Refused("cancelled")
        raise Refused("other_drive" if any(b.status == BookingStatus.active for b in found) else "unknown")
    marked = session.execute(
        update(SlotBooking).where(SlotBooking.id == booking.id, SlotBooking.status == BookingStatus.active,
                                  SlotBooking.checked_in_at.is_(None))
        .values(checked_in_at=now, updated_at=now).execution_options(synchronize_session=False)).rowcount
    session.refresh(booking)
    if marked != 1:
        raise Refused("already" if booking.status == BookingStatus.active else "cancelled", booking)
    audit(session=session, now=now, actor=actor, action="booking.check_in", subject_type="booking",
          subject_id=booking.id, detail={"donor_id": booking.donor_id, "drive_id": drive.id})
    return CheckedIn(booking=booking, slot=session.get(DriveSlot, booking.slot_id),
                     donor=session.get(Donor, booking.donor_id))
