"""`donor-registry honours`: ceremonies, the donors to honour, awards and printable lists."""

from pathlib import Path
from typing import Annotated

import typer

from donor_registry.audit.service import cli_actor
from donor_registry.audit.service import record as audit
from donor_registry.chapters.service import find_chapter
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, print_table
from donor_registry.cli.params import JsonOption, parse_date
from donor_registry.db import session_scope
from donor_registry.honours import export, service
from donor_registry.honours.models import CeremonyCreate
from donor_registry.honours.rules import HonourLevel
from donor_registry.i18n import N_, _, formatting
from donor_registry.i18n.labels import label
from donor_registry.text import collation_key

app = typer.Typer(help=N_("Honour donors at 5, 10, 15… donations: ceremonies, candidate lists, awards."),
                  no_args_is_help=True)
ceremony_app = typer.Typer(help=N_("Create and list honour ceremonies."), no_args_is_help=True)
app.add_typer(ceremony_app, name="ceremony")

TierOption = Annotated[list[int] | None, typer.Option(
    "--tier", help=N_("Only these tiers (repeat: --tier 5 --tier 10)."))]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help=N_("Count donations up to this day (default today)."))]
CeremonyArg = Annotated[str, typer.Argument(help=N_("The ceremony's number or exact name."))]


@ceremony_app.command("create")
def ceremony_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=N_("Name printed on the list, e.g. 'Tôn vinh 14/6/2026'."))],
    on: Annotated[str, typer.Option("--date", help=N_("Day of the ceremony."))],
    level: Annotated[HonourLevel, typer.Option(help=N_("Who holds it: commune, province or national."))],
    district: Annotated[str | None, typer.Option(
        help=N_("Only donors of this (old) district are awarded."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_(
        "The chapter holding it: only donors of this chapter and its sub-chapters are awarded."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a ceremony; awards are then given at it with `honours award`."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        data = CeremonyCreate(name=name, held_on=parse_date(on), level=level, district=district,
                              chapter_id=find_chapter(session=session, text=chapter).id if chapter else None)
        ceremony = service.create_ceremony(session=session, data=data, now=app_ctx.now())
        result = _ceremony_view(ceremony, 0)
    if as_json:
        print_json(result)
        return
    console.print(_("created ceremony #{id} {name} on {held_on} ({level})").format(
        id=result["id"], name=result["name"], held_on=formatting.date(result["held_on"]), level=label(HonourLevel(result["level"]))))


@ceremony_app.command("list")
def ceremony_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List ceremonies, newest first, with how many donors were honoured at each."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [_ceremony_view(c, n) for c, n in service.list_ceremonies(session=session)]
    if as_json:
        print_json(rows)
        return
    print_table(None, [N_("#"), N_("name"), N_("date"), N_("level"), N_("district"), N_("awards")], [
        (r["id"], r["name"], r["held_on"], label(HonourLevel(r["level"])), r["district"], r["awards"]) for r in rows
    ], empty=N_("no ceremonies yet: create one with `honours ceremony create`"))


def _ceremony_view(ceremony, awards: int) -> dict:
    return {"id": ceremony.id, "name": ceremony.name, "held_on": ceremony.held_on, "level": ceremony.level.value,
            "district": ceremony.district, "chapter_id": ceremony.chapter_id, "awards": awards}


@app.command("candidates")
def candidates(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    district: Annotated[str | None, typer.Option(help=N_("Only donors of this district."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_("Only donors of this chapter and its sub-chapters."))] = None,
    tier: TierOption = None,
    level: Annotated[HonourLevel | None, typer.Option(
        help=N_("Only the tiers this level usually awards (see [honours.levels] in config.toml)."))] = None,
    export_to: Annotated[Path | None, typer.Option(
        "--export", help=N_("Also write the list to this file (.xlsx, .csv or .pdf)."))] = None,
    by_district: Annotated[bool, typer.Option(help=N_("In the exported file, group by district first."))] = False,
    as_json: JsonOption = False,
) -> None:
    """Donors who reached a tier not yet awarded to them, with the tier to award."""
    app_ctx = app_context(ctx)
    settings = app_ctx.settings.honours
    tiers = _tiers(settings, tier, level)
    day = parse_date(as_of) or app_ctx.today()
    with session_scope(app_ctx.engine()) as session:
        rows = service.candidates(session=session, settings=settings, today=app_ctx.today(), as_of=day,
                                  district=district, tiers=tiers,
                                  chapter=find_chapter(session=session, text=chapter) if chapter else None)
        result = [{"donor_id": r.donor_id, "full_name": r.full_name, "district": r.district,
                   "donation_count": r.donation_count, "tier": r.tier,
                   "level": settings.level_of(r.tier).value} for r in rows]
        if export_to is not None:
            fmt = _format_of(export_to)
            donors = service.donors_by_id(session=session, donor_ids=[r.donor_id for r in rows])
            entries = [export.entry(donors[r.donor_id], donation_count=r.donation_count, tier=r.tier) for r in rows]
            title = [app_ctx.settings.general.chapter_name,
                     _("Donors proposed for honours as of {day}").format(day=formatting.date(day))]
            written = export.write(export.build_list(entries, title_lines=title, by_district=by_district),
                                   export_to, fmt)
            audit(session=session, now=app_ctx.now(), actor=cli_actor(), action="honours.export_candidates",
                  detail={"path": str(export_to), "format": fmt.value, "rows": written, "as_of": day.isoformat(),
                          "district": district})
    result.sort(key=lambda r: (-r["tier"], collation_key(r["full_name"]), r["donor_id"]))
    if as_json:
        print_json(result)
    else:
        print_table(_("Candidates as of {day}").format(day=day), [N_("#"), N_("name"), N_("district"), N_("donations"), N_("tier"), N_("level")], [
            (r["donor_id"], r["full_name"], r["district"], r["donation_count"], r["tier"], label(HonourLevel(r["level"])))
            for r in result
        ], empty=N_("nobody has reached a new tier"))
    if export_to is not None:
        console.print(_("wrote {count} donors to {export_to}").format(count=len(result), export_to=export_to), highlight=False)


def _tiers(settings, tier: list[int] | None, level: HonourLevel | None) -> list[int] | None:
    chosen = set(tier) if tier else set(settings.tiers)
    unknown = chosen - set(settings.tiers)
    if unknown:
        raise typer.BadParameter(_("{value1} is not a tier; tiers are {tiers}").format(value1=sorted(unknown), tiers=settings.tiers), param_hint="--tier")
    if level is not None:
        chosen = {t for t in chosen if settings.level_of(t) == level}
    return sorted(chosen) if (tier or level) else None


def _format_of(path: Path, given: export.ExportFormat | None = None) -> export.ExportFormat:
    if given is not None:
        return given
    try:
        return export.ExportFormat(path.suffix.lower().lstrip("."))
    except ValueError:
        raise typer.BadParameter(_("'{path}' does not end in .xlsx, .csv or .pdf").format(path=path)) from None


@app.command("award")
def award(
    ctx: typer.Context,
    ceremony: CeremonyArg,
    donor: Annotated[list[int] | None, typer.Option(
        "--donor", help=N_("Award only these donors (repeat); default every current candidate."))] = None,
    tier: TierOption = None,
    as_of: AsOfOption = None,
    dry_run: Annotated[bool, typer.Option(help=N_("Show who would be awarded, change nothing."))] = False,
    as_json: JsonOption = False,
) -> None:
    """Award the current candidates (or the named donors) at a ceremony, all in one go."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        held = service.get_ceremony(session=session, ref=ceremony)
        awards = service.award(
            session=session, ceremony_id=held.id, settings=app_ctx.settings.honours, now=app_ctx.now(),
            today=app_ctx.today(), as_of=parse_date(as_of), donor_ids=donor, tiers=tier,
        )
        donors = service.donors_by_id(session=session, donor_ids=[a.donor_id for a in awards])
        rows = sorted(
            ({"donor_id": a.donor_id, "full_name": donors[a.donor_id].full_name, "tier": a.tier,
              "donation_count": a.donation_count} for a in awards),
            key=lambda r: (-r["tier"], collation_key(r["full_name"]), r["donor_id"]),
        )
        held_id, held_name = held.id, held.name
        if dry_run:
            session.rollback()
    if as_json:
        print_json({"ceremony_id": held_id, "dry_run": dry_run, "awards": rows})
        return
    print_table(None, [N_("#"), N_("name"), N_("donations"), N_("tier")],
                [(r["donor_id"], r["full_name"], r["donation_count"], r["tier"]) for r in rows],
                empty=N_("nobody to award"))
    verb = _("would award") if dry_run else _("awarded")
    console.print(_("{verb} {count} honours at ceremony #{held_id} {held_name}").format(verb=verb, count=len(rows), held_id=held_id, held_name=held_name), highlight=False)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    donor: Annotated[int, typer.Option("--donor", help=N_("The donor's number."))],
    tier: Annotated[int, typer.Option("--tier", help=N_("The tier to revoke."))],
    reason: Annotated[str, typer.Option("--reason", help=N_("Why (kept with the award)."))],
) -> None:
    """Revoke an award given by mistake; the donor is listed again if still due."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        revoked = service.revoke(session=session, donor_id=donor, tier=tier, reason=reason, now=app_ctx.now())
    console.print(_("revoked tier {tier} of donor #{donor} ({count} award)").format(tier=tier, donor=donor, count=len(revoked)), highlight=False)


@app.command("export")
def export_command(
    ctx: typer.Context,
    ceremony: CeremonyArg,
    out: Annotated[Path, typer.Option("--out", help=N_("File to write."))],
    fmt: Annotated[export.ExportFormat | None, typer.Option(
        "--format", help=N_("xlsx, csv or pdf (default from the file name)."))] = None,
    by_district: Annotated[bool, typer.Option(help=N_("Group by district, then by tier."))] = False,
) -> None:
    """Write the list of donors honoured at a ceremony, ready to print (no phone or ID numbers)."""
    app_ctx = app_context(ctx)
    chosen = _format_of(out, fmt)
    with session_scope(app_ctx.engine()) as session:
        held = service.get_ceremony(session=session, ref=ceremony)
        entries = [export.entry(donor, donation_count=a.donation_count, tier=a.tier)
                   for a, donor in service.ceremony_awards(session=session, ceremony_id=held.id)]
        title = [app_ctx.settings.general.chapter_name, held.name,
                 _("Held on {day}").format(day=formatting.date(held.held_on))]
        written = export.write(export.build_list(entries, title_lines=title, by_district=by_district), out, chosen)
        audit(session=session, now=app_ctx.now(), actor=cli_actor(), action="honours.export",
              subject_type="ceremony", subject_id=held.id,
              detail={"path": str(out), "format": chosen.value, "rows": written, "by_district": by_district})
    console.print(_("wrote {written} donors of ceremony #{id} to {out}").format(written=written, id=held.id, out=out), highlight=False)
