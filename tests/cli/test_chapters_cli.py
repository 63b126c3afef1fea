"""`chapters add / list / move / show` on both databases (messages in Vietnamese, the default)."""


def _tree(cli):
    for args in (["national"], ["province", "Hội Chữ thập đỏ thành phố Cần Thơ", "--parent", "VN", "--province", "92"],
                 ["commune", "Hội Chữ thập đỏ phường Sóc Trăng", "--parent", "VN-92", "--commune", "31507"],
                 ["school", "Trường Đại học Cần Thơ", "--parent", "VN-92", "--code", "DHCT"],
                 ["province", "Hội Chữ thập đỏ tỉnh Lào Cai", "--parent", "VN", "--province", "15"]):
        result = cli("chapters", "add", *args, "--json")
        assert result.exit_code == 0, result.stderr


def test_add_list_move_show(cli_both):
    cli = cli_both
    _tree(cli)
    rows = cli("chapters", "list", "--json").json()
    assert [(r["code"], r["kind"], r["depth"]) for r in rows] == [
        ("VN", "national", 0), ("VN-92", "province", 1), ("VN-92-31507", "commune", 2),
        ("DHCT", "school", 2), ("VN-15", "province", 1)]
    under = cli("chapters", "list", "--under", "VN-92", "--json").json()
    assert [r["code"] for r in under] == ["VN-92", "VN-92-31507", "DHCT"]
    table = cli("chapters", "list", "--under", "VN-92").stdout
    assert "  Hội Chữ thập đỏ phường Sóc Trăng" in table

    moved = cli("chapters", "move", "DHCT", "--to", "hoi chu thap do phuong soc trang", "--json").json()
    assert (moved["parent_id"], moved["commune_code"], moved["depth"]) == (3, "31507", 3)
    shown = cli("chapters", "show", "VN-92", "--json").json()
    assert [c["code"] for c in shown["children"]] == ["VN-92-31507"]
    assert [a["code"] for a in shown["ancestors"]] == ["VN"]
    assert shown["counts"] == {"donors": 0, "drives": 0, "campaigns": 0, "ceremonies": 0, "hospitals": 0}


def test_mistakes_are_one_plain_line_and_change_nothing(cli_both):
    cli = cli_both
    _tree(cli)
    for args, message in [
        (["add", "commune", "X", "--parent", "VN", "--commune", "31508"], "không thể trực thuộc VN (trung ương)"),
        (["add", "province", "X", "--parent", "VN", "--province", "92"], "92 đã có hội"),
        (["move", "VN-92", "--to", "VN-92-31507"], "không thể chuyển hội VN-92 về dưới chính nó"),
        (["move", "VN-92-31507", "--to", "VN-15"], "thuộc tỉnh 92"),
        (["show", "Cần Thơ"], "khớp với nhiều hội"),
        (["show", "hoi chu thap do tinh lao kay"], "có phải bạn muốn tìm: VN-15"),
    ]:
        result = cli("--lang", "vi", "chapters", *args)
        assert result.exit_code == 1 and result.stderr.strip().startswith("lỗi: ") and message in result.stderr, (args, result.stderr)
    assert len(cli("chapters", "list", "--json").json()) == 5


def test_place_puts_donors_without_a_chapter_into_their_commune_chapter(cli_both):
    cli = cli_both
    added = cli("donors", "add", "Lâm Thị Mai", "--birth-year", "1990", "--commune", "Phường 5",
                "--district", "Thành phố Sóc Trăng", "--province", "Sóc Trăng", "--json").json()
    assert added["chapter_id"] is None  # no chapters yet
    _tree(cli)
    assert cli("chapters", "place", "--json").json() == {"donors": 1, "drives": 0, "hospitals": 0}
    assert cli("donors", "list", "--chapter", "VN-92-31507", "--json").json()["total"] == 1
    assert cli("donors", "list", "--chapter", "VN-15", "--json").json()["total"] == 0
    assert cli("chapters", "place", "--json").json() == {"donors": 0, "drives": 0, "hospitals": 0}
