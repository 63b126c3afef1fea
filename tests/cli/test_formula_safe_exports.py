"""Every CSV and XLSX the registry writes opens as data: no cell is ever a formula (OWASP CSV injection).

Names that start with =, +, -, @, tab or CR are imported as text and come out of every export as
text: an apostrophe before them in CSV, a typed string (never <f>) in XLSX. On both databases.
"""

import csv
import io
import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from donor_registry.spreadsheets import FORMULA_STARTS, SafeCsvWriter, append_row, csv_cell

# Hostile names a list could carry, each starting with one of OWASP's characters.
HOSTILE = ["=HYPERLINK(\"http://x\",\"Nguyễn Văn A\")", "+Trần Văn B", "-Lê Văn C", "@SUM(A1) Phạm D",
           "=cmd|' /C calc'!A0"]


@pytest.fixture
def cli(cli_both):
    """The real CLI on each database (SQLite and PostgreSQL)."""
    return cli_both


def formulas_in(path) -> list[bytes]:
    """Every <f> element of every sheet of a workbook: there must be none."""
    with zipfile.ZipFile(path) as book:
        return [match for name in book.namelist() if name.startswith("xl/worksheets/")
                for match in re.findall(rb"<f[ >].*?</f>|<f/>", book.read(name))]


def text_cells(path) -> dict[str, str]:
    """value -> openpyxl data type of every text cell of a workbook."""
    book = load_workbook(path)
    return {cell.value: cell.data_type for sheet in book.worksheets for row in sheet.iter_rows()
            for cell in row if isinstance(cell.value, str)}


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_csv_cell_starting_with_a_formula_character_gets_an_apostrophe(start):
    assert csv_cell(start + "1+2") == "'" + start + "1+2"


@pytest.mark.parametrize("value", ["Nguyễn Văn A", "'quoted", "a=b", "", 5, -5, 2.5, None])
def test_other_cells_are_written_as_they_are(value):
    assert csv_cell(value) == value


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.text(alphabet=st.sampled_from("=+-@\t\r\n\"',;aĐ ễ1"), max_size=8), min_size=1, max_size=5))
def test_no_written_csv_cell_starts_a_formula_and_the_text_survives(row):
    out = io.StringIO()
    SafeCsvWriter(out).writerow(row)
    [read] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    for written, original in zip(read, row, strict=True):
        assert not written.startswith(FORMULA_STARTS)
        assert written == (original if not original.startswith(FORMULA_STARTS) else "'" + original)


def test_append_row_types_every_text_cell_as_a_string(tmp_path):
    book = Workbook()
    append_row(book.active, [*HOSTILE, "#N/A", 7])
    path = tmp_path / "x.xlsx"
    book.save(path)
    assert formulas_in(path) == []
    assert text_cells(path) == dict.fromkeys([*HOSTILE, "#N/A"], "s")


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _donation_days(count: int) -> list[str]:
    """Days 84 days or more apart, long before the pinned today, so every donation is allowed."""
    return [f"{2010 + i // 4}-{1 + 3 * (i % 4):02d}-01" for i in range(count)]


@pytest.fixture
def honoured(cli, tmp_path):
    """The hostile names imported with five donations each, in the district "=Ba Vì", and
    awarded at the ceremony "=Tôn vinh"; returns the ceremony's id."""
    path = tmp_path / "ds.csv"
    rows = [f"{_quoted(name)},=Ba Vì,{day}\r\n" for name in HOSTILE for day in _donation_days(5)]
    path.write_text("Họ và tên,Huyện,Ngày hiến\r\n" + "".join(rows), encoding="utf-8")
    report = cli("import", "donations", path, "--json").json()
    assert (report["created"], report["imported"]) == (len(HOSTILE), 5 * len(HOSTILE))
    created = cli("honours", "ceremony", "create", "=Tôn vinh", "--date", "14/05/2026", "--level", "commune",
                  "--json")
    assert created.exit_code == 0, created.stderr
    return created.json()["id"]


def test_hostile_names_are_imported_as_text_and_every_export_is_safe(cli, tmp_path, honoured):
    names = {donor["full_name"] for donor in cli("donors", "list", "--json").json()["donors"]}
    assert names == set(HOSTILE)
    candidates_csv, candidates_xlsx = tmp_path / "candidates.csv", tmp_path / "candidates.xlsx"
    assert cli("honours", "candidates", "--export", candidates_csv).exit_code == 0
    assert cli("honours", "candidates", "--export", candidates_xlsx).exit_code == 0
    assert cli("honours", "award", honoured).exit_code == 0
    ceremony_csv, ceremony_xlsx = tmp_path / "list.csv", tmp_path / "list.xlsx"
    assert cli("honours", "export", honoured, "--out", ceremony_csv, "--by-district").exit_code == 0
    assert cli("honours", "export", honoured, "--out", ceremony_xlsx, "--by-district").exit_code == 0

    for path in (candidates_csv, ceremony_csv):
        with path.open(encoding="utf-8-sig", newline="") as saved:
            cells = [cell for row in csv.reader(saved) for cell in row]
        assert not any(cell.startswith(FORMULA_STARTS) for cell in cells), path
        assert {cell[1:] for cell in cells if cell.startswith("'")} >= set(HOSTILE)
    for path in (candidates_xlsx, ceremony_xlsx):
        assert formulas_in(path) == []
        types = text_cells(path)
        assert {name: types.get(name) for name in HOSTILE} == dict.fromkeys(HOSTILE, "s")


def test_the_annual_report_workbook_has_no_formula(cli, tmp_path, honoured):
    assert cli("honours", "award", honoured).exit_code == 0
    out = tmp_path / "report.xlsx"
    assert cli("report", "annual", "2026", "--format", "xlsx", "--out", out).exit_code == 0
    assert formulas_in(out) == []
    types = text_cells(out)
    assert types["=Ba Vì"] == "s" and set(types.values()) == {"s"}


def test_the_errors_csv_is_safe(cli, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên,=Nhóm máu,Ngày hiến\r\n-Lê Văn C,=X,01/03/2026\r\n", encoding="utf-8")
    errors = tmp_path / "loi.csv"
    assert cli("import", "donations", path, "--errors-csv", errors).exit_code == 1
    with errors.open(encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved))
    assert rows[1][:2] == ["2", "'=Nhóm máu"]
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)
