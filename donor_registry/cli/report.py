"""`donor-registry report`: year-end figures computed from the records."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from donor_registry import reports
from donor_registry.audit import service as audit
from donor_registry.chapters.service import find_chapter
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, to_jsonable
from donor_registry.db import session_scope
from donor_registry.i18n import N_, _
from donor_registry.privacy.files import private_file

app = typer.Typer(help=N_("Reports for the chapter's year-end review."), no_args_is_help=True)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    xlsx = "xlsx"


@app.command("annual")
def annual(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help=N_("The calendar year, e.g. 2026."))],
    fmt: Annotated[ReportFormat, typer.Option("--format", help=N_("text, json or xlsx (xlsx needs --out)."))] =
        ReportFormat.text,
    out: Annotated[Path | None, typer.Option("--out", help=N_("Write to this file instead of the screen."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_("Only this chapter and its sub-chapters."))] = None,
) -> None:
    """Drives and campaigns held, units received (by type, by campaign, for emergencies), new and
    repeat donors, donors honoured by tier and by district."""
    if fmt == ReportFormat.xlsx and out is None:
        raise typer.BadParameter(_("an xlsx report needs --out FILE.xlsx"), param_hint="--out")
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        found = find_chapter(session=session, text=chapter) if chapter else None
        report = reports.annual_report(session=session, year=year, chapter=found)
        if out is None:
            _print(report, fmt)
            return
        _write(report, fmt, out, app_ctx.today())  # in the transaction: the audit row is kept only if the file is written
        audit.record(session=session, now=app_ctx.now(), actor=app_ctx.actor(), action="report.export",
                     detail={"report": "annual", "year": year, "format": fmt.value, "path": str(out),
                             "chapter": found.code if found else None})
    console.print(_("wrote the {year} report to {out}").format(year=year, out=out), highlight=False)


def _print(report: reports.AnnualReport, fmt: ReportFormat) -> None:
    if fmt == ReportFormat.json:
        print_json(report.as_dict())
    else:
        console.print("\n".join(reports.text_lines(report)), highlight=False, markup=False)


def _write(report: reports.AnnualReport, fmt: ReportFormat, out: Path, today) -> None:
    if fmt == ReportFormat.xlsx:
        reports.write_xlsx(report, out, made_on=today)
    elif fmt == ReportFormat.json:
        text = json.dumps(to_jsonable(report.as_dict()), ensure_ascii=False, indent=2)
        private_file(out).write_text(text, encoding="utf-8")
    else:
        private_file(out).write_text("\n".join(reports.text_lines(report)) + "\n", encoding="utf-8")
