"""Recording the outcome of a checked-in booking: the donor gave (type, volume) or was deferred
(reason, until when), as a donation of the drive, on the drive's day.

The donation is recorded by donations.service.record_donation, with the same records checks as
the donor's page and the CLI (same day, interval, age, weight, volume: recording.py): a donation
that breaks one is refused unless an override reason is given. The booking is then linked to it
by `UPDATE ... WHERE donation_id IS NULL` (or the voided donation it pointed to), so two phones
recording one booking at once record it once; the second is refused and its donation undone.

Voiding the donation (donations void) leaves the link: the booking shows its outcome as voided,
counts as neither donated nor deferred, and may be given a new outcome, which takes the voided
one's place (a wrong outcome cannot be corrected, only voided and recorded again).
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, select

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.donations.models import Donation, DonationCreate, Outcome
from donor_registry.donations.service import check_recording, record_donation
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.i18n import _, formatting
from donor_registry.i18n.labels import label
from donor_registry.recording import RecordingCheck
from donor_registry.slots.models import BookingStatus, DriveSlot, SlotBooking


class Refused(Exception):
    """Nothing was recorded; `why` is unknown, cancelled, not_checked_in, already or drive_cancelled."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Recorded:
    booking: SlotBooking
    donation: Donation
    replaced: int | None  # the voided donation this outcome took the place of


def outcome_data(drive: Drive, data: DonationCreate) -> DonationCreate:
    """The donation as recorded at this drive: its day and its number."""
    return data.model_copy(update={"drive_id": drive.id, "donated_on": drive.date})


def open_booking(*, session: Session, drive: Drive, booking_id: int) -> tuple[SlotBooking, Donation | None]:
    """The drive's checked-in booking still waiting for an outcome (or whose outcome was voided)."""
    if drive.status == DriveStatus.cancelled:
        raise Refused("drive_cancelled")
    booking = session.exec(select(SlotBooking).where(SlotBooking.id == booking_id)
                           .execution_options(populate_existing=True)).first()
    if booking is None or booking.drive_id != drive.id:
        raise Refused("unknown")
    if booking.status != BookingStatus.active:
        raise Refused("cancelled")
    if booking.checked_in_at is None:
        raise Refused("not_checked_in")
    linked = session.get(Donation, booking.donation_id) if booking.donation_id is not None else None
    if linked is not None and linked.voided_at is None:
        raise Refused("already")
    return booking, linked


def check_outcome(*, session: Session, drive: Drive, booking_id: int, data: DonationCreate,
                  rules: EligibilityRules) -> RecordingCheck:
    """The records checks this outcome would meet, for the page to show before recording."""
    booking, _linked = open_booking(session=session, drive=drive, booking_id=booking_id)
    return check_recording(session=session, donor=session.get(Donor, booking.donor_id),
                           data=outcome_data(drive, data), rules=rules)


def record_outcome(
    *, session: Session, drive: Drive, booking_id: int, data: DonationCreate, rules: EligibilityRules,
    now: dt.datetime, actor: str, source: str = "web", override: str | None = None,
) -> Recorded:
    """Record the booking's outcome as a donation of the drive and link the booking to it.

    Refused (or a UserError of the records checks) leaves the database as it was."""
    savepoint = session.begin_nested()
    try:
        booking, linked = open_booking(session=session, drive=drive, booking_id=booking_id)
        donation = record_donation(session=session, donor_id=booking.donor_id, data=outcome_data(drive, data),
                                   rules=rules, now=now, source=source, actor=actor, override=override)
        if not _claim(session=session, booking=booking, linked=linked, donation=donation, now=now):
            raise Refused("already")
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    _recorded(session=session, booking=booking, linked=linked, donation=donation, now=now, actor=actor,
              source=source)
    return Recorded(booking=booking, donation=donation, replaced=linked.id if linked else None)


