"""0017/0018: a registry built before them (district-based donors, drives, hospitals, ceremonies,
campaigns, requests) upgrades with nothing lost, every place resolved or left as entered, and
every row in the nearest chapter of a tree made from the data."""

import datetime as dt

import sqlalchemy as sa
from alembic import command
from sqlmodel.sql.sqltypes import UTCDateTime

from donor_registry.db import _alembic_config, upgrade

# (province, district, commune) as entered -> (province_code, commune_code), by hand from the
# statistics office's lists; and the chapter code each row must join.
DONORS = [
    (("Sóc Trăng", "Thành phố Sóc Trăng", "Phường 5"), "VN-92-31507"),
    (("Yên Bái", "TP Yên Bái", "Phường Minh Tân"), "VN-15-04252"),
    (("Cần Thơ", "Huyện Thới Lai", "Xã Tân Thạnh"), "VN-92"),  # split: stays under the province
    ((None, None, None), "VN"),
]
HOSPITALS = [
    ("Bệnh viện Đa khoa tỉnh Sóc Trăng", ("Sóc Trăng", "Thành phố Sóc Trăng", "Phường 5"), ("92", "31507"), "VN-92-31507"),
    ("Bệnh viện Sản Nhi Yên Bái", ("Yên Bái", "TP Yên Bái", None), ("15", None), "VN-15"),
    ("Bệnh viện Đông Hoà", (None, "Đông Hoà", None), (None, None), "VN"),
]
DRIVES = [
    ("Nhà văn hoá Phường 5", ("Sóc Trăng", "TP Sóc Trăng", "P.05"), ("92", "31507"), "VN-92-31507"),
    ("Trường THPT Thới Lai", ("Cần Thơ", "Huyện Thới Lai", "Xã Tân Thạnh"), ("92", None), "VN-92"),
]
CEREMONIES = [("Tôn vinh TP Sóc Trăng 2024", "Thành phố Sóc Trăng", "VN-92"),
              ("Tôn vinh Châu Thành 2024", "Châu Thành", "VN"),  # a district name in five provinces
              ("Tôn vinh toàn quốc 2024", None, "VN")]

NOW = dt.datetime(2025, 6, 1, 3, 0, tzinfo=dt.UTC)


def _place(province, district, commune) -> dict:
    key = lambda t: None if t is None else t.lower()
    return {"province": province, "district": district, "commune": commune, "province_key": key(province),
            "district_key": key(district), "commune_key": key(commune)}


TYPES = {"start_time": sa.Time(), "end_time": sa.Time(), "date": sa.Date(), "start": sa.Date(), "end": sa.Date(),
         "held_on": sa.Date(), "created_at": UTCDateTime(), "updated_at": UTCDateTime(), "needed_by": UTCDateTime()}


def _table(name, *columns):
    return sa.table(name, *(sa.column(c, TYPES.get(c)) for c in columns))


def _old_registry(conn):
    conn.execute(sa.insert(_table("donors", "id", "full_name", "name_folded", "province", "district", "commune",
                                  "province_key", "district_key", "commune_key", "sex", "phone_sms_capable",
                                  "standby", "donation_count", "created_at", "updated_at")), [
        {"id": i, "full_name": f"Người {i}", "name_folded": f"nguoi {i}", **_place(*address), "sex": "unknown",
         "phone_sms_capable": False, "standby": False, "donation_count": 0, "created_at": NOW, "updated_at": NOW}
        for i, (address, _) in enumerate(DONORS, start=1)])
    conn.execute(sa.insert(_table("hospitals", "id", "name", "province", "district", "commune", "province_key",
                                  "district_key", "commune_key", "created_at")), [
        {"id": i, "name": name, **_place(*address), "created_at": NOW}
        for i, (name, address, _, _) in enumerate(HOSPITALS, start=1)])
    conn.execute(sa.insert(_table("campaigns", "id", "name", "year", "start", "end", "target_units", "status",
                                  "created_at", "updated_at")),
                 [{"id": 1, "name": "Hành trình Đỏ 2025", "year": 2025, "start": dt.date(2025, 7, 1),
                   "end": dt.date(2025, 8, 31), "target_units": 100, "status": "planned",
                   "created_at": NOW, "updated_at": NOW}])
    conn.execute(sa.insert(_table("drives", "id", "campaign_id", "date", "start_time", "end_time", "venue",
                                  "venue_key", "province", "district", "commune", "province_key", "district_key",
                                  "commune_key", "status", "sequence", "created_at", "updated_at")), [
        {"id": i, "campaign_id": 1, "date": dt.date(2025, 7, 10 + i), "start_time": dt.time(7),
         "end_time": dt.time(11), "venue": venue, "venue_key": venue.lower(), **_place(*address),
         "status": "planned", "sequence": 0, "created_at": NOW, "updated_at": NOW}
        for i, (venue, address, _, _) in enumerate(DRIVES, start=1)])
    conn.execute(sa.insert(_table("honour_ceremonies", "id", "name", "held_on", "level", "district",
                                  "district_key", "created_at")), [
        {"id": i, "name": name, "held_on": dt.date(2024, 6, 14), "level": "district" if district else "national",
         "district": district, "district_key": district and district.lower(), "created_at": NOW}
        for i, (name, district, _) in enumerate(CEREMONIES, start=1)])
    conn.execute(sa.insert(_table("emergency_requests", "id", "abo", "rh", "product", "units", "needed_by",
                                  "hospital_id", "status", "created_at", "created_by", "wave", "area_level")),
                 [{"id": 1, "abo": "O", "rh": "+", "product": "red_cells", "units": 2, "needed_by": NOW,
                   "hospital_id": 1, "status": "covered", "created_at": NOW, "created_by": "test", "wave": 2,
                   "area_level": "district"}])


