"""`donor-registry report`: year-end figures computed from the records."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from donor_registry import reports
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, to_jsonable
from donor_registry.db import session_scope

app = typer.Typer(help="Reports for the chapter's year-end review.", no_args_is_help=True)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    xlsx = "xlsx"


@app.command("annual")
def annual(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help="The calendar year, e.g. 2026.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="text, json or xlsx (xlsx needs --out).")] =
        ReportFormat.text,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the screen.")] = None,
) -> None:
    """Drives and campaigns held, units received (by type, by campaign, for emergencies), new and
    repeat donors, donors honoured by tier and by district."""
    if fmt == ReportFormat.xlsx and out is None:
        raise typer.BadParameter("an xlsx report needs --out FILE.xlsx", param_hint="--out")
    with session_scope(app_context(ctx).engine()) as session:
        report = reports.annual_report(session=session, year=year)
    if fmt == ReportFormat.xlsx:
        reports.write_xlsx(report, out)
        console.print(f"wrote the {year} report to {out}", highlight=False)
        return
    if fmt == ReportFormat.json:
        if out is None:
            print_json(report.as_dict())
            return
        out.write_text(json.dumps(to_jsonable(report.as_dict()), ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        lines = reports.text_lines(report)
        if out is None:
            console.print("\n".join(lines), highlight=False, markup=False)
            return
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    console.print(f"wrote the {year} report to {out}", highlight=False)
