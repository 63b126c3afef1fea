"""Privacy from the command line: masking, audited full views and exports, consent per purpose,
a donor's own data, erasure, the processing records, 0600 files."""

import datetime as dt
import getpass
import json
import os
import stat

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from donor_registry.db import make_engine, session_scope
from donor_registry.sms.outbox import enqueue
from tests.support.sms import make_donor

PHONE, NATIONAL_ID = "+84912345678", "001190012345"
ACTOR = f"cli:{getpass.getuser()}"


@pytest.fixture(autouse=True)
def _usual_umask():
    """Files would be 0644 under the usual umask unless the code makes them 0600."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def add(cli, name, *args):
    result = cli("donors", "add", name, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def two_with_one_phone(cli):
    first = add(cli, "Nguyễn Thị Hoà", "--phone", "0912 345 678", "--national-id", NATIONAL_ID, "--born", "1990-03-15",
                "--consent", "paper", "--group", "O+")
    second = add(cli, "Nguyễn T. Hoà", "--phone", "0912345678", "--born", "1990-03-15")
    return first, second


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def audit_rows(cli) -> list[dict]:
    result = cli("audit", "list", "--json", "--limit", "1000")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_duplicates_table_and_json_mask_phones(cli):
    two_with_one_phone(cli)
    for args in (("donors", "duplicates"), ("donors", "duplicates", "--json")):
        out = cli(*args).stdout
        assert "same phone +84 91x xxx 678" in out
        assert "912345678" not in out.replace(" ", "") and NATIONAL_ID not in out, args


def test_add_and_update_print_masked_values_and_show_is_the_audited_full_view(cli):
    first, _ = two_with_one_phone(cli)
    assert cli("donors", "add", "Lê Văn An", "--phone", "0987654321", "--json").json()["phone"] == "+84 98x xxx 321"
    updated = cli("donors", "update", str(first), "--phone", "0987000111", "--json").json()
    assert updated["phone"] == "+84 98x xxx 111" and updated["national_id"] == "*********345"
    assert [r for r in audit_rows(cli) if r["action"] == "donor.show"] == []
    shown = cli("donors", "show", str(first), "--json").json()
    assert (shown["phone"], shown["national_id"]) == ("+84987000111", NATIONAL_ID)
    [row] = [r for r in audit_rows(cli) if r["action"] == "donor.show"]
    assert (row["actor"], row["subject_type"], row["subject_id"]) == (ACTOR, "donor", first)
    assert row["at"] == "2026-06-01T03:00:00+00:00"


def test_every_show_export_merge_update_consent_change_and_erasure_is_in_the_audit_list(cli, tmp_path):
    first, second = two_with_one_phone(cli)
    steps = [
        (("donors", "show", first), "donor.show"),
        (("donors", "update", first, "--address", "12 Lý Thường Kiệt"), "donor.update"),
        (("donors", "merge", first, second), "donor.merge"),
        (("donors", "consent", first, "health_data", "--channel", "paper"), "consent.give"),
        (("donors", "consent", first, "health_data", "--withdraw"), "consent.withdraw"),
        (("donors", "update", first, "--withdraw-consent"), "consent.withdraw"),
        (("donors", "update", first, "--consent", "verbal"), "consent.give"),
        (("donors", "export-data", first, "--out", tmp_path / "request"), "donor.export_data"),
        (("report", "annual", "2026", "--format", "xlsx", "--out", tmp_path / "r.xlsx"), "report.export"),
        (("report", "annual", "2026", "--format", "json", "--out", tmp_path / "r.json"), "report.export"),
        (("donors", "erase", first, "--yes"), "donor.erase"),
    ]
    for args, action in steps:
        before = len(audit_rows(cli))
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        new = audit_rows(cli)[: len(audit_rows(cli)) - before]
        assert action in [r["action"] for r in new], (args, new)
        assert all(r["actor"] == ACTOR for r in new)
    rows = audit_rows(cli)
    by_action = {}
    for r in rows:
        by_action.setdefault(r["action"], []).append(r)
    assert by_action["donor.update"][0]["detail"] == {"fields": ["address"]}
    assert by_action["donor.merge"][0]["detail"]["merged_id"] == second
    assert {r["detail"]["purpose"] for r in by_action["consent.give"]} == {"health_data", "contact_sms"}
    assert [r["subject_id"] for r in by_action["donor.erase"]] == [first]
    # The trail names the data it touched, never the values.
    assert "912345678" not in json.dumps(rows) and NATIONAL_ID not in json.dumps(rows)


def test_export_data_writes_json_and_a_readable_workbook_owner_only(cli, tmp_path):
    first, _ = two_with_one_phone(cli)
    cli("donations", "record", first, "--date", "2026-03-01", "--volume", "350", "--certificate", "HN-00017")
    result = cli("donors", "export-data", first, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    json_path, xlsx_path = tmp_path / "out" / f"donor-{first}.json", tmp_path / "out" / f"donor-{first}.xlsx"
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert (data["donor"]["full_name"], data["donor"]["phone_e164"]) == ("Nguyễn Thị Hòa", PHONE)
    assert [d["certificate_no"] for d in data["donations"]] == ["HN-00017"]
    assert data["consent_now"]["contact_sms"]["state"] == "given"
    assert data["consent_now"]["health_data"]["state"] == "not asked"
    book = load_workbook(xlsx_path)
    record = {row[0]: row[1] for row in book["Donor"].iter_rows(values_only=True)}
    assert record["National ID (CCCD)"] == NATIONAL_ID
    sheet = book["Donations"]
    headers = [c.value for c in sheet[1]]
    assert [c.value for c in sheet[2]][headers.index("Certificate number")] == "HN-00017"
    assert (mode(json_path), mode(xlsx_path)) == (0o600, 0o600)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_workbook_reads_in_the_language_and_the_json_keeps_codes(cli, tmp_path, lang):
    donor = add(cli, "Trần Thị Thúy", "--sex", "female", "--born", "07/04/1990", "--group", "O+", "--consent", "paper")
    cli("donations", "record", donor, "--date", "05/01/2026", "--volume", "350")
    assert cli("--lang", lang, "donors", "export-data", donor, "--out", tmp_path).exit_code == 0
    words = {
        "vi": {"sheets": ["Người hiến máu", "Đồng ý hiện tại", "Lịch sử đồng ý", "Các lần hiến máu"],
               "born": "Ngày sinh", "sex": ("Giới tính", "nữ"), "type": ("Loại hiến", "máu toàn phần"),
               "state": "đã đồng ý", "purpose": "liên hệ qua SMS"},
        "en": {"sheets": ["Donor", "Consent now", "Consents", "Donations"],
               "born": "Date of birth", "sex": ("Sex", "female"), "type": ("Donation type", "whole blood"),
               "state": "given", "purpose": "contact by SMS"},
    }[lang]
    book = load_workbook(tmp_path / f"donor-{donor}.xlsx")
    assert book.sheetnames[:4] == words["sheets"]
    record = {row[0].value: row[1] for row in book.worksheets[0].iter_rows(min_row=2)}
    assert record[words["born"]].value == dt.datetime(1990, 4, 7)
    assert record[words["born"]].number_format == "dd/mm/yyyy"
    assert record[words["sex"][0]].value == words["sex"][1]
    donations = list(book.worksheets[3].iter_rows(values_only=True))
    assert donations[1][donations[0].index(words["type"][0])] == words["type"][1]
    consent_now = list(book.worksheets[1].iter_rows(values_only=True))
    assert consent_now[1][:2] == (words["purpose"], words["state"])
    data = json.loads((tmp_path / f"donor-{donor}.json").read_text(encoding="utf-8"))
    assert (data["donor"]["sex"], data["donations"][0]["type"]) == ("female", "whole_blood")


def test_a_formula_like_value_stays_text_in_the_workbook(cli, tmp_path):
    donor = add(cli, "Phạm Văn Nam", "--notes", "=HYPERLINK(\"http://x\")")
    cli("donors", "export-data", donor, "--out", tmp_path)
    cell = [c for c in load_workbook(tmp_path / f"donor-{donor}.xlsx")["Donor"]["B"] if c.row and
            isinstance(c.value, str) and c.value.startswith("=")]
    assert [c.data_type for c in cell] == ["s"]


def test_erase_needs_yes_and_then_show_find_and_sms_know_nothing(cli, sqlite_url):
    first, _ = two_with_one_phone(cli)
    refused = cli("donors", "erase", first)
    assert refused.exit_code == 1 and "run again with --yes" in refused.stderr
    assert cli("donors", "erase", first, "--yes").exit_code == 0
    shown = cli("donors", "show", first, "--json").json()
    assert (shown["full_name"], shown["phone"], shown["national_id"]) == ("[erased]", None, None)
    assert [d["full_name"] for d in cli("donors", "find", "nguyen hoa", "--json").json()] == ["Nguyễn T. Hòa"]
    assert [d["full_name"] for d in cli("donors", "list", "--json").json()["donors"]] == ["Nguyễn T. Hòa"]
    again = cli("donors", "update", first, "--phone", "0912345678")
    assert again.exit_code == 1 and f"donor #{first} was erased on 01/06/2026" in again.stderr
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT full_name, phone_e164, national_id, date_of_birth FROM donors WHERE id = :i"),
                           {"i": first}).one()
    engine.dispose()
    assert tuple(row) == ("[erased]", None, None, None)


def test_consent_needs_a_channel_or_withdraw(cli):
    donor = add(cli, "Phạm Văn Nam")
    neither = cli("donors", "consent", donor, "health_data")
    assert neither.exit_code == 1 and "give --channel" in neither.stderr
    given = cli("donors", "consent", donor, "health_data", "--channel", "web", "--json").json()
    assert given["health_data"]["state"] == "given" and given["contact_sms"]["state"] == "not asked"
    page = cli("donors", "show", donor).stdout
    assert "consent to health data" in page and "given 01/06/2026 (web page)" in page


def test_privacy_report_text_json_and_owner_only_file(cli, tmp_path):
    first, _ = two_with_one_phone(cli)
    cli("donors", "export-data", first, "--out", tmp_path)
    records = cli("privacy", "report", "--json").json()
    assert records["counts"]["data_exports_to_donors"] == 1
    assert records["counts"]["consents"]["contact_sms"]["in_force"] == 1
    page = cli("privacy", "report").stdout
    assert "DRAFT" in page and "Retention" in page
    out = tmp_path / "records.txt"
    assert cli("privacy", "report", "--out", out).exit_code == 0
    assert mode(out) == 0o600 and "Processors" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "json", "xlsx"])
def test_report_exports_are_owner_only_even_over_an_old_file(cli, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    out.write_text("old")
    out.chmod(0o644)
    assert cli("report", "annual", "2026", "--format", fmt, "--out", out).exit_code == 0
    assert mode(out) == 0o600


def test_import_errors_csv_is_owner_only(cli, tmp_path):
    path = tmp_path / "donors.csv"
    path.write_text("Họ và tên,SĐT\nBùi Thị Vân,0123\n", encoding="utf-8")
    errors = tmp_path / "errors.csv"
    cli("import", "donors", path, "--errors-csv", errors)
    assert errors.exists() and mode(errors) == 0o600


def test_import_consent_column_writes_the_contact_sms_purpose(cli, tmp_path, sqlite_url):
    known = add(cli, "Bùi Thị Vân", "--phone", "0912000222", "--born", "1990-02-02")
    path = tmp_path / "donors.csv"
    path.write_text("Họ và tên,Ngày sinh,SĐT,Đồng ý nhận tin\nBùi Thị Vân,02/02/1990,0912000222,Có\n"
                    "Lê Văn Tâm,03/03/1991,0912000333,x\nĐỗ Thị Lan,04/04/1992,0912000444,\n", encoding="utf-8")
    report = cli("import", "donors", path, "--json")
    assert report.exit_code == 0, report.stderr
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT d.full_name, c.purpose, c.channel FROM donor_consents c"
                                 " JOIN donors d ON d.id = c.donor_id ORDER BY d.id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("Bùi Thị Vân", "contact_sms", "import"),
                                        ("Lê Văn Tâm", "contact_sms", "import")]
    shown = cli("donors", "show", known, "--json").json()
    assert shown["consents"]["contact_sms"]["channel"] == "import"


def test_outbox_errors_are_shown_masked_even_when_stored_in_full(cli, sqlite_url):
    now = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        donor = make_donor(session, now, 1)
        message = enqueue(session=session, now=now, donor_id=donor.id, to=donor.phone_e164, kind="thank_you",
                          body="Cam on", idempotency_key="k")
        message.error_message = f"Invalid 'To' Phone Number: {donor.phone_e164}"  # as written before masking
        session.add(message)
    engine.dispose()
    for args in (("sms", "outbox", "list", "--json"), ("sms", "outbox", "list")):
        out = cli(*args).stdout
        assert "+84 91x xxx 001" in out and "912000001" not in out.replace(" ", ""), args


def test_a_taken_national_id_is_named_masked_in_the_error(cli):
    first, _ = two_with_one_phone(cli)
    taken = cli("donors", "add", "Trần Văn Bình", "--national-id", NATIONAL_ID)
    assert taken.exit_code == 1 and NATIONAL_ID not in taken.stderr
    assert f"national ID *********345 is already registered to donor #{first}" in taken.stderr


def test_db_upgrade_makes_an_older_world_readable_database_owner_only(cli, sqlite_url):
    path = sqlite_url.removeprefix("sqlite:///")
    os.chmod(path, 0o644)
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "readable by its owner only" in result.stdout
    assert mode(path) == 0o600
    assert "readable by its owner only" not in cli("db", "upgrade").stdout
