"""The annual report as a person reads it: text lines and a workbook, in the current language.

Figures stay numbers (the workbook's cells are numbers with a thousands format, the text uses
formatting.number), enum values and placeholders become their labels, days read dd/mm/yyyy
(a real date in the workbook, shown dd/mm/yyyy).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from donor_registry.honours.rules import tier_label
from donor_registry.i18n import _, formatting, pgettext
from donor_registry.i18n.labels import label
from donor_registry.privacy.files import private_file
from donor_registry.reports import (
    DISTRICTS_ABOLISHED,
    NO_CAMPAIGN,
    NO_DISTRICT,
    NO_UNIT,
    AnnualReport,
)
from donor_registry.spreadsheets import append_row
from donor_registry.types import DonationType

_PLACEHOLDERS = {NO_CAMPAIGN, NO_DISTRICT, NO_UNIT}
# gettext contexts (literal, for the extractor): "report sheet" for a sheet's name (at most 31
# characters, no / or :), "report column" for a column heading.
DATE_FORMAT = "dd/mm/yyyy"
NUMBER_FORMAT = "#,##0"


@dataclass
class Breakdown:
    sheet: str
    title: str
    heading: str
    count_heading: str
    rows: list[tuple[str, int]]


def _place(key: str) -> str:
    return _(key) if key in _PLACEHOLDERS else key


def _donation_type(value: str) -> str:
    try:
        return label(DonationType(value))
    except ValueError:
        return value


def breakdowns(report: AnnualReport) -> list[Breakdown]:
    """The report's tables, translated: one sheet each in the workbook, one section each in the text."""
    since = formatting.date(DISTRICTS_ABOLISHED)
    units, donors, drives = (pgettext("report column", "Units"), pgettext("report column", "Donors"),
                             pgettext("report column", "Drives"))

    def rows(figures: dict, name=_place) -> list[tuple[str, int]]:
        return [(name(key), n) for key, n in figures.items()]

    return [
        Breakdown(pgettext("report sheet", "By type"), _("Units by type"),
                  pgettext("report column", "Type"), units,
                  sorted(rows(report.units_by_type, _donation_type), key=lambda row: -row[1])),
        Breakdown(pgettext("report sheet", "By campaign"), _("Units by campaign"),
                  pgettext("report column", "Campaign"), units, rows(report.units_by_campaign)),
        Breakdown(pgettext("report sheet", "Honoured by tier"), _("Donors honoured by tier"),
                  pgettext("report column", "Tier"), donors, rows(report.honoured_by_tier, tier_label)),
        Breakdown(pgettext("report sheet", "Honoured by district"), _("Donors honoured by district"),
                  pgettext("report column", "District"), donors, rows(report.honoured_by_district)),
        Breakdown(pgettext("report sheet", "By province"),
                  _("Units by province (units since {day})").format(day=since),
                  pgettext("report column", "Province"), units, rows(report.units_by_province)),
        Breakdown(pgettext("report sheet", "By commune"),
                  _("Units by commune (units since {day})").format(day=since),
                  pgettext("report column", "Commune"), units, rows(report.units_by_commune)),
        Breakdown(pgettext("report sheet", "By old district"),
                  _("Units before {day} by old district").format(day=since),
                  pgettext("report column", "District (old)"), units, rows(report.units_by_old_district)),
        Breakdown(pgettext("report sheet", "Drives by province"), _("Drives held by province"),
                  pgettext("report column", "Province"), drives, rows(report.drives_by_province)),
        Breakdown(pgettext("report sheet", "Honoured by province"), _("Donors honoured by province"),
                  pgettext("report column", "Province"), donors, rows(report.honoured_by_province)),
    ]


def title(report: AnnualReport) -> str:
    heading = _("Annual report {year}").format(year=report.year)
    return f"{heading} — {report.chapter}" if report.chapter else heading


