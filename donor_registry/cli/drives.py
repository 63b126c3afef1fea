"""`donor-registry drives`: blood collection days, their conflicts, turnout, results and calendar."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from donor_registry.campaigns import call_list as calls
from donor_registry.campaigns import drives as service
from donor_registry.campaigns.drive_edits import edit_drive
from donor_registry.campaigns.ics import export_drives
from donor_registry.campaigns.models import Campaign, DriveCreate, DriveStatus
from donor_registry.campaigns.turnout import expected_turnout
from donor_registry.chapter_settings.service import drive_ring
from donor_registry.chapters.service import find_chapter
from donor_registry.cli import campaign_views as views
from donor_registry.cli import slot_views
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json
from donor_registry.cli.params import JsonOption, enum_words, parse_date
from donor_registry.db import session_scope
from donor_registry.emergency.hospitals import find_hospital
from donor_registry.i18n import N_, _
from donor_registry.privacy.files import private_file
from donor_registry.slots import counts, edits
from donor_registry.slots import service as slots
from donor_registry.thanks import service as thanks

app = typer.Typer(help=N_("Plan blood drives, see expected turnout, record results, export a calendar."),
                  no_args_is_help=True)

DriveArgument = Annotated[int, typer.Argument(help=N_("The drive's number (#id)."))]


def parse_time(raw: str | None) -> dt.time | None:
    """07:00, 7:00, 7h or 7h30."""
    if raw is None:
        return None
    text = raw.strip().lower().replace("h", ":").rstrip(":")
    try:
        hours, _colon, minutes = text.partition(":")
        return dt.time(int(hours), int(minutes or 0))
    except ValueError:
        raise typer.BadParameter(_("'{raw}' is not a time of day; write 07:00 or 13:30").format(raw=raw)) from None


def _warnings(warnings) -> list[dict]:
    return [{"kind": w.kind, "message": w.message} for w in warnings]


@app.command("add")
def add(
    ctx: typer.Context,
    on: Annotated[str, typer.Option("--date", help=N_("Day of the drive (2026-06-20 or 20/06/2026)."))],
    venue: Annotated[str, typer.Option(help=N_("Where donors come: 'Nhà văn hóa xã Tân Lập'."))],
    start: Annotated[str, typer.Option(help=N_("Opening time, e.g. 07:00."))] = "07:00",
    end: Annotated[str, typer.Option(help=N_("Closing time, e.g. 11:30."))] = "11:30",
    campaign: Annotated[int | None, typer.Option(help=N_("The campaign's number (#id) it belongs to."))] = None,
    commune: Annotated[str | None, typer.Option(help=N_("Commune / ward of the venue (for expected turnout)."))] = None,
    district: Annotated[str | None, typer.Option(help=N_("District of the venue."))] = None,
    province: Annotated[str | None, typer.Option(help=N_("Province of the venue."))] = None,
    capacity: Annotated[int | None, typer.Option(min=0, help=N_("How many donors the team can take."))] = None,
    slot_minutes: Annotated[int | None, typer.Option("--slot-minutes", help=N_(
        "Split the hours into time slots of this many minutes, sharing --capacity among them."))] = None,
    target_units: Annotated[int | None, typer.Option("--target-units", min=0, help=N_("Units aimed for."))] = None,
    notes: Annotated[str | None, typer.Option(help=N_("Anything worth keeping with the drive."))] = None,
    latitude: Annotated[float | None, typer.Option(help=N_("The venue's own latitude (else its commune's point)."))] = None,
    longitude: Annotated[float | None, typer.Option(help=N_("The venue's own longitude."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_(
        "The chapter holding it (default: its commune's or province's chapter, else the campaign's)."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a drive; warns when the venue is taken that day, staff are short, or it falls in Tết."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        data = DriveCreate(
            campaign_id=campaign, date=parse_date(on), start_time=parse_time(start), end_time=parse_time(end),
            venue=venue, commune=commune, district=district, province=province, capacity=capacity,
            target_units=target_units, notes=notes,
            chapter_id=find_chapter(session=session, text=chapter).id if chapter else None)
        drive, warnings = service.add_drive(session=session, settings=app_ctx.settings.campaigns, data=data,
                                            now=app_ctx.now(), latitude=latitude, longitude=longitude)
        made = [] if slot_minutes is None else slots.create_slots(
            session=session, drive=drive, slot_minutes=slot_minutes, now=app_ctx.now(), actor=app_ctx.actor())
        result = {**views.drive_summary(drive), "warnings": _warnings(warnings),
                  "slots": [slot_views.slot_row(slot) for slot in made]}
    if as_json:
        print_json(result)
        return
    views.print_warnings(result["warnings"])
    console.print(_("added drive #{id} at {venue} on {date} {start}–{end}").format(id=result['id'], venue=result['venue'], date=result['date'], start=result['start'], end=result['end']), highlight=False)
    if made:
        slot_views.print_slots(result["slots"])


@app.command("slots")
def slots_(ctx: typer.Context, drive_id: DriveArgument, as_json: JsonOption = False) -> None:
    """List the drive's time slots with their places booked and free."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [slot_views.slot_row(slot) for slot in slots.list_slots(session=session, drive_id=drive_id)]
    if as_json:
        print_json(rows)
        return
    slot_views.print_slots(rows)


