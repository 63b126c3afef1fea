"""Reading spreadsheets row by row: CSV (UTF-8 with or without BOM, or Windows-1258) and XLSX."""

import codecs
import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from donor_registry.errors import UserError

_PROBE_BLOCK = 1 << 20
# Bytes of a typical CSV row of a chapter's list (name, birth, phone, ID, address, donation).
_TYPICAL_ROW_BYTES = 150


@dataclass
class Table:
    """A spreadsheet opened for streaming: its header row, its data rows, and how far along we are."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (line number in the file, cells)
    encoding: str
    total: int  # bytes (CSV) or rows (XLSX), for a progress bar
    position: Callable[[], int]

    def expected_rows(self) -> int:
        """About how many rows the file holds, known before reading them."""
        return self.total if self.encoding == "xlsx" else self.total // _TYPICAL_ROW_BYTES


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' when the whole file decodes strictly as UTF-8, else 'cp1258' (Windows-1258)."""
    status = path.stat()
    return _detect_encoding(path.resolve(), status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=8)
def _detect_encoding(path: Path, size: int, modified_ns: int) -> str:
    """Read the whole file once per version of it (the CLI opens a file twice: to check it, then to import it)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with path.open("rb") as raw:
            while block := raw.read(_PROBE_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1258"
    return "utf-8-sig"


@contextmanager
def open_table(path: Path | str) -> Iterator[Table]:
    """Open a .csv or .xlsx file for streaming; other files are refused with a plain message."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        with _open_xlsx(path) as table:
            yield table
    elif suffix in (".csv", ".txt", ""):
        with _open_csv(path) as table:
            yield table
    else:
        raise UserError(f"{path.name}: only .csv and .xlsx files can be imported (save .xls as .xlsx)")


@contextmanager
def _open_csv(path: Path) -> Iterator[Table]:
    encoding = detect_encoding(path)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        lines: Iterator[str] = text
        if encoding == "cp1258":
            # Windows-1258 spells most toned letters as a base letter plus a combining mark.
            lines = (unicodedata.normalize("NFC", line) for line in text)
        reader = csv.reader(lines, dialect=_sniff_dialect(path, encoding))
        headers = next(reader, None)
        if headers is None:
            raise UserError(f"{path.name} is empty")
        yield Table(
            headers=[h.strip() for h in headers],
            rows=_numbered(reader, path.name),
            encoding=encoding,
            total=path.stat().st_size,
            position=raw.tell,
        )


def _sniff_dialect(path: Path, encoding: str) -> type[csv.Dialect]:
    """Comma by default; semicolon or tab when the header row says so (Excel in some locales)."""
    with path.open(encoding=encoding, newline="") as text:
        first = text.readline()
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
        raise UserError(f"{name}, line {reader.line_num}: not a readable CSV row ({exc})") from None


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UserError(f"{path.name} is not a readable .xlsx file: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise UserError(f"{path.name}: the first sheet is empty")
        headers = ["" if cell is None else str(cell).strip() for cell in header_row]
        counter = {"line": 1}

        def numbered() -> Iterator[tuple[int, list[Any]]]:
            for cells in rows:
                counter["line"] += 1
                if any(cell not in (None, "") for cell in cells):
                    yield counter["line"], list(cells)

        yield Table(
            headers=headers, rows=numbered(), encoding="xlsx", total=sheet.max_row or 0,
            position=lambda: counter["line"],
        )
    finally:
        workbook.close()
