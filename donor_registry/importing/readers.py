"""Reading spreadsheets row by row: CSV (UTF-8, UTF-16, Windows-1258; see encodings) and XLSX.

The header row is looked for among the first rows (title rows above it are skipped), and a file
that cannot be read is refused with one plain sentence naming where, never a traceback.
"""

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.importing.encodings import detect_encoding
from donor_registry.importing.headers import HEADER_SEARCH_ROWS, header_row
from donor_registry.text import CONTROL_CHARACTER

# Bytes of a typical CSV row of a chapter's list (name, birth, phone, ID, address, donation).
_TYPICAL_ROW_BYTES = 150
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003)
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv", "")
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
# What a damaged workbook raises while its rows are streamed.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ParseError, ValueError, TypeError, OSError)
_FORMULA_SCAN_BYTES = 1 << 20
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>|</c>)')
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16",
                   "cp1258": "Windows-1258", "xlsx": "xlsx"}


@dataclass
class Table:
    """A spreadsheet opened for streaming: its header row, its data rows, and how far along we are."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (line number in the file, cells)
    encoding: str
    total: int  # bytes (CSV) or rows (XLSX), for a progress bar
    position: Callable[[], int]
    header_line: int = 1

    def expected_rows(self) -> int:
        """About how many rows the file holds, known before reading them."""
        return self.total if self.encoding == "xlsx" else self.total // _TYPICAL_ROW_BYTES

    @property
    def encoding_name(self) -> str:
        """The encoding as a person calls it (UTF-8, UTF-16, Windows-1258, xlsx)."""
        return _ENCODING_NAMES.get(self.encoding, self.encoding)


@contextmanager
def open_table(path: Path | str, *, kind: str | None = None) -> Iterator[Table]:
    """Open a .csv or .xlsx file for streaming (told apart by content as well as by name); the
    header row is the first of the first 15 rows holding the columns `kind` requires."""
    path = Path(path)
    if path.is_dir():
        raise UserError(_("{path} is a folder, not a file").format(path=path))
    if not path.is_file():
        raise UserError(_("file not found: {path}").format(path=path))
    try:
        with path.open("rb") as raw:
            magic = raw.read(8)
    except OSError as exc:
        raise UserError(_("{name} cannot be read: {reason}").format(
                            name=path.name, reason=exc.strerror or exc)) from None
    suffix = path.suffix.lower()
    if magic.startswith(_OLE_MAGIC):
        raise UserError(_("{name} is an old Excel (.xls) workbook: open it in Excel and save "
                          "it as .xlsx").format(name=path.name))
    if magic.startswith(_ZIP_MAGIC) and suffix in (*_XLSX_SUFFIXES, *_TEXT_SUFFIXES):
        opened = _open_xlsx(path, kind)
    elif suffix in _XLSX_SUFFIXES:
        raise UserError(_("{name} is not an Excel workbook (.xlsx) although it is named so; if "
                          "it is a CSV file, rename it to .csv").format(name=path.name))
    elif suffix in _TEXT_SUFFIXES:
        opened = _open_csv(path, kind)
    else:
        raise UserError(_("{name}: only .csv and .xlsx files can be imported (save .xls as "
                          ".xlsx)").format(name=path.name))
    with opened as table:
        yield table


def _split_header(rows: Iterator[tuple[int, list]], kind: str | None, name: str) -> tuple[int, list[str], Iterator]:
    """(header line, header cells, data rows) from the numbered rows of a sheet."""
    first = list(islice(rows, HEADER_SEARCH_ROWS))
    if not first:
        raise UserError(_("{name} is empty").format(name=name))
    cells = [["" if cell is None else str(cell).strip() for cell in row] for _, row in first]
    index = header_row(cells, kind=kind)
    line, headers = first[index][0], cells[index]
    if any(CONTROL_CHARACTER.search(header) for header in headers):
        raise UserError(_("{name}, line {line}: the header row holds binary data (control "
                          "characters); this is not a spreadsheet list").format(
                            name=name, line=line))
    return line, headers, chain(first[index + 1:], rows)


@contextmanager
def _open_csv(path: Path, kind: str | None) -> Iterator[Table]:
    encoding = detect_encoding(path)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        lines: Iterator[str] = text
        if encoding == "cp1258":
            # Windows-1258 spells most toned letters as a base letter plus a combining mark.
            lines = (unicodedata.normalize("NFC", line) for line in text)
        reader = csv.reader(lines, dialect=_sniff_dialect(path, encoding))
        rows = _numbered(reader, path.name)
        header_line, headers, data = _split_header(rows, kind, path.name)
        yield Table(headers=headers, rows=data, encoding=encoding, total=path.stat().st_size,
                    position=raw.tell, header_line=header_line)


def _sniff_dialect(path: Path, encoding: str) -> type[csv.Dialect]:
    """Comma by default; semicolon or tab when the first lines say so (Excel in some locales,
    and its "Unicode text", which is tab-separated)."""
    with path.open(encoding=encoding, newline="", errors="replace") as text:
        first = "".join(islice(text, HEADER_SEARCH_ROWS))
    counts = {delimiter: first.count(delimiter) for delimiter in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get)
    if delimiter == "," or counts[delimiter] == 0:
        return csv.excel
    return csv.excel_tab if delimiter == "\t" else _Semicolon


class _Semicolon(csv.excel):
    delimiter = ";"


def _numbered(reader, name: str) -> Iterator[tuple[int, list[str]]]:
    # reader.line_num counts physical lines, so a quoted cell with a line break keeps the
    # numbers right (the number reported is where the row ends, as in a text editor).
    try:
        for cells in reader:
            if cells and (cells[0] or any(cells)):  # skip blank lines and rows of empty cells
                yield reader.line_num, cells
    except csv.Error as exc:  # a cell of over 131,072 characters, say: a file that is not a list
        raise UserError(_("{name}, line {line}: not a readable CSV row ({problem})").format(
                            name=name, line=reader.line_num, problem=exc)) from None


@contextmanager
def _open_xlsx(path: Path, kind: str | None) -> Iterator[Table]:
    from openpyxl import load_workbook

    handle = path.open("rb")  # a file, not a name: openpyxl would refuse a workbook named .csv
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - whatever openpyxl raises, the file is not a workbook
        handle.close()
        raise UserError(_("{name} is not a readable .xlsx file ({reason}); open it in Excel "
                          "and save it again").format(name=path.name, reason=_reason(exc))) from None
    try:
        sheet = _first_sheet(workbook, path.name)
        if cell := _formula_without_value(path, getattr(sheet, "_worksheet_path", None)):
            raise UserError(_("{name}, cell {cell}: a formula without its saved value (the "
                              "file was written by a program, not saved by Excel); open it in "
                              "Excel or LibreOffice, save it, and import it again").format(
                                name=path.name, cell=cell))
        # Read-only mode trusts the <dimension> a writer recorded, which some programs leave
        # stale (A1:A1): forget it, and read every row there is.
        expected = sheet.max_row or 0
        sheet.reset_dimensions()
        counter = {"line": 0}
        header_line, headers, data = _split_header(_xlsx_rows(sheet, path.name, counter), kind, path.name)
        yield Table(headers=headers, rows=data, encoding="xlsx", total=max(expected, 1),
                    position=lambda: counter["line"], header_line=header_line)
    finally:
        workbook.close()
        handle.close()


def _formula_without_value(path: Path, member: str | None) -> str | None:
    """The first cell of the sheet's first megabyte holding a formula with no saved value (read
    as values, it would be empty), or None. Excel and LibreOffice always save the values."""
    if member is None:
        return None
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as xml:
            head = xml.read(_FORMULA_SCAN_BYTES)
    except (*_DAMAGED, RuntimeError):  # damage is reported when the rows are read
        return None
    found = _FORMULA_WITHOUT_VALUE.search(head)
    return found.group(1).decode() if found else None


def _first_sheet(workbook, name: str):
    sheets = [sheet for sheet in workbook.worksheets if hasattr(sheet, "iter_rows")]  # not chart sheets
    if not sheets:
        raise UserError(_("{name} has no worksheet").format(name=name))
    return sheets[0]


def _xlsx_rows(sheet, name: str, counter: dict) -> Iterator[tuple[int, list[Any]]]:
    try:
        for cells in sheet.iter_rows(values_only=True):
            counter["line"] += 1
            if any(cell not in (None, "") for cell in cells):
                yield counter["line"], list(cells)
    except _DAMAGED as exc:
        raise UserError(_("{name}, row {row}: the workbook is damaged or cut off "
                          "({reason}); open it in Excel and save it again").format(
                            name=name, row=counter['line'] + 1, reason=_reason(exc))) from None


def _reason(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
