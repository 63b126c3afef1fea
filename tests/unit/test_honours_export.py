"""Ceremony lists: Vietnamese order, grouping, XLSX / CSV / PDF files, no phone or ID."""

import csv
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from donor_registry.donors.models import Donor
from donor_registry.honours import export
from donor_registry.i18n import use_language
from donor_registry.types import ABO, Rh, Sex
from tests.support.tools import missing_tool

# Given names in Vietnamese order: a ă â, d đ, letters before tones, tones none huyền hỏi ngã sắc nặng.
VIETNAMESE_ORDER = [
    "Lê Thị Anh", "Trần Văn Anh", "Phạm Ánh", "Ngô Văn Ăn", "Vũ Ân",
    "Hồ Dung", "Lý Dũng", "Mai Duy", "Đỗ Đức",
    "Bùi Ha", "Bùi Hà", "Bùi Hả", "Bùi Hã", "Bùi Há", "Bùi Hạ",
]
SECRET_PHONE, SECRET_ID = "+84912345678", "001085000123"
HEADERS_VI = ("STT", "Họ và tên", "Năm sinh", "Giới tính", "Nhóm máu", "Địa chỉ", "Số lần hiến", "Mức tôn vinh")
HEADERS_EN = ("No.", "Full name", "Birth year", "Sex", "Blood group", "Address", "Donations", "Honour")


def person(name: str, *, district: str | None = "Huyện Đan Phượng") -> Donor:
    return Donor(
        full_name=name, birth_year=1990, sex=Sex.female, abo=ABO.O, rh=Rh.positive,
        phone_e164=SECRET_PHONE, national_id=SECRET_ID, address="Số 5 ngõ 12", commune="Xã Tân Lập",
        district=district, province="Hà Nội", name_folded="x",
    )


def ceremony_list(names, *, tier=5, by_district=False, **kwargs):
    entries = [export.entry(person(name, **kwargs), donation_count=tier + 1, tier=tier) for name in names]
    return export.build_list(entries, title_lines=["Hội Chữ thập đỏ", "Tôn vinh 2026"], by_district=by_district)


def test_python_sorted_gets_these_names_wrong_and_the_list_gets_them_right():
    shuffled = list(reversed(VIETNAMESE_ORDER))
    given = [name.split()[-1] for name in VIETNAMESE_ORDER]
    assert sorted(given) != given
    assert [e.full_name for e in ceremony_list(shuffled).entries] == VIETNAMESE_ORDER


def test_groups_by_tier_highest_first_and_optionally_by_district():
    entries = [
        export.entry(person("Bùi Hạ"), donation_count=11, tier=10),
        export.entry(person("Bùi Ha", district="Huyện Ba Vì"), donation_count=5, tier=5),
        export.entry(person("Bùi Hà"), donation_count=6, tier=5),
        export.entry(person("Bùi Há", district=None), donation_count=7, tier=5),
    ]
    by_tier = export.build_list(entries, title_lines=[])
    assert [(g.title, [e.full_name for e in g.entries]) for g in by_tier.groups] == [
        ("Mức 10 lần (1 người)", ["Bùi Hạ"]),
        ("Mức 5 lần (3 người)", ["Bùi Ha", "Bùi Hà", "Bùi Há"]),
    ]
    by_district = export.build_list(entries, title_lines=[], by_district=True)
    assert [g.title for g in by_district.groups] == [
        "Huyện Ba Vì — Mức 5 lần (1 người)",
        "Huyện Đan Phượng — Mức 10 lần (1 người)",
        "Huyện Đan Phượng — Mức 5 lần (1 người)",
        "Chưa rõ huyện — Mức 5 lần (1 người)",
    ]


def test_csv_has_a_bom_the_headers_and_the_order(tmp_path):
    path = tmp_path / "list.csv"
    assert export.write(ceremony_list(reversed(VIETNAMESE_ORDER)), path, export.ExportFormat.csv) == 15
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert SECRET_PHONE.encode() not in raw and SECRET_ID.encode() not in raw
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == HEADERS_VI
    assert [row[1] for row in rows[1:]] == VIETNAMESE_ORDER
    assert rows[1] == ["1", "Lê Thị Anh", "1990", "Nữ", "O+", "Số 5 ngõ 12, Xã Tân Lập, Huyện Đan Phượng, Hà Nội",
                       "6", "5 lần"]


