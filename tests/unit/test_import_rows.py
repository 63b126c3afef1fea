"""Import headers and row parsing: pure, no database."""

import datetime as dt
import unicodedata

import pytest

from donor_registry.errors import UserError
from donor_registry.importing.headers import header_key, map_headers
from donor_registry.importing.rows import DONOR_COLUMNS, ParsedRow, RowParser
from donor_registry.types import ABO, DonationType, Rh, Sex

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize("header, field", [
    ("Họ và tên", "full_name"), ("HỌ VÀ TÊN", "full_name"), ("Ho va ten", "full_name"),
    ("  họ  tên ", "full_name"), ("Full name", "full_name"), ("Ngày sinh", "date_of_birth"),
    ("Năm sinh", "birth_year"), ("Giới tính", "sex"), ("Nhóm máu", "blood_group"),
    ("SĐT", "phone"), ("Số điện thoại", "phone"), ("So dien thoai", "phone"), ("CCCD", "national_id"),
    ("CMND", "national_id"), ("Số CCCD", "national_id"), ("Địa chỉ", "address"), ("Xã/Phường", "commune"),
    ("Huyện/Quận", "district"), ("Huyện", "district"), ("Tỉnh/Thành phố", "province"),
    ("Ngày hiến", "donated_on"), ("Loại hiến", "donation_type"), ("Thể tích", "volume_ml"),
    ("Thể tích (ml)", "volume_ml"), ("Số chứng nhận", "certificate_no"), ("Nơi hiến", "site"),
])
def test_headers_in_vietnamese_or_english_with_or_without_diacritics(header, field):
    mapped = _map_with(header, field)
    assert mapped.header_of(field) == header


def _map_with(header: str, field: str):
    others = {"full_name": "Họ và tên", "donated_on": "Ngày hiến"}
    headers = [header] + [h for name, h in others.items() if name != field]
    return map_headers(headers, kind="donations")


def test_nfd_header_is_recognised():
    decomposed = unicodedata.normalize("NFD", "Họ và tên")
    assert header_key(decomposed) == header_key("Họ và tên") == "hovaten"


def test_unknown_columns_are_reported_not_fatal_and_row_numbers_are_ignored():
    mapped = map_headers(["STT", "Họ và tên", "Ngày hiến", "Mã đơn vị", "Ghi chú khác"], kind="donations")
    assert mapped.unknown == ("Mã đơn vị", "Ghi chú khác")
    assert set(mapped.columns) == {"full_name", "donated_on"}


def test_missing_required_column_and_repeated_column_are_refused():
    with pytest.raises(UserError, match="Ngày hiến"):
        map_headers(["Họ và tên", "SĐT"], kind="donations")
    with pytest.raises(UserError, match="'SĐT' and 'Số điện thoại'"):
        map_headers(["Họ và tên", "SĐT", "Số điện thoại"], kind="donors")


def test_donation_columns_in_a_donor_file_are_unknown():
    assert map_headers(["Họ tên", "Ngày hiến"], kind="donors").unknown == ("Ngày hiến",)


HEADERS = ["Họ và tên", "Ngày sinh", "Giới tính", "Nhóm máu", "Số điện thoại", "CCCD", "Xã/Phường",
           "Ngày hiến", "Loại hiến", "Thể tích (ml)", "Số chứng nhận"]


def parse(*cells, headers=HEADERS, kind="donations"):
    parser = RowParser(map_headers(headers, kind=kind), kind=kind, today=TODAY)
    return parser.parse(2, list(cells))


def donor_field(row: ParsedRow, name: str):
    return row.donor[DONOR_COLUMNS.index(name)]


