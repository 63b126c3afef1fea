"""What a donor does behind a personal drive link: see the drive, the free slots, whether they
may give that day, and book, move or cancel their own booking.

The link fixes the donor and the drive: a form names a slot only, never a booking or a donor, so
one link cannot touch another donor's booking. Every change goes through slots/service.py (the
database keeps the capacity) with the link as the actor ("drive-link:<id>").
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from donor_registry.audit import service as audit
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.donations.models import Donation
from donor_registry.donations.service import donor_facts
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules, Reason, check
from donor_registry.errors import Conflict, UserError
from donor_registry.portal.rules import mask_name
from donor_registry.slots import service, waitlist
from donor_registry.slots.links import TIMEZONE, actor_of, open_link
from donor_registry.slots.models import (
    BookingStatus,
    DriveLink,
    DriveSlot,
    SlotBooking,
    SlotWaitlist,
)
from donor_registry.slots.service import AlreadyBooked
from donor_registry.types import DonationType

#: The kind of donation a drive collects (drives record no type; whole blood is what they take).
DRIVE_DONATION = DonationType.whole_blood


class Refused(Exception):
    """A change the page refuses, nothing changed; `why` is one of the keys of api/booking_pages.REFUSALS."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass
class Journey:
    link: DriveLink
    donor: Donor
    drive: Drive
    name: str
    eligible: bool
    eligible_from: dt.date | None
    reasons: tuple[Reason, ...]
    slots: list[tuple[DriveSlot, bool]]  # every slot, and whether it can be booked now
    booking: SlotBooking | None
    booked_slot: DriveSlot | None
    waiting: SlotWaitlist | None  # the donor's entry on the drive's waiting list

    @property
    def full(self) -> bool:
        """The donor could book here but no slot is free: the waiting list is offered."""
        return self.open and self.booking is None and bool(self.slots) and not any(free for _s, free in self.slots)

    @property
    def open(self) -> bool:
        """The drive takes bookings and this donor may give that day."""
        return self.drive.status == DriveStatus.planned and self.eligible


def open_journey(*, session: Session, token: str, now: dt.datetime, eligibility: EligibilityRules,
                 timezone: str = TIMEZONE, audited: bool = True) -> Journey:
    """The page's facts (LinkProblem for a bad link); the view is audited as the record pages' are."""
    link, donor, drive = open_link(session=session, token=token, now=now, timezone=timezone)
    donations = list(session.execute(select(Donation).where(Donation.donor_id == donor.id)).scalars())
    verdict = check(donor_facts(donor=donor, donations=donations), DRIVE_DONATION, drive.date, eligibility)
    slots = service.list_slots(session=session, drive_id=drive.id)
    booking = _active_booking(session, donor.id, drive.id)
    by_id = {slot.id: slot for slot in slots}
    if audited:
        audit.record(session=session, now=now, actor=actor_of(link), action="drive_link.view",
                     subject_type="donor", subject_id=donor.id, detail={"drive_id": drive.id})
    return Journey(link=link, donor=donor, drive=drive, name=mask_name(donor.full_name), eligible=verdict.eligible,
                   eligible_from=verdict.eligible_from, reasons=verdict.reasons,
                   slots=[(slot, _free(slot, drive, now, timezone)) for slot in slots], booking=booking,
                   booked_slot=by_id.get(booking.slot_id) if booking else None,
                   waiting=waitlist.entry_of(session=session, donor_id=donor.id, drive_id=drive.id))


def book(*, session: Session, token: str, slot_id: int, now: dt.datetime, eligibility: EligibilityRules,
         timezone: str = TIMEZONE) -> SlotBooking:
    """Book the link's donor into a slot of the link's drive."""
    journey, slot = _checked(session, token, slot_id, now, eligibility, timezone)
    if journey.booking is not None:
        raise Refused("already")
    return _change(lambda: service.book(session=session, donor_id=journey.donor.id, slot_id=slot.id, now=now,
                                        timezone=timezone, actor=actor_of(journey.link)))


def move(*, session: Session, token: str, slot_id: int, now: dt.datetime, eligibility: EligibilityRules,
         timezone: str = TIMEZONE, settings=None) -> SlotBooking:
    """Move the link's donor's booking to another slot of the drive."""
    journey, slot = _checked(session, token, slot_id, now, eligibility, timezone)
    if journey.booking is None:
        raise Refused("no_booking")
    if journey.booking.checked_in_at is not None:
        raise Refused("checked_in")
    return _change(lambda: service.move(session=session, booking_id=journey.booking.id, slot_id=slot.id, now=now,
                                        timezone=timezone, actor=actor_of(journey.link), settings=settings))


