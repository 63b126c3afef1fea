"""Writing CSV and XLSX files that a spreadsheet opens as data, never as formulas.

OWASP's CSV-injection rule: a cell starting with =, +, -, @, tab or carriage return is run as a
formula by Excel and LibreOffice when the file is opened, so such a text cell is written with a
leading apostrophe in CSV (Excel shows the text as written) and as a typed string in XLSX. A
donor imported as "=HYPERLINK(…)" is then a harmless name in every list the registry writes.
"""

import csv
from collections.abc import Iterable, Sequence
from typing import IO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A value as a CSV cell that no spreadsheet takes for a formula (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer whose text cells are made formula-safe."""

    def __init__(self, handle: IO[str], **options):
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Sequence) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Sequence]) -> None:
        for row in rows:
            self.writerow(row)


def append_row(sheet, row: Sequence) -> None:
    """Append a row to an openpyxl sheet with every text cell typed as a string: openpyxl would
    otherwise store "=…" as a formula and "#N/A" as an error value."""
    sheet.append(list(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
