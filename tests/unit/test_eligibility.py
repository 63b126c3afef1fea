"""Boundaries of the eligibility rules (Thông tư 26/2013/TT-BYT)."""

from dataclasses import replace
from datetime import date, timedelta

import pydantic
import pytest

from donor_registry.eligibility import (
    Deferral,
    DonorFacts,
    EligibilityRules,
    PastDonation,
    check,
    max_volume_ml,
    next_eligible_date,
)
from donor_registry.types import DonationType, Sex

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

WB = DonationType.whole_blood
PLASMA = DonationType.plasma_apheresis
PLATELETS = DonationType.platelet_apheresis
RBC = DonationType.red_cell_apheresis
RULES = EligibilityRules()
ON = date(2026, 11, 24)


def donor(**changes) -> DonorFacts:
    """A 30-year-old 60 kg man with no history, changed by keyword."""
    base = DonorFacts(
        date_of_birth=date(1996, 3, 15), birth_year=None, sex=Sex.male, weight_kg=60.0,
        donations=(), deferrals=(),
    )
    return replace(base, **changes)


def codes(verdict) -> set[str]:
    return {r.code for r in verdict.reasons}


# --- rules model -------------------------------------------------------------------------------

def test_rules_defaults():
    assert RULES.min_age == 18 and RULES.max_age == 60
    assert RULES.min_weight_female_kg == 42 and RULES.min_weight_male_kg == 45
    assert RULES.max_volume_ml_light == 250 and RULES.ml_per_kg == 9 and RULES.max_volume_ml == 500
    assert RULES.interval_days == {WB: 84, RBC: 84, PLASMA: 14, PLATELETS: 14}


def test_rules_from_config_partial_intervals_keep_defaults():
    rules = EligibilityRules.model_validate({"interval_days": {"plasma_apheresis": 21}})
    assert rules.interval_days[PLASMA] == 21
    assert rules.interval_days[WB] == 84


@pytest.mark.parametrize(
    "bad",
    [{"min_age": 70}, {"interval_days": {"whole_blood": 0}}, {"interval_days": {"bogus": 3}},
     {"min_weigth_male_kg": 50}],
)
def test_rules_reject_bad_config(bad):
    with pytest.raises(pydantic.ValidationError):
        EligibilityRules.model_validate(bad)


# --- age ---------------------------------------------------------------------------------------

def test_day_before_18th_birthday_is_too_young_until_birthday():
    facts = donor(date_of_birth=date(2008, 5, 10))
    v = check(facts, WB, date(2026, 5, 9), RULES)
    assert not v.eligible
    assert codes(v) == {"too_young"}
    assert v.reasons[0].until == date(2026, 5, 10)
    assert v.eligible_from == date(2026, 5, 10)
    assert "10/05/2026" in v.reasons[0].message


def test_18th_birthday_is_eligible():
    v = check(donor(date_of_birth=date(2008, 5, 10)), WB, date(2026, 5, 10), RULES)
    assert v.eligible and v.reasons == () and v.eligible_from == date(2026, 5, 10)


def test_aged_60_until_day_before_61st_birthday():
    facts = donor(date_of_birth=date(1966, 5, 10))
    assert check(facts, WB, date(2026, 5, 10), RULES).eligible  # 60th birthday
    assert check(facts, WB, date(2027, 5, 9), RULES).eligible  # last day aged 60
    v = check(facts, WB, date(2027, 5, 10), RULES)  # 61st birthday
    assert not v.eligible
    assert codes(v) == {"too_old"}
    assert v.reasons[0].until is None and v.eligible_from is None


def test_birth_year_only_minimum_age_waits_for_31_december():
    facts = donor(date_of_birth=None, birth_year=2008)
    v = check(facts, WB, date(2026, 12, 30), RULES)
    assert codes(v) == {"too_young"} and v.eligible_from == date(2026, 12, 31)
    assert check(facts, WB, date(2026, 12, 31), RULES).eligible


def test_birth_year_only_maximum_age_ends_with_the_year_of_60th_birthday():
    facts = donor(date_of_birth=None, birth_year=1966)
    assert check(facts, WB, date(2026, 12, 31), RULES).eligible
    v = check(facts, WB, date(2027, 1, 1), RULES)
    assert codes(v) == {"too_old"} and v.eligible_from is None