@app.command("bookings")
def bookings(ctx: typer.Context, drive_id: DriveArgument, only_counts: Annotated[bool, typer.Option(
        "--counts", help=N_("Only the counts by slot (with --json: them instead of the bookings)."))] = False,
             as_json: JsonOption = False) -> None:
    """The drive's counts by slot (booked, checked in, donated, deferred, no-show) and its active
    bookings by slot (phones masked)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        rows = [slot_views.booking_row(*found) for found in slots.drive_bookings(session=session, drive_id=drive_id)]
        tally = slot_views.counts_record(counts.drive_counts(
            session=session, drive=service.get_drive(session=session, drive_id=drive_id), now=app_ctx.now(),
            timezone=app_ctx.settings.general.timezone))
    if as_json:
        print_json(tally if only_counts else rows)
        return
    slot_views.print_counts(tally)
    if not only_counts:
        slot_views.print_bookings(rows)


@app.command("slot-capacity")
def slot_capacity(
    ctx: typer.Context,
    slot_id: Annotated[int, typer.Argument(help=N_("The slot's number (see `drives slots`)."))],
    capacity: Annotated[int, typer.Argument(min=0, help=N_("Its places from now on (0 closes it to new bookings)."))],
    as_json: JsonOption = False,
) -> None:
    """Change a slot's places: never below those booked; new places go to the waiting list first."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        slot = edits.set_capacity(session=session, slot_id=slot_id, capacity=capacity, now=app_ctx.now(),
                                  actor=app_ctx.actor(), settings=app_ctx.settings)
        rows = [slot_views.slot_row(s) for s in slots.list_slots(session=session, drive_id=slot.drive_id)]
    if as_json:
        print_json(rows)
        return
    slot_views.print_slots(rows)


@app.command("add-slot")
def add_slot(
    ctx: typer.Context,
    drive_id: DriveArgument,
    start: Annotated[str, typer.Option(help=N_("When the slot begins, e.g. 11:00."))],
    end: Annotated[str, typer.Option(help=N_("When it ends, e.g. 11:30."))],
    capacity: Annotated[int, typer.Option(min=1, help=N_("How many donors it takes."))],
    as_json: JsonOption = False,
) -> None:
    """Add a time slot before or after the drive's slots; the drive's hours widen to hold it."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        edits.add_slot(session=session, drive_id=drive_id, start=parse_time(start), end=parse_time(end),
                       capacity=capacity, now=app_ctx.now(), actor=app_ctx.actor(), settings=app_ctx.settings)
        rows = [slot_views.slot_row(s) for s in slots.list_slots(session=session, drive_id=drive_id)]
    if as_json:
        print_json(rows)
        return
    slot_views.print_slots(rows)


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: Annotated[int | None, typer.Option(help=N_("Only drives of this campaign."))] = None,
    since: Annotated[str | None, typer.Option(help=N_("From this date."))] = None,
    until: Annotated[str | None, typer.Option(help=N_("Up to this date."))] = None,
    status: Annotated[DriveStatus | None, typer.Option(parser=enum_words(DriveStatus), help=N_("Only planned, closed or cancelled drives."))] = None,
    area: Annotated[str | None, typer.Option(help=N_("Only drives in this commune or district."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_("Only drives of this chapter and its sub-chapters."))] = None,
    as_json: JsonOption = False,
) -> None:
    """List drives by date."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [views.drive_summary(d) for d in service.list_drives(
            session=session, campaign_id=campaign, since=parse_date(since), until=parse_date(until),
            status=status, area=area,
            chapter=find_chapter(session=session, text=chapter) if chapter else None)]
    if as_json:
        print_json(rows)
        return
    views.print_drive_table(rows)


