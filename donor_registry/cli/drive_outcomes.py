"""`donor-registry drives outcome`: the outcome of a booking at a drive, by its check-in code
(slots/outcome.py), as the workspace's drive page records it; the booking is checked in first when
it was not (typing the outcome in after the drive, from the paper sheet)."""

from typing import Annotated

import typer
from sqlmodel import select

from donor_registry.campaigns import drives as drive_service
from donor_registry.cli.context import app_context
from donor_registry.cli.donations import OverrideOption
from donor_registry.cli.drives import DriveArgument, app
from donor_registry.cli.output import console, print_json
from donor_registry.cli.params import JsonOption, enum_words, parse_date
from donor_registry.db import session_scope
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _
from donor_registry.slots import check_in, codes, outcome
from donor_registry.slots.models import BookingStatus, SlotBooking
from donor_registry.types import DonationType

REFUSALS = {
    "unknown": N_("This drive has no such booking."),
    "cancelled": N_("This booking was cancelled: record the donation on the donor's record instead."),
    "not_checked_in": N_("The donor is not checked in yet: check them in by their code first."),
    "already": N_("An outcome is already recorded for this booking."),
    "drive_cancelled": N_("This drive was cancelled: no outcome can be recorded."),
}


@app.command("outcome")
def outcome_(
    ctx: typer.Context,
    drive_id: DriveArgument,
    code: Annotated[str, typer.Argument(help=N_("The booking's check-in code (on the donor's drive page)."))],
    deferred: Annotated[bool, typer.Option(help=N_("The donor was deferred at the drive, not bled."))] = False,
    kind: Annotated[DonationType, typer.Option("--type", parser=enum_words(DonationType), help=N_("What was given."))] = DonationType.whole_blood,
    volume: Annotated[int | None, typer.Option(help=N_("Volume in ml (250, 350, 450…)."))] = None,
    deferral_reason: Annotated[str | None, typer.Option(help=N_("Why the donor was deferred."))] = None,
    deferral_until: Annotated[str | None, typer.Option(help=N_("First day the donor may give again."))] = None,
    override: OverrideOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the donation or deferral of a booking at the drive, on the drive's day, with the
    recording checks of `donations record`; a booking gets one outcome."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        drive = drive_service.get_drive(session=session, drive_id=drive_id)
        typed = codes.normalise(code)
        booking = session.exec(select(SlotBooking).where(
            SlotBooking.drive_id == drive.id, SlotBooking.check_in_code == typed,
            SlotBooking.status == BookingStatus.active)).first() if typed else None
        if booking is None:
            raise UserError(_("no active booking of drive #{id} has the code {code}").format(id=drive.id, code=code))
        data = DonationCreate(donated_on=drive.date, type=kind, outcome=Outcome.deferred if deferred else Outcome.donated,
                              volume_ml=volume, deferral_reason=deferral_reason,
                              deferral_until=parse_date(deferral_until))
        try:
            if booking.checked_in_at is None:
                check_in.check_in(session=session, drive=drive, typed=typed, now=app_ctx.now(), actor=app_ctx.actor())
            done = outcome.record_outcome(session=session, drive=drive, booking_id=booking.id, data=data,
                                          rules=app_ctx.settings.eligibility, now=app_ctx.now(),
                                          actor=app_ctx.actor(), source="cli", override=override)
        except (outcome.Refused, check_in.Refused) as refused:
            raise UserError(_(REFUSALS.get(refused.why, REFUSALS["unknown"]))) from None
        donor = session.get(Donor, booking.donor_id)
        result = {"booking_id": booking.id, "donation_id": done.donation.id, "donor_id": donor.id,
                  "outcome": done.donation.outcome.value, "replaced": done.replaced,
                  "text": outcome.describe(done.donation), "full_name": donor.full_name}
    if as_json:
        print_json(result)
        return
    console.print(_("recorded for {name}: {what} (donation #{id})").format(
        name=result["full_name"], what=result["text"], id=result["donation_id"]), highlight=False)
