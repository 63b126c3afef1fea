"""`donor-registry donations`: record donations and deferrals, list them."""

import getpass
from typing import Annotated

import typer

from donor_registry.audit.service import cli_actor
from donor_registry.campaigns.drives import check_donation_drive
from donor_registry.cli import views
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, err_console, print_json, print_table
from donor_registry.cli.params import JsonOption, enum_words, parse_date
from donor_registry.db import session_scope
from donor_registry.donations import corrections, service
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.donors.service import get_donor
from donor_registry.emergency.answers import link_donation, unlink_voided_donation
from donor_registry.emergency.service import get_request
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _, formatting
from donor_registry.i18n.labels import label
from donor_registry.slots.outcome import link_recorded
from donor_registry.sms.reminders import withdraw_stale_reminders
from donor_registry.types import DonationType

app = typer.Typer(help=N_("Record donations and deferrals after a drive, list, correct and void them."),
                  no_args_is_help=True)

OverrideOption = Annotated[str | None, typer.Option(
    help=N_("Record it even though a recording check refuses it (same day, interval, age, weight, volume); "
         "the reason is kept on the row and in the audit log."))]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@app.command("record")
def record(
    ctx: typer.Context,
    donor_id: Annotated[int, typer.Argument(help=N_("The donor's number (#id)."))],
    on: Annotated[str | None, typer.Option("--date", help=N_("Day of the donation (default today)."))] = None,
    kind: Annotated[DonationType, typer.Option("--type", parser=enum_words(DonationType), help=N_("What was given."))] = DonationType.whole_blood,
    volume: Annotated[int | None, typer.Option(help=N_("Volume in ml (250, 350, 450…)."))] = None,
    site: Annotated[str | None, typer.Option(help=N_("Where: a drive's venue or a hospital."))] = None,
    drive: Annotated[int | None, typer.Option(help=N_("The drive's number, to tie the donation to a campaign."))] = None,
    emergency_request: Annotated[int | None, typer.Option(
        help=N_("The emergency request the donor came for: marks the call-out arrived and donated."))] = None,
    certificate: Annotated[str | None, typer.Option(help=N_("Certificate number (unique)."))] = None,
    deferred: Annotated[bool, typer.Option(help=N_("The donor was deferred at the drive, not bled."))] = False,
    deferral_reason: Annotated[str | None, typer.Option(help=N_("Why the donor was deferred."))] = None,
    deferral_until: Annotated[str | None, typer.Option(help=N_("First day the donor may give again."))] = None,
    override: OverrideOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record one donation (or a deferral) for a donor; counts and next dates update at once.

    A second donation on the same day, one inside the interval of another (12 weeks after whole
    blood or red cells, 2 weeks after plasma or platelets), apheresis under 50 kg, a volume above
    the weight's limit, or a donor under 18 or over 60 is refused with the reason and the date
    from which it would be allowed, unless --override REASON is given."""
    app_ctx = app_context(ctx)
    data = DonationCreate(
        donated_on=parse_date(on) or app_ctx.today(), type=kind,
        outcome=Outcome.deferred if deferred else Outcome.donated, volume_ml=volume, site=site,
        drive_id=drive, emergency_request_id=emergency_request, certificate_no=certificate,
        deferral_reason=deferral_reason,
        deferral_until=parse_date(deferral_until),
    )
    with session_scope(app_ctx.engine()) as session:
        warnings = [] if drive is None else check_donation_drive(
            session=session, drive_id=drive, donated_on=data.donated_on)
        if emergency_request is not None:
            get_request(session=session, request_id=emergency_request)
        donation = service.record_donation(
            session=session, donor_id=donor_id, data=data, rules=app_ctx.settings.eligibility,
            now=app_ctx.now(), actor=_actor(), override=override,
        )
        booking = link_recorded(session=session, donation=donation, now=app_ctx.now(), actor=cli_actor())
        if emergency_request is not None and not deferred:
            link_donation(session=session, now=app_ctx.now(), request_id=emergency_request,
                          donor_id=donor_id, actor=cli_actor())
        result = views.donation_summary(donation)
        donor = views.donor_summary(get_donor(session=session, donor_id=donor_id))
    if as_json:
        print_json({"donation": result, "donor": donor, "warnings": warnings,
                    "booking_id": booking.id if booking else None})
        return
    for warning in warnings:
        err_console.print(_("warning: {warning}").format(warning=warning), highlight=False, markup=False)
    if result["violations"]:
        err_console.print(_("recorded despite: {violations} (override: {override_reason})").format(violations=result['violations'], override_reason=result['override_reason']),
                          highlight=False, markup=False)
    what = _("deferral") if deferred else _("{kind} donation").format(kind=label(kind))
    again = formatting.date(donor["eligible_again_on"]) if donor["eligible_again_on"] else _("now")
    console.print(
        _("recorded {what} #{id} for #{donor_id} {full_name}: {donation_count} donations, may give again from {value6}").format(what=what, id=result['id'], donor_id=donor_id, full_name=donor['full_name'], donation_count=donor['donation_count'], value6=again)
    )
    if booking is not None:
        console.print(_("recorded as the outcome of the donor's booking at drive #{drive}").format(drive=drive))


@app.command("list")
def list_(
    ctx: typer.Context,
    donor: Annotated[int | None, typer.Option(help=N_("Only this donor's donations."))] = None,
    since: Annotated[str | None, typer.Option(help=N_("From this date."))] = None,
    until: Annotated[str | None, typer.Option(help=N_("Up to this date."))] = None,
    drive: Annotated[int | None, typer.Option(help=N_("Only donations at this drive."))] = None,
    limit: Annotated[int, typer.Option(help=N_("At most this many rows."))] = 200,
    as_json: JsonOption = False,
) -> None:
    """List donations and deferrals, newest first."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [
            {**views.donation_summary(d), "donor_name": who.full_name}
            for d, who in service.list_donations(
                session=session, donor_id=donor, since=parse_date(since), until=parse_date(until),
                drive_id=drive, limit=limit)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(None, [N_("#"), N_("date"), N_("donor"), N_("type"), N_("outcome"), N_("ml"), N_("site")], [
        (r["id"], r["donated_on"], f"#{r['donor_id']} {r['donor_name']}", r["type"], views.outcome_text(r),
         r["volume_ml"], r["site"]) for r in rows
    ], empty=N_("no donations match"))


@app.command("correct")
def correct(
    ctx: typer.Context,
    donation_id: Annotated[int, typer.Argument(help=N_("The donation's number (#id, see `donations list`)."))],
    reason: Annotated[str, typer.Option(help=N_("Why it is corrected (kept with the old values)."))],
    donor: Annotated[int | None, typer.Option(help=N_("Move it to this donor (recorded for the wrong person)."))] = None,
    on: Annotated[str | None, typer.Option("--date", help=N_("The right day."))] = None,
    kind: Annotated[DonationType | None, typer.Option("--type", parser=enum_words(DonationType), help=N_("The right type."))] = None,
    volume: Annotated[int | None, typer.Option(help=N_("The right volume in ml."))] = None,
    site: Annotated[str | None, typer.Option(help=N_("The right site."))] = None,
    drive: Annotated[int | None, typer.Option(help=N_("The right drive's number."))] = None,
    certificate: Annotated[str | None, typer.Option(help=N_("The right certificate number."))] = None,
    deferral_reason: Annotated[str | None, typer.Option(help=N_("The right deferral reason."))] = None,
    deferral_until: Annotated[str | None, typer.Option(help=N_("The right end of the deferral."))] = None,
    notes: Annotated[str | None, typer.Option(help=N_("Notes."))] = None,
    override: OverrideOption = None,
    as_json: JsonOption = False,
) -> None:
    """Correct some fields of a donation; the old values are kept (who, when, why), counts,
    eligibility and honours follow at once. The corrected donation is checked like a new one."""
    app_ctx = app_context(ctx)
    options = {
        "donor_id": donor, "donated_on": parse_date(on), "type": kind, "volume_ml": volume, "site": site,
        "drive_id": drive, "certificate_no": certificate, "deferral_reason": deferral_reason,
        "deferral_until": parse_date(deferral_until), "notes": notes,
    }
    changes = {key: value for key, value in options.items() if value is not None}
    if not changes:
        raise UserError(_("nothing to correct: give at least one field option (see --help)"))
    now = app_ctx.now()
    with session_scope(app_ctx.engine()) as session:
        if drive is not None:
            check_donation_drive(session=session, drive_id=drive, donated_on=changes.get("donated_on") or
                                 corrections.get_donation(session=session, donation_id=donation_id).donated_on)
        before = corrections.get_donation(session=session, donation_id=donation_id).donor_id
        revision = corrections.correct_donation(
            session=session, donation_id=donation_id, changes=changes, reason=reason, actor=_actor(), now=now,
            rules=app_ctx.settings.eligibility, override=override)
        corrected = corrections.get_donation(session=session, donation_id=donation_id)
        moved = {donation_id} if corrected.donor_id != before else set()
        withdraw_stale_reminders(session=session, now=now, donor_ids={before, corrected.donor_id},
                                 withdrawn_donation_ids=moved)
        result = {"donation": views.donation_summary(corrected), "old": revision.old_values,
                  "new": revision.new_values}
    if as_json:
        print_json(result)
        return
    changed = ", ".join(f"{key} {result['old'].get(key)} → {value}" for key, value in result["new"].items())
    console.print(_("corrected donation #{donation_id}: {changed}").format(donation_id=donation_id, changed=changed), highlight=False)


@app.command("void")
def void(
    ctx: typer.Context,
    donation_id: Annotated[int, typer.Argument(help=N_("The donation's number (#id, see `donations list`)."))],
    reason: Annotated[str, typer.Option(help=N_("Why the record is wrong (kept on the row)."))],
    as_json: JsonOption = False,
) -> None:
    """Void a donation recorded by mistake: it stays in the history, marked, and never counts again
    (counts, eligibility, honours, reminders follow at once). Nothing is deleted."""
    app_ctx = app_context(ctx)
    now = app_ctx.now()
    with session_scope(app_ctx.engine()) as session:
        donation = corrections.void_donation(session=session, donation_id=donation_id, reason=reason,
                                             actor=_actor(), now=now, rules=app_ctx.settings.eligibility)
        if donation.emergency_request_id is not None:
            unlink_voided_donation(session=session, now=now, donation=donation, actor=_actor())
        withdraw_stale_reminders(session=session, now=now, donor_ids={donation.donor_id},
                                 withdrawn_donation_ids={donation.id})
        result = views.donation_summary(donation)
        donor = views.donor_summary(get_donor(session=session, donor_id=donation.donor_id))
    if as_json:
        print_json({"donation": result, "donor": donor})
        return
    console.print(_("voided donation #{donation_id} of #{id} {full_name}: {donation_count} donations, may give again from {value5}").format(donation_id=donation_id, id=donor['id'], full_name=donor['full_name'], donation_count=donor['donation_count'], value5=donor['eligible_again_on'] or 'now'))
