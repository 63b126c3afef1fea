"""`donors add/update` by official units and legacy addresses, `addresses review / pick`, and
the import report's address counts. Expected codes are hand-copied from the published lists."""

from sqlalchemy import create_engine, text


def _add(cli, *options):
    result = cli("donors", "add", "Nguyễn Văn An", *options, "--json")
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.json()


def _address(donor: dict) -> tuple:
    return donor["address_status"], donor["province_code"], donor["commune_code"]


def test_a_legacy_address_is_converted_and_kept_as_entered(cli_both):
    donor = _add(cli_both, "--province", "Sóc Trăng", "--district", "TP Sóc Trăng", "--commune", "Phường 5")
    assert _address(donor) == ("converted", "92", "31507")
    assert (donor["province"], donor["district"], donor["commune"]) == ("Sóc Trăng", "TP Sóc Trăng", "Phường 5")
    shown = cli_both("donors", "show", str(donor["id"]), "--json").json()
    assert (shown["units_date"], shown["address_candidates"]) == ("2025-07-01", [])


def test_a_new_address_by_code_is_stored_with_the_units_names(cli):
    donor = _add(cli, "--province", "15", "--commune", "04252")
    assert _address(donor) == ("new", "15", "04252")
    assert (donor["province"], donor["commune"]) == ("Tỉnh Lào Cai", "Phường Yên Bái")


