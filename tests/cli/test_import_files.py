"""Every spreadsheet a chapter has: encodings, title rows, stale workbooks, and a corpus of broken
files, each refused with one plain line and the database left as it was (SQLite and PostgreSQL)."""

import codecs
import io
import re
import subprocess
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from scripts.datagen import encode_cp1258
from tests.support.tools import missing_tool

HEADER = ["Họ và tên", "Năm sinh", "Giới tính", "Nhóm máu", "SĐT", "Xã/Phường", "Ngày hiến"]
ROWS = [
    ["Nguyễn Thị Hoà", "1990", "Nữ", "O+", "0912000001", "Xã Đông Hoà", "01/03/2026"],
    ["Trần Văn Bình", "1985", "Nam", "B+", "0912000002", "Xã Tân Lập", "02/03/2026"],
    ["Lê Thị Phương", "1992", "Nữ", "A+", "0912000003", "Xã Tân Lập", "03/03/2026"],
]
NAMES = {"Nguyễn Thị Hòa", "Trần Văn Bình", "Lê Thị Phương"}

# TCVN 5712:1993 (TCVN3, "ABC" fonts), from the standard's table (bytes 0xA1-0xFE); upper-case
# toned letters have no code of their own (the .VnTimeH fonts draw the lower-case codes as capitals).
TCVN3_BYTES = {
    "ă": 0xA8, "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE, "Đ": 0xA7,
    "à": 0xB5, "ả": 0xB6, "ã": 0xB7, "á": 0xB8, "ạ": 0xB9, "ằ": 0xBB, "ắ": 0xBE, "ặ": 0xC6,
    "ầ": 0xC7, "ấ": 0xCA, "ậ": 0xCB, "è": 0xCC, "é": 0xD0, "ề": 0xD2, "ể": 0xD3, "ễ": 0xD4,
    "ế": 0xD5, "ệ": 0xD6, "ì": 0xD7, "í": 0xDD, "ị": 0xDE, "ò": 0xDF, "ó": 0xE3, "ọ": 0xE4,
    "ồ": 0xE5, "ố": 0xE8, "ộ": 0xE9, "ờ": 0xEA, "ớ": 0xED, "ợ": 0xEE, "ù": 0xEF, "ú": 0xF3,
    "ụ": 0xF4, "ừ": 0xF5, "ứ": 0xF8, "ự": 0xF9, "ý": 0xFD, "ẳ": 0xBC, "ẵ": 0xBD, "ẩ": 0xC8, "ẫ": 0xC9,
    "ẻ": 0xCE, "ẽ": 0xCF, "ẹ": 0xD1, "ỉ": 0xD8, "ĩ": 0xDC, "ỏ": 0xE1, "õ": 0xE2, "ổ": 0xE6, "ỗ": 0xE7,
    "ở": 0xEB, "ỡ": 0xEC, "ủ": 0xF1, "ũ": 0xF2, "ử": 0xF6, "ữ": 0xF7, "ỳ": 0xFA, "ỷ": 0xFB, "ỹ": 0xFC,
    "ỵ": 0xFE,
}
# VNI-Windows: base letter + mark byte (as Windows-1252 shows them), from VNI's published table.
VNI_SPELLING = {
    "à": "aø", "á": "aù", "ạ": "aï", "ả": "aû", "ă": "aê", "â": "aâ", "ấ": "aá", "ầ": "aà", "ậ": "aä",
    "é": "eù", "è": "eø", "ê": "eâ", "ế": "eá", "ề": "eà", "ể": "eå", "ễ": "eã", "ệ": "eä",
    "í": "í", "ì": "ì", "ị": "ò", "ó": "où", "ò": "oø", "ọ": "oï", "ô": "oâ", "ố": "oá", "ồ": "oà",
    "ộ": "oä", "ơ": "ô", "ớ": "ôù", "ờ": "ôø", "ợ": "ôï", "ú": "uù", "ù": "uø", "ụ": "uï", "ư": "ö",
    "ứ": "öù", "ừ": "öø", "ự": "öï", "ý": "yù", "đ": "ñ", "Đ": "Ñ", "ã": "aõ", "ắ": "aé", "ằ": "aè",
    "ặ": "aë", "ẩ": "aå", "ẫ": "aã", "ẻ": "eû", "ẽ": "eõ", "ẹ": "eï", "ỉ": "æ", "ĩ": "ó", "ỏ": "oû",
    "õ": "oõ", "ổ": "oå", "ỗ": "oã", "ở": "ôû", "ỡ": "ôõ", "ủ": "uû", "ũ": "uõ", "ử": "öû", "ữ": "öõ",
    "ỳ": "yø", "ỷ": "yû", "ỹ": "yõ", "ỵ": "î",
}


