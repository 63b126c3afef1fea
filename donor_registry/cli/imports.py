"""`donor-registry import`: bring donor and donation lists (CSV or XLSX) into the registry."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from donor_registry.chapters.service import find_chapter
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, err_console, print_json, print_table
from donor_registry.db import session_scope
from donor_registry.i18n import N_, _
from donor_registry.importing import service
from donor_registry.importing.readers import open_table
from donor_registry.importing.report import chapter_rows
from donor_registry.privacy.files import private_file
from donor_registry.spreadsheets import SafeCsvWriter

app = typer.Typer(
    help=N_("Import donor and donation lists from Excel (.xlsx) or CSV files. "
         "A file with any bad row imports nothing unless --skip-invalid is given."),
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(
    help=N_("The .csv (UTF-8, UTF-16 or Windows-1258) or .xlsx file; headers in Vietnamese or English, "
         "title rows above the header are skipped."))]
DryRun = Annotated[bool, typer.Option(
    "--dry-run", help=N_("Check the whole file and show the report, but save nothing."))]
SkipInvalid = Annotated[bool, typer.Option(
    "--skip-invalid", help=N_("Import the good rows even when some rows are refused."))]
AsJson = Annotated[bool, typer.Option("--json", help=N_("Print the report as JSON for scripts."))]
ErrorsCsv = Annotated[Path | None, typer.Option(
    "--errors-csv", help=N_("Write every refused row (line, column, reason) to this CSV file."))]
ChapterOption = Annotated[str | None, typer.Option(
    "--chapter", help=N_("Put every donor the file adds into this chapter (code, #id or name); "
                         "default: the commune's chapter, else the province's, else the national one."))]
SHOWN_ERRORS = 50


AcceptViolations = Annotated[bool, typer.Option(
    "--accept-violations", help=N_("Import donations that break a recording check (same day, interval, age, "
                                "weight, volume) instead of refusing their rows; the reasons are kept on each."))]


@app.command("donations")
def donations(ctx: typer.Context, path: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False,
              as_json: AsJson = False, errors_csv: ErrorsCsv = None,
              accept_violations: AcceptViolations = False, chapter: ChapterOption = None) -> None:
    """Import a donation list: each row is matched to a registered donor (CCCD, then phone +
    name, then name + birth, each only when no field known on both sides conflicts; a CCCD
    with another person's name, birth, sex or blood group is refused) or creates one.
    A row repeating a recorded donation (same donor, day and type) is skipped; nothing
    recorded is ever changed. Donation counts and next dates are updated.
    A donation that breaks a recording check (same day, interval, age, weight, volume) is
    refused unless --accept-violations.

    A row with a reason in "Lý do hoãn" (and optionally "Hoãn đến") is a deferral at the drive.

    Có or x in "Đồng ý nhận tin" records the donor's consent to be contacted.

    Each donation is checked as `donations record` checks it (inside the interval of another,
    under 18 or over 60, apheresis under 50 kg, volume above the weight's limit): a row that
    breaks a check is refused, unless --accept-violations.
    """
    _run(ctx, "donations", path, dry_run=dry_run, skip_invalid=skip_invalid, as_json=as_json,
         errors_csv=errors_csv, accept_violations=accept_violations, chapter=chapter)


@app.command("donors")
def donors(ctx: typer.Context, path: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False,
           as_json: AsJson = False, errors_csv: ErrorsCsv = None, chapter: ChapterOption = None) -> None:
    """Import a donor list; donors already registered (same CCCD, phone + name, or name + birth)
    are reported as matched and left unchanged.

    Có or x in "Đồng ý nhận tin" records consent to be contacted, also for a registered donor who never gave it.
    """
    _run(ctx, "donors", path, dry_run=dry_run, skip_invalid=skip_invalid, as_json=as_json,
         errors_csv=errors_csv, chapter=chapter)


def _run(ctx: typer.Context, kind: str, path: Path, *, dry_run: bool, skip_invalid: bool,
         as_json: bool, errors_csv: Path | None, accept_violations: bool = False, chapter: str | None = None) -> None:
    app_ctx = app_context(ctx)
    engine = app_ctx.engine()
    placement = service.Placement()
    if chapter is not None:  # an unknown chapter stops the import before anything is read or written
        with session_scope(engine) as session:
            placement = service.Placement(chapter_id=find_chapter(session=session, text=chapter).id)
    with open_table(path, kind=kind) as table:  # fail early, before the progress bar, on a bad file
        total = table.total
        by_bytes = table.encoding != "xlsx"
    with (_errors_writer(errors_csv) as on_refused, _progress(by_bytes, disable=as_json) as progress,
          session_scope(engine) as session):
        task = progress.add_task(_("importing {name}").format(name=path.name), total=total)

        def advance(position: int) -> None:
            progress.update(task, completed=position)

        common = {"session": session, "path": path, "now": app_ctx.now(), "today": app_ctx.today(),
                  "skip_invalid": skip_invalid, "dry_run": dry_run, "progress": advance, "on_refused": on_refused,
                  "placement": placement}
        if kind == "donations":
            report = service.import_donations(rules=app_ctx.settings.eligibility,
                                              accept_violations=accept_violations, **common)
        else:
            report = service.import_donors(**common)
        progress.update(task, completed=total)
    if as_json:
        print_json({**asdict(report), "rejected_rows": report.rejected_rows})
    else:
        _print_report(report, errors_csv)
    if report.rejected_rows and not skip_invalid:
        raise typer.Exit(1)


def _progress(by_bytes: bool, *, disable: bool) -> Progress:
    amount = DownloadColumn() if by_bytes else TextColumn("{task.completed:,.0f}/{task.total:,.0f} " + _("rows"))
    return Progress(TextColumn("{task.description}"), BarColumn(), amount, TimeRemainingColumn(),
                    console=err_console, transient=True, disable=disable)


def _print_report(report: service.ImportReport, errors_csv: Path | None) -> None:
    if report.unknown_columns:
        console.print(_("columns not recognised (ignored): {columns}").format(columns=", ".join(report.unknown_columns)),
                      highlight=False)
    donations = report.kind == "donations"
    if report.written:
        imported = _("donations and deferrals imported") if donations else _("donors imported")
    else:
        imported = (_("donations and deferrals to import (nothing saved)") if donations
                    else _("donors to import (nothing saved)"))
    rows = [
        (_("rows read"), report.rows_read),
        (imported, report.imported),
        (_("rows matched to a known donor"), report.matched),
        (_("donors created"), report.created),
        (_("consents to be contacted recorded"), report.consents),
        (_("rows refused"), report.rejected_rows),
        (_("repeated rows skipped"), report.repeated_rows),
    ]
    if report.accepted_violations:
        rows.append((_("donations kept despite a recording check"), report.accepted_violations))
    rows += address_rows(report.addresses)
    rows += chapter_rows(report.chapters)
    print_table(_("Import of {name} ({encoding})").format(name=Path(report.path).name, encoding=report.encoding), ["", N_("count")], rows)
    if report.rejected:
        shown = report.rejected[:SHOWN_ERRORS]
        print_table(N_("Refused rows"), [N_("line"), N_("column"), N_("reason")],
                    [(error.line, error.column, error.reason) for error in shown])
        if len(report.rejected) + report.more_problems > len(shown):
            more = len(report.rejected) + report.more_problems - len(shown)
            if errors_csv:
                console.print(_("… and {more} more problems; all are in {path}").format(more=more, path=errors_csv),
                              highlight=False)
            else:
                console.print(_("… and {more} more problems; use --errors-csv PATH to get them all").format(
                    more=more), highlight=False)
    if report.duplicates:
        print_table(N_("Repeated rows (not imported)"), [N_("line"), N_("reason")],
                    [(duplicate.line, duplicate.reason) for duplicate in report.duplicates[:SHOWN_ERRORS]])
        if report.repeated_rows > SHOWN_ERRORS:
            console.print(_("… and {more} more repeated rows").format(more=report.repeated_rows - SHOWN_ERRORS),
                          highlight=False)
    console.print(_verdict(report), highlight=False)


def address_rows(counts: dict[str, int]) -> list[tuple[str, int]]:
    """How the file's addresses resolved to the units since 2025-07-01 (places/)."""
    if not counts:
        return []
    flagged = counts.get("split", 0) + counts.get("ambiguous", 0)
    return [(_("addresses converted from before 2025-07-01"), counts.get("converted", 0)),
            (_("addresses already in the new units"), counts.get("new", 0)),
            (_("addresses flagged for review (split or ambiguous)"), flagged),
            (_("addresses naming no unit (flagged)"), counts.get("unknown", 0))]


def _verdict(report: service.ImportReport) -> str:
    if report.dry_run:
        return _("dry run: nothing was saved")
    if report.written:
        return _("saved")
    return _("nothing was saved: fix the refused rows and import the file again, "
             "or use --skip-invalid to import only the good rows")


@contextmanager
def _errors_writer(path: Path | None) -> Iterator[Callable[[list], None] | None]:
    """A receiver writing refused rows to the errors CSV as the import finds them, or None."""
    if path is None:
        yield None
        return
    with private_file(path).open("w", encoding="utf-8-sig", newline="") as out:
        writer = SafeCsvWriter(out)
        writer.writerow([_("line"), _("column"), _("reason")])
        yield lambda errors: writer.writerows((error.line, error.column, error.reason) for error in errors)
