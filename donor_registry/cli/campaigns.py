"""`donor-registry campaigns`: the year's campaigns from the templates, and campaigns added by hand."""

from typing import Annotated

import typer

from donor_registry.campaigns import service
from donor_registry.campaigns.calendar import tet_date, tet_holiday
from donor_registry.campaigns.drives import list_drives
from donor_registry.campaigns.models import CampaignCreate, CampaignStatus
from donor_registry.chapters.service import find_chapter
from donor_registry.cli import campaign_views as views
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json
from donor_registry.cli.params import JsonOption, enum_words, parse_date
from donor_registry.db import session_scope
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _

app = typer.Typer(help=N_("Plan the year's blood donation campaigns and list them."), no_args_is_help=True)

YearArgument = Annotated[int, typer.Argument(help=N_("The year, e.g. 2027."), min=1901, max=2099)]


@app.command("tet")
def tet(year: YearArgument, as_json: JsonOption = False) -> None:
    """Show the date of Tết Nguyên đán (lunar new year, Vietnamese calendar) of a year."""
    try:
        day = tet_date(year)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    first, last = tet_holiday(year)
    if as_json:
        print_json({"year": year, "tet": day, "holiday_from": first, "holiday_to": last})
        return
    console.print(_("Tết {year}: {value2} {day:%d/%m/%Y} ({value4})").format(year=year, value2=views.weekday(day), day=day, value4=day.isoformat()), highlight=False)


@app.command("plan")
def plan(
    ctx: typer.Context,
    year: YearArgument,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=N_("Only show what would be created."))] = False,
    as_json: JsonOption = False,
) -> None:
    """Create the year's campaigns from the templates in config.toml and show them as a calendar.

    Campaigns already planned for the year are left as they are, so running it again is safe.
    """
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        items = service.plan_year(session=session, settings=app_ctx.settings.campaigns, year=year,
                                  now=app_ctx.now(), dry_run=dry_run)
        rows = [views.plan_row(item) for item in items]
    if as_json:
        print_json({"year": year, "dry_run": dry_run, "campaigns": rows})
        return
    views.print_plan_calendar(year, items)
    created = sum(item.created for item in items)
    verb = _("would create") if dry_run else _("created")
    console.print(_("{verb} {created} campaign(s); {value3} already planned").format(verb=verb, created=created, value3=len(items) - created), highlight=False)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=N_("Campaign name, e.g. 'Hiến máu Khu công nghiệp Quang Minh'."))],
    start: Annotated[str, typer.Option("--start", help=N_("First day (2027-10-01 or 01/10/2027)."))],
    end: Annotated[str, typer.Option("--end", help=N_("Last day."))],
    target_units: Annotated[int, typer.Option("--target-units", min=0, help=N_("Units of blood aimed for."))] = 0,
    year: Annotated[int | None, typer.Option(help=N_("The campaign year (default: the year it ends)."))] = None,
    notes: Annotated[str | None, typer.Option(help=N_("Anything worth keeping with the campaign."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_("The chapter running it (code, #id or name)."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a campaign no template describes (a school, a factory, a one-off event)."""
    app_ctx = app_context(ctx)
    first, last = parse_date(start), parse_date(end)
    with session_scope(app_ctx.engine()) as session:
        data = CampaignCreate(name=name, start=first, end=last, year=year or last.year, target_units=target_units,
                              notes=notes, chapter_id=find_chapter(session=session, text=chapter).id if chapter else None)
        campaign = views.campaign_summary(service.add_campaign(session=session, data=data, now=app_ctx.now()))
    if as_json:
        print_json(campaign)
        return
    console.print(_("added campaign #{id} {name}: {first} – {last}").format(id=campaign['id'], name=campaign['name'], first=first, last=last), highlight=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option(help=N_("Only campaigns of this year."))] = None,
    status: Annotated[CampaignStatus | None, typer.Option(parser=enum_words(CampaignStatus), help=N_("Only planned or cancelled campaigns."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_("Only campaigns of this chapter and its sub-chapters."))] = None,
    as_json: JsonOption = False,
) -> None:
    """List campaigns by start date."""
    with session_scope(app_context(ctx).engine()) as session:
        found = find_chapter(session=session, text=chapter) if chapter else None
        rows = [views.campaign_summary(c) for c in service.list_campaigns(
            session=session, year=year, status=status, chapter=found)]
    if as_json:
        print_json(rows)
        return
    views.print_campaign_table(rows)


@app.command("show")
def show(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help=N_("The campaign's number (#id)."))],
    as_json: JsonOption = False,
) -> None:
    """Show a campaign with its drives and the results of those already closed."""
    with session_scope(app_context(ctx).engine()) as session:
        campaign = service.get_campaign(session=session, campaign_id=campaign_id)
        record = {
            **views.campaign_summary(campaign),
            "totals": vars(service.campaign_totals(session=session, campaign_id=campaign_id)),
            "drives": [views.drive_summary(d) for d in list_drives(session=session, campaign_id=campaign_id)],
        }
    if as_json:
        print_json(record)
        return
    views.print_campaign_record(record)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help=N_("The campaign's number (#id)."))],
    as_json: JsonOption = False,
) -> None:
    """Cancel a campaign and its drives still to come; closed drives keep their results."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        campaign, drives = service.cancel_campaign(session=session, campaign_id=campaign_id, now=app_ctx.now())
        result = {**views.campaign_summary(campaign), "drives_cancelled": [d.id for d in drives]}
    if as_json:
        print_json(result)
        return
    console.print(_("cancelled campaign #{campaign_id} {name} and {count} planned drive(s)").format(campaign_id=campaign_id, name=result['name'], count=len(drives)),
                  highlight=False)
