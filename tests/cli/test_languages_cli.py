"""The same commands in Vietnamese (the default) and in English, checked word by word."""

import pytest

WORDS = {  # language -> what a person reads there (hand-written)
    "vi": {"usage": "Cách dùng:", "about": "Quản lý người hiến máu", "options": "Tuỳ chọn",
           "registered": "đã đăng ký người hiến #1: Trần Thị Thúy", "sex": ("giới tính", "nữ"),
           "type": "gạn tách tiểu cầu", "date": "01/05/2026", "error": "lỗi: ",
           "weight": "lỗi: Cân nặng (kg): phải nhỏ hơn 300", "bad sex": "'đàn ông' không phải một trong: nam, nữ, không rõ",
           "sex help": "nam, nữ hoặc", "history": "Lịch sử hiến",
           "sex default": "[mặc định: không rõ]", "year type": "--birth-year <số>",
           "sex type": "--sex <nam|nữ|không"},
    "en": {"usage": "Usage:", "about": "Blood donor registry", "options": "Options",
           "registered": "registered donor #1: Trần Thị Thúy", "sex": ("sex", "female"),
           "type": "platelet apheresis", "date": "01/05/2026", "error": "error: ",
           "weight": "error: Weight (kg): must be less than 300", "bad sex": "'đàn ông' is not one of: male, female, unknown",
           "sex help": "male, female or", "history": "History",
           "sex default": "[default: unknown]", "year type": "--birth-year <number>",
           "sex type": "--sex <male|female|unkn"},
}


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_help_in_each_language(cli, lang):
    expected = WORDS[lang]
    top = _flat(cli("--lang", lang, "--help").stdout)
    assert expected["usage"] in top and expected["about"] in top and expected["options"] in top
    add = _flat(cli("--lang", lang, "donors", "add", "--help").stdout)
    assert expected["sex help"] in add
    # types and defaults read as words, never as Python's names or the values scripts send
    assert expected["sex default"] in add and expected["year type"] in add
    assert expected["sex type"] in add
    assert "<str>" not in add and "<int>" not in add and "<bool>" not in add


def test_the_environment_and_the_default_choose_the_language(cli, monkeypatch):
    monkeypatch.delenv("DONOR_REGISTRY_LANG")
    assert "Cách dùng:" in cli("--help").stdout  # general.language = "vi"
    monkeypatch.setenv("DONOR_REGISTRY_LANG", "en")
    assert "Usage:" in cli("--help").stdout
    refused = cli("--lang", "fr", "--help")
    assert refused.exit_code == 2 and "fr" in refused.stderr


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_register_show_and_refuse_in_each_language(cli, lang):
    expected = WORDS[lang]
    added = cli("--lang", lang, "donors", "add", "Trần Thị Thúy", "--sex", "nữ", "--birth-year", "1990")
    assert added.exit_code == 0 and expected["registered"] in added.stdout
    recorded = cli("--lang", lang, "donations", "record", "1", "--type", "gạn tách tiểu cầu", "--date", "01/05/2026")
    assert recorded.exit_code == 0, recorded.stderr
    shown = cli("--lang", lang, "donors", "show", "1").stdout
    label, value = expected["sex"]
    assert any(" ".join(line.split()) == f"{label} {value}" for line in shown.splitlines()), shown
    assert expected["type"] in shown and expected["date"] in shown and expected["history"] in shown
    again = cli("--lang", lang, "donations", "record", "1", "--type", "platelets", "--date", "02/05/2026")
    assert again.exit_code == 1 and again.stderr.startswith(expected["error"])
    heavy = cli("--lang", lang, "donors", "update", "1", "--weight", "5000")
    assert heavy.exit_code == 1 and heavy.stderr.strip() == expected["weight"]
    bad = cli("--lang", lang, "donors", "add", "X", "--sex", "đàn ông")
    assert bad.exit_code == 2 and expected["bad sex"] in _flat(bad.stderr)


def test_json_keeps_english_keys_and_codes(cli):
    cli("donors", "add", "Trần Thị Thúy", "--sex", "nữ", "--birth-year", "1990")
    shown = cli("--lang", "vi", "donors", "show", "1", "--json").json()
    assert shown["sex"] == "female" and "full_name" in shown


IMPORT_WORDS = {  # language -> (report lines, a refusal reason, verdict, errors-CSV header), hand-written
    "vi": (("dòng đã đọc", "dòng bị từ chối", "người hiến mới tạo"),
           "'x' không phải giới tính; hãy ghi Nam hoặc Nữ",
           "chưa lưu gì: hãy sửa các dòng bị từ chối", "dòng,cột,lý do"),
    "en": (("rows read", "rows refused", "donors created"),
           "'x' is not a sex; write Nam or Nữ",
           "nothing was saved: fix the refused rows", "line,column,reason"),
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_import_report_and_errors_csv_in_each_language(cli, lang, tmp_path):
    lines, reason, verdict, header = IMPORT_WORDS[lang]
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên,Giới tính,Ngày hiến\nTrần Thị Thúy,Nữ,01/05/2026\nLê Văn Hùng,x,01/05/2026\n",
                    encoding="utf-8")
    errors = tmp_path / "errors.csv"
    result = cli("--lang", lang, "import", "donations", str(path), "--errors-csv", str(errors))
    assert result.exit_code == 1
    shown = _flat(result.stdout)
    assert all(line in shown for line in lines), shown
    assert reason in shown and verdict in shown
    written = errors.read_text(encoding="utf-8-sig").splitlines()
    assert written[0] == header and reason in written[1] and written[1].startswith("3,")


@pytest.mark.parametrize(("lang", "status"), [("vi", "đang chờ"), ("en", "queued")])
def test_outbox_shows_vietnam_time_and_status_labels(cli, sqlite_url, lang, status):
    from tests.cli.test_sms_cli import queue_two  # two messages queued at 03:00 UTC on 01/06/2026

    queue_two(sqlite_url)
    shown = _flat(cli("--lang", lang, "sms", "outbox", "list").stdout)
    assert "01/06/2026 10:00" in shown and "03:00" not in shown  # 10:00 in Hanoi, not UTC
    assert status in shown
    assert cli("sms", "outbox", "list", "--json").json()[0]["status"] == "queued"


@pytest.mark.parametrize("lang, number", [("vi", "<số>"), ("en", "<number>")])
def test_a_bounded_number_reads_as_a_number_too(cli, lang, number):
    shown = _flat(cli("--lang", lang, "drives", "add", "--help").stdout)
    assert "int range" not in shown and f"--capacity {number} [x>=0]" in shown