def test_a_good_row_gives_canonical_donor_and_donation_parts():
    row = parse(unicodedata.normalize("NFD", "nguyễn thị hoà"), "07/04/1990", "Nữ", "O Rh-",
                "0168 123 4567", "001190012345", "Xã Đông Hoà", "2026-05-02", "Tiểu cầu", "250 ml", " HM-1 ")
    assert isinstance(row, ParsedRow)
    assert donor_field(row, "full_name") == unicodedata.normalize("NFC", "Nguyễn Thị Hòa")
    assert donor_field(row, "name_folded") == "nguyen thi hoa"
    assert donor_field(row, "date_of_birth") == dt.date(1990, 4, 7)
    assert donor_field(row, "birth_year") == 1990
    assert donor_field(row, "sex") == Sex.female
    assert (donor_field(row, "abo"), donor_field(row, "rh")) == (ABO.O, Rh.negative)
    assert donor_field(row, "phone_e164") == "+84381234567"  # legacy 0168 -> 038
    assert donor_field(row, "commune_key") == "xa dong hoa"
    assert row.donation == (dt.date(2026, 5, 2), DonationType.platelet_apheresis, 250, "HM-1", None, None, None)


DEFERRALS = ["Họ và tên", "Ngày hiến", "Thể tích", "Số chứng nhận", "Lý do hoãn", "Hoãn đến"]


def test_a_row_with_a_deferral_reason_is_a_deferral():
    row = parse("An", "01/05/2026", "", "", " huyết áp  thấp ", "01/06/2026", headers=DEFERRALS)
    assert row.donation[5:] == ("huyết áp thấp", dt.date(2026, 6, 1))
    until_further_notice = parse("An", "01/05/2026", "", "", "viêm gan B", "", headers=DEFERRALS)
    assert until_further_notice.donation[5:] == ("viêm gan B", None)


@pytest.mark.parametrize("cells, column, reason", [
    (("", "", "01/06/2026"), "Hoãn đến", "a deferral needs its reason in the 'Lý do hoãn' column"),
    (("", "cảm cúm", "01/05/2026"), "Hoãn đến", "the deferral must end after the day it was given"),
    (("350", "cảm cúm", ""), "Thể tích", "a deferral gives no blood: leave the volume empty"),
    (("", "cảm cúm", "31/02/2026"), "Hoãn đến", "'31/02/2026' is not a real deferral end date"),
])
def test_a_deferral_that_does_not_add_up_is_refused_naming_the_column(cells, column, reason):
    volume, deferral_reason, until = cells
    errors = parse("An", "01/05/2026", volume, "", deferral_reason, until, headers=DEFERRALS)
    assert [(error.column, error.reason) for error in errors] == [(column, reason)]


@pytest.mark.parametrize("raw, born, year", [
    ("1985", None, 1985), ("07/04/1990", dt.date(1990, 4, 7), 1990), ("1990-04-07", dt.date(1990, 4, 7), 1990),
    ("7/4/1990", dt.date(1990, 4, 7), 1990), ("32970", dt.date(1990, 4, 7), 1990), ("", None, None),
])
def test_birth_as_date_year_or_excel_day_number(raw, born, year):
    row = parse("An", raw, "", "", "", "", "", "01/05/2026", "", "", "")
    assert (donor_field(row, "date_of_birth"), donor_field(row, "birth_year")) == (born, year)


def test_excel_date_cells_are_taken_as_dates():
    row = parse("An", dt.datetime(1990, 4, 7), "", "", "", "", "", dt.datetime(2026, 5, 1), "", 350.0, "")
    assert donor_field(row, "date_of_birth") == dt.date(1990, 4, 7)
    assert row.donation[0] == dt.date(2026, 5, 1) and row.donation[2] == 350