def to_tcvn3(value: str) -> bytes:
    return b"".join(bytes([TCVN3_BYTES[c]]) if c in TCVN3_BYTES else c.encode("ascii") for c in value)


def to_vni(value: str) -> bytes:
    return "".join(VNI_SPELLING.get(c, c) for c in value).encode("cp1252")


def csv_text(header=HEADER, rows=ROWS, delimiter=",") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in [header, *rows])


def workbook(rows, *, above=()) -> Workbook:
    book = Workbook()
    sheet = book.active
    for row in [*above, HEADER, *rows]:
        sheet.append(list(row))
    return book


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def stale_dimension(data: bytes) -> bytes:
    """The workbook with its sheet's <dimension> saying A1:A1, as some exporters leave it."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:A1"/>', content)
                assert count == 1
            target.writestr(item, content)
    return out.getvalue()


@pytest.fixture
def cli(cli_both):
    """The real CLI on each database (SQLite and PostgreSQL)."""
    return cli_both


def every_row(url) -> dict[str, list]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {table.name: sorted(map(repr, conn.execute(table.select()))) for table in SQLModel.metadata.sorted_tables}
    engine.dispose()
    return found


def imported_names(url) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT full_name FROM donors")).scalars())
    engine.dispose()
    return names


# --- files that are read --------------------------------------------------------------------

READABLE = {
    "utf-8.csv": csv_text().encode("utf-8"),
    "utf-8-bom.csv": csv_text().encode("utf-8-sig"),
    # Excel's "Unicode text": UTF-16 little-endian with a BOM, tab-separated.
    "unicode-text.txt": codecs.BOM_UTF16_LE + csv_text(delimiter="\t").encode("utf-16-le"),
    "utf-16-be.csv": codecs.BOM_UTF16_BE + csv_text().encode("utf-16-be"),
    "utf-16-no-bom.csv": csv_text(delimiter="\t").encode("utf-16-le"),
    "windows-1258.csv": None,  # built below from encode_cp1258
    "semicolons.csv": csv_text(delimiter=";").encode("utf-8"),
    "title-rows.csv": ("HỘI CHỮ THẬP ĐỎ HUYỆN ĐÔNG HOÀ,,,,,,\r\nDANH SÁCH NGƯỜI HIẾN MÁU ĐỢT 1/2026,,,,,,\r\n"
                       ",,,,,,\r\n" + csv_text()).encode("utf-8"),
    "stale-dimension.xlsx": stale_dimension(saved(workbook(ROWS))),
    "workbook-named.csv": saved(workbook(ROWS)),  # an .xlsx saved with the wrong name is still read
}


def _title_rows_workbook() -> bytes:
    book = workbook(ROWS, above=[["HỘI CHỮ THẬP ĐỎ TỈNH PHÚ YÊN"], ["BAN CHỈ ĐẠO VẬN ĐỘNG HIẾN MÁU"], [],
                                 ["DANH SÁCH NGƯỜI HIẾN MÁU TÌNH NGUYỆN"], ["Ngày 01/03/2026"]])
    sheet = book.active
    for row in (1, 2, 4):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADER))
    return saved(book)


READABLE["title-rows.xlsx"] = _title_rows_workbook()


@pytest.mark.parametrize("name", sorted(READABLE))
def test_every_kind_of_file_a_chapter_has_is_read(cli, db_url, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(READABLE[name] if READABLE[name] is not None else encode_cp1258(csv_text()))
    result = cli("import", "donations", path, "--json")
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert (report["rows_read"], report["imported"], report["written"]) == (3, 3, True)
    assert imported_names(db_url) == NAMES


def test_line_numbers_count_the_title_rows(cli, tmp_path):
    path = tmp_path / "ds.xlsx"
    book = workbook([*ROWS, ["Phạm Văn Đức", "1980", "Nam", "X", "0912000004", "", "04/03/2026"]],
                    above=[["HỘI CHỮ THẬP ĐỎ"], ["DANH SÁCH"]])
    book.save(path)
    report = cli("import", "donations", path, "--json").json()
    assert [(error["line"], error["column"]) for error in report["rejected"]] == [(7, "Nhóm máu")]


def test_unknown_columns_are_listed_as_ignored(cli, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text(csv_text(header=[*HEADER, "Đơn vị", "Nghề nghiệp"], rows=[[*row, "CĐ", "GV"] for row in ROWS]),
                    encoding="utf-8")
    result = cli("import", "donations", path)
    assert result.exit_code == 0
    assert "columns not recognised (ignored): Đơn vị, Nghề nghiệp" in result.stdout
    assert cli("import", "donations", path, "--json", "--dry-run").json()["unknown_columns"] == ["Đơn vị", "Nghề nghiệp"]


def test_a_missing_required_column_names_the_columns_found(cli, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text("Tên,Năm sinh,Ngày hiến\nAn,1990,01/03/2026\n", encoding="utf-8")
    result = cli("import", "donations", path)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: the file has no 'Họ và tên' column (found: Tên, Năm sinh, Ngày hiến)"
    path.write_text("Họ tên,Năm sinh\nAn,1990\n", encoding="utf-8")
    assert cli("import", "donations", path).stderr.strip() == (
        "error: the file has no 'Ngày hiến' column (found: Họ tên, Năm sinh)")
    path.write_text("Tên,Năm sinh\nAn,1990\n", encoding="utf-8")
    assert cli("import", "donations", path).stderr.strip() == (
        "error: the file has no 'Họ và tên' and 'Ngày hiến' columns (found: Tên, Năm sinh)")


def test_names_starting_with_a_formula_character_are_text(cli, db_url, tmp_path):
    path = tmp_path / "ds.csv"
    rows = [["=Nguyễn Văn A", *ROWS[0][1:]], ["+Trần Văn B", *ROWS[1][1:]], ["@Lê Văn C", *ROWS[2][1:]]]
    path.write_text(csv_text(rows=rows), encoding="utf-8")
    assert cli("import", "donations", path, "--json").json()["imported"] == 3
    assert imported_names(db_url) == {"=Nguyễn Văn A", "+Trần Văn B", "@Lê Văn C"}


# --- files that are refused, each with one line ---------------------------------------------

def _truncated_workbook() -> bytes:
    data = saved(workbook(ROWS * 200))
    return data[: len(data) // 2]


def _zip_without_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def _headers_only_workbook() -> bytes:
    return saved(workbook([]))


def _empty_workbook() -> bytes:
    return saved(Workbook())


_UTF8_ROWS = csv_text().encode("utf-8")
# Three UTF-8 rows, then one saved by an old program in Windows-1258: "Phạm" is P h a, then the
# dot below as its own byte, 0xF2.
_MIXED = _UTF8_ROWS + encode_cp1258("Phạm Văn Đức,1980,Nam,O+,0912000004,Xã Tân Lập,04/03/2026\r\n")

REFUSED = {
    # name: (bytes, what the one line says)
    "empty.csv": (b"", "empty.csv is empty"),
    "blank-lines.csv": (b"\r\n\r\n,,,\r\n", "blank-lines.csv is empty"),
    "headers-only.csv": (csv_text(rows=[]).encode("utf-8"), "has a header row (line 1) but no rows under it"),
    "headers-only.xlsx": (_headers_only_workbook(), "has a header row (line 1) but no rows under it"),
    "empty.xlsx": (_empty_workbook(), "empty.xlsx is empty"),
    "truncated.xlsx": (_truncated_workbook(), "is not a readable .xlsx file"),
    "not-a-workbook.xlsx": (_zip_without_a_workbook(), "is not a readable .xlsx file"),
    "text-named.xlsx": (_UTF8_ROWS, "is not an Excel workbook (.xlsx) although it is named so"),
    "old-excel.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Excel (.xls) workbook"),
    "old-excel.csv": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Excel (.xls) workbook"),
    "report.pdf": (b"%PDF-1.4\n", "only .csv and .xlsx files can be imported"),
    "huge-cell.csv": (("Họ và tên,Ngày hiến\r\n\"" + "A" * 200_000 + "\",01/03/2026\r\n").encode("utf-8"),
                      "line 2: not a readable CSV row (field larger than field limit"),
    "huge-header.csv": (("\"" + "A" * 200_000 + "\"\r\n").encode("utf-8"), "not a readable CSV row"),
    "mixed.csv": (_MIXED, "line 5, byte 4 (0xF2): this byte is not UTF-8 while the rest of the file is"),
    "mixed-mostly-legacy.csv": (b"Ho va ten,Ngay hien\r\n" + "Ph\u1ea1m,01/03/2026\r\n".encode("utf-8")
                                + b"".join(b"Nguy\xea\xde n %d,01/03/2026\r\n" % i for i in range(20)),
                                "line 2, byte 3 (0xE1): this byte is UTF-8 while the rest of the file is not"),
    "undecodable.csv": (b"Ho va ten,Ngay hien\r\nAn\x81,01/03/2026\r\n",
                        "line 2, byte 3 (0x81): this byte is in neither UTF-8 nor Windows-1258"),
    "cut-utf-16.csv": ((codecs.BOM_UTF16_LE + csv_text().encode("utf-16-le"))[:-1] + b"\x00\xd8",
                       "not valid UTF-16"),
    "binary.csv": ((bytes(range(256)) + bytes(64)) * 8, "binary.csv holds binary data, not text"),
    "bytes.csv": (bytes(range(1, 256)) * 8, "line 2, byte 119 (0x81): this byte is in neither UTF-8 nor Windows-1258"),
    "nul-header.csv": (b"H\x00o va ten,Ngay hien\r\nAn,01/03/2026\r\n", "the header row holds binary data"),
    "png-named.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "png-named.csv holds binary data"),
    # two NULs only: too few to count as binary, so it is known by its first bytes
    "short-png.csv": (b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(1, 65)), "short-png.csv holds binary data"),
    "pdf-named.csv": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf-named.csv holds binary data"),
    "many-columns.csv": ((",".join(f"Cột {i}" for i in range(500)) + "\r\n1\r\n").encode(), " …)"),
    "wrong-columns.csv": ("Tên,Tuổi\r\nAn,30\r\n".encode(), "(found: Tên, Tuổi)"),
}


def _legacy_list(encode) -> bytes:
    header = "Họ và tên,Năm sinh,Giới tính,Nhóm máu,SĐT,Xã/Phường,Ngày hiến\r\n".lower()
    people = ["nguyễn thị hoà", "trần văn bình", "lê thị phương", "phạm văn đức", "hoàng thị thuý",
              "võ minh tuấn", "đặng quốc việt", "bùi thị ngọc ánh"]
    lines = "".join(f"{name},1990,nữ,o+,0912000001,xã đông hoà,01/03/2026\r\n" for name in people)
    return encode(header + lines)


REFUSED["tcvn3.csv"] = (_legacy_list(to_tcvn3), "looks like TCVN3 (ABC, .VnTime fonts)")
REFUSED["vni.csv"] = (_legacy_list(to_vni), "looks like VNI-Windows")


def test_the_tcvn3_table_agrees_with_iconv():
    try:
        done = subprocess.run(["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"], input="".join(TCVN3_BYTES).encode(),
                              capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        missing_tool("iconv with TCVN5712-1 (glibc) is not available")
    assert done.stdout == bytes(TCVN3_BYTES.values())


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_broken_file_is_one_plain_line_and_changes_nothing(cli, db_url, tmp_path, name):
    data, expected = REFUSED[name]
    path = tmp_path / name
    path.write_bytes(data)
    cli("donors", "add", "Võ Văn Tú", "--birth-year", "1970")
    before = every_row(db_url)
    for command in ("donations", "donors"):
        result = cli("import", command, path)
        assert result.exit_code == 1, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert expected in lines[0], lines[0]
        assert "Traceback" not in result.stdout + result.stderr
        assert every_row(db_url) == before


CONTROL_ROWS = {
    "nul-in-name.csv": (["Nguyễn\x00Thị Hoà", *ROWS[0][1:]], "Họ và tên", "NUL"),
    "bell-in-commune.csv": ([*ROWS[0][:5], "Xã\x07 Đông", ROWS[0][6]], "Xã/Phường", "U+0007"),
    "c1-in-phone.csv": ([*ROWS[0][:4], "0912\x85000001", *ROWS[0][5:]], "SĐT", "U+0085"),
    "escape-in-date.csv": ([*ROWS[0][:6], "01/03/2026\x1b"], "Ngày hiến", "U+001B"),
}


@pytest.mark.parametrize("name", sorted(CONTROL_ROWS))
def test_control_characters_are_refused_per_cell(cli, db_url, tmp_path, name):
    row, column, shown = CONTROL_ROWS[name]
    path = tmp_path / name
    path.write_text(csv_text(rows=[ROWS[1], row]), encoding="utf-8")
    before = every_row(db_url)
    result = cli("import", "donations", path, "--json")
    assert result.exit_code == 1
    [error] = result.json()["rejected"]
    assert (error["line"], error["column"]) == (3, column) and shown in error["reason"], error
    assert every_row(db_url) == before
    # With --skip-invalid the good row is stored, and the bad one never reaches the database.
    assert cli("import", "donations", path, "--skip-invalid", "--json").json()["imported"] == 1
    assert imported_names(db_url) == {"Trần Văn Bình"}


def _formulas_without_values() -> bytes:
    return saved(workbook([["=CONCATENATE(\"Nguyễn\",\" Văn A\")", "1990", "Nam", "O+", "0912000001", "", "=TODAY()"]]))


def _formulas_with_values() -> bytes:
    """What Excel saves: each formula with its value (<v>), which the import reads."""
    values = {"A2": ' t="str"', "G2": ""}, {"A2": "Nguyễn Văn A".encode(), "G2": b"46082"}  # 46082: 01/03/2026

    def with_value(match: re.Match) -> bytes:
        ref = match.group(1).decode()
        if ref not in values[1]:
            return match.group(0)
        return (b'<c r="%s"%s>%s<v>%s</v></c>' % (ref.encode(), values[0][ref].encode(), match.group(2),
                                                  values[1][ref]))

    source, out = zipfile.ZipFile(io.BytesIO(_formulas_without_values())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(rb'<c r="([A-Z]+2)"[^>]*>(<f>.*?</f>)<v ?/></c>', with_value, content)
                assert count == 2
            target.writestr(item, content)
    return out.getvalue()


REFUSED["formulas.xlsx"] = (_formulas_without_values(), "cell A2: a formula without its saved value")


def test_formulas_with_saved_values_are_read_as_their_values(cli, db_url, tmp_path):
    path = tmp_path / "formulas.xlsx"
    path.write_bytes(_formulas_with_values())
    report = cli("import", "donations", path, "--json").json()
    assert (report["imported"], report["rejected"]) == (1, [])
    assert imported_names(db_url) == {"Nguyễn Văn A"}


def test_a_dated_cell_from_a_csv_formula_is_text_and_refused(cli, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text(csv_text(rows=[[*ROWS[0][:6], "=TODAY()"]]), encoding="utf-8")
    [error] = cli("import", "donations", path, "--json").json()["rejected"]
    assert (error["column"], error["reason"]) == (
        "Ngày hiến", "'=TODAY()' is not a donation date; write it as 31/12/2025 or 2025-12-31")
