"""What the drive page shows of its bookings: the counts per slot, the checked-in donors with their
outcome, the chapter's show rate by month, and the outcome form (drives/_outcome_form.html)."""

import datetime as dt

from sqlmodel import Session

from donor_registry.accounts.policy import Action
from donor_registry.campaigns.models import Drive
from donor_registry.donations.models import Outcome
from donor_registry.donors.models import Donor
from donor_registry.i18n import N_, _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label
from donor_registry.slots import counts, outcome
from donor_registry.slots.models import SlotBooking
from donor_registry.web import donor_views
from donor_registry.web.deps import Current, NotFoundHere

#: How many months of the chapter's show rate the drive page shows.
SHOW_RATE_MONTHS = 12

#: Why no outcome was recorded, as the coordinator reads it (and the answer's status).
REFUSALS = {
    "unknown": (N_("This drive has no such booking."), 404),
    "cancelled": (N_("This booking was cancelled: record the donation on the donor's record instead."), 409),
    "not_checked_in": (N_("The donor is not checked in yet: check them in by their code first."), 409),
    "already": (N_("An outcome is already recorded for this booking."), 409),
    "drive_cancelled": (N_("This drive was cancelled: no outcome can be recorded."), 409),
}

VOIDED = N_("voided: record it again")


def outcome_label(outcome_value: str | None) -> str:
    if outcome_value is None:
        return ""
    return _(VOIDED) if outcome_value == "voided" else label(Outcome(outcome_value))


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{fmt.number(rate * 100)} %"


def tally_view(tally: counts.Tally) -> dict:
    return {"booked": tally.booked, "checked_in": tally.checked_in, "donated": tally.donated,
            "deferred": tally.deferred, "no_show": tally.no_show}


def counts_view(session: Session, drive: Drive, now: dt.datetime) -> dict:
    found = counts.drive_counts(session=session, drive=drive, now=now)
    return {"slots": [{"id": s.slot_id, "time": f"{s.start:%H:%M}–{s.end:%H:%M}", "capacity": s.capacity,
                       **tally_view(s.tally)} for s in found.slots],
            "total": tally_view(found.total)}


def checked_in_view(session: Session, current: Current, drive: Drive) -> list[dict]:
    return [{"booking_id": row.booking_id, "time": f"{row.start:%H:%M}–{row.end:%H:%M}", "name": row.full_name,
             "at": f"{fmt.local(row.checked_in_at):%H:%M}", "outcome": row.outcome,
             "outcome_label": outcome_label(row.outcome),
             "may_record": row.outcome in (None, "voided") and current.may(Action.work_donors, row.chapter_id)}
            for row in outcome.checked_in(session=session, drive_id=drive.id)]


def show_rate_view(session: Session, drive: Drive, today: dt.date) -> list[dict]:
    first = today.replace(day=1)
    for _month in range(SHOW_RATE_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    history = counts.past_drives(session=session, chapter_id=drive.chapter_id, before=today, since=first)
    return [{"month": f"{m.month:%m/%Y}", "key": f"{m.month:%Y-%m}", "drives": m.drives, "booked": m.booked,
             "checked_in": m.checked_in, "rate": percent(m.show_rate)} for m in counts.by_month(history)]


def forecast_view(forecast: counts.Forecast | None) -> dict | None:
    if forecast is None:
        return None
    return {"total": forecast.total, "booked": forecast.booked, "rate": percent(forecast.show_rate),
            "walk_ins": forecast.expected_walk_ins, "drives": forecast.from_history}


def booking_here(session: Session, current: Current, drive: Drive, booking_id: int) -> tuple[SlotBooking, Donor]:
    """The drive's booking, of a donor whose records the user may write (else not found)."""
    booking = session.get(SlotBooking, booking_id)
    if booking is None or booking.drive_id != drive.id:
        raise NotFoundHere()
    donor = session.get(Donor, booking.donor_id)
    if not current.may(Action.work_donors, donor.chapter_id):
        raise NotFoundHere()
    return booking, donor


def outcome_form(booking: SlotBooking, donor: Donor, form: dict | None = None, errors=None, warnings=None,
                 closed: bool = False) -> dict:
    """The outcome form's state for the drive page."""
    return {"booking_id": booking.id, "name": donor.full_name, "form": form or {}, "errors": errors or {},
            "warnings": warnings or [], "types": donor_views.type_choices(), "closed": closed}


def outcome_form_for(session: Session, current: Current, drive: Drive, booking_id: int) -> dict:
    """The outcome form opened from the list of checked-in donors: closed, saying why, when the
    booking cannot take an outcome (any more)."""
    booking, donor = booking_here(session, current, drive, booking_id)
    try:
        outcome.open_booking(session=session, drive=drive, booking_id=booking.id)
    except outcome.Refused as refused:
        return outcome_form(booking, donor, errors={"": _(REFUSALS[refused.why][0])}, closed=True)
    return outcome_form(booking, donor)