def cancel(*, session: Session, token: str, now: dt.datetime, eligibility: EligibilityRules,
           timezone: str = TIMEZONE, settings=None) -> SlotBooking:
    """Cancel the link's donor's booking at the drive (allowed even when no longer eligible); with
    `settings`, the place is offered to the drive's waiting list."""
    journey = open_journey(session=session, token=token, now=now, eligibility=eligibility, timezone=timezone,
                           audited=False)
    if journey.booking is None:
        raise Refused("no_booking")
    if journey.booking.checked_in_at is not None:
        raise Refused("checked_in")
    return _change(lambda: service.cancel(session=session, booking_id=journey.booking.id, now=now,
                                          actor=actor_of(journey.link), settings=settings, timezone=timezone))


def wait(*, session: Session, token: str, now: dt.datetime, eligibility: EligibilityRules,
         timezone: str = TIMEZONE) -> SlotWaitlist:
    """Put the link's donor on the drive's waiting list: only when every slot they could take is full."""
    journey = open_journey(session=session, token=token, now=now, eligibility=eligibility, timezone=timezone,
                           audited=False)
    if journey.drive.status != DriveStatus.planned:
        raise Refused("closed")
    if not journey.eligible:
        raise Refused("not_eligible")
    if journey.booking is not None:
        raise Refused("already")
    if not journey.full:
        raise Refused("free_slot")
    return waitlist.join(session=session, donor_id=journey.donor.id, drive_id=journey.drive.id, now=now,
                         actor=actor_of(journey.link))


def unwait(*, session: Session, token: str, now: dt.datetime, eligibility: EligibilityRules,
           timezone: str = TIMEZONE) -> None:
    """Take the link's donor off the drive's waiting list."""
    link, donor, drive = open_link(session=session, token=token, now=now, timezone=timezone)
    if not waitlist.leave(session=session, donor_id=donor.id, drive_id=drive.id, now=now, actor=actor_of(link)):
        raise Refused("not_waiting")


def upcoming_bookings(*, session: Session, donor_id: int, today: dt.date) -> list[tuple[Drive, DriveSlot]]:
    """The donor's active bookings at drives from `today` on, soonest first (the record page's list)."""
    return [tuple(row) for row in session.execute(
        select(Drive, DriveSlot).join(SlotBooking, SlotBooking.drive_id == Drive.id)
        .join(DriveSlot, DriveSlot.id == SlotBooking.slot_id)
        .where(SlotBooking.donor_id == donor_id, SlotBooking.status == BookingStatus.active, Drive.date >= today)
        .order_by(Drive.date, DriveSlot.start_time)).all()]


def _checked(session, token, slot_id, now, eligibility, timezone) -> tuple[Journey, DriveSlot]:
    journey = open_journey(session=session, token=token, now=now, eligibility=eligibility, timezone=timezone,
                           audited=False)
    if journey.drive.status != DriveStatus.planned:
        raise Refused("closed")
    if not journey.eligible:
        raise Refused("not_eligible")
    slot = next((s for s, _free in journey.slots if s.id == slot_id), None)
    if slot is None:  # not a slot of this drive
        raise Refused("unknown_slot")
    if _begun(slot, journey.drive, now, timezone):
        raise Refused("begun")
    held = journey.booking is not None and journey.booking.slot_id == slot.id
    if slot.booked >= slot.capacity and not held:
        raise Refused("full")
    return journey, slot


def _change(change):
    try:
        return change()
    except AlreadyBooked:  # a parallel request of the same donor booked first
        raise Refused("already") from None
    except Conflict:  # the last place went to a parallel request (the database said so)
        raise Refused("full") from None
    except UserError:
        raise Refused("closed") from None


def _active_booking(session: Session, donor_id: int, drive_id: int) -> SlotBooking | None:
    return session.execute(select(SlotBooking).where(
        SlotBooking.donor_id == donor_id, SlotBooking.drive_id == drive_id,
        SlotBooking.status == BookingStatus.active)).scalar()


def _begun(slot: DriveSlot, drive: Drive, now: dt.datetime, timezone: str) -> bool:
    return dt.datetime.combine(drive.date, slot.start_time, tzinfo=ZoneInfo(timezone)) <= now


def _free(slot: DriveSlot, drive: Drive, now: dt.datetime, timezone: str) -> bool:
    return slot.booked < slot.capacity and not _begun(slot, drive, now, timezone)
