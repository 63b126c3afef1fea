"""`donor-registry donations`: record donations and deferrals, list them."""

from typing import Annotated

import typer

from donor_registry.campaigns.drives import check_donation_drive
from donor_registry.cli import views
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, err_console, print_json, print_table
from donor_registry.cli.params import JsonOption, parse_date
from donor_registry.db import session_scope
from donor_registry.donations import service
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.donors.service import get_donor
from donor_registry.emergency.answers import link_donation
from donor_registry.emergency.service import get_request
from donor_registry.types import DonationType

app = typer.Typer(help="Record donations and deferrals after a drive, and list them.", no_args_is_help=True)



@app.command("record")
def record(
    ctx: typer.Context,
    donor_id: Annotated[int, typer.Argument(help="The donor's number (#id).")],
    on: Annotated[str | None, typer.Option("--date", help="Day of the donation (default today).")] = None,
    kind: Annotated[DonationType, typer.Option("--type", help="What was given.")] = DonationType.whole_blood,
    volume: Annotated[int | None, typer.Option(help="Volume in ml (250, 350, 450…).")] = None,
    site: Annotated[str | None, typer.Option(help="Where: a drive's venue or a hospital.")] = None,
    drive: Annotated[int | None, typer.Option(help="The drive's number, to tie the donation to a campaign.")] = None,
    emergency_request: Annotated[int | None, typer.Option(
        help="The emergency request the donor came for: marks the call-out arrived and donated.")] = None,
    certificate: Annotated[str | None, typer.Option(help="Certificate number (unique).")] = None,
    deferred: Annotated[bool, typer.Option(help="The donor was deferred at the drive, not bled.")] = False,
    deferral_reason: Annotated[str | None, typer.Option(help="Why the donor was deferred.")] = None,
    deferral_until: Annotated[str | None, typer.Option(help="First day the donor may give again.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record one donation (or a deferral) for a donor; counts and next dates update at once."""
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
            now=app_ctx.now(),
        )
        if emergency_request is not None and not deferred:
            link_donation(session=session, now=app_ctx.now(), request_id=emergency_request,
                          donor_id=donor_id, actor="cli")
        result = views.donation_summary(donation)
        donor = views.donor_summary(get_donor(session=session, donor_id=donor_id))
    if as_json:
        print_json({"donation": result, "donor": donor, "warnings": warnings})
        return
    for warning in warnings:
        err_console.print(f"warning: {warning}", highlight=False, markup=False)
    what = "deferral" if deferred else f"{kind.value} donation"
    console.print(
        f"recorded {what} #{result['id']} for #{donor_id} {donor['full_name']}: "
        f"{donor['donation_count']} donations, may give again from {donor['eligible_again_on'] or 'now'}"
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    donor: Annotated[int | None, typer.Option(help="Only this donor's donations.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date.")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date.")] = None,
    drive: Annotated[int | None, typer.Option(help="Only donations at this drive.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
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
    print_table(None, ["#", "date", "donor", "type", "outcome", "ml", "site"], [
        (r["id"], r["donated_on"], f"#{r['donor_id']} {r['donor_name']}", r["type"], r["outcome"],
         r["volume_ml"], r["site"]) for r in rows
    ], empty="no donations match")
