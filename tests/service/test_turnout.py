"""Expected turnout: donors of the drive's area eligible on its day, counted by blood group."""

import datetime as dt

from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.campaigns.turnout import expected_turnout
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.types import DonationType

DAY = dt.date(2026, 6, 20)
HERE = {"commune": "Xã Tân Lập", "district": "Huyện Đan Phượng"}


def _donor(session, now, group, *, sex="male", weight=60, born=1990, **area):
    abo, rh = (group[:-1], group[-1]) if group and group[-1] in "+-" else (group, None)
    return create_donor(session=session, now=now, data=DonorCreate(
        full_name=f"Người hiến {group}", birth_year=born, sex=sex, weight_kg=weight,
        abo=abo or None, rh=rh, **(HERE | area)))


def _give(session, now, rules, donor, day, kind=DonationType.whole_blood, **extra):
    record_donation(session=session, donor_id=donor.id, rules=rules, now=now,
                    data=DonationCreate(donated_on=day, type=kind, **extra))


def _population(session, now, rules):
    """Eligible in the commune: O+ ×2, A- (no district recorded), AB+ (plasma 19 days ago), '?' and 'A?'."""
    _donor(session, now, "O+")
    _donor(session, now, "O+", sex="female", weight=42)
    _donor(session, now, "A-", district=None)
    _give(session, now, rules, _donor(session, now, "AB+"), dt.date(2026, 6, 1), DonationType.plasma_apheresis)
    _donor(session, now, "")
    _donor(session, now, "A")
    # Not eligible on the day, or not living there:
    _give(session, now, rules, _donor(session, now, "B+"), dt.date(2026, 5, 1))  # 84 days not yet passed
    _give(session, now, rules, _donor(session, now, "B-"), dt.date(2026, 5, 1), outcome=Outcome.deferred,
          deferral_reason="thiếu máu", deferral_until=dt.date(2026, 7, 1))
    _donor(session, now, "O+", born=2009)  # 17 on the day
    _donor(session, now, "O+", born=1965)  # 61 on the day
    _donor(session, now, "O+", sex="female", weight=40)
    _donor(session, now, "O-", district="Huyện Thạch Thất")  # a commune of the same name elsewhere
    _donor(session, now, "O-", commune="Xã Hạ Mỗ")  # same district, another commune
    merged = _donor(session, now, "O+")
    merged.merged_into_id = _donor(session, now, "AB-", commune="Xã Hạ Mỗ").id
    dead = _donor(session, now, "O+")
    dead.deceased_on = dt.date(2026, 3, 1)
    session.add_all([merged, dead])
    session.commit()


def _drive(session, now, **area):
    return add_drive(session=session, settings=CampaignSettings(), now=now, data=DriveCreate(
        date=DAY, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa", **area))[0]


def test_turnout_of_a_commune_drive_by_blood_group(session, now, rules):
    _population(session, now, rules)
    turnout = expected_turnout(session=session, drive=_drive(session, now, **HERE), rules=rules)
    nonzero = {group: n for group, n in turnout.by_group.items() if n}
    assert nonzero == {"O+": 2, "A-": 1, "AB+": 1, "?": 1, "A?": 1}
    assert turnout.total == 6 and (turnout.area, turnout.area_name) == ("commune", "Xã Tân Lập")
    assert list(turnout.by_group)[:8] == ["O+", "O-", "A+", "A-", "B+", "B-", "AB+", "AB-"]


def test_turnout_moves_with_the_drive_date(session, now, rules):
    _population(session, now, rules)
    drive = _drive(session, now, **HERE)
    drive.date = dt.date(2026, 7, 24)  # 84 days after 1 May: the B+ donor is back; B- deferral over
    turnout = expected_turnout(session=session, drive=drive, rules=rules)
    assert turnout.by_group["B+"] == 1 and turnout.by_group["B-"] == 1


def test_turnout_of_a_district_drive_and_of_a_drive_without_area(session, now, rules):
    _population(session, now, rules)
    district = expected_turnout(session=session, drive=_drive(session, now, district="huyện đan phượng"), rules=rules)
    # The commune's donors with a district recorded (not A-), plus Xã Hạ Mỗ's O- and AB- (the donor kept
    # in the merge); the merged duplicate does not count.
    assert {g: n for g, n in district.by_group.items() if n} == {"O+": 2, "O-": 1, "AB+": 1, "AB-": 1, "?": 1, "A?": 1}
    nowhere = expected_turnout(session=session, drive=_drive(session, now), rules=rules)
    assert nowhere.total == 0 and nowhere.area is None
