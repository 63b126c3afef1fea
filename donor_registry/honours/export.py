"""Ceremony lists as XLSX, CSV (UTF-8 with BOM) and PDF, in Vietnamese order, without phone or ID.

Every word on them is in the current language (Vietnamese unless --lang en): the headings,
the group titles, the sex and the tier; the title lines come from the command (chapter, day).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import groupby
from pathlib import Path

from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.honours.rules import tier_label
from donor_registry.i18n import N_, _, pgettext
from donor_registry.i18n.labels import label
from donor_registry.privacy.files import private_file
from donor_registry.spreadsheets import SafeCsvWriter, append_row
from donor_registry.text import collation_key
from donor_registry.types import Sex, blood_group_label

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
NO_DISTRICT = N_("District unknown")


def headers() -> tuple[str, ...]:
    """The column headings in the current language ("STT", "Họ và tên" …)."""
    return (pgettext("ceremony list", "No."), pgettext("ceremony list", "Full name"),
            pgettext("ceremony list", "Birth year"), pgettext("ceremony list", "Sex"),
            pgettext("ceremony list", "Blood group"), pgettext("ceremony list", "Address"),
            pgettext("ceremony list", "Donations"), pgettext("ceremony list", "Honour"))


def _sex(sex: Sex | None) -> str:
    """"Nữ", "Nam" ("Female", "Male"); nothing when not known."""
    if sex not in (Sex.male, Sex.female):
        return ""
    word = label(sex)
    return word[:1].upper() + word[1:]


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    pdf = "pdf"


@dataclass(frozen=True)
class ListEntry:
    """One donor at one tier, with only the fields a ceremony list may show."""

    full_name: str
    birth_year: int | None
    sex: str
    blood_group: str
    address: str
    district: str | None
    donation_count: int
    tier: int


@dataclass
class Group:
    title: str
    entries: list[ListEntry] = field(default_factory=list)


@dataclass
class CeremonyList:
    title_lines: list[str]
    groups: list[Group]

    @property
    def entries(self) -> list[ListEntry]:
        return [entry for group in self.groups for entry in group.entries]


def entry(donor: Donor, *, donation_count: int, tier: int) -> ListEntry:
    """The list line of a donor; phone and national ID are never read."""
    group = blood_group_label(donor.abo, donor.rh).replace("?", "")
    return ListEntry(
        full_name=donor.full_name, birth_year=donor.birth_year, sex=_sex(donor.sex),
        blood_group=group, address=_address(donor), district=donor.district,
        donation_count=donation_count, tier=tier,
    )


def _address(donor: Donor) -> str:
    parts: list[str] = []
    for part in (donor.address, donor.commune, donor.district, donor.province):
        if part and not any(part.casefold() in seen.casefold() for seen in parts):
            parts.append(part)
    return ", ".join(parts)


def build_list(entries: Iterable[ListEntry], *, title_lines: Sequence[str], by_district: bool = False) -> CeremonyList:
    """Group by tier (highest first), optionally by district first; names in Vietnamese order."""
    def group_key(item: ListEntry):
        district_order = (item.district is None, _place_key(item.district or "")) if by_district else ()
        return (*district_order, -item.tier)

    ordered = sorted(entries, key=lambda item: (group_key(item), collation_key(item.full_name)))
    groups = []
    for _key, members in groupby(ordered, key=group_key):
        members = list(members)
        title = _("{tier} ({count} donors)").format(tier=tier_label(members[0].tier), count=len(members))
        if by_district:
            title = f"{members[0].district or _(NO_DISTRICT)} — {title}"
        groups.append(Group(title, members))
    return CeremonyList(list(title_lines), groups)


def _place_key(name: str) -> tuple:
    """Vietnamese order of a place name, word by word from the first (unlike a person's name)."""
    return tuple(collation_key(word) for word in name.split())


def _rows(ceremony_list: CeremonyList) -> Iterable[tuple[Group, list]]:
    number = 0
    for group in ceremony_list.groups:
        rows = []
        for item in group.entries:
            number += 1
            rows.append([number, item.full_name, item.birth_year or "", item.sex, item.blood_group,
                         item.address, item.donation_count, tier_label(item.tier)])
        yield group, rows


def write(ceremony_list: CeremonyList, path: Path, fmt: ExportFormat) -> int:
    """Write the list in the format; returns the number of donors written."""
    private_file(path)  # created 0600 before the writer fills it
    {ExportFormat.xlsx: _write_xlsx, ExportFormat.csv: _write_csv, ExportFormat.pdf: _write_pdf}[fmt](
        ceremony_list, path
    )
    return len(ceremony_list.entries)


def _write_csv(ceremony_list: CeremonyList, path: Path) -> None:
    # utf-8-sig writes the BOM that makes Excel read the file as UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow(headers())
        for _group, rows in _rows(ceremony_list):
            writer.writerows(rows)


def _write_xlsx(ceremony_list: CeremonyList, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Honours list")
    for line in ceremony_list.title_lines:
        append_row(sheet, [line])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=13)
    sheet.append([])
    headings = headers()
    append_row(sheet, headings)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = f"A{header_row + 1}"
    for group, rows in _rows(ceremony_list):
        append_row(sheet, [group.title])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(headings))
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        for row in rows:
            append_row(sheet, row)
    for letter, width in zip("ABCDEFGH", (6, 30, 10, 10, 10, 50, 12, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    book.save(path)


def _write_pdf(ceremony_list: CeremonyList, path: Path) -> None:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    for font in (FONT_REGULAR, FONT_BOLD):
        if not font.is_file():
            raise UserError(_(
                "the PDF needs the DejaVu fonts ({font} is missing): install them with "
                "`{command}`, or export as xlsx or csv").format(font=font, command="apt-get install fonts-dejavu-core"))

    class _ListPdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.cell(0, 8, _("Page {page}/{pages}").format(page=self.page_no(), pages="{nb}"), align="C")

    pdf = _ListPdf(orientation="L", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    for number, line in enumerate(ceremony_list.title_lines):
        pdf.set_font("DejaVu", "B", 14 if number == 0 else 11)
        pdf.cell(0, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (12, 62, 18, 18, 18, 93, 22, 30)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
    for group, rows in _rows(ceremony_list):
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 9, group.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        with pdf.table(col_widths=widths, headings_style=heading, line_height=6,
                       text_align=("RIGHT", "LEFT", "CENTER", "CENTER", "CENTER", "LEFT", "RIGHT", "CENTER")) as table:
            table.row(headers())
            for row in rows:
                table.row([str(value) for value in row])
        pdf.ln(4)
    if not ceremony_list.groups:
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(0, 8, _("Nobody is on the list."), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