SNAPSHOTS = {
    "donors": "SELECT id, full_name, province, district, commune FROM donors ORDER BY id",
    "hospitals": "SELECT id, name, province, district, commune, district_key FROM hospitals ORDER BY id",
    "drives": "SELECT id, campaign_id, date, venue, province, district, commune, district_key FROM drives ORDER BY id",
    "honour_ceremonies": "SELECT id, name, level, district, district_key FROM honour_ceremonies ORDER BY id",
    "campaigns": "SELECT id, name, year FROM campaigns ORDER BY id",
    "emergency_requests": "SELECT id, hospital_id, wave, area_level FROM emergency_requests ORDER BY id",
}


def _chapter_codes(conn, table):
    return [code for (code,) in conn.execute(sa.text(
        f"SELECT c.code FROM {table} t LEFT JOIN chapters c ON c.id = t.chapter_id ORDER BY t.id"))]


def test_district_based_data_upgrades_onto_the_chapter_tree_with_nothing_lost(engine):
    config = _alembic_config(engine)
    command.downgrade(config, "0013_privacy")  # 0018 and h3's 0015/0016 go first
    command.downgrade(config, "0003_honours")  # then 0017: the registry as it was before chapters
    with engine.begin() as conn:
        assert "chapters" not in sa.inspect(conn).get_table_names()
        _old_registry(conn)
        before = {name: conn.execute(sa.text(query)).all() for name, query in SNAPSHOTS.items()}
    upgrade(engine)
    with engine.connect() as conn:
        after = {name: conn.execute(sa.text(query)).all() for name, query in SNAPSHOTS.items()}
        assert after == before  # every row and every value as entered is still there
        tree = conn.execute(sa.text("SELECT code, kind, parent_id, path FROM chapters ORDER BY code")).all()
        assert [(code, kind) for code, kind, *_ in tree] == [
            ("VN", "national"), ("VN-15", "province"), ("VN-15-04252", "commune"),
            ("VN-92", "province"), ("VN-92-31507", "commune")]
        paths = {code: path for code, _, _, path in tree}
        assert paths["VN-92-31507"].startswith(paths["VN-92"]) and paths["VN-15-04252"].startswith(paths["VN-15"])
        assert _chapter_codes(conn, "donors") == [code for _, code in DONORS]
        assert _chapter_codes(conn, "hospitals") == [code for *_, code in HOSPITALS]
        assert _chapter_codes(conn, "drives") == [code for *_, code in DRIVES]
        assert _chapter_codes(conn, "honour_ceremonies") == [code for *_, code in CEREMONIES]
        assert _chapter_codes(conn, "campaigns") == ["VN-92"]  # both its drives are in Cần Thơ
        located = conn.execute(sa.text("SELECT province_code, commune_code FROM hospitals ORDER BY id")).all()
        assert [tuple(r) for r in located] == [codes for _, _, codes, _ in HOSPITALS]
        located = conn.execute(sa.text("SELECT province_code, commune_code FROM drives ORDER BY id")).all()
        assert [tuple(r) for r in located] == [codes for _, _, codes, _ in DRIVES]
        request = conn.execute(sa.text("SELECT province_code, commune_code FROM emergency_requests")).one()
        assert tuple(request) == ("92", "31507")  # its hospital's place


def test_an_empty_registry_gets_no_chapters(engine):
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM chapters")) == 0


def test_what_stays_above_the_communes_is_listed(engine):
    from sqlmodel import Session

    from donor_registry.chapters.stats import unmapped

    test_district_based_data_upgrades_onto_the_chapter_tree_with_nothing_lost(engine)
    with Session(engine) as session:
        listed = unmapped(session=session)
    assert listed["donors"] == {"VN": 1, "VN-92": 1}  # no address at all; the split Xã Tân Thạnh
    assert [(d["id"], d["chapter"]) for d in listed["drives"]] == [(2, "VN-92")]
    assert [(h["id"], h["chapter"]) for h in listed["hospitals"]] == [(2, "VN-15"), (3, "VN")]
    assert [(c["id"], c["chapter"]) for c in listed["ceremonies"]] == [(1, "VN-92"), (2, "VN")]
