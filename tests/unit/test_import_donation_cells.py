"""pipeline.DonationCells answers exactly what parsing each donation row afresh answers.

A donation row's values are remembered by its cells other than the certificate number; the
expected answers here come from RowParser.parse_donation and DonationValues called on every
row, with no memory between rows."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from donor_registry.importing import pipeline
from donor_registry.importing.headers import map_headers
from donor_registry.importing.rows import RowError, RowParser

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)
HEADERS = ["Họ và tên", "Ngày hiến", "Loại hiến", "Thể tích (ml)", "Số chứng nhận", "Nơi hiến", "Lý do hoãn",
           "Hoãn đến"]


def parser_for(headers: list[str]) -> RowParser:
    return RowParser(map_headers(headers, kind="donations"), kind="donations", today=TODAY)


def afresh(parser: RowParser, values: pipeline.DonationValues, line: int, cells: list, born):
    """What one row gives with nothing remembered: parse_donation, then DonationValues."""
    donation = parser.parse_donation(line, cells, born)
    return donation if donation.__class__ is list else values(donation)


def both(headers: list[str], rows: list[tuple[list, dt.date | None]], dialect=None):
    """(remembered, afresh) answers for rows of (cells, date of birth), each in its own parser."""
    dialect = dialect or sqlite.dialect()
    remembering = pipeline.DonationCells(parser_for(headers), pipeline.DonationValues(dialect, now=NOW))
    parser, values = parser_for(headers), pipeline.DonationValues(dialect, now=NOW)
    return ([remembering(line, cells, born) for line, (cells, born) in enumerate(rows, start=2)],
            [afresh(parser, values, line, cells, born) for line, (cells, born) in enumerate(rows, start=2)])


def test_a_drive_s_rows_differ_only_by_their_certificate_numbers():
    drive = ["An", "05/05/2026", "Máu toàn phần", "350", "", "Trường THPT Tân Lập", "", ""]
    rows = [([*drive[:4], f"HM-{n}", *drive[5:]], None) for n in range(3)]
    remembered, fresh = both(HEADERS, rows)
    assert remembered == fresh
    assert [values[4] for values, _key in remembered] == ["HM-0", "HM-1", "HM-2"]


@pytest.mark.parametrize("certificate, why", [
    ("x" * 51, "longer than 50 characters"),
    ("HM\x00-1", "control character"),
])
def test_a_remembered_row_still_checks_its_certificate_number(certificate, why):
    drive = ["An", "05/05/2026", "", "350", "HM-1", "Bệnh viện", "", ""]
    rows = [(drive, None), ([*drive[:4], certificate, *drive[5:]], None)]
    remembered, fresh = both(HEADERS, rows)
    assert remembered == fresh
    assert remembered[1].__class__ is list and remembered[1][0].column == "Số chứng nhận"


def test_a_remembered_row_still_checks_the_donor_s_date_of_birth():
    drive = ["An", "05/05/2026", "", "350", "HM-1", "Bệnh viện", "", ""]
    rows = [(drive, dt.date(1990, 1, 1)), ([*drive[:4], "HM-2", *drive[5:]], dt.date(2026, 5, 6))]
    remembered, fresh = both(HEADERS, rows)
    assert remembered == fresh
    assert remembered[1] == [RowError(3, "Ngày hiến", "the donation date is before the date of birth")]


def test_deferrals_short_rows_and_files_without_a_certificate_column():
    deferral = ["An", "05/05/2026", "", "", "", "Bệnh viện", "Huyết áp thấp", "05/06/2026"]
    short = ["An", "05/05/2026", "Tiểu cầu"]
    with_certificate = [*deferral[:4], "HM-9", *deferral[5:]]  # a deferral gives no certificate
    remembered, fresh = both(HEADERS, [(deferral, None), (with_certificate, None), (deferral, None),
                                       (short, None), (short, None)])
    assert remembered == fresh
    assert remembered[0][1] is None  # a deferral has no stats key
    assert remembered[1][0].column == "Số chứng nhận"
    without = [header for header in HEADERS if header != "Số chứng nhận"]
    row = ["An", "05/05/2026", "", "450", "Bệnh viện", "", ""]
    born_later = dt.date(2026, 5, 6)  # after the donation day
    remembered, fresh = both(without, [(row, None), (row, None), (row, born_later)], dialect=postgresql.dialect())
    assert remembered == fresh
    assert remembered[1][0][4] is None
    assert remembered[2][0].column == "Ngày hiến"


def test_a_full_memory_starts_again(monkeypatch):
    monkeypatch.setattr(pipeline.DonationCells, "LIMIT", 2)
    rows = [(["An", f"0{day}/05/2026", "", "350", f"HM-{n}", "Bệnh viện", "", ""], None)
            for n, day in enumerate([1, 2, 3, 1, 2, 3, 4, 1])]
    remembered, fresh = both(HEADERS, rows)
    assert remembered == fresh


CELL = {
    "Ngày hiến": st.sampled_from(["05/05/2026", "06/05/2026", "2026-05-05", "31/02/2026", "", "01/01/2030"]),
    "Loại hiến": st.sampled_from(["", "Máu toàn phần", "Tiểu cầu", "Huyết tương", "Nước cam"]),
    "Thể tích (ml)": st.sampled_from(["", "250", "350", "450", "9000", "abc"]),
    "Số chứng nhận": st.one_of(st.sampled_from(["", " HM-1 ", "HM-2", "x" * 51, "H\tM"]),
                               st.text(max_size=60)),
    "Nơi hiến": st.sampled_from(["", "Bệnh viện", "Trường THPT Tân Lập"]),
    "Lý do hoãn": st.sampled_from(["", "", "", "Huyết áp thấp"]),
    "Hoãn đến": st.sampled_from(["", "", "", "05/06/2026", "01/05/2026"]),
}
ROW = st.tuples(st.fixed_dictionaries(CELL), st.sampled_from([None, dt.date(1990, 1, 1), dt.date(2026, 5, 6)]),
                st.integers(min_value=2, max_value=len(HEADERS)))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(ROW, max_size=30))
def test_remembering_never_changes_an_answer(generated):
    rows = [(["An", *(cells[header] for header in HEADERS[1:])][:width], born) for cells, born, width in generated]
    remembered, fresh = both(HEADERS, rows)
    assert remembered == fresh


def test_an_unhashable_cell_is_parsed_afresh():
    cells = ["An", "05/05/2026", "", "350", "HM-1", ["a", "list"], "", ""]  # as a spreadsheet library might give
    remembering = pipeline.DonationCells(parser_for(HEADERS), pipeline.DonationValues(sqlite.dialect(), now=NOW))
    assert remembering(2, cells, None) == afresh(parser_for(HEADERS), pipeline.DonationValues(sqlite.dialect(), now=NOW),
                                                 2, cells, None)
    assert remembering.known == {}