def test_date_of_birth_wins_over_birth_year_with_a_warning():
    facts = donor(date_of_birth=date(2008, 1, 5), birth_year=2007)
    v = check(facts, WB, date(2026, 1, 4), RULES)
    assert codes(v) == {"too_young"}
    assert any("disagrees" in w for w in v.warnings)


def test_29_february_birthday_is_conservative_both_ways():
    facts = donor(date_of_birth=date(2008, 2, 29))
    assert not check(facts, WB, date(2026, 2, 28), RULES).eligible
    assert check(facts, WB, date(2026, 3, 1), RULES).eligible
    old = donor(date_of_birth=date(1964, 2, 29))  # 61st birthday in 2025, a common year
    assert check(old, WB, date(2025, 2, 27), RULES).eligible
    assert codes(check(old, WB, date(2025, 2, 28), RULES)) == {"too_old"}


def test_unknown_age_warns_but_does_not_block():
    v = check(donor(date_of_birth=None, birth_year=None), WB, ON, RULES)
    assert v.eligible
    assert any("birth date unknown" in w for w in v.warnings)


def test_configured_age_limits_are_used():
    rules = EligibilityRules(min_age=17, max_age=65)
    facts = donor(date_of_birth=date(2009, 6, 1))
    assert check(facts, WB, date(2026, 6, 1), rules).eligible
    assert not check(facts, WB, date(2026, 6, 1), RULES).eligible


# --- weight ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "sex, weight, eligible",
    [
        (Sex.female, 41.9, False), (Sex.female, 42.0, True),
        (Sex.male, 44.9, False), (Sex.male, 45.0, True),
        (Sex.male, 42.0, False),
        (Sex.unknown, 41.9, False), (Sex.unknown, 42.0, True),
    ],
)
def test_weight_thresholds(sex, weight, eligible):
    v = check(donor(sex=sex, weight_kg=weight), WB, ON, RULES)
    assert v.eligible is eligible
    if not eligible:
        assert codes(v) == {"underweight"}
        assert v.eligible_from is None
        assert f"{weight:g} kg" in v.reasons[0].message


def test_unknown_sex_warns_that_womens_threshold_was_used():
    v = check(donor(sex=Sex.unknown, weight_kg=43.0), WB, ON, RULES)
    assert v.eligible
    assert any("sex unknown" in w for w in v.warnings)


def test_unknown_weight_warns_but_does_not_block():
    v = check(donor(weight_kg=None), WB, ON, RULES)
    assert v.eligible and v.reasons == ()
    assert any("weight unknown" in w for w in v.warnings)


def test_complete_facts_have_no_warnings():
    assert check(donor(), WB, ON, RULES).warnings == ()


# --- intervals ---------------------------------------------------------------------------------

def after(days: int, start: date = date(2026, 9, 1)) -> date:
    return start + timedelta(days=days)


@pytest.mark.parametrize("kind", [WB, RBC])
def test_84_days_after_whole_blood_or_red_cells(kind):
    facts = donor(donations=(PastDonation(date(2026, 9, 1), kind),))
    v = check(facts, WB, after(83), RULES)
    assert codes(v) == {"interval"}
    assert v.reasons[0].until == after(84) == date(2026, 11, 24)
    assert v.eligible_from == date(2026, 11, 24)
    assert check(facts, WB, after(84), RULES).eligible


def test_interval_message_names_the_dates():
    facts = donor(donations=(PastDonation(date(2026, 9, 1), WB),))
    message = check(facts, WB, after(83), RULES).reasons[0].message
    assert message == "last whole blood donation on 01/09/2026; next from 24/11/2026"


@pytest.mark.parametrize("kind", [PLASMA, PLATELETS])
def test_14_days_after_plasma_or_platelets(kind):
    facts = donor(donations=(PastDonation(date(2026, 9, 1), kind),))
    v = check(facts, PLASMA, after(13), RULES)
    assert codes(v) == {"interval"} and v.eligible_from == after(14)
    assert check(facts, PLASMA, after(14), RULES).eligible


