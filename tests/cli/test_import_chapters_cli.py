"""`import donors|donations` puts the donors it creates into chapters (chapters.placing), on both
databases: by the place rule of `chapters place`, or all into `--chapter`; a donor the file
matches keeps its chapter, and an unknown `--chapter` is refused before anything is written."""

from sqlalchemy import create_engine, text

DONOR_HEADER = "Họ và tên,Năm sinh,Giới tính,SĐT,Xã/Phường,Huyện/Quận,Tỉnh/Thành phố\n"
# name -> its row; where the rule puts each is in the tables of the tests.
DONORS = {
    "Lâm Thị Mai": "Lâm Thị Mai,1990,Nữ,0912000001,Phường 5,Thành phố Sóc Trăng,Sóc Trăng\n",  # commune 31507
    "Hồ Văn An": "Hồ Văn An,1985,Nam,0912000002,Phường Cam Đường,,Tỉnh Lào Cai\n",  # Lào Cai, no commune chapter
    "Đinh Thị Thu": "Đinh Thị Thu,1992,Nữ,0912000003,Phường An Cư,Quận Ninh Kiều,Cần Thơ\n",  # province 92 only
    "Mai Văn Tâm": "Mai Văn Tâm,1979,Nam,0912000004,,,\n",  # no address
    # Registered before the import (in VN-15): matched by phone and name, never moved.
    "Võ Văn Tú": "Võ Văn Tú,1970,Nam,0912000009,Phường 5,Thành phố Sóc Trăng,Sóc Trăng\n",
}


def _tree(cli):
    for args in (["national"], ["province", "Hội Chữ thập đỏ thành phố Cần Thơ", "--parent", "VN", "--province", "92"],
                 ["commune", "Hội Chữ thập đỏ phường Sóc Trăng", "--parent", "VN-92", "--commune", "31507"],
                 ["school", "Trường Đại học Cần Thơ", "--parent", "VN-92", "--code", "DHCT"],
                 ["province", "Hội Chữ thập đỏ tỉnh Lào Cai", "--parent", "VN", "--province", "15"]):
        assert cli("chapters", "add", *args, "--json").exit_code == 0
    added = cli("donors", "add", "Võ Văn Tú", "--birth-year", "1970", "--sex", "M", "--phone", "0912000009",
                "--chapter", "VN-15", "--json")
    assert added.exit_code == 0, added.stderr


def _file(tmp_path, *, donations=False):
    header = DONOR_HEADER.replace("\n", ",Ngày hiến\n") if donations else DONOR_HEADER
    rows = [row.replace("\n", ",01/03/2026\n") if donations else row for row in DONORS.values()]
    path = tmp_path / ("hien-mau.csv" if donations else "nguoi-hien.csv")
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def _chapters(url) -> dict[str, str | None]:
    """Each donor's chapter code, read in the database itself."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(text(
            "SELECT d.full_name, c.code FROM donors d LEFT JOIN chapters c ON c.id = d.chapter_id")).all())
    engine.dispose()
    return found


BY_RULE = {"Lâm Thị Mai": "VN-92-31507", "Hồ Văn An": "VN-15", "Đinh Thị Thu": "VN-92", "Mai Văn Tâm": "VN",
           "Võ Văn Tú": "VN-15"}


def test_new_donors_join_their_commune_else_province_else_national_chapter(cli_both, db_url, tmp_path):
    cli = cli_both
    _tree(cli)
    report = cli("import", "donors", _file(tmp_path), "--json").json()
    assert (report["created"], report["matched"]) == (4, 1)
    assert _chapters(db_url) == BY_RULE
    assert sorted((code, count) for code, _name, count in report["chapters"]) == [
        ("VN", 1), ("VN-15", 1), ("VN-92", 1), ("VN-92-31507", 1)]
    assert cli("chapters", "place", "--json").json()["donors"] == 0  # nothing left to place


def test_a_donation_list_places_its_new_donors_and_names_the_chapters_in_the_report(cli_both, db_url, tmp_path):
    cli = cli_both
    _tree(cli)
    result = cli("--lang", "vi", "import", "donations", _file(tmp_path, donations=True))
    assert result.exit_code == 0, result.stdout
    assert _chapters(db_url) == BY_RULE
    assert "người hiến mới vào hội VN-92-31507 Hội Chữ thập đỏ phường Sóc Trăng" in " ".join(result.stdout.split())


def test_chapter_option_puts_every_new_donor_there(cli_both, db_url, tmp_path):
    cli = cli_both
    _tree(cli)
    report = cli("import", "donations", _file(tmp_path, donations=True), "--chapter", "dhct", "--json").json()
    assert report["written"] and report["created"] == 4
    assert _chapters(db_url) == {"Lâm Thị Mai": "DHCT", "Hồ Văn An": "DHCT", "Đinh Thị Thu": "DHCT",
                                 "Mai Văn Tâm": "DHCT", "Võ Văn Tú": "VN-15"}
    assert [(code, count) for code, _name, count in report["chapters"]] == [("DHCT", 4)]


def test_a_dry_run_says_where_new_donors_would_go_and_places_nobody(cli_both, db_url, tmp_path):
    cli = cli_both
    _tree(cli)
    report = cli("import", "donors", _file(tmp_path), "--chapter", "VN-92", "--dry-run", "--json").json()
    assert [(code, count) for code, _name, count in report["chapters"]] == [("VN-92", 4)]
    assert _chapters(db_url) == {"Võ Văn Tú": "VN-15"}


def test_an_unknown_chapter_is_one_plain_line_and_nothing_is_written(cli_both, db_url, tmp_path):
    cli = cli_both
    _tree(cli)
    for kind, path in (("donors", _file(tmp_path)), ("donations", _file(tmp_path, donations=True))):
        result = cli("import", kind, path, "--chapter", "VN-99", "--errors-csv", tmp_path / "loi.csv")
        assert result.exit_code == 1 and result.stderr.strip().startswith("error: ") and "VN-99" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert _chapters(db_url) == {"Võ Văn Tú": "VN-15"}
    assert not (tmp_path / "loi.csv").exists()
