"""The exact selection order of matching over every ring at once (hospital in Phường Sóc Trăng).

A hand-built dataset with donors in every default ring, each ring holding several groups, and
donors that must never be picked (opted out, too old, incompatible, unavailable, claimed by another
request, already asked for this one) or only at the very end (called 5 days ago: rotation). Donor
numbers follow the order of creation below; the expected lists are written by hand from that
table: ring first, then preference (A+ 0, O+ 2, A− 3, O− 5 for an A+ recipient), then donor id.
A phone already picked skips the later donor sharing it.

 #  key            group  place                          ring (default rings)
 1  h_apos         A+     Phường Ba Đình, Hà Nội         everywhere
 2  n_oneg         O−     Xã Trà Ôn, Vĩnh Long 35 km     neighbours
 3  n_apos         A+     Xã Trà Ôn                      neighbours
 4  p_nocommune    A+     Cần Thơ, no commune            province
 5  p_apos         A+     Phường Ninh Kiều 51 km         province
 6  p_recent       A+     Phường Ninh Kiều               province (asked 5 days ago: last)
 7  b_opos         O+     Xã Tân Hòa, Vĩnh Long 23 km    25km
 8  b_unavailable  A+     Xã Tân Hòa                     (not available until later)
 9  b_claimed      A+     Xã Tân Hòa                     (claimed by another request)
10  t_aneg         A−     Phường Phú Lợi 4 km            10km
11  t_samephone    A+     Phường Phú Lợi                 10km, shares its phone with s_apos
12  t_apos         A+     Phường Phú Lợi                 10km
13  s_oneg         O−     Phường Sóc Trăng               commune
14  s_opos         O+     Phường Sóc Trăng               commune
15  s_apos         A+     Phường Sóc Trăng               commune, the shared phone
16  s_optout       A+     Phường Sóc Trăng               (opted out of SMS)
17  s_asked        A+     Phường Sóc Trăng               (already asked for this request)
18  s_old          A+     Phường Sóc Trăng               (born 1950: too old)
19  s_bpos         B+     Phường Sóc Trăng               (incompatible)
"""

import datetime as dt

import pytest

from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.emergency import matching
from donor_registry.emergency.models import CallOut, DonorClaim, EmergencyRequest
from donor_registry.places.rings import RingArea
from donor_registry.portal.models import DonorAvailability
from tests.service import emergency_support as make

CAN_THO = "Thành phố Cần Thơ"
SOC_TRANG = {"commune": "Phường Sóc Trăng", "province": CAN_THO}
PHU_LOI = {"commune": "Phường Phú Lợi", "province": CAN_THO}
TAN_HOA = {"commune": "Xã Tân Hòa", "province": "Tỉnh Vĩnh Long"}
NINH_KIEU = {"commune": "Phường Ninh Kiều", "province": CAN_THO}
TRA_ON = {"commune": "Xã Trà Ôn", "province": "Tỉnh Vĩnh Long"}
HANOI = {"commune": "Phường Ba Đình", "province": "Hà Nội"}
SHARED_PHONE = "0909111222"

# Default rings: (donor key, ring it is picked from), in the order matching must ask them.
DEFAULT_ORDER = [
    ("s_apos", "commune"), ("s_opos", "commune"), ("s_oneg", "commune"),
    ("t_apos", "10km"), ("t_aneg", "10km"),
    ("b_opos", "25km"),
    ("p_nocommune", "province"), ("p_apos", "province"),
    ("n_apos", "neighbours"), ("n_oneg", "neighbours"),
    ("h_apos", "everywhere"),
    ("p_recent", "province"),
]
DEFAULT_WIDEST = ["commune"] * 3 + ["10km"] * 2 + ["25km"] + ["province"] * 2 + ["neighbours"] * 2 + ["everywhere"] * 2
# Rings 10km then everywhere: Sóc Trăng and Phú Lợi form one ring, so t_samephone (11) comes
# before s_apos (15), which is then the one skipped.
WIDE_ORDER = [
    ("t_samephone", "10km"), ("t_apos", "10km"), ("s_opos", "10km"), ("t_aneg", "10km"), ("s_oneg", "10km"),
    ("h_apos", "everywhere"), ("n_apos", "everywhere"), ("p_nocommune", "everywhere"), ("p_apos", "everywhere"),
    ("b_opos", "everywhere"), ("n_oneg", "everywhere"),
    ("p_recent", "everywhere"),
]


def _dataset(session, now):
    hospital, _ = make.hospital(session, now, name="Bệnh viện Đa khoa Sóc Trăng", place=SOC_TRANG)
    other_hospital, _ = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
    rows = [
        ("h_apos", "A+", HANOI, {}), ("n_oneg", "O-", TRA_ON, {}), ("n_apos", "A+", TRA_ON, {}),
        ("p_nocommune", "A+", {"province": CAN_THO}, {}), ("p_apos", "A+", NINH_KIEU, {}),
        ("p_recent", "A+", NINH_KIEU, {}), ("b_opos", "O+", TAN_HOA, {}), ("b_unavailable", "A+", TAN_HOA, {}),
        ("b_claimed", "A+", TAN_HOA, {}), ("t_aneg", "A-", PHU_LOI, {}),
        ("t_samephone", "A+", PHU_LOI, {"phone_e164": SHARED_PHONE}), ("t_apos", "A+", PHU_LOI, {}),
        ("s_oneg", "O-", SOC_TRANG, {}), ("s_opos", "O+", SOC_TRANG, {}),
        ("s_apos", "A+", SOC_TRANG, {"phone_e164": SHARED_PHONE}),
        ("s_optout", "A+", SOC_TRANG, {"sms_opted_out_at": now}), ("s_asked", "A+", SOC_TRANG, {}),
        ("s_old", "A+", SOC_TRANG, {"birth_year": 1950}), ("s_bpos", "B+", SOC_TRANG, {}),
    ]
    ids = {key: make.donor(session, now, group, place=place, **extra) for key, group, place, extra in rows}
    assert sorted(ids.values()) == list(ids.values())  # donor numbers follow the table
    request = _request(session, now, hospital)
    other = _request(session, now - dt.timedelta(days=5), other_hospital)
    session.add_all([
        _callout(other, ids["p_recent"], now - dt.timedelta(days=5), "recent"),
        _callout(request, ids["s_asked"], now, "asked"),
        DonorClaim(donor_id=ids["b_claimed"], request_id=other.id, claimed_at=now),
        DonorAvailability(donor_id=ids["b_unavailable"], not_until=now.date() + dt.timedelta(days=3), updated_at=now),
    ])
    session.flush()
    return request, ids


