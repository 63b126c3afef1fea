"""Emergency matching by distance rings around the hospital (Phường Sóc Trăng, Cần Thơ).

Distances from the ward's reference point (tests/unit/test_rings.py checks the formula):
Phường Phú Lợi 4.0 km; Xã Tân Hòa, Tỉnh Vĩnh Long 23.3 km (across the border); Phường Ninh
Kiều, Cần Thơ 50.9 km; Xã Trà Ôn, Vĩnh Long 35.4 km; Phường Ba Đình, Hà Nội ~1,700 km.
"""

import datetime as dt

from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.campaigns.turnout import expected_turnout
from donor_registry.config import Settings
from donor_registry.emergency import matching
from donor_registry.emergency.models import EmergencyRequest
from donor_registry.places import rings
from donor_registry.types import parse_blood_group
from tests.service import emergency_support as make

CAN_THO = "Thành phố Cần Thơ"
SOC_TRANG = {"commune": "Phường Sóc Trăng", "province": CAN_THO}
PHU_LOI = {"commune": "Phường Phú Lợi", "province": CAN_THO}
ACROSS_BORDER = {"commune": "Xã Tân Hòa", "province": "Tỉnh Vĩnh Long"}
NINH_KIEU = {"commune": "Phường Ninh Kiều", "province": CAN_THO}
TRA_ON = {"commune": "Xã Trà Ôn", "province": "Tỉnh Vĩnh Long"}
HANOI = {"commune": "Phường Ba Đình", "province": "Hà Nội"}


def _request(session, now, hospital, group="O+"):
    abo, rh = parse_blood_group(group)
    request = EmergencyRequest(
        abo=abo, rh=rh, units=1, needed_by=now + dt.timedelta(hours=6), hospital_id=hospital.id,
        created_at=now, created_by="test", province_code=hospital.province_code,
        commune_code=hospital.commune_code, latitude=hospital.latitude, longitude=hospital.longitude)
    session.add(request)
    session.flush()
    return request


def _pick(session, now, settings, request, want):
    return matching.pick(session=session, request=request, want=want, now=now, on=now.date(),
                         rules=settings.eligibility, rotation_days=0, rings=settings.emergency.rings)


def test_rings_nearest_first_and_across_the_border_before_the_far_side_of_the_province(session, now, settings):
    hospital, _ = make.hospital(session, now, name="Bệnh viện Đa khoa Sóc Trăng", place=SOC_TRANG)
    assert (hospital.province_code, hospital.commune_code) == ("92", "31507")
    everywhere = make.donor(session, now, place=HANOI)
    neighbour = make.donor(session, now, place=TRA_ON)
    same_province_far = make.donor(session, now, place=NINH_KIEU)
    across_border = make.donor(session, now, place=ACROSS_BORDER)
    ten_km = make.donor(session, now, place=PHU_LOI)
    same_commune = make.donor(session, now, place=SOC_TRANG)
    request = _request(session, now, hospital)
    expected = [(same_commune, "commune"), (ten_km, "10km"), (across_border, "25km"),
                (same_province_far, "province"), (neighbour, "neighbours"), (everywhere, "everywhere")]
    for want in range(1, 7):
        picked, widest = _pick(session, now, settings, request, want)
        assert [c.donor_id for c in picked] == [d for d, _ in expected[:want]]
        assert widest == expected[want - 1][1]


def test_o_negative_is_last_within_each_ring_not_before_a_farther_exact_match(session, now, settings):
    hospital, _ = make.hospital(session, now, place=SOC_TRANG)
    o_neg_near = make.donor(session, now, "O-", place=SOC_TRANG)
    a_pos_near = make.donor(session, now, "A+", place=SOC_TRANG)
    a_pos_ten = make.donor(session, now, "A+", place=PHU_LOI)
    request = _request(session, now, hospital, "A+")
    picked, _ = _pick(session, now, settings, request, 3)
    # Nearest ring first; inside it, the exact group before the universal donor.
    assert [c.donor_id for c in picked] == [a_pos_near, o_neg_near, a_pos_ten]


def test_rings_come_from_config(session, now, db_url):
    settings = Settings(database={"url": db_url}, emergency={"rings": ["commune", "province", "everywhere"]})
    hospital, _ = make.hospital(session, now, place=SOC_TRANG)
    across_border = make.donor(session, now, place=ACROSS_BORDER)
    same_province_far = make.donor(session, now, place=NINH_KIEU)
    request = _request(session, now, hospital)
    picked, widest = _pick(session, now, settings, request, 2)
    assert [c.donor_id for c in picked] == [same_province_far, across_border]
    assert widest == "everywhere"


def test_waves_record_the_widest_ring(session, now, settings):
    cfg = Settings(database=settings.database, emergency={"wave_margin": 0})
    hospital, _ = make.hospital(session, now, place=SOC_TRANG)
    near = make.donor(session, now, place=SOC_TRANG)
    border = make.donor(session, now, place=ACROSS_BORDER)
    request = make.request(session, now, cfg, hospital.id, units=2)
    assert make.asked(session, request.id) == [near, border]
    assert request.area_level == "25km" and request.commune_code == "31507"


def test_turnout_counts_the_donors_within_the_drive_ring(session, now, rules):
    inside = [make.donor(session, now, place=p) for p in (SOC_TRANG, PHU_LOI, ACROSS_BORDER)]
    make.donor(session, now, place=NINH_KIEU)
    data = DriveCreate(date=now.date() + dt.timedelta(days=30), start_time=dt.time(7), end_time=dt.time(11),
                       venue="Nhà văn hóa phường Sóc Trăng", **SOC_TRANG)
    drive, warnings = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
    assert warnings == [] and drive.commune_code == "31507"
    for ring, count in [("commune", 1), ("10km", 2), ("25km", 3), ("province", 3)]:
        turnout = expected_turnout(session=session, drive=drive, rules=rules, ring=ring)
        assert (turnout.area, turnout.total) == (ring, count), ring
    assert len(inside) == 3
    assert rings.ring_km("25km") == 25