@app.command("show")
def show(ctx: typer.Context, drive_id: DriveArgument, as_json: JsonOption = False) -> None:
    """Show a drive, its conflicts, and the donors expected: those of its area eligible that day, by group."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        drive = service.get_drive(session=session, drive_id=drive_id)
        campaign = session.get(Campaign, drive.campaign_id) if drive.campaign_id else None
        turnout = expected_turnout(session=session, drive=drive, rules=app_ctx.settings.eligibility,
                                   today=app_ctx.today(), ring=drive_ring(session=session, settings=app_ctx.settings,
                                                   chapter_id=drive.chapter_id))
        conflicts = service.conflicts(session=session, settings=app_ctx.settings.campaigns, drive=drive)
        record = {
            **views.drive_summary(drive), "campaign_name": campaign.name if campaign else None,
            "warnings": _warnings(conflicts), "expected_turnout": views.turnout_summary(turnout),
        }
    if as_json:
        print_json(record)
        return
    views.print_drive_record(record)


@app.command("reschedule")
def reschedule(
    ctx: typer.Context,
    drive_id: DriveArgument,
    on: Annotated[str | None, typer.Option("--date", help=N_("The new day."))] = None,
    start: Annotated[str | None, typer.Option(help=N_("The new opening time."))] = None,
    end: Annotated[str | None, typer.Option(help=N_("The new closing time."))] = None,
    venue: Annotated[str | None, typer.Option(help=N_("The new venue."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Move a planned drive to another day, time or venue (export the calendar again to update phones)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        drive, warnings = service.reschedule_drive(
            session=session, settings=app_ctx.settings.campaigns, drive_id=drive_id, now=app_ctx.now(),
            date=parse_date(on), start_time=parse_time(start), end_time=parse_time(end), venue=venue)
        result = {**views.drive_summary(drive), "warnings": _warnings(warnings)}
    if as_json:
        print_json(result)
        return
    views.print_warnings(result["warnings"])
    console.print(_("drive #{drive_id} is now at {venue} on {date} {start}–{end}").format(drive_id=drive_id, venue=result['venue'], date=result['date'], start=result['start'], end=result['end']), highlight=False)


@app.command("edit")
def edit(
    ctx: typer.Context,
    drive_id: DriveArgument,
    campaign: Annotated[int | None, typer.Option(help=N_("The campaign's number (#id) it belongs to."))] = None,
    capacity: Annotated[int | None, typer.Option(min=0, help=N_("How many donors the team can take."))] = None,
    target_units: Annotated[int | None, typer.Option("--target-units", min=0, help=N_("Units aimed for."))] = None,
    notes: Annotated[str | None, typer.Option(help=N_("Anything worth keeping with the drive."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a drive's campaign, capacity, target or notes (its day, hours and venue: reschedule)."""
    app_ctx = app_context(ctx)
    given = {"campaign_id": campaign, "capacity": capacity, "target_units": target_units, "notes": notes}
    with session_scope(app_ctx.engine()) as session:
        drive = edit_drive(session=session, drive_id=drive_id, now=app_ctx.now(), actor=app_ctx.actor(),
                           **{name: value for name, value in given.items() if value is not None})
        result = views.drive_summary(drive)
    if as_json:
        print_json(result)
        return
    console.print(_("drive #{drive_id} edited").format(drive_id=drive_id), highlight=False)


