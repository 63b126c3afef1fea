"""`donor-registry import` on messy, real-looking files."""

import csv
import datetime as dt
import unicodedata

from openpyxl import Workbook
from sqlalchemy import create_engine, text

from scripts.datagen import encode_cp1258

HEADER = "STT,Họ và tên,Năm sinh,Giới tính,Nhóm máu,SĐT,Số CCCD,Xã/Phường,Ngày hiến,Loại hiến,Thể tích (ml),Đơn vị\n"
# Line numbers in the file: the header is line 1. Each donor's second donation comes after the
# 12 weeks of the first (whole blood), as the recording checks require.
GOOD_ROWS = [
    "1,Nguyễn Thị Hoà,1990,Nữ,O+,0168 123 4567,,Xã Đông Hoà,01/03/2026,Máu toàn phần,350,CĐ\n",
    "2,NGUYỄN THỊ HÒA,1990,nữ,O+,01681234567,,xa dong hoa,25/05/2026,Tiểu cầu,250 ml,CĐ\n",
    "3,Trần Văn Bình,12/05/1985,Nam,B+,0912345678,001085001234,Xã Tân Lập,2026-03-01,,350,\n",
    "4,Tran Van Binh,1985,Nam,B,+84 912 345 678,001085001234,,2026-05-25,Huyết tương,,\n",
]
BAD_ROWS = [
    "5,Lê Văn Cường,1988,Nam,X,0987654321,,Xã Tân Lập,01/03/2026,,350,\n",
    "6,Phạm Thị Lan,01/01/2030,Nữ,A+,0987654322,,Xã Tân Lập,01/03/2026,,350,\n",
    "7,Đỗ Văn Nam,1979,Nam,AB+,0123,,,01/03/2026,,350,\n",
]


