"""0015/0016: a registry built before them, with district-based donors, upgrades with nothing
lost and every address resolved or flagged with its candidates.

h4 extends this with drives, hospitals and ceremonies."""

import datetime as dt

import sqlalchemy as sa
from alembic import command

from donor_registry.db import _alembic_config, upgrade

# (province, district, commune) as the old registry held them -> what 0016 gives, by hand from
# the statistics office's lists (expected codes are not computed by the code under test).
OLD_ADDRESSES = [
    (("Sóc Trăng", "Thành phố Sóc Trăng", "Phường 5"), "converted", "92", "31507", None),
    (("Yên Bái", "TP Yên Bái", "Phường Minh Tân"), "converted", "15", "04252", None),
    (("soc trang", "tp soc trang", "p.05"), "converted", "92", "31507", None),
    (("Cần Thơ", "Huyện Thới Lai", "Xã Tân Thạnh"), "split", "92", None, "31288 31666"),
    (("Yên Bái", "TP Yên Bái", "Phường Hoa Sen"), "unknown", "15", None, None),
    (("TP Cần Thơ", None, "Phường Sóc Trăng"), "new", "92", "31507", None),
    ((None, None, None), "empty", None, None, None),
    (("Hà Nội", None, None), "unknown", "01", None, None),
]
OLD_COLUMNS = ("id", "full_name", "name_folded", "address", "commune", "commune_key", "district",
               "district_key", "province", "province_key")


def _key(text):
    return None if text is None else text.lower()  # the key as stored: any value does


def _old_donor(i: int, province, district, commune, now) -> dict:
    return {"id": i, "full_name": f"Người {i}", "name_folded": f"nguoi {i}", "address": f"Thôn {i}",
            "province": province, "district": district, "commune": commune,
            "province_key": _key(province), "district_key": _key(district), "commune_key": _key(commune),
            "sex": "unknown", "phone_sms_capable": False, "standby": False, "donation_count": 0,
            "created_at": now, "updated_at": now}


def test_district_based_donors_upgrade_resolved_or_flagged_and_nothing_lost(engine, now):
    config = _alembic_config(engine)
    command.downgrade(config, "0013_privacy")  # the registry as 0013/0014 left it
    donors = sa.table("donors", *(sa.column(name) for name in (
        *OLD_COLUMNS, "sex", "phone_sms_capable", "standby", "donation_count", "created_at", "updated_at")))
    # Each address twice: the distinct addresses are converted once, every donor gets the result.
    rows = [_old_donor(i, *address, now) for i, (address, *_) in enumerate(OLD_ADDRESSES * 2, start=1)]
    with engine.begin() as conn:
        conn.execute(sa.insert(donors), rows)
        before = conn.execute(sa.text(f"SELECT {', '.join(OLD_COLUMNS)} FROM donors ORDER BY id")).all()
    upgrade(engine)
    with engine.connect() as conn:
        after = conn.execute(sa.text(f"SELECT {', '.join(OLD_COLUMNS)} FROM donors ORDER BY id")).all()
        got = conn.execute(sa.text(
            "SELECT address_status, province_code, commune_code, address_candidates, units_date"
            " FROM donors ORDER BY id")).all()
    assert after == before  # the address as entered, and every other column, kept
    expected = [(status, province, commune, candidates) for _, status, province, commune, candidates
                in OLD_ADDRESSES * 2]
    assert [tuple(row[:4]) for row in got] == expected
    dates = {(row[0], row[4] if isinstance(row[4], dt.date) or row[4] is None
              else dt.date.fromisoformat(row[4])) for row in got}
    assert dates == {(status, None if status == "empty" else dt.date(2025, 7, 1))
                     for _, status, *_ in OLD_ADDRESSES}


def test_the_address_revisions_go_down_and_up_again(engine):
    config = _alembic_config(engine)
    command.downgrade(config, "0013_privacy")
    with engine.connect() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("donors")}
    assert "commune_code" not in columns and "commune" in columns
    upgrade(engine)
    with engine.connect() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("donors")}
    assert {"province_code", "commune_code", "units_date", "address_status", "address_candidates"} <= columns