@app.command("cancel")
def cancel(ctx: typer.Context, drive_id: DriveArgument, as_json: JsonOption = False) -> None:
    """Cancel a planned drive (it stays listed, and calendars show it cancelled)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        result = views.drive_summary(service.cancel_drive(session=session, drive_id=drive_id, now=app_ctx.now()))
    if as_json:
        print_json(result)
        return
    console.print(_("cancelled drive #{drive_id} at {venue} on {date}").format(drive_id=drive_id, venue=result['venue'], date=result['date']), highlight=False)


@app.command("close")
def close(
    ctx: typer.Context,
    drive_id: DriveArgument,
    registered: Annotated[int | None, typer.Option(min=0, help=N_("Donors who registered."))] = None,
    donated: Annotated[int | None, typer.Option(min=0, help=N_("Donors who gave blood."))] = None,
    deferred: Annotated[int | None, typer.Option(min=0, help=N_("Donors deferred at the check."))] = None,
    units: Annotated[int | None, typer.Option(min=0, help=N_("Units of blood collected."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Record what happened at a drive. Numbers left out are counted from donations recorded with --drive."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        drive = service.close_drive(session=session, drive_id=drive_id, today=app_ctx.today(), now=app_ctx.now(),
                                    registered=registered, donated=donated, deferred=deferred, units=units)
        result = views.drive_summary(drive)
    if as_json:
        print_json(result)
        return
    console.print(_("closed drive #{drive_id}: {units} units, {donated} donated, {deferred} deferred, {registered} registered").format(drive_id=drive_id, units=result['units'], donated=result['donated'], deferred=result['deferred'], registered=result['registered']), highlight=False)


@app.command("export")
def export(
    ctx: typer.Context,
    ics: Annotated[Path, typer.Option("--ics", help=N_("The .ics calendar file to write."))],
    campaign: Annotated[int | None, typer.Option(help=N_("Only drives of this campaign."))] = None,
    since: Annotated[str | None, typer.Option(help=N_("From this date."))] = None,
    until: Annotated[str | None, typer.Option(help=N_("Up to this date."))] = None,
) -> None:
    """Write drives to an iCalendar file for phone calendars; importing it again updates the events."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        drives = service.list_drives(session=session, campaign_id=campaign, since=parse_date(since),
                                     until=parse_date(until))
        data = export_drives(session=session, drives=drives, now=app_ctx.now(),
                             uid_domain=app_ctx.settings.campaigns.calendar_uid_domain,
                             calendar_name=_("Blood drives – {chapter}").format(
                                 chapter=app_ctx.settings.general.chapter_name),
                             time_zone=app_ctx.settings.general.timezone)
    ics.write_bytes(data)
    console.print(_("wrote {count} drive(s) to {ics}").format(count=len(drives), ics=ics), highlight=False)


@app.command("call-list")
def call_list(
    ctx: typer.Context,
    drive_id: DriveArgument,
    out: Annotated[Path, typer.Option("--out", help=N_("The .xlsx file to write."))],
) -> None:
    """Write the drive's call list (donors of its ring who may give that day, with phones) as XLSX. Audited."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        drive = service.get_drive(session=session, drive_id=drive_id)
        listed = calls.call_list(session=session, drive=drive, rules=app_ctx.settings.eligibility,
                                 ring=drive_ring(session=session, settings=app_ctx.settings,
                                                 chapter_id=drive.chapter_id))
        private_file(out).write_bytes(calls.xlsx_bytes(listed))
        calls.audit_shown(session=session, now=app_ctx.now(), actor=app_ctx.actor(), listed=listed, via="cli")
    console.print(_("wrote {count} donor(s) to {out}").format(count=len(listed.entries), out=out), highlight=False)


@app.command("release")
def release(
    ctx: typer.Context,
    drive_id: DriveArgument,
    hospital: Annotated[str, typer.Option(help=N_("The hospital the units went to (#id or exact name)."))],
    as_json: JsonOption = False,
) -> None:
    """Release the drive's given units not yet released to a hospital; each donor is thanked once by SMS."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        target = find_hospital(session=session, ref=hospital)
        outcome = thanks.release_drive(session=session, settings=app_ctx.settings, now=app_ctx.now(),
                                       drive_id=drive_id, hospital_id=target.id, actor=app_ctx.actor())
    result = {"drive_id": drive_id, "hospital": outcome.hospital_name, "released": outcome.new,
              "thanked": outcome.texted}
    if as_json:
        print_json(result)
        return
    console.print(_("released {count} unit(s) of drive #{drive_id} to {hospital}; {thanked} thank-you SMS queued").format(
        count=len(outcome.new), drive_id=drive_id, hospital=outcome.hospital_name, thanked=outcome.texted),
        highlight=False)
