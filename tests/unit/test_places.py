"""Official units since 2025-07-01 and legacy conversion, on real cases.

Expected codes are copied by hand from the statistics office's lists as published in
vietnamadminunits' dataset (admin_units / admin_units_legacy), not computed by the code.
"""

import csv
import unicodedata
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.places import units
from donor_registry.places.legacy import convert
from donor_registry.places.names import name_key
from donor_registry.places.status import AddressStatus as S

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

# (province, district, commune) as entered -> (status, province code, commune code, candidates)
CASES = [
    # Must show: Sóc Trăng is in Thành phố Cần Thơ now.
    (("Sóc Trăng", "TP Sóc Trăng", "Phường 5"), S.converted, "92", "31507", ()),
    (("Tỉnh Sóc Trăng", "Thành phố Sóc Trăng", "P.05"), S.converted, "92", "31507", ()),
    (("soc trang", "tp soc trang", "p5"), S.converted, "92", "31507", ()),
    (("Sóc Trăng", "", "Phường 5"), S.converted, "92", "31507", ()),
    # Must show: Yên Bái is in the new Tỉnh Lào Cai, under Yên Bái's old code 15.
    (("Yên Bái", "TP Yên Bái", "Phường Minh Tân"), S.converted, "15", "04252", ()),
    (("Yen Bai", "Thanh pho Yen Bai", "P. Minh Tan"), S.converted, "15", "04252", ()),
    # The new province with an old district of a province merged into it.
    (("Tỉnh Lào Cai", "TP Yên Bái", "Phường Minh Tân"), S.converted, "15", "04252", ()),
    (("15", "Thành phố Yên Bái", "Phường Minh Tân"), S.converted, "15", "04252", ()),
    (("TP Cần Thơ", "TP Sóc Trăng", "Phường 5"), S.converted, "92", "31507", ()),
    # A commune split between two new ones: flagged with both, nothing picked.
    (("Cần Thơ", "Huyện Thới Lai", "Xã Tân Thạnh"), S.split, "92", None, ("31288", "31666")),
    # A name that no longer exists (or never did) in that district: unknown, province kept.
    (("Yên Bái", "TP Yên Bái", "Phường Hoa Sen"), S.unknown, "15", None, ()),
    (("Atlantis", "Quận 99", "Phường 1"), S.unknown, None, None, ()),
    # Numbered wards in Thành phố Hồ Chí Minh, old districts.
    (("TP HCM", "Quận 3", "Phường 05"), S.converted, "79", "27154", ()),
    (("Hồ Chí Minh", "Q.1", "P. Bến Nghé"), S.converted, "79", "26740", ()),
    (("Hà Nội", "H. Phú Xuyên", "Xã Minh Tân"), S.converted, "01", "10342", ()),
    # An island district that had no communes is a special zone now.
    (("Hải Phòng", "Huyện Bạch Long Vĩ", ""), S.converted, "31", "11948", ()),
    # Already two-level: recognised as new.
    (("TP Cần Thơ", "", "Phường Sóc Trăng"), S.new, "92", "31507", ()),
    (("Thanh pho Can Tho", None, "phuong soc trang"), S.new, "92", "31507", ()),
    (("Tỉnh Lào Cai", "", "Phường Yên Bái"), S.new, "15", "04252", ()),
    (("92", "", "31507"), S.new, "92", "31507", ()),
    # Several units named so, no province to tell them apart.
    (("", "", "Phường Sóc Trăng"), S.new, "92", "31507", ()),
    # Only a province: its code is kept, the commune is unknown.
    (("Lào Cai", "", ""), S.unknown, "15", None, ()),
    ((None, None, None), S.empty, None, None, ()),
    (("  ", "", ""), S.empty, None, None, ()),
]


@pytest.mark.parametrize(("entered", "status", "province", "commune", "candidates"), CASES)
def test_conversion_on_real_cases(entered, status, province, commune, candidates):
    got = convert(*entered)
    assert (got.status, got.province_code, got.commune_code, got.candidates) == (
        status, province, commune, candidates)


def test_a_name_shared_by_several_communes_is_ambiguous_with_every_candidate():
    # "Minh Tân" without a province: Xã Minh Tân exists in more than one new province.
    got = convert("", "", "Xã Minh Tân")
    assert got.status is S.ambiguous and got.commune_code is None
    assert len(got.candidates) >= 2
    assert all(units.commune(code).short == "Minh Tân" for code in got.candidates)


UNITS = [
    ("92", "Thành phố Cần Thơ", "city"),
    ("15", "Tỉnh Lào Cai", "province"),
    ("79", "Thành phố Hồ Chí Minh", "city"),
    ("01", "Thành phố Hà Nội", "city"),
]


def test_34_provinces_and_3321_communes_of_three_kinds():
    assert len(units.provinces()) == 34
    kinds = [c.kind for p in units.provinces() for c in units.communes_of(p.code)]
    assert (len(kinds), kinds.count("commune"), kinds.count("ward"), kinds.count("special_zone")) == (
        3321, 2621, 687, 13)
    assert sum(p.kind == "city" for p in units.provinces()) == 6
    assert units.province("10") is None  # old Lào Cai's code is gone


@pytest.mark.parametrize(("code", "name", "kind"), UNITS)
def test_province_by_code(code, name, kind):
    assert (units.province(code).name, units.province(code).kind) == (name, kind)