def test_xlsx_reads_back_with_headers_groups_and_order(tmp_path):
    path = tmp_path / "list.xlsx"
    export.write(ceremony_list(reversed(VIETNAMESE_ORDER)), path, export.ExportFormat.xlsx)
    sheet = load_workbook(path).active
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    header_at = values.index(HEADERS_VI)
    assert load_workbook(path).active.title == "Danh sách tôn vinh"
    assert values[0][0] == "Hội Chữ thập đỏ"
    assert values[header_at + 1][0] == "Mức 5 lần (15 người)"
    data = values[header_at + 2:]
    assert [row[1] for row in data] == VIETNAMESE_ORDER
    assert [row[0] for row in data] == list(range(1, 16))
    flat = repr(values)
    assert SECRET_PHONE not in flat and SECRET_ID not in flat


def test_pdf_is_written_with_embedded_fonts_and_renders(tmp_path):
    path = tmp_path / "list.pdf"
    export.write(ceremony_list(VIETNAMESE_ORDER * 4), path, export.ExportFormat.pdf)
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF") and b"DejaVu" in raw
    if shutil.which("pdftoppm") is None:
        missing_tool("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    assert list(tmp_path.glob("page*.png"))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for name in ("Ngô Văn Ăn", "Đỗ Đức", "Bùi Hả", "Bùi Hã", "Bùi Hạ", "Họ và tên", "Mức tôn vinh"):
        assert name in text
    assert SECRET_PHONE not in text and SECRET_ID not in text


def test_pdf_without_the_font_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "FONT_REGULAR", tmp_path / "missing.ttf")
    with pytest.raises(export.UserError, match="fonts-dejavu-core"):
        export.write(ceremony_list(["Bùi Hà"]), tmp_path / "x.pdf", export.ExportFormat.pdf)


def test_the_list_in_english(tmp_path):
    """The same list with --lang en: headings, group titles, sex and tier in English."""
    with use_language("en"):
        made = ceremony_list(["Bùi Hà", "Lê Thị Anh"], by_district=True, district=None)
        for fmt in export.ExportFormat:
            export.write(made, tmp_path / f"list.{fmt.value}", fmt)
    assert [g.title for g in made.groups] == ["District unknown — 5 donations (2 donors)"]
    rows = list(csv.reader((tmp_path / "list.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert tuple(rows[0]) == HEADERS_EN
    assert rows[1][3:] == ["Female", "O+", "Số 5 ngõ 12, Xã Tân Lập, Hà Nội", "6", "5 donations"]
    book = load_workbook(tmp_path / "list.xlsx")
    values = [tuple(row) for row in book.active.iter_rows(values_only=True)]
    assert book.active.title == "Honours list" and HEADERS_EN in values
    assert values[values.index(HEADERS_EN) + 1][0] == "District unknown — 5 donations (2 donors)"
    if shutil.which("pdftotext") is None:
        missing_tool("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", str(tmp_path / "list.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Full name" in text and "5 donations (2 donors)" in text and "Page 1/1" in text
    assert "Họ và tên" not in text


def test_an_empty_list_says_so_in_each_language(tmp_path):
    empty = export.build_list([], title_lines=["Tôn vinh"])
    export.write(empty, tmp_path / "vi.pdf", export.ExportFormat.pdf)
    with use_language("en"):
        export.write(empty, tmp_path / "en.pdf", export.ExportFormat.pdf)
    if shutil.which("pdftotext") is None:
        missing_tool("pdftotext (poppler-utils) is not installed")
    read = lambda name: subprocess.run(["pdftotext", str(tmp_path / name), "-"], capture_output=True, text=True,
                                       check=True).stdout
    assert "Không có người nào trong danh sách." in read("vi.pdf") and "Trang 1/1" in read("vi.pdf")
    assert "Nobody is on the list." in read("en.pdf")
