"""The eligibility rule as a SQL condition over the donors table, for filtering in the database.

It reads the columns donations.service keeps current (eligible_again_on, deferred_until) and
mirrors eligibility.check on everything else; tests/service/test_eligibility_sql.py checks
the two agree donor by donor. Unknown age or weight do not exclude (they are warnings there too).
"""

import datetime as dt

from sqlalchemy import and_, or_

from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules, anniversary
from donor_registry.types import Sex


def eligible_on_clause(on: dt.date, rules: EligibilityRules):
    """Donors who may give (any type) on the given day."""
    return and_(
        Donor.merged_into_id.is_(None),
        or_(Donor.deceased_on.is_(None), Donor.deceased_on > on),
        or_(Donor.eligible_again_on.is_(None), Donor.eligible_again_on <= on),
        or_(Donor.deferred_until.is_(None), Donor.deferred_until <= on),
        _age_clause(on, rules),
        _weight_clause(rules),
    )


def _age_clause(on: dt.date, rules: EligibilityRules):
    # Old enough: born on or before `born_by`. Not too old: born after `too_old_if_born_by`.
    # With only a birth year, the latest birthday (31 Dec) decides the first test and the
    # earliest (1 Jan) the second, as eligibility.check does.
    born_by = _latest_birth(on, rules.min_age, early=False)
    too_old_if_born_by = _latest_birth(on, rules.max_age + 1, early=True)
    by_date = and_(Donor.date_of_birth <= born_by, Donor.date_of_birth > too_old_if_born_by)
    by_year = and_(
        Donor.date_of_birth.is_(None),
        Donor.birth_year <= on.year - rules.min_age - (0 if (on.month, on.day) == (12, 31) else 1),
        Donor.birth_year >= on.year - rules.max_age,
    )
    unknown = and_(Donor.date_of_birth.is_(None), Donor.birth_year.is_(None))
    return or_(by_date, by_year, unknown)


def _latest_birth(on: dt.date, years: int, *, early: bool) -> dt.date:
    """The latest birth date whose `years`th birthday falls on or before `on`.

    Asks eligibility.anniversary itself, so 29 February follows the pure rule exactly.
    """
    candidate = dt.date(on.year - years, on.month, min(on.day, 28)) - dt.timedelta(days=1)
    while anniversary(candidate + dt.timedelta(days=1), years, early=early) <= on:
        candidate += dt.timedelta(days=1)
    return candidate


def _weight_clause(rules: EligibilityRules):
    return or_(
        Donor.weight_kg.is_(None),
        and_(Donor.sex == Sex.male, Donor.weight_kg >= rules.min_weight_male_kg),
        and_(Donor.sex != Sex.male, Donor.weight_kg >= rules.min_weight_female_kg),
    )