def test_whole_blood_then_plasma_waits_12_weeks():
    facts = donor(donations=(PastDonation(date(2026, 9, 1), WB),))
    assert not check(facts, PLASMA, after(14), RULES).eligible
    assert not check(facts, PLASMA, after(83), RULES).eligible
    assert check(facts, PLASMA, after(84), RULES).eligible


def test_plasma_then_whole_blood_waits_2_weeks():
    facts = donor(donations=(PastDonation(date(2026, 9, 1), PLASMA),))
    assert not check(facts, WB, after(13), RULES).eligible
    assert check(facts, WB, after(14), RULES).eligible


def test_lawful_alternation_follows_most_recent_donation():
    facts = donor(donations=(
        PastDonation(date(2026, 1, 5), WB),
        PastDonation(date(2026, 3, 30), PLASMA),  # 84 days later: lawful
    ))
    assert not check(facts, WB, date(2026, 4, 12), RULES).eligible
    assert check(facts, WB, date(2026, 4, 13), RULES).eligible


def test_messy_history_plasma_one_week_after_whole_blood_keeps_12_weeks():
    facts = donor(donations=(
        PastDonation(date(2026, 9, 1), WB),
        PastDonation(date(2026, 9, 8), PLASMA),
    ))
    v = check(facts, WB, date(2026, 9, 22), RULES)  # 14 days after the plasma
    assert codes(v) == {"interval"}
    assert v.eligible_from == date(2026, 11, 24)
    assert "whole blood donation on 01/09/2026" in v.reasons[0].message
    assert not v.reasons[0].message.startswith("last")
    assert check(facts, WB, date(2026, 11, 24), RULES).eligible


def test_order_of_recorded_donations_does_not_matter():
    history = (PastDonation(date(2026, 9, 8), PLASMA), PastDonation(date(2026, 9, 1), WB))
    assert check(donor(donations=history), WB, date(2026, 11, 23), RULES).eligible_from == (
        date(2026, 11, 24)
    )


def test_donation_recorded_on_the_day_blocks_that_day():
    facts = donor(donations=(PastDonation(ON, PLASMA),))
    v = check(facts, PLASMA, ON, RULES)
    assert codes(v) == {"interval"} and v.eligible_from == ON + timedelta(days=14)


def test_later_recorded_donation_blocks_a_day_too_close_before_it():
    booked = PastDonation(date(2026, 12, 4), WB)
    facts = donor(donations=(booked,))
    v = check(facts, WB, date(2026, 11, 24), RULES)  # 10 days before the booked donation
    assert codes(v) == {"interval"}
    assert v.eligible_from == date(2026, 12, 4) + timedelta(days=84)
    assert "04/12/2026" in v.reasons[0].message


def test_later_recorded_donation_blocks_by_the_type_asked_for():
    facts = donor(donations=(PastDonation(date(2026, 12, 4), WB),))
    # Plasma on 2026-11-20 is 14 days before the whole-blood donation: lawful.
    assert check(facts, PLASMA, date(2026, 11, 20), RULES).eligible
    assert not check(facts, PLASMA, date(2026, 11, 21), RULES).eligible
    # Whole blood needs 84 days before the next donation.
    assert not check(facts, WB, date(2026, 11, 20), RULES).eligible
    assert check(facts, WB, date(2026, 12, 4) - timedelta(days=84), RULES).eligible


def test_check_of_a_date_long_before_a_recorded_donation_is_not_blocked():
    facts = donor(donations=(PastDonation(date(2026, 9, 1), WB),))
    assert check(facts, WB, date(2025, 1, 1), RULES).eligible


def test_configured_intervals_are_used():
    rules = EligibilityRules(interval_days={"whole_blood": 90})
    facts = donor(donations=(PastDonation(date(2026, 9, 1), WB),))
    assert check(facts, WB, after(89), rules).eligible_from == after(90)


# --- deferrals ---------------------------------------------------------------------------------

TATTOO = Deferral(start=date(2026, 6, 1), end=date(2026, 12, 1), reason="tattoo")