def _request(session, now, hospital):
    request = EmergencyRequest(
        abo="A", rh="+", units=1, needed_by=now + dt.timedelta(hours=6), hospital_id=hospital.id,
        created_at=now, created_by="test", province_code=hospital.province_code,
        commune_code=hospital.commune_code, latitude=hospital.latitude, longitude=hospital.longitude)
    session.add(request)
    session.flush()
    return request


def _callout(request, donor_id, asked_at, token):
    return CallOut(request_id=request.id, donor_id=donor_id, wave=1, asked_at=asked_at,
                   reply_token_hash=token.ljust(64, "0"), token_expires_at=asked_at + dt.timedelta(hours=6))


def _pick(session, now, settings, request, want, rings, **extra):
    picked, widest = matching.pick(session=session, request=request, want=want, now=now, on=now.date(),
                                   rules=settings.eligibility, rotation_days=30, rings=rings, **extra)
    return [c.donor_id for c in picked], widest


@pytest.fixture(params=[0, 24, 10_000], ids=["one-query-per-ring", "merged-up-to-24-communes", "merged"])
def merge_communes(request, monkeypatch):
    """Every grouping of the rings into queries must give the same order."""
    monkeypatch.setattr(matching, "MERGE_COMMUNES", request.param)
    return request.param


@pytest.mark.parametrize("want", range(1, 14))
def test_default_rings_pick_in_ring_then_preference_then_id_order(session, now, settings, want, merge_communes):
    request, ids = _dataset(session, now)
    picked, widest = _pick(session, now, settings, request, want, settings.emergency.rings)
    assert picked == [ids[key] for key, _ in DEFAULT_ORDER[:want]]
    assert widest == DEFAULT_WIDEST[min(want, len(DEFAULT_ORDER)) - 1]


def test_a_ring_of_several_communes_orders_by_preference_and_id_not_by_commune(session, now, settings, merge_communes):
    request, ids = _dataset(session, now)
    for want in (1, 4, 5, 6, 11, 20):
        picked, widest = _pick(session, now, settings, request, want, ["10km", "everywhere"])
        assert picked == [ids[key] for key, _ in WIDE_ORDER[:want]], want
        assert widest == WIDE_ORDER[min(want, len(WIDE_ORDER)) - 1][1]


def test_excluded_donors_and_skipped_phones_are_passed_over(session, now, settings, merge_communes):
    request, ids = _dataset(session, now)
    t_apos_phone = session.get(Donor, ids["t_apos"]).phone_e164
    picked, widest = _pick(session, now, settings, request, 4, settings.emergency.rings,
                           exclude={ids["s_apos"], ids["b_opos"]}, skip_phones={t_apos_phone})
    # s_apos excluded: its phone is free again, so t_samephone is asked; t_apos's phone was asked.
    assert picked == [ids["s_opos"], ids["s_oneg"], ids["t_samephone"], ids["t_aneg"]]
    assert widest == "10km"


def test_without_rotation_a_recently_asked_donor_keeps_its_ring_place(session, now, db_url, merge_communes):
    settings = Settings(database={"url": db_url})
    request, ids = _dataset(session, now)
    picked, _ = matching.pick(session=session, request=request, want=8, now=now, on=now.date(),
                              rules=settings.eligibility, rotation_days=0, rings=settings.emergency.rings)
    assert [c.donor_id for c in picked] == [ids[k] for k in (
        "s_apos", "s_opos", "s_oneg", "t_apos", "t_aneg", "b_opos", "p_nocommune", "p_apos")]
    picked, _ = matching.pick(session=session, request=request, want=9, now=now, on=now.date(),
                              rules=settings.eligibility, rotation_days=0, rings=settings.emergency.rings)
    assert picked[-1].donor_id == ids["p_recent"]


def test_rings_of_communes_share_a_query_within_the_budget_and_wider_rings_do_not():
    areas = [RingArea("commune", communes=("1",)), RingArea("10km", communes=("2", "3")),
             RingArea("25km", communes=("4", "5", "6")), RingArea("province", provinces=("92",)),
             RingArea("neighbours", provinces=("86", "91")), RingArea("everywhere", everywhere=True)]
    def rings(budget):
        return [[a.ring for _, a in group] for group in matching.ring_groups(areas, merge_communes=budget)]
    assert rings(6) == [["commune", "10km", "25km"], ["province"], ["neighbours"], ["everywhere"]]
    assert rings(5) == [["commune", "10km"], ["25km"], ["province"], ["neighbours"], ["everywhere"]]
    assert rings(0) == [["commune"], ["10km"], ["25km"], ["province"], ["neighbours"], ["everywhere"]]
    assert [i for group in matching.ring_groups(areas, merge_communes=6) for i, _ in group] == [0, 1, 2, 3, 4, 5]