def text_lines(report: AnnualReport) -> list[str]:
    """The report as plain lines for the terminal or a text file."""
    n = formatting.number
    tables = breakdowns(report)
    lines = [
        title(report),
        _("Campaigns held: {held} (cancelled {cancelled})").format(
            held=n(report.campaigns_held), cancelled=n(report.campaigns_cancelled)),
        _("Drives held: {held} (not yet closed {open}, cancelled {cancelled})").format(
            held=n(report.drives_held), open=n(report.drives_not_closed), cancelled=n(report.drives_cancelled)),
        _("Units received: {units} (deferrals {deferrals})").format(units=n(report.units), deferrals=n(report.deferrals)),
        *_section(tables[0]), *_section(tables[1]),
        _("Units from standby donors for emergencies: {units}").format(units=n(report.emergency_units)),
        _("Donors who gave: {donors} (new {new}, repeat {repeat})").format(
            donors=n(report.donors), new=n(report.new_donors), repeat=n(report.repeat_donors)),
    ]
    for table in tables[2:]:
        lines += _section(table)
    return lines


def _section(table: Breakdown) -> list[str]:
    if not table.rows:
        return [_("{title}: none").format(title=table.title)]
    return [f"{table.title}:"] + [f"  {name}: {formatting.number(count)}" for name, count in table.rows]


def summary_rows(report: AnnualReport) -> list[tuple[str, int]]:
    return [
        (_("Campaigns held"), report.campaigns_held), (_("Campaigns cancelled"), report.campaigns_cancelled),
        (_("Drives held"), report.drives_held), (_("Drives not yet closed"), report.drives_not_closed),
        (_("Drives cancelled"), report.drives_cancelled), (_("Units received"), report.units),
        (_("Deferrals"), report.deferrals), (_("Units for emergencies"), report.emergency_units),
        (_("Donors who gave"), report.donors), (_("New donors"), report.new_donors),
        (_("Repeat donors"), report.repeat_donors),
    ]


def write_xlsx(report: AnnualReport, path: Path, *, made_on: dt.date | None = None) -> None:
    """A summary sheet (title, the day it was made, the figures) and one sheet per breakdown."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    # The font named, as the cells' own is: a reader without Calibri then sees one family, not a serif bold.
    title_font, bold = Font(name="Calibri", bold=True, size=13), Font(name="Calibri", bold=True)
    book = Workbook()
    summary = book.active
    summary.title = _("Summary {year}").format(year=report.year)
    append_row(summary, [title(report)])
    summary.cell(1, 1).font = title_font
    if made_on is not None:
        append_row(summary, [_("Made on"), made_on])
        summary.cell(summary.max_row, 2).number_format = DATE_FORMAT
    summary.append([])
    append_row(summary, [pgettext("report column", "Figure"), pgettext("report column", "Count")])
    for cell in summary[summary.max_row]:
        cell.font = bold
    summary.cell(summary.max_row, 2).alignment = Alignment(horizontal="right")
    append_row(summary, [_("Year"), report.year])
    for name, value in summary_rows(report):
        append_row(summary, [name, value])
        summary.cell(summary.max_row, 2).number_format = NUMBER_FORMAT
    summary.column_dimensions["A"].width = 36
    summary.column_dimensions["B"].width = 14
    for table in breakdowns(report):
        sheet = book.create_sheet(table.sheet)
        append_row(sheet, [table.title])
        sheet.cell(1, 1).font = title_font
        append_row(sheet, [table.heading, table.count_heading])
        for cell in sheet[2]:
            cell.font = bold
        sheet.cell(2, 2).alignment = Alignment(horizontal="right")
        if not table.rows:
            append_row(sheet, [_("none")])
        for name, count in table.rows:
            append_row(sheet, [name, count])
            sheet.cell(sheet.max_row, 2).number_format = NUMBER_FORMAT
        sheet.freeze_panes = "A3"
        sheet.column_dimensions["A"].width = 44
        sheet.column_dimensions["B"].width = 14
    book.save(private_file(path))