@pytest.mark.parametrize("cells, column, reason", [
    (("An", "01/01/2030"), "Ngày sinh", "in the future"),
    (("An", "31/02/1990"), "Ngày sinh", "not a real date of birth"),
    (("An", "", "", "X"), "Nhóm máu", "not a blood group"),
    (("An", "", "", "", "0123"), "Số điện thoại", "not a valid phone number"),
    (("An", "", "", "", "", "12345"), "CCCD", "12 digits"),
    (("An", "", "Không rõ"), "Giới tính", "not a sex"),
    (("An", "", "", "", "", "", "", "01/07/2026"), "Ngày hiến", "in the future"),
    (("An", "", "", "", "", "", "", ""), "Ngày hiến", "empty"),
    (("An", "", "", "", "", "", "", "01/05/2026", "Máu lạ"), "Loại hiến", "not a donation type"),
    (("An", "", "", "", "", "", "", "01/05/2026", "", "5000"), "Thể tích (ml)", "between 1 and 1000"),
    (("", "", "", "", "", "", "", "01/05/2026"), "Họ và tên", "empty"),
    (("An", "01/01/2000", "", "", "", "", "", "01/01/1999"), "Ngày hiến", "before the date of birth"),
])
def test_bad_values_are_refused_with_column_and_reason(cells, column, reason):
    padded = list(cells) + [""] * (len(HEADERS) - len(cells))
    if padded[7] == "" and column != "Ngày hiến":
        padded[7] = "01/05/2026"
    errors = parse(*padded)
    assert isinstance(errors, list)
    assert [(e.line, e.column) for e in errors] == [(2, column)]
    assert reason in errors[0].reason


def test_every_problem_of_a_row_is_reported():
    errors = parse("An", "01/01/2030", "", "X", "12", "", "", "01/05/2026", "", "", "")
    assert {e.column for e in errors} == {"Ngày sinh", "Nhóm máu", "Số điện thoại"}


def test_birth_year_column_must_agree_with_the_date():
    errors = parse("An", "07/04/1990", "1991", "01/05/2026",
                   headers=["Họ và tên", "Ngày sinh", "Năm sinh", "Ngày hiến"])
    assert errors[0].column == "Năm sinh"


def test_short_rows_read_missing_cells_as_empty():
    row = parse("Trần Văn Bình", "", "", "", "", "", "", "01/05/2026")
    assert isinstance(row, ParsedRow) and row.donation[1] == DonationType.whole_blood


def test_number_cells_from_excel_keep_their_leading_zeros():
    row = parse("An", "", "", "", 912345678, 1190012345, "", "01/05/2026", "", "", "")
    assert donor_field(row, "phone_e164") == "+84912345678"
    assert donor_field(row, "national_id") == "001190012345"


def test_donor_keys_are_equal_exactly_for_equal_donor_cells():
    headers = ["Họ và tên", "Số điện thoại", "Ngày hiến"]
    parser = RowParser(map_headers(headers, kind="donations"), kind="donations", today=TODAY)
    key = parser.donor_key
    assert key(["Lê Văn An", "0912345678", "01/01/2026"]) == key(["Lê Văn An", "0912345678", "02/02/2026"])
    assert key(["Lê Văn An", "0912345678", "01/01/2026"]) != key(["Lê Văn An", "0912345679", "01/01/2026"])
    # A cell holding the separator cannot make two different rows look alike.
    assert key(["a\x1fb", "c", ""]) != key(["a", "b\x1fc", ""])
    assert key(["Lê Văn An"]) == key(["Lê Văn An", "", ""])  # a short row's missing cells are empty
    spreadsheet = RowParser(map_headers(headers, kind="donations"), kind="donations", today=TODAY,
                            text_cells=False)
    assert spreadsheet.donor_key(["Lê Văn An", 912345678.0, None]) != spreadsheet.donor_key(
        ["Lê Văn An", "912345678.0", None])


@pytest.mark.parametrize("raw, given", [
    ("Có", True), ("CÓ", True), ("x", True), ("X", True), ("Đồng ý", True), ("yes", True), ("\u2713", True),
    ("", False), ("Không", False), ("no", False), (None, False), (1, True), (0, False),
])
def test_consent_cells_read_as_yes_or_no(raw, given):
    from donor_registry.importing import values
    from donor_registry.types import ConsentChannel

    assert values.consent(raw) == (ConsentChannel.import_file if given else None)