def messy_file(tmp_path, *, rows, encoding="utf-8-sig", name="danh-sach.csv"):
    """NFD names, a BOM or Windows-1258 bytes, 11-digit phones, one donor written three ways."""
    text = HEADER + "".join(unicodedata.normalize("NFD", row) for row in rows)
    path = tmp_path / name
    path.write_bytes(encode_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


def db_counts(url):
    """Rows in the donors and donations tables, counted in the database itself."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = tuple(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                      for table in ("donors", "donations"))
    engine.dispose()
    return found


def listed(cli):
    return cli("donors", "list", "--json").json()["donors"]


def test_bad_rows_are_named_and_nothing_is_imported(cli, sqlite_url, tmp_path):
    cli("donors", "add", "Võ Văn Tú", "--birth-year", "1970")
    before = db_counts(sqlite_url)
    path = messy_file(tmp_path, rows=GOOD_ROWS + BAD_ROWS)
    result = cli("import", "donations", path)
    assert result.exit_code == 1
    for line, column, reason in [(6, "Nhóm máu", "'X' is not a blood group"),
                                 (7, "Năm sinh", "is in the future"),
                                 (8, "SĐT", "not a valid phone number")]:
        assert any(str(line) in row and column in row and reason in row for row in result.stdout.splitlines()), \
            (line, column, result.stdout)
    assert "nothing was saved" in result.stdout
    assert "Đơn vị" in result.stdout  # the unknown column is reported
    assert db_counts(sqlite_url) == before


def test_json_report_and_errors_csv(cli, tmp_path):
    path = messy_file(tmp_path, rows=GOOD_ROWS + BAD_ROWS)
    errors = tmp_path / "loi.csv"
    result = cli("import", "donations", path, "--json", "--errors-csv", errors)
    assert result.exit_code == 1
    report = result.json()
    assert [(e["line"], e["column"]) for e in report["rejected"]] == [(6, "Nhóm máu"), (7, "Năm sinh"), (8, "SĐT")]
    assert report["written"] is False
    with errors.open(encoding="utf-8-sig") as saved:
        assert [row["line"] for row in csv.DictReader(saved)] == ["6", "7", "8"]


def test_skip_invalid_imports_repeated_people_once(cli, tmp_path):
    path = messy_file(tmp_path, rows=GOOD_ROWS + BAD_ROWS)
    report = cli("import", "donations", path, "--skip-invalid", "--json").json()
    assert (report["imported"], report["created"], report["matched"], report["rejected_rows"]) == (4, 2, 2, 3)
    donors = {d["full_name"]: d for d in listed(cli)}
    assert set(donors) == {"Nguyễn Thị Hòa", "Trần Văn Bình"}
    assert donors["Nguyễn Thị Hòa"]["donation_count"] == 2
    hoa = cli("donors", "find", "0381234567", "--json").json()
    assert [d["full_name"] for d in hoa] == ["Nguyễn Thị Hòa"]  # the legacy 0168 number was mapped


def test_windows_1258_file(cli, tmp_path):
    path = messy_file(tmp_path, rows=GOOD_ROWS, encoding="cp1258")
    report = cli("import", "donations", path, "--json").json()
    assert report["encoding"] == "cp1258" and report["imported"] == 4
    names = {d["full_name"] for d in listed(cli)}
    assert names == {"Nguyễn Thị Hòa", "Trần Văn Bình"}


def test_dry_run_changes_nothing(cli, sqlite_url, tmp_path):
    path = messy_file(tmp_path, rows=GOOD_ROWS)
    result = cli("import", "donations", path, "--dry-run")
    assert result.exit_code == 0 and "dry run: nothing was saved" in result.stdout
    assert db_counts(sqlite_url) == (0, 0)


def test_xlsx_with_date_and_number_cells(cli, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Họ tên", "Ngày sinh", "Số điện thoại", "CCCD", "Ngày hiến", "Thể tích"])
    sheet.append(["Hồ Thị Ngân", dt.datetime(1992, 7, 1), 912000111, 1092000111, dt.datetime(2026, 5, 1), 350])
    sheet.append(["Hồ Thị Ngân", "01/07/1992", "0912000111", "001092000111", "2026-02-01", 350])
    path = tmp_path / "ds.xlsx"
    book.save(path)
    report = cli("import", "donations", path, "--json").json()
    assert (report["imported"], report["created"], report["matched"]) == (2, 1, 1)
    [donor] = listed(cli)
    assert donor["donation_count"] == 2 and donor["born"] == "1992-07-01"


def test_import_donors_file(cli, tmp_path):
    path = tmp_path / "donors.csv"
    path.write_text("Họ và tên,Ngày sinh,Nhóm máu,SĐT\nBùi Thị Vân,02/02/1990,A-,0912000222\n", encoding="utf-8")
    report = cli("import", "donors", path, "--json").json()
    assert (report["imported"], report["created"]) == (1, 1)
    [donor] = listed(cli)
    assert donor["blood_group"] == "A-"


def test_missing_file_and_wrong_columns_are_one_line_errors(cli, tmp_path):
    missing = cli("import", "donations", tmp_path / "none.csv")
    assert missing.exit_code == 1 and "file not found" in missing.stderr
    path = tmp_path / "x.csv"
    path.write_text("Tên,Tuổi\nAn,30\n", encoding="utf-8")
    wrong = cli("import", "donations", path)
    assert wrong.exit_code == 1 and "no 'Họ và tên'" in wrong.stderr


def test_errors_csv_has_every_refusal_when_the_report_keeps_only_the_first(cli, tmp_path, monkeypatch):
    from donor_registry.importing import report as report_module

    monkeypatch.setattr(report_module, "KEPT", 2)
    bad = [f"{n},Đỗ Văn Nam,1979,Nam,AB+,0123,,,01/03/2026,,350,\n" for n in range(60)]
    path = messy_file(tmp_path, rows=GOOD_ROWS + bad)
    errors = tmp_path / "loi.csv"
    result = cli("import", "donations", path, "--skip-invalid", "--errors-csv", errors)
    assert result.exit_code == 0
    assert "… and 58 more problems; all are in" in result.stdout
    with errors.open(encoding="utf-8-sig") as saved:
        assert [int(row["line"]) for row in csv.DictReader(saved)] == list(range(6, 66))
    report = cli("import", "donations", path, "--skip-invalid", "--json").json()
    assert (report["rejected_rows"], report["more_problems"], len(report["rejected"])) == (60, 58, 2)
    assert report["repeated_rows"] == 4 and report["imported"] == 0  # the good rows, again
    assert report["rows_read"] == report["imported"] + report["repeated_rows"] + report["rejected_rows"]