def test_a_misspelt_commune_is_refused_with_suggestions_and_nothing_saved(cli, sqlite_url):
    result = cli("donors", "add", "Nguyễn Văn An", "--province", "TP Cần Thơ", "--commune", "Phường Sóc Trăg")
    assert result.exit_code != 0
    assert "Phường Sóc Trăng (31507)" in result.stderr + result.stdout
    with create_engine(sqlite_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM donors")).scalar() == 0


def test_keep_address_stores_an_unknown_address_flagged(cli):
    donor = _add(cli, "--province", "Yên Bái", "--district", "TP Yên Bái", "--commune", "Phường Hoa Sen",
                 "--keep-address")
    assert _address(donor) == ("unknown", "15", None)


def _split_donor(cli, name="Trần Thị Bình"):
    result = cli("donors", "add", name, "--province", "Cần Thơ", "--district", "Huyện Thới Lai",
                 "--commune", "Xã Tân Thạnh", "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_a_split_commune_is_reviewed_and_picked_among_its_candidates(cli_both):
    donor = _split_donor(cli_both)
    assert _address(donor) == ("split", "92", None)
    page = cli_both("addresses", "review", "--json").json()
    assert cli_both("addresses", "counts", "--json").json() == {"split": 1}
    [row] = page["addresses"]
    assert (row["donor_id"], row["status"], [c["code"] for c in row["candidates"]]) == (
        donor["id"], "split", ["31288", "31666"])
    assert row["entered"] == {"province": "Cần Thơ", "district": "Huyện Thới Lai", "commune": "Xã Tân Thạnh"}
    refused = cli_both("addresses", "pick", str(donor["id"]), "31507")
    assert refused.exit_code != 0 and "31288" in refused.stderr + refused.stdout
    picked = cli_both("addresses", "pick", str(donor["id"]), "31666", "--json").json()
    assert _address(picked) == ("picked", "92", "31666")
    assert cli_both("addresses", "review", "--json").json() == {"addresses": [], "next_after": None}
    assert cli_both("addresses", "counts", "--json").json() == {"picked": 1}
    [entry] = [e for e in cli_both("audit", "list", "--json").json() if e["action"] == "address.pick"]
    assert entry["detail"]["before"] == {"status": "split", "province_code": "92", "candidates": ["31288", "31666"]}
    # Changing something else keeps the pick; changing the address converts it again.
    cli_both("donors", "update", str(donor["id"]), "--weight", "55")
    assert _address(cli_both("donors", "show", str(donor["id"]), "--json").json()) == ("picked", "92", "31666")
    cli_both("donors", "update", str(donor["id"]), "--commune", "Phường 5", "--district", "TP Sóc Trăng",
             "--province", "Sóc Trăng")
    assert _address(cli_both("donors", "show", str(donor["id"]), "--json").json()) == ("converted", "92", "31507")


def test_interactive_pick_by_number(cli):
    donor = _split_donor(cli)
    result = cli("addresses", "pick", str(donor["id"]), input="1\n")
    assert result.exit_code == 0, result.stderr
    assert "31288" in result.stdout
    assert _address(cli("donors", "show", str(donor["id"]), "--json").json()) == ("picked", "92", "31288")


def test_review_pages_by_donor_number(cli):
    ids = [_split_donor(cli, f"Người {i}")["id"] for i in range(3)]
    _add(cli, "--province", "Sóc Trăng", "--district", "TP Sóc Trăng", "--commune", "Phường 5")  # not flagged
    first = cli("addresses", "review", "--limit", "2", "--json").json()
    assert [r["donor_id"] for r in first["addresses"]] == ids[:2] and first["next_after"] == ids[1]
    second = cli("addresses", "review", "--limit", "2", "--after", str(ids[1]), "--json").json()
    assert [r["donor_id"] for r in second["addresses"]] == ids[2:] and second["next_after"] is None
    assert cli("addresses", "review", "--province", "Lào Cai", "--json").json()["addresses"] == []
    assert "--after" in cli("addresses", "review", "--limit", "2").stdout


def test_picking_an_address_that_waits_for_nothing_is_refused(cli):
    donor = _add(cli, "--province", "Sóc Trăng", "--district", "TP Sóc Trăng", "--commune", "Phường 5")
    result = cli("addresses", "pick", str(donor["id"]), "31507")
    assert result.exit_code != 0 and "converted" in result.stderr + result.stdout


def test_the_import_report_counts_the_addresses(cli, tmp_path):
    path = tmp_path / "nguoi-hien.csv"
    path.write_text(
        "Họ và tên,Năm sinh,Xã/Phường,Quận/Huyện,Tỉnh/TP\n"
        "Nguyễn Văn A,1990,Phường 5,TP Sóc Trăng,Sóc Trăng\n"
        "Nguyễn Văn B,1991,P.05,Thành phố Sóc Trăng,Soc Trang\n"
        "Nguyễn Văn C,1992,Phường Sóc Trăng,,TP Cần Thơ\n"
        "Nguyễn Văn D,1993,Xã Tân Thạnh,Huyện Thới Lai,Cần Thơ\n"
        "Nguyễn Văn E,1994,Phường Hoa Sen,TP Yên Bái,Yên Bái\n"
        "Nguyễn Văn F,1995,,,\n", encoding="utf-8")
    report = cli("import", "donors", str(path), "--json").json()
    assert report["addresses"] == {"converted": 2, "new": 1, "split": 1, "unknown": 1, "empty": 1}
    listed = {d["full_name"]: _address(d) for d in cli("donors", "list", "--json").json()["donors"]}
    assert listed == {"Nguyễn Văn A": ("converted", "92", "31507"), "Nguyễn Văn B": ("converted", "92", "31507"),
                      "Nguyễn Văn C": ("new", "92", "31507"), "Nguyễn Văn D": ("split", "92", None),
                      "Nguyễn Văn E": ("unknown", "15", None), "Nguyễn Văn F": ("empty", None, None)}
    shown = " ".join(cli("--lang", "vi", "import", "donors", str(path), "--dry-run").stdout.split())
    assert "địa chỉ được chuyển đổi từ trước 01/07/2025 │ 2" in shown  # Vietnamese by default
    assert "địa chỉ không khớp đơn vị nào (cần xem lại) │ 1" in shown


def test_erasure_removes_the_commune_code_and_keeps_the_province(cli, sqlite_url):
    donor = _add(cli, "--province", "Sóc Trăng", "--district", "TP Sóc Trăng", "--commune", "Phường 5")
    assert cli("donors", "erase", str(donor["id"]), "--yes").exit_code == 0
    with create_engine(sqlite_url).connect() as conn:
        row = conn.execute(text("SELECT commune, commune_code, province_code FROM donors")).one()
    assert tuple(row) == (None, None, "92")