def _claim(*, session: Session, booking: SlotBooking, linked: Donation | None, donation: Donation,
           now: dt.datetime) -> bool:
    """Link the booking to the donation unless another outcome got there first (one row or none)."""
    unlinked = SlotBooking.donation_id.is_(None) if linked is None else SlotBooking.donation_id == linked.id
    return session.execute(
        update(SlotBooking).where(SlotBooking.id == booking.id, SlotBooking.status == BookingStatus.active,
                                  SlotBooking.checked_in_at.is_not(None), unlinked)
        .values(donation_id=donation.id, updated_at=now).execution_options(synchronize_session=False)).rowcount == 1


def _recorded(*, session: Session, booking: SlotBooking, linked: Donation | None, donation: Donation,
              now: dt.datetime, actor: str, source: str) -> None:
    session.refresh(booking)
    audit(session=session, now=now, actor=actor, action="booking.outcome", subject_type="booking",
          subject_id=booking.id, detail={"donor_id": booking.donor_id, "drive_id": booking.drive_id,
                                         "donation_id": donation.id, "outcome": donation.outcome.value,
                                         "replaced": linked.id if linked else None, "via": source})


def link_recorded(*, session: Session, donation: Donation, now: dt.datetime, actor: str,
                  source: str = "cli") -> SlotBooking | None:
    """A donation recorded with its drive (`donations record --drive`) on the drive's day becomes
    the outcome of the donor's checked-in booking there, if one waits for an outcome (or its
    outcome was voided). No booking, one not checked in, or one already recorded: left alone."""
    drive = session.get(Drive, donation.drive_id) if donation.drive_id is not None else None
    if drive is None or drive.date != donation.donated_on:
        return None
    booking = session.exec(select(SlotBooking).where(
        SlotBooking.drive_id == drive.id, SlotBooking.donor_id == donation.donor_id,
        SlotBooking.status == BookingStatus.active, SlotBooking.checked_in_at.is_not(None))).first()
    if booking is None:
        return None
    linked = session.get(Donation, booking.donation_id) if booking.donation_id is not None else None
    if linked is not None and linked.voided_at is None:
        return None
    if not _claim(session=session, booking=booking, linked=linked, donation=donation, now=now):
        return None
    _recorded(session=session, booking=booking, linked=linked, donation=donation, now=now, actor=actor,
              source=source)
    return booking


def describe(donation: Donation) -> str:
    """What was recorded, in a few words: 'donated: whole blood, 350 ml' or the deferral."""
    if donation.outcome == Outcome.donated:
        volume = _(", {volume} ml").format(volume=donation.volume_ml) if donation.volume_ml else ""
        return _("donated: {kind}{volume}").format(kind=label(donation.type), volume=volume)
    until = _(" until {day}").format(day=formatting.date(donation.deferral_until)) if donation.deferral_until else ""
    return _("deferred{until}: {reason}").format(until=until, reason=donation.deferral_reason)


@dataclass(frozen=True)
class CheckedInRow:
    booking_id: int
    start: dt.time
    end: dt.time
    donor_id: int
    full_name: str
    chapter_id: int | None
    checked_in_at: dt.datetime
    outcome: str | None  # donated, deferred, voided, or None: not recorded yet


def checked_in(*, session: Session, drive_id: int) -> list[CheckedInRow]:
    """The drive's checked-in bookings with their outcome, by slot then check-in time (one query)."""
    query = (select(SlotBooking.id, DriveSlot.start_time, DriveSlot.end_time, Donor.id, Donor.full_name,
                    Donor.chapter_id, SlotBooking.checked_in_at, Donation.outcome, Donation.voided_at)
             .join(DriveSlot, DriveSlot.id == SlotBooking.slot_id).join(Donor, Donor.id == SlotBooking.donor_id)
             .outerjoin(Donation, Donation.id == SlotBooking.donation_id)
             .where(SlotBooking.drive_id == drive_id, SlotBooking.status == BookingStatus.active,
                    SlotBooking.checked_in_at.is_not(None))
             .order_by(DriveSlot.start_time, SlotBooking.checked_in_at, SlotBooking.id))
    return [CheckedInRow(booking_id, start, end, donor_id, name, chapter_id, at,
                         None if outcome is None else "voided" if voided is not None else Outcome(outcome).value)
            for booking_id, start, end, donor_id, name, chapter_id, at, outcome, voided in session.exec(query)]
