"""The chapters an import's new donors join (chapters/placing.py), on SQLite, SQLite loading in
bulk (indexes dropped and built again) and PostgreSQL (placed as rows move from staging)."""

import pytest
from sqlalchemy import text

from donor_registry.chapters import service as chapters
from donor_registry.chapters.placing import Placement
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.importing.service import import_donations, import_donors
from tests.service.test_import import db_url, write_csv  # noqa: F401 - db_url: the three backends

pytestmark = pytest.mark.usefixtures("english")

HEADERS = ["Họ và tên", "Năm sinh", "Số điện thoại", "Xã/Phường", "Huyện/Quận", "Tỉnh/Thành phố", "Ngày hiến"]
ROWS = [
    ["Lâm Thị Mai", "1990", "0912000001", "Phường 5", "Thành phố Sóc Trăng", "Sóc Trăng", "01/03/2026"],  # 31507
    ["Hồ Văn An", "1985", "0912000002", "Phường Cam Đường", "", "Tỉnh Lào Cai", "01/03/2026"],  # province 15
    ["Mai Văn Tâm", "1979", "0912000004", "", "", "", "01/03/2026"],  # no address
    ["Võ Văn Tú", "1970", "0912000009", "Phường 5", "Thành phố Sóc Trăng", "Sóc Trăng", "01/03/2026"],  # registered
]


def _tree(session, now) -> dict[str, int]:
    vn = chapters.create_chapter(session=session, now=now, kind="national").id
    can_tho = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn, province_code="92").id
    ids = {"VN": vn, "VN-92": can_tho,
           "VN-92-31507": chapters.create_chapter(session=session, now=now, kind="commune", parent_id=can_tho,
                                                  commune_code="31507").id,
           "VN-15": chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                            province_code="15").id}
    session.commit()
    return ids


def _registered(session, now, chapter_id):
    create_donor(session=session, now=now, data=DonorCreate(full_name="Võ Văn Tú", birth_year=1970,
                                                            phone="0912000009", chapter_id=chapter_id))
    session.commit()


def _placed(session) -> dict[str, str | None]:
    return dict(session.execute(text(
        "SELECT d.full_name, c.code FROM donors d LEFT JOIN chapters c ON c.id = d.chapter_id")).all())


@pytest.mark.parametrize(("placement", "expected"), [
    ("rule", {"Lâm Thị Mai": "VN-92-31507", "Hồ Văn An": "VN-15", "Mai Văn Tâm": "VN"}),
    ("VN-15", {"Lâm Thị Mai": "VN-15", "Hồ Văn An": "VN-15", "Mai Văn Tâm": "VN-15"}),
    ("within VN-92", {"Lâm Thị Mai": "VN-92-31507", "Hồ Văn An": "VN-92", "Mai Văn Tâm": "VN-92"}),
])
def test_new_donors_join_by_the_rule_the_option_or_within_the_uploaders_chapter(
        session, now, rules, tmp_path, placement, expected):
    ids = _tree(session, now)
    _registered(session, now, ids["VN-15"])
    chosen = (Placement() if placement == "rule" else Placement(within=ids[placement.split()[1]])
              if placement.startswith("within") else Placement(chapter_id=ids[placement]))
    report = import_donations(session=session, path=write_csv(tmp_path / "d.csv", ROWS, HEADERS), rules=rules,
                              now=now, today=now.date(), placement=chosen)
    session.commit()
    assert report.created == 3 and _placed(session) == {**expected, "Võ Văn Tú": "VN-15"}
    counts = {}
    for code in expected.values():
        counts[code] = counts.get(code, 0) + 1
    assert {code: count for code, _name, count in report.chapters} == counts


def test_a_donor_list_places_new_donors_and_leaves_registered_ones_without_a_chapter_alone(session, now, tmp_path):
    _registered(session, now, None)  # registered before the tree: `chapters place` is for it, not the import
    _tree(session, now)
    report = import_donors(session=session, path=write_csv(tmp_path / "d.csv", [r[:6] for r in ROWS], HEADERS[:6]),
                           now=now, today=now.date())
    session.commit()
    assert (report.created, report.matched) == (3, 1)
    assert _placed(session) == {"Lâm Thị Mai": "VN-92-31507", "Hồ Văn An": "VN-15", "Mai Văn Tâm": "VN",
                                "Võ Văn Tú": None}


def test_without_any_chapter_new_donors_stay_without_one(session, now, rules, tmp_path):
    report = import_donations(session=session, path=write_csv(tmp_path / "d.csv", ROWS, HEADERS), rules=rules,
                              now=now, today=now.date())
    session.commit()
    assert report.created == 4 and report.chapters == []
    assert set(_placed(session).values()) == {None}


def test_a_refused_file_places_nobody(session, now, rules, tmp_path):
    ids = _tree(session, now)
    bad = [*ROWS[:3], ["Đỗ Văn Nam", "2030", "0912000007", "", "", "", "01/03/2026"]]  # born in the future
    report = import_donations(session=session, path=write_csv(tmp_path / "d.csv", bad, HEADERS), rules=rules,
                              now=now, today=now.date(), placement=Placement(chapter_id=ids["VN-15"]))
    session.commit()
    assert not report.written and report.rejected_rows == 1
    assert _placed(session) == {}
