"""The files the commands write, in Vietnamese and in English (`--lang`), checked word by word.

Each export is made from the same records in both languages; the expected words (a title, a
heading, an enum label, a dd/mm/yyyy date) are written out by hand.
"""

import csv
import datetime as dt

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

WORDS = {  # language -> what a person reads in the files (hand-written)
    "vi": {
        "summary": "Tổng hợp 2026", "report": "Báo cáo năm 2026", "made on": "Ngày lập",
        "units received": "Đơn vị máu tiếp nhận", "by type": "Theo loại", "type heading": ("Loại", "Số đơn vị máu"),
        "whole blood": "máu toàn phần", "tier": "5 lần", "honoured by tier": "Tôn vinh theo mốc",
        "proposed": "Danh sách đề nghị tôn vinh tính đến 01/06/2026", "held": "Ngày 20/05/2026",
        "list sheet": "Danh sách tôn vinh", "level": "cấp xã", "name heading": "Họ và tên", "sex": "Nữ", "group": "Mức 5 lần (1 người)",
        "event": "Hiến máu: Nhà văn hóa xã Tân Lập", "calendar": "Hiến máu – Hội Chữ thập đỏ",
        "event lines": ["Ngày: 11/01/2026, 07:00–11:30", "Trạng thái: đã kết thúc", "Đợt vận động: Chủ nhật Đỏ"],
    },
    "en": {
        "summary": "Summary 2026", "report": "Annual report 2026", "made on": "Made on",
        "units received": "Units received", "by type": "By type", "type heading": ("Type", "Units"),
        "whole blood": "whole blood", "tier": "5 donations", "honoured by tier": "Honoured by tier",
        "proposed": "Donors proposed for honours as of 01/06/2026", "held": "Held on 20/05/2026",
        "list sheet": "Honours list", "level": "commune", "name heading": "Full name", "sex": "Female", "group": "5 donations (1 donors)",
        "event": "Blood drive: Nhà văn hóa xã Tân Lập", "calendar": "Blood drives – Hội Chữ thập đỏ",
        "event lines": ["Date: 11/01/2026, 07:00–11:30", "Status: closed", "Campaign: Chủ nhật Đỏ"],
    },
}


def _year(cli) -> int:
    """A campaign with a closed drive, a donor reaching 5 donations there, and a ceremony."""
    def ok(*args):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        return result

    ok("campaigns", "add", "Chủ nhật Đỏ", "--start", "2026-01-01", "--end", "2026-02-28")
    ok("drives", "add", "--date", "2026-01-11", "--venue", "Nhà văn hóa xã Tân Lập", "--campaign", "1")
    donor = ok("donors", "add", "Bùi Thị Hạ", "--sex", "female", "--born", "1990-04-07", "--json").json()["id"]
    for day in ("2025-01-05", "2025-04-05", "2025-07-05", "2025-10-05"):
        ok("donations", "record", donor, "--date", day)
    ok("donations", "record", donor, "--date", "2026-01-11", "--drive", "1")
    ok("drives", "close", "1")
    return donor


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_annual_report_workbook(cli, tmp_path, lang):
    words = WORDS[lang]
    _year(cli)
    assert cli("honours", "ceremony", "create", "Tôn vinh", "--date", "2026-05-20", "--level", "commune").exit_code == 0
    assert cli("honours", "award", "1").exit_code == 0
    out = tmp_path / "report.xlsx"
    assert cli("--lang", lang, "report", "annual", 2026, "--format", "xlsx", "--out", out).exit_code == 0
    book = load_workbook(out)
    summary = book[words["summary"]]
    assert summary["A1"].value == words["report"]
    assert (summary["A2"].value, summary["B2"].value) == (words["made on"], dt.datetime(2026, 6, 1))
    assert summary["B2"].number_format == "dd/mm/yyyy"
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=4, values_only=True)}
    assert figures[words["units received"]] == 1
    by_type = list(book[words["by type"]].iter_rows(values_only=True))
    assert by_type[1:] == [words["type heading"], (words["whole blood"], 1)]
    assert list(book[words["honoured by tier"]].iter_rows(values_only=True))[2] == (words["tier"], 1)
    text = cli("--lang", lang, "report", "annual", 2026).stdout
    assert text.startswith(words["report"]) and f"  {words['whole blood']}: 1" in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_candidate_and_ceremony_lists(cli, tmp_path, lang):
    words = WORDS[lang]
    _year(cli)
    proposed = tmp_path / "candidates.xlsx"
    assert cli("--lang", lang, "honours", "candidates", "--export", proposed).exit_code == 0
    sheet = load_workbook(proposed).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == words["list sheet"]
    assert [row[0] for row in rows[:2]] == ["Hội Chữ thập đỏ", words["proposed"]]
    headings = next(row for row in rows if row[0] and row[1] == words["name heading"])
    assert rows[rows.index(headings) + 1][0] == words["group"]
    line = rows[rows.index(headings) + 2]
    assert (line[1], line[3], line[7]) == ("Bùi Thị Hạ", words["sex"], words["tier"])

    assert cli("honours", "ceremony", "create", "Tôn vinh 20/5", "--date", "2026-05-20", "--level", "commune").exit_code == 0
    assert cli("honours", "award", "1").exit_code == 0
    held = tmp_path / "ceremony.csv"
    assert cli("--lang", lang, "honours", "export", "1", "--out", held).exit_code == 0
    table = list(csv.reader(held.read_text(encoding="utf-8-sig").splitlines()))
    assert table[0][1] == words["name heading"] and table[1][3] == words["sex"] and table[1][7] == words["tier"]
    titled = tmp_path / "ceremony.xlsx"
    assert cli("--lang", lang, "honours", "export", "1", "--out", titled).exit_code == 0
    titles = [row[0] for row in load_workbook(titled).active.iter_rows(max_row=3, values_only=True)]
    assert titles == ["Hội Chữ thập đỏ", "Tôn vinh 20/5", words["held"]]
    assert words["level"] in cli("--lang", lang, "honours", "ceremony", "list").stdout


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_drive_calendar(cli, tmp_path, lang):
    words = WORDS[lang]
    _year(cli)
    ics = tmp_path / "drives.ics"
    assert cli("--lang", lang, "drives", "export", "--ics", ics).exit_code == 0
    calendar = Calendar.from_ical(ics.read_bytes())
    assert str(calendar["x-wr-calname"]) == words["calendar"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == words["event"]
    assert str(event["description"]).splitlines()[1:4] == words["event lines"]