@pytest.mark.parametrize("text", ["TP Cần Thơ", "Thành phố Cần Thơ", "can tho", "CẦN THƠ", "T.P. Cần Thơ", "92"])
def test_find_province_by_any_spelling(text):
    assert [p.code for p in units.find_provinces(text)] == ["92"]


@pytest.mark.parametrize(("text", "province", "code"), [
    ("Phường Sóc Trăng", "92", "31507"),
    ("P. Sóc Trăng", "92", "31507"),
    ("phuong soc trang", None, "31507"),
    ("Phường Yên Bái", "15", "04252"),
    ("Phường Hà Giang 1", None, "00694"),
    ("P.Ha Giang 1", "08", "00694"),
    ("Đặc khu Bạch Long Vĩ", "31", "11948"),
    ("31507", None, "31507"),
])
def test_find_commune_by_any_spelling(text, province, code):
    assert [c.code for c in units.find_communes(text, province)] == [code]


def test_a_commune_outside_the_province_is_not_found():
    assert units.find_communes("Phường Sóc Trăng", "15") == []
    assert units.find_communes("31507", "15") == []


def test_did_you_mean_offers_the_close_name():
    assert "31507" in [c.code for c in units.suggest_communes("Phuong Soc Trag", "92")]
    assert "92" in [p.code for p in units.suggest_provinces("Can Tho")]


def test_commune_reference_point_is_in_vietnam():
    c = units.commune("31507")
    assert 8 < c.latitude < 24 and 102 < c.longitude < 110


@pytest.mark.parametrize(("text", "kind", "key"), [
    ("Phường 5", "ward", "5"), ("P5", "ward", "5"), ("P.05", "ward", "5"), ("phuong 05", "ward", "5"),
    ("TP. Sóc Trăng", "city", "soc trang"), ("TPHCM", "city", "hcm"), ("Q.1", "urban_district", "1"),
    ("Thị xã Kinh Môn", "town", "kinh mon"), ("Đặc khu Côn Đảo", "special_zone", "con dao"),
    ("Hà Nội", None, "ha noi"), ("Xã", None, "xa"),
])
def test_name_keys(text, kind, key):
    got = name_key(text)
    assert (got.kind, got.folded) == (kind, key)


def _legacy_rows():
    """Every old commune, read straight from the shipped tables."""
    def rows(name):
        with resources.files("donor_registry.places").joinpath("data", name).open(encoding="utf-8") as f:
            return list(csv.DictReader(f))
    provinces = {r["code"]: r["name"] for r in rows("legacy_provinces.csv")}
    districts = {r["code"]: (r["name"], r["province_code"]) for r in rows("legacy_districts.csv")}
    for r in rows("legacy_communes.csv"):
        district, province = districts[r["district_code"]]
        yield provinces[province], district, r["name"], tuple(sorted(r["new_commune_codes"].split()))


LEGACY = list(_legacy_rows())


def test_every_old_commune_by_its_official_names_converts_or_is_flagged_split():
    for province, district, commune, targets in LEGACY:
        got = convert(province, district, commune)
        if len(targets) == 1:
            assert (got.status, got.commune_code) == (S.converted, targets[0]), (province, district, commune)
        else:
            assert (got.status, got.candidates) == (S.split, targets), (province, district, commune)


def _nfd(s):
    return unicodedata.normalize("NFD", s)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LEGACY), st.sampled_from(["asis", "nfd", "upper", "folded"]))
def test_spelling_never_changes_the_result_of_an_official_name(row, spelling):
    province, district, commune, targets = row
    change = {"asis": str, "nfd": _nfd, "upper": str.upper,
              "folded": lambda s: name_key(s).whole}[spelling]
    exact = convert(province, district, commune)
    got = convert(change(province), change(district), change(commune))
    if spelling != "folded":
        assert got == exact
    else:  # without diacritics two names can fold alike: then flagged, never a wrong pick
        assert got == exact or (got.commune_code is None and set(targets) <= set(got.candidates))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_any_text_is_resolved_to_a_real_unit_or_flagged(p, d, c):
    got = convert(p, d, c)
    if got.status in (S.new, S.converted):
        assert units.commune(got.commune_code).province_code == got.province_code
        assert got.candidates == ()
    else:
        assert got.commune_code is None
        assert all(units.commune(code) for code in got.candidates)
    if got.status in (S.split, S.ambiguous):
        assert len(got.candidates) >= 2


ALL_COMMUNES = [c for p in units.provinces() for c in units.communes_of(p.code)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_COMMUNES), st.sampled_from(["asis", "nfd", "folded", "lower", "short"]))
def test_every_commune_is_found_in_its_province_by_its_name_however_written(commune, spelling):
    from donor_registry.text import strip_diacritics

    text = {"asis": commune.name, "nfd": _nfd(commune.name), "folded": strip_diacritics(commune.name),
            "lower": commune.name.lower(), "short": commune.short}[spelling]
    found = units.find_communes(text, commune.province_code)
    assert commune in found
    if spelling in ("asis", "nfd", "lower"):  # with its diacritics the name is unique in its province
        assert found == [commune]


def test_codes_are_looked_up_exactly():
    assert units.province("92").name == "Thành phố Cần Thơ" and units.commune("31507").province_code == "92"
    assert units.find_provinces("9") == [] and units.find_communes("3150") == []
    assert [p.code for p in units.find_provinces("1")] == ["01"]
