"""Matching: compatibility for every recipient group, eligibility, consent, rotation, widening."""

import datetime as dt

import pytest

from donor_registry.config import Settings
from donor_registry.donations.models import DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.emergency import matching
from donor_registry.emergency.compatibility import (
    ALL_GROUPS,
    compatible_donors,
    donor_preference_rank,
)
from donor_registry.emergency.models import EmergencyRequest
from donor_registry.emergency.service import cancel_request
from donor_registry.types import blood_group_label, parse_blood_group
from tests.service import emergency_support as make

GROUPS = sorted(blood_group_label(*g) for g in ALL_GROUPS)


def _request(session, now, hospital, group: str, product: str = "red_cells") -> EmergencyRequest:
    abo, rh = parse_blood_group(group)
    request = EmergencyRequest(
        abo=abo, rh=rh, product=product, units=1, needed_by=now + dt.timedelta(hours=6),
        hospital_id=hospital.id, created_at=now, created_by="test", commune_key=hospital.commune_key,
        district_key=hospital.district_key, province_key=hospital.province_key,
        province_code=hospital.province_code, commune_code=hospital.commune_code,
        latitude=hospital.latitude, longitude=hospital.longitude,
    )
    session.add(request)
    session.flush()
    return request


def _pick(session, now, settings, request, want=20):
    return matching.pick(session=session, request=request, want=want, now=now, on=now.date(),
                         rules=settings.eligibility, rotation_days=settings.emergency.rotation_days)


@pytest.mark.parametrize("product", ["red_cells", "plasma", "platelets"])
def test_every_recipient_group_gets_exactly_its_compatible_donors_in_preference_order(session, now, settings, product):
    hospital, _ = make.hospital(session, now)
    donor_group = {make.donor(session, now, group): parse_blood_group(group) for group in GROUPS for _ in range(2)}
    for recipient in GROUPS:
        request = _request(session, now, hospital, recipient, product)
        picked, _ = _pick(session, now, settings, request)
        got = [donor_group[c.donor_id] for c in picked]
        wanted_groups = compatible_donors(parse_blood_group(recipient), product)
        assert set(got) == set(wanted_groups), recipient
        assert len(got) == 2 * len(wanted_groups)
        ranks = [donor_preference_rank(g, parse_blood_group(recipient), product) for g in got]
        assert ranks == sorted(ranks), f"{recipient}: universal donors must come last"


def test_o_negative_is_kept_for_last_when_others_suffice(session, now, settings):
    hospital, _ = make.hospital(session, now)
    o_neg = make.donor(session, now, "O-")
    a_pos = [make.donor(session, now, "A+") for _ in range(3)]
    request = _request(session, now, hospital, "A+")
    picked, _ = _pick(session, now, settings, request, want=3)
    assert [c.donor_id for c in picked] == a_pos
    picked, _ = _pick(session, now, settings, request, want=4)
    assert picked[-1].donor_id == o_neg


def test_only_eligible_standby_contactable_donors_are_matched(session, now, settings, rules):
    hospital, _ = make.hospital(session, now)
    good = make.donor(session, now)
    make.donor(session, now, standby=False)
    make.donor(session, now, consent=False)
    make.donor(session, now, sms_opted_out_at=now)
    make.donor(session, now, birth_year=1950)  # too old
    gave_recently = make.donor(session, now)
    record_donation(session=session, donor_id=gave_recently, rules=rules, now=now,
                    data=DonationCreate(donated_on=now.date() - dt.timedelta(days=21)))
    make.donor(session, now, phone_e164="02838123456")  # a landline gets no SMS
    request = _request(session, now, hospital, "O+")
    picked, _ = _pick(session, now, settings, request)
    assert [c.donor_id for c in picked] == [good]


def test_hcm_places_of_the_old_tests_widen_by_rings(session, now, settings):
    """The old district-based places, converted: Phường 9 (Quận 3) and Bến Nghé (Quận 1) are a
    few km from the hospital's Võ Thị Sáu, Tân An (Long An, now Tây Ninh) some 45 km away."""
    hospital, _ = make.hospital(session, now)
    far = make.donor(session, now, place=make.OTHER_PROVINCE)
    next_district = make.donor(session, now, place=make.NEXT_DISTRICT)
    commune = make.donor(session, now)
    request = _request(session, now, hospital, "O+")
    picked, widest = _pick(session, now, settings, request, want=3)
    assert [c.donor_id for c in picked] == [commune, next_district, far]
    assert widest == "neighbours"


def test_recently_called_donors_are_asked_only_when_the_reserve_runs_out(session, now, settings):
    hospital, _ = make.hospital(session, now)
    called_before = make.donor(session, now)
    rested = make.donor(session, now, place=make.NEXT_DISTRICT)
    no_margin = Settings(database=settings.database, emergency={"wave_margin": 0})
    first = make.request(session, now, no_margin, hospital.id, units=1, note="an earlier emergency")
    assert make.asked(session, first.id) == [called_before]

    cancel_request(session=session, now=now, settings=settings, request_id=first.id, actor="test")
    later = now + dt.timedelta(days=10)
    request = _request(session, later, hospital, "O+")
    # Rotation: the donor asked ten days ago comes after a farther donor not asked lately.
    picked, _ = _pick(session, later, settings, request, want=1)
    assert [c.donor_id for c in picked] == [rested]
    picked, _ = _pick(session, later, settings, request, want=2)
    assert [c.donor_id for c in picked] == [rested, called_before]
    no_rotation = Settings(database=settings.database, emergency={"rotation_days": 0})
    picked, _ = _pick(session, later, no_rotation, request, want=1)
    assert [c.donor_id for c in picked] == [called_before]


def test_wave_size_is_missing_units_plus_margin_rounded_up():
    assert matching.wave_size(units=3, accepted=0, margin=1.0) == 6
    assert matching.wave_size(units=3, accepted=1, margin=0.5) == 3
    assert matching.wave_size(units=1, accepted=0, margin=0.2) == 2
    assert matching.wave_size(units=2, accepted=0, margin=0) == 2
    assert matching.wave_size(units=2, accepted=2, margin=1.0) == 0
    assert matching.wave_size(units=2, accepted=5, margin=1.0) == 0


def test_a_hospital_without_commune_starts_at_its_province(session, now):
    hospital, _ = make.hospital(session, now, place={"district": "Quận 3", "province": "TP Hồ Chí Minh"})
    assert (hospital.province_code, hospital.commune_code) == ("79", None)
    request = _request(session, now, hospital, "O+")
    assert [a.ring for a in matching.request_rings(request, settings_rings())] == ["province", "neighbours", "everywhere"]


def settings_rings():
    return Settings().emergency.rings
