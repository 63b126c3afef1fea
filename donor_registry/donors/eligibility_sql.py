"""The eligibility rule as a SQL condition over the donors table, for filtering in the database.

It reads the columns donations.service keeps current (eligible_again_on, deferred_until) and
mirrors eligibility.check on everything else; tests/service/test_eligibility_sql.py checks
the two agree donor by donor. Unknown age or weight do not exclude (they are warnings there too).
"""

import datetime as dt

from sqlalchemy import and_, bindparam, or_

from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules, anniversary
from donor_registry.types import Sex

# The condition's values by name: eligible_values gives them for a day, eligible_clause_bound
# reads them from bind parameters of these names (a statement built once, run on any day).
VALUE_NAMES = ("el_on", "el_born_by", "el_too_old_if_born_by", "el_year_max", "el_year_min", "el_weight_male",
               "el_weight_female")


def eligible_on_clause(on: dt.date, rules: EligibilityRules):
    """Donors who may give (any type) on the given day."""
    return _eligible(*eligible_values(on, rules).values())


def eligible_clause_bound():
    """The same condition with its values as bind parameters named VALUE_NAMES (eligible_values)."""
    return _eligible(*(bindparam(name) for name in VALUE_NAMES))


def eligible_values(on: dt.date, rules: EligibilityRules) -> dict[str, object]:
    """The values of the condition for a day, by the names in VALUE_NAMES."""
    # Old enough: born on or before `born_by`. Not too old: born after `too_old_if_born_by`.
    # With only a birth year, the latest birthday (31 Dec) decides the first test and the
    # earliest (1 Jan) the second, as eligibility.check does.
    values = (on, _latest_birth(on, rules.min_age, early=False), _latest_birth(on, rules.max_age + 1, early=True),
              on.year - rules.min_age - (0 if (on.month, on.day) == (12, 31) else 1), on.year - rules.max_age,
              rules.min_weight_male_kg, rules.min_weight_female_kg)
    return dict(zip(VALUE_NAMES, values, strict=True))


def _eligible(on, born_by, too_old_if_born_by, year_max, year_min, weight_male, weight_female):
    return and_(
        Donor.merged_into_id.is_(None),
        or_(Donor.deceased_on.is_(None), Donor.deceased_on > on),
        or_(Donor.eligible_again_on.is_(None), Donor.eligible_again_on <= on),
        or_(Donor.deferred_until.is_(None), Donor.deferred_until <= on),
        _age_clause(born_by, too_old_if_born_by, year_max, year_min),
        _weight_clause(weight_male, weight_female),
    )


def _age_clause(born_by, too_old_if_born_by, year_max, year_min):
    by_date = and_(Donor.date_of_birth <= born_by, Donor.date_of_birth > too_old_if_born_by)
    by_year = and_(Donor.date_of_birth.is_(None), Donor.birth_year <= year_max, Donor.birth_year >= year_min)
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


def _weight_clause(weight_male, weight_female):
    return or_(
        Donor.weight_kg.is_(None),
        and_(Donor.sex == Sex.male, Donor.weight_kg >= weight_male),
        and_(Donor.sex != Sex.male, Donor.weight_kg >= weight_female),
    )