def test_deferral_blocks_the_day_before_its_end():
    v = check(donor(deferrals=(TATTOO,)), WB, date(2026, 11, 30), RULES)
    assert codes(v) == {"deferred"}
    assert v.reasons[0].until == date(2026, 12, 1) == v.eligible_from
    assert "tattoo" in v.reasons[0].message and "01/12/2026" in v.reasons[0].message


def test_deferral_end_is_the_first_free_day():
    assert check(donor(deferrals=(TATTOO,)), WB, date(2026, 12, 1), RULES).eligible


def test_deferral_blocks_from_its_start_not_before():
    facts = donor(deferrals=(TATTOO,))
    assert check(facts, WB, date(2026, 5, 31), RULES).eligible
    assert not check(facts, WB, date(2026, 6, 1), RULES).eligible


def test_permanent_deferral_never_clears():
    facts = donor(deferrals=(Deferral(date(2020, 1, 1), None, "HIV positive"),))
    v = check(facts, WB, ON, RULES)
    assert codes(v) == {"deferred_permanently"}
    assert v.eligible_from is None and v.reasons[0].until is None
    assert next_eligible_date(facts, WB, ON, RULES) is None


def test_deceased_is_never_eligible():
    v = check(donor(deceased=True), WB, ON, RULES)
    assert not v.eligible and codes(v) == {"deceased"} and v.eligible_from is None


# --- several reasons, next eligible date --------------------------------------------------------

def test_eligible_from_is_when_all_blocking_reasons_clear():
    facts = donor(
        donations=(PastDonation(date(2026, 9, 1), WB),),
        deferrals=(Deferral(date(2026, 10, 1), date(2026, 12, 10), "piercing"),),
    )
    v = check(facts, WB, date(2026, 10, 15), RULES)
    assert codes(v) == {"interval", "deferred"}
    assert v.eligible_from == date(2026, 12, 10)


def test_chained_reasons_are_followed():
    # The deferral ends inside the interval, which ends inside a second deferral.
    facts = donor(
        donations=(PastDonation(date(2026, 9, 1), WB),),
        deferrals=(
            Deferral(date(2026, 9, 1), date(2026, 10, 1), "a"),
            Deferral(date(2026, 11, 20), date(2027, 1, 5), "b"),
        ),
    )
    assert next_eligible_date(facts, WB, date(2026, 9, 10), RULES) == date(2027, 1, 5)


def test_waiting_past_the_61st_birthday_means_never():
    facts = donor(
        date_of_birth=date(1966, 12, 1),
        donations=(PastDonation(date(2027, 10, 1), WB),),
    )
    assert next_eligible_date(facts, WB, date(2027, 10, 15), RULES) is None


def test_too_young_and_in_interval_clears_at_the_later_date():
    facts = donor(date_of_birth=date(2008, 12, 1), donations=(PastDonation(date(2026, 11, 1), WB),))
    assert next_eligible_date(facts, WB, date(2026, 11, 10), RULES) == date(2027, 1, 24)


def test_next_eligible_date_of_an_eligible_donor_is_the_start():
    assert next_eligible_date(donor(), WB, ON, RULES) == ON


def test_underweight_has_no_next_date():
    assert next_eligible_date(donor(weight_kg=40.0), WB, ON, RULES) is None


# --- volume ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "weight, sex, expected",
    [
        (41.0, Sex.female, None),
        (42.0, Sex.female, 250),
        (44.9, Sex.female, 250),
        (45.0, Sex.female, 405),
        (50.0, Sex.female, 450),
        (60.0, Sex.female, 500),
        (44.9, Sex.male, None),
        (45.0, Sex.male, 405),
        (50.0, Sex.male, 450),
        (60.0, Sex.male, 500),
        (55.55, Sex.male, 499),
        (42.0, Sex.unknown, 250),
        (None, Sex.male, None),
    ],
)
def test_max_volume(weight, sex, expected):
    assert max_volume_ml(weight, sex, RULES) == expected


def test_max_volume_uses_configured_numbers():
    rules = EligibilityRules(ml_per_kg=8, max_volume_ml=450, max_volume_ml_light=200)
    assert max_volume_ml(43.0, Sex.female, rules) == 200
    assert max_volume_ml(50.0, Sex.male, rules) == 400
    assert max_volume_ml(70.0, Sex.male, rules) == 450
