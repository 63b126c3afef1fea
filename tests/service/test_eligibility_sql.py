"""The SQL eligibility filter agrees with the pure rule, donor by donor, at the age boundaries."""

import datetime as dt
import random

from sqlmodel import select

from donor_registry.donations.models import DonationCreate
from donor_registry.donations.service import donor_donations, donor_facts, record_donation
from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor, DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.eligibility import check
from donor_registry.types import DonationType, Sex

DAYS = [dt.date(2026, 6, 1), dt.date(2028, 2, 28), dt.date(2028, 2, 29), dt.date(2027, 2, 28),
        dt.date(2026, 12, 31), dt.date(2027, 1, 1)]


def _births_around(day: dt.date):
    """Birth dates a day either side of the 18th and 61st birthdays, and 29 February ones."""
    for years in (18, 61):
        base = dt.date(day.year - years, day.month, min(day.day, 28))
        for shift in (-2, -1, 0, 1, 2):
            yield base + dt.timedelta(days=shift)
    yield from (dt.date(2008, 2, 29), dt.date(2010, 2, 28), dt.date(1967, 3, 1), dt.date(1968, 2, 29))


def test_sql_filter_matches_pure_rule(session, now, rules):
    rng = random.Random(7)
    born = {b for day in DAYS for b in _births_around(day)}
    for i, birth in enumerate(sorted(born)):
        create_donor(session=session, now=now, data=DonorCreate(
            full_name=f"Người Thử {i}", date_of_birth=birth, sex=rng.choice(list(Sex)),
            weight_kg=rng.choice([None, 41.9, 42, 44.9, 45, 60])))
    for year in range(1963, 2011):
        create_donor(session=session, now=now, data=DonorCreate(full_name=f"Năm Sinh {year}", birth_year=year))
    donors = list(session.exec(select(Donor)))
    for donor in rng.sample(donors, 25):
        record_donation(session=session, donor_id=donor.id, rules=rules, now=now, override="any history", data=DonationCreate(
            donated_on=dt.date(2026, 5, rng.randint(1, 28)), type=rng.choice(list(DonationType))))
    session.flush()

    for day in DAYS:
        in_sql = set(session.exec(select(Donor.id).where(eligible_on_clause(day, rules))))
        by_rule = {
            donor.id for donor in donors
            if check(donor_facts(donor=donor, donations=donor_donations(session=session, donor_id=donor.id)),
                     DonationType.whole_blood, day, rules).eligible
        }
        assert in_sql == by_rule, day
