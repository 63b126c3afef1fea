"""The registry commands, driven as a coordinator would, on a temporary SQLite database."""


def add(cli, *args):
    result = cli("donors", "add", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_add_show_find_and_record(cli):
    hoa = add(cli, "NGUYỄN THỊ HOÀ", "--born", "15/03/1990", "--sex", "female", "--group", "O+",
              "--phone", "0168 123 4567", "--national-id", "001190012345", "--commune", "Tân Lập",
              "--weight", "50", "--consent", "paper")
    assert hoa["full_name"] == "Nguyễn Thị Hòa" and hoa["phone"] == "+84 38x xxx 567"
    assert cli("donors", "show", str(hoa["id"]), "--json").json()["phone"] == "+84381234567"

    recorded = cli("donations", "record", str(hoa["id"]), "--date", "2026-03-01", "--volume", "350", "--json")
    assert recorded.exit_code == 0, recorded.stderr
    assert recorded.json()["donor"]["donation_count"] == 1

    shown = cli("donors", "show", str(hoa["id"]), "--json").json()
    assert shown["counts_by_type"] == {"whole_blood": 1}
    # 2026-03-01 + 84 days: not on the pinned day 2026-06-01? 84 days later is 2026-05-24, so yes.
    assert shown["eligibility"]["whole_blood"]["eligible"] is True
    early = cli("donors", "show", str(hoa["id"]), "--on", "2026-05-23", "--json").json()
    assert early["eligibility"]["whole_blood"]["eligible_from"] == "2026-05-24"

    for query in ("nguyen thi hoa", "0381 234 567", "001190012345"):
        found = cli("donors", "find", query, "--json").json()
        assert [d["id"] for d in found] == [hoa["id"]], query
        assert found[0]["national_id"].endswith("345") and found[0]["national_id"].startswith("*")


def test_errors_are_one_plain_line_and_exit_1(cli):
    add(cli, "Trần Văn Bình", "--national-id", "001190012345")
    taken = cli("donors", "add", "Trần Bình", "--national-id", "001190012345")
    assert taken.exit_code == 1
    assert taken.stderr.strip().startswith("error: national ID *********345 is already registered to donor #1")
    assert "Traceback" not in taken.stderr and len(taken.stderr.strip().splitlines()) == 1

    missing = cli("donors", "show", "99")
    assert missing.exit_code == 1 and "no donor #99" in missing.stderr

    bad_group = cli("donors", "add", "Lê Văn X", "--group", "X")
    assert bad_group.exit_code == 2 and "not a blood group" in bad_group.stderr

    bad_date = cli("donations", "record", "1", "--date", "31/02/2026")
    assert bad_date.exit_code == 2 and "not a date" in bad_date.stderr


def test_list_filters_and_paging(cli):
    for i in range(5):
        add(cli, f"Phạm Văn Nam {i}", "--group", "A+" if i % 2 else "O-", "--district", "Đan Phượng",
            "--born", "01/01/1990", "--sex", "male", "--weight", "60")
    listed = cli("donors", "list", "--group", "O-", "--district", "dan phuong", "--json").json()
    assert listed["total"] == 3 and {d["blood_group"] for d in listed["donors"]} == {"O-"}
    page = cli("donors", "list", "--limit", "2", "--offset", "4", "--json").json()
    assert page["total"] == 5 and len(page["donors"]) == 1
    cli("donations", "record", "1", "--date", "2026-05-01")
    eligible = cli("donors", "list", "--eligible-on", "2026-06-01", "--json").json()
    assert eligible["total"] == 4


def test_duplicates_and_merge(cli):
    first = add(cli, "Nguyễn Thị Hoà", "--phone", "0912345678", "--birth-year", "1990")
    second = add(cli, "Nguyen Thi Hoa", "--phone", "+84 912 345 678", "--national-id", "001190000009")
    cli("donations", "record", str(second["id"]), "--date", "2025-01-01")
    pairs = cli("donors", "duplicates", "--json").json()
    assert [(p["first"]["id"], p["second"]["id"]) for p in pairs] == [(first["id"], second["id"])]
    merged = cli("donors", "merge", str(first["id"]), str(second["id"]), "--json")
    assert merged.exit_code == 0 and merged.json()["moved"] == {"donations.donor_id": 1}
    kept = cli("donors", "show", str(first["id"]), "--json").json()
    assert kept["donation_count"] == 1 and kept["national_id"] == "001190000009"
    assert cli("donors", "duplicates", "--json").json() == []


def test_update_and_consent(cli):
    donor = add(cli, "Đỗ Thị Mai")
    updated = cli("donors", "update", str(donor["id"]), "--commune", "Phường Láng", "--standby",
                  "--consent", "sms", "--json")
    assert updated.exit_code == 0, updated.stderr
    shown = cli("donors", "show", str(donor["id"]), "--json").json()
    assert shown["standby"] is True and shown["consent_at"] and shown["commune"] == "Phường Láng"
    nothing = cli("donors", "update", str(donor["id"]))
    assert nothing.exit_code == 1 and "nothing to change" in nothing.stderr


def test_a_database_without_schema_says_what_to_do(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DONOR_REGISTRY_DATABASE__URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = cli("donors", "list")
    assert result.exit_code == 1 and "db upgrade" in result.stderr
    assert cli("db", "upgrade").exit_code == 0
    assert cli("donors", "list").exit_code == 0


def test_a_validation_error_names_the_field_in_plain_words(cli):
    blank = cli("donors", "add", "   ")
    assert blank.exit_code == 1
    assert blank.stderr.strip() == "error: Full name: full name is empty"
