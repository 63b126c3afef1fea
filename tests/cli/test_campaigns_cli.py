"""The campaigns and drives commands end to end on SQLite (clock pinned to 2026-06-01)."""

import datetime as dt

from icalendar import Calendar


def test_tet_prints_published_dates(cli):
    assert cli("campaigns", "tet", "2026", "--json").json()["tet"] == "2026-02-17"
    assert "06/02/2027" in cli("campaigns", "tet", "2027").stdout


def test_plan_dry_run_then_plan_then_replan(cli):
    dry = cli("campaigns", "plan", "2027", "--dry-run", "--json").json()
    assert dry["dry_run"] and {c["action"] for c in dry["campaigns"]} == {"create"}
    assert cli("campaigns", "list", "--json").json() == []
    shown = cli("campaigns", "plan", "2027")
    assert shown.exit_code == 0 and "Chủ nhật Đỏ" in shown.stdout and "created 6" in shown.stdout
    again = cli("campaigns", "plan", "2027", "--json").json()
    assert {c["action"] for c in again["campaigns"]} == {"already planned"}
    assert len(cli("campaigns", "list", "--year", "2027", "--json").json()) == 6


def test_drive_lifecycle(cli, tmp_path):
    campaign = cli("campaigns", "add", "Khu công nghiệp Quang Minh", "--start", "01/05/2026", "--end", "31/07/2026",
                   "--target-units", "200", "--json").json()
    added = cli("drives", "add", "--campaign", campaign["id"], "--date", "30/05/2026", "--start", "7h",
                "--end", "11:30", "--venue", "Nhà văn hóa xã Tân Lập", "--commune", "Xã Tân Lập",
                "--district", "Huyện Đan Phượng", "--capacity", "120", "--target-units", "100", "--json").json()
    # Xã Tân Lập of old Đan Phượng was split: kept as entered, with a warning naming the new communes.
    assert (added["start"], [w["kind"] for w in added["warnings"]]) == ("07:00", ["place_unresolved"])
    clash = cli("drives", "add", "--date", "2026-05-30", "--venue", "nhà văn hoá xã tân lập")
    assert clash.exit_code == 0 and "warning:" in clash.stderr and f"drive #{added['id']}" in clash.stderr

    donor = cli("donors", "add", "Trần Thị Hoà", "--born", "1990-03-04", "--sex", "female", "--group", "O+",
                "--weight", "50", "--commune", "Xã Tân Lập", "--district", "Huyện Đan Phượng", "--json").json()
    shown = cli("drives", "show", added["id"], "--json").json()
    assert shown["expected_turnout"]["by_group"]["O+"] == 1 and shown["campaign_name"] == "Khu công nghiệp Quang Minh"

    late = cli("donations", "record", donor["id"], "--drive", added["id"], "--date", "2026-05-31", "--json")
    assert late.exit_code == 0 and "was on 30/05/2026" in late.json()["warnings"][0]
    missing = cli("donations", "record", donor["id"], "--drive", "999", "--date", "2026-05-30")
    assert missing.exit_code == 1 and "no drive #999" in missing.stderr

    closed = cli("drives", "close", added["id"], "--json").json()
    assert (closed["status"], closed["donated"], closed["units"]) == ("closed", 1, 1)
    assert cli("campaigns", "show", campaign["id"], "--json").json()["totals"]["units"] == 1

    moved = cli("drives", "reschedule", clash.stdout.split("#")[1].split()[0], "--date", "2026-06-06", "--json").json()
    assert (moved["date"], moved["sequence"]) == ("2026-06-06", 1)
    ics = tmp_path / "drives.ics"
    assert cli("drives", "export", "--ics", ics).exit_code == 0
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert sorted(str(e["uid"]) for e in events) == ["drive-1@donor-registry", "drive-2@donor-registry"]
    assert [e.decoded("dtstart").date() for e in events if str(e["uid"]) == "drive-2@donor-registry"] == [
        dt.date(2026, 6, 6)]


def test_cancel_and_errors_are_one_plain_line(cli):
    drive = cli("drives", "add", "--date", "2026-07-01", "--venue", "Trường THPT", "--json").json()
    assert cli("drives", "close", drive["id"]).stderr.startswith("error: drive #1 is on 01/07/2026, still to come")
    assert cli("drives", "cancel", drive["id"], "--json").json()["status"] == "cancelled"
    again = cli("drives", "cancel", drive["id"])
    assert again.exit_code == 1 and "only a planned drive can be cancelled" in again.stderr
    bad = cli("drives", "add", "--date", "2026-07-01", "--venue", "X", "--start", "noon")
    assert bad.exit_code == 2 and "not a time of day" in bad.stderr


def test_every_command_has_help(cli):
    for group in ("campaigns", "drives"):
        listing = cli(group, "--help").stdout
        for command in {"campaigns": ["tet", "plan", "add", "list", "show", "cancel"],
                        "drives": ["add", "list", "show", "reschedule", "cancel", "close", "export", "call-list", "edit"]}[group]:
            assert command in listing
            assert cli(group, command, "--help").exit_code == 0
    assert "--no-scheduler" in cli("serve", "--help").stdout


def test_call_list_writes_the_workbook_the_workspace_serves_and_is_audited(cli, tmp_path):
    from openpyxl import load_workbook

    place = ("--commune", "Phường Võ Thị Sáu", "--district", "Quận 3", "--province", "TP Hồ Chí Minh")
    drive = cli("drives", "add", "--date", "2026-06-14", "--venue", "Nhà văn hóa", *place, "--json").json()
    for name, phone, consent in (("Trần Thị Lan", "0901234567", ("--consent", "paper")),
                                 ("Nguyễn Văn An", "0907654321", ("--consent", "paper")),
                                 ("Võ Văn Không", "0905555555", ())):
        assert cli("donors", "add", name, "--born", "1990-01-01", "--sex", "female", "--phone", phone,
                   *place, *consent).exit_code == 0
    out = tmp_path / "goi.xlsx"
    written = cli("drives", "call-list", drive["id"], "--out", out)
    assert written.exit_code == 0 and "2 donor(s)" in written.stdout
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [(row[1], row[4]) for row in rows if isinstance(row[0], int)] == [
        ("Nguyễn Văn An", "+84907654321"), ("Trần Thị Lan", "+84901234567")]  # not the donor without consent
    assert (out.stat().st_mode & 0o777) == 0o600
    trail = cli("audit", "list", "--json").json()
    assert any(entry["action"] == "drives.call_list" and entry["subject_id"] == drive["id"] for entry in trail)


def test_edit_changes_the_details_and_keeps_the_values_before_in_the_audit(cli):
    drive = cli("drives", "add", "--date", "2026-07-01", "--venue", "Trường THPT", "--capacity", "80", "--json").json()
    edited = cli("drives", "edit", drive["id"], "--capacity", "120", "--notes", "mang thêm ghế", "--json").json()
    assert (edited["capacity"], edited["notes"], edited["sequence"]) == (120, "mang thêm ghế", 1)
    trail = [e for e in cli("audit", "list", "--json").json() if e["action"] == "drives.edit"]
    assert [e["detail"]["before"] for e in trail] == [{"capacity": 80, "notes": None}]
    cli("drives", "cancel", drive["id"])
    refused = cli("drives", "edit", drive["id"], "--capacity", "1")
    assert refused.exit_code != 0 and "cancelled" in refused.stderr
