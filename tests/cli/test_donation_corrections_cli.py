"""`donations record` checks, `--override`, `donations correct` / `void`, `donors update` validation."""

import getpass


def add(cli, *args):
    result = cli("donors", "add", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def record(cli, donor_id, *args):
    return cli("donations", "record", str(donor_id), *args)


def test_a_second_donation_five_days_later_is_refused_in_one_plain_line(cli):
    donor = add(cli, "Trần Văn Bình", "--born", "1990-01-01", "--weight", "60")
    assert record(cli, donor, "--date", "2026-05-01").exit_code == 0
    refused = record(cli, donor, "--date", "2026-05-06")
    assert refused.exit_code == 1
    [line] = refused.stderr.strip().splitlines()
    assert line == ("error: donor #1, 06/05/2026: last whole blood donation on 01/05/2026; next from 24/07/2026; "
                    "give --override REASON to record it anyway")
    same_day = record(cli, donor, "--date", "2026-05-01", "--type", "plasma_apheresis")
    assert same_day.exit_code == 1 and "already recorded on 01/05/2026" in same_day.stderr
    shown = cli("donors", "show", str(donor), "--json").json()
    assert shown["donation_count"] == 1


def test_override_records_it_and_says_so(cli):
    donor = add(cli, "Trần Văn Bình", "--born", "1990-01-01")
    record(cli, donor, "--date", "2026-05-01")
    kept = record(cli, donor, "--date", "2026-05-06", "--override", "ordered by the blood centre", "--json")
    assert kept.exit_code == 0, kept.stderr
    donation = kept.json()["donation"]
    assert donation["override_reason"] == "ordered by the blood centre"
    assert "next from 24/07/2026" in donation["violations"]
    [entry] = [e for e in cli("audit", "list", "--json").json() if e["action"] == "donations.override"]
    assert entry["actor"] == f"cli:{getpass.getuser()}"


def test_void_keeps_the_row_marked_and_counts_follow(cli):
    donor = add(cli, "Lê Thị Hoa", "--born", "1990-01-01")
    record(cli, donor, "--date", "2026-01-05")
    wrong = record(cli, donor, "--date", "2026-04-20", "--json").json()["donation"]["id"]
    missing_reason = cli("donations", "void", str(wrong))
    assert missing_reason.exit_code == 2 and "--reason" in missing_reason.stderr
    voided = cli("donations", "void", str(wrong), "--reason", "entered twice from the paper list", "--json")
    assert voided.exit_code == 0, voided.stderr
    assert voided.json()["donor"]["donation_count"] == 1
    assert voided.json()["donor"]["eligible_again_on"] == "2026-03-30"
    history = cli("donors", "show", str(donor), "--json").json()["history"]
    assert [(h["id"], h["void_reason"]) for h in history] == [(1, None), (wrong, "entered twice from the paper list")]
    listed = cli("donations", "list", "--donor", str(donor))
    assert "VOIDED (entered twice from the paper list)" in listed.stdout
    again = cli("donations", "void", str(wrong), "--reason", "again")
    assert again.exit_code == 1 and "was voided on 01/06/2026" in again.stderr


def test_correct_changes_fields_and_keeps_the_old_values(cli):
    donor = add(cli, "Lê Thị Hoa", "--born", "1990-01-01", "--weight", "55")
    donation = record(cli, donor, "--date", "2026-05-01", "--volume", "350", "--json").json()["donation"]["id"]
    corrected = cli("donations", "correct", str(donation), "--volume", "250", "--date", "2026-05-02",
                    "--reason", "paper form says 250 ml on the 2nd", "--json")
    assert corrected.exit_code == 0, corrected.stderr
    assert corrected.json()["old"] == {"donated_on": "2026-05-01", "volume_ml": 350}
    assert corrected.json()["new"] == {"donated_on": "2026-05-02", "volume_ml": 250}
    shown = cli("donors", "show", str(donor), "--json").json()
    assert shown["last_donation_on"] == "2026-05-02" and shown["eligible_again_on"] == "2026-07-25"
    too_much = cli("donations", "correct", str(donation), "--volume", "600", "--reason", "typo")
    assert too_much.exit_code == 1 and "600 ml is above the 495 ml limit for 55 kg" in too_much.stderr
    nothing = cli("donations", "correct", str(donation), "--reason", "x")
    assert nothing.exit_code == 1 and "nothing to correct" in nothing.stderr


def test_donors_update_refuses_a_weight_donors_add_refuses(cli):
    donor = add(cli, "Lê Thị Hoa", "--weight", "50")
    for command in (("donors", "add", "Lê Thị Hai", "--weight", "5000"),
                    ("donors", "update", str(donor), "--weight", "5000")):
        result = cli(*command)
        assert result.exit_code == 1, command
        [line] = result.stderr.strip().splitlines()
        assert line == "error: Weight (kg): must be less than 300"
    assert cli("donors", "show", str(donor), "--json").json()["weight_kg"] == 50


def test_import_refuses_a_row_inside_the_interval_unless_violations_are_accepted(cli, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên,Ngày sinh,Ngày hiến,Loại hiến\n"
                    "Bùi Thị Vân,02/02/1990,01/03/2026,Máu toàn phần\n"
                    "Bùi Thị Vân,02/02/1990,06/03/2026,Huyết tương\n", encoding="utf-8")
    refused = cli("import", "donations", path)
    assert refused.exit_code == 1
    assert "last whole blood donation on 01/03/2026; next from 24/05/2026" in " ".join(refused.stdout.split())
    accepted = cli("import", "donations", path, "--accept-violations")
    assert accepted.exit_code == 0, accepted.stdout
    assert "donations kept despite a recording check" in accepted.stdout
    history = cli("donations", "list", "--json").json()
    assert [h["override_reason"] for h in history] == ["accepted at import (--accept-violations)", None]


def test_a_thank_you_follows_the_donation_it_thanks(cli):
    wrong = add(cli, "Lê Văn Sai", "--born", "1990-01-01", "--phone", "0912 345 601", "--consent", "sms")
    right = add(cli, "Lê Văn Đúng", "--born", "1990-01-01", "--phone", "0912 345 602", "--consent", "sms")
    first = record(cli, wrong, "--date", "2026-06-01", "--json").json()["donation"]["id"]
    second = record(cli, right, "--date", "2026-05-31", "--json").json()["donation"]["id"]
    assert cli("reminders", "plan").exit_code == 0
    moved = cli("donations", "correct", str(first), "--donor", str(right), "--reason", "wrong donor picked")
    assert moved.exit_code == 1 and "last whole blood donation on 31/05/2026; next from 23/08/2026" in moved.stderr
    cli("donations", "void", str(second), "--reason", "recorded for the wrong day")
    assert cli("donations", "correct", str(first), "--donor", str(right), "--reason", "wrong donor picked",
               "--json").exit_code == 0
    thanks = {m["donor_id"]: m["status"] for m in cli("sms", "outbox", "list", "--json").json()
              if m["kind"] == "thank_you"}
    assert thanks == {wrong: "cancelled", right: "cancelled"}
