"""The recording checks (recording.py): by example at each boundary, and as properties."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.eligibility import DonorFacts, EligibilityRules, PastDonation, check
from donor_registry.recording import NewDonation, recording_check
from donor_registry.types import DonationType, Sex

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

WB = DonationType.whole_blood
PLASMA = DonationType.plasma_apheresis
PLATELETS = DonationType.platelet_apheresis
RBC = DonationType.red_cell_apheresis
RULES = EligibilityRules()
# Days a donation of each type keeps the next one away (TT 26/2013 Điều 6), written out here.
WAIT = {WB: 84, RBC: 84, PLASMA: 14, PLATELETS: 14}


def donor(**changes) -> DonorFacts:
    """A 60 kg man born 15 March 1996 with no history, changed by keyword."""
    return replace(DonorFacts(date_of_birth=date(1996, 3, 15), birth_year=None, sex=Sex.male, weight_kg=60.0),
                   **changes)


def codes(result) -> list[str]:
    return [v.code for v in result.violations]


def test_a_first_donation_of_an_adult_passes():
    result = recording_check(donor(), NewDonation(date(2026, 6, 1), WB, 350))
    assert result.ok and result.allowed_from == date(2026, 6, 1)


def test_a_second_donation_on_the_same_day_is_refused_with_the_day_it_would_be_allowed():
    facts = donor(donations=(PastDonation(date(2026, 6, 1), PLASMA),))
    result = recording_check(facts, NewDonation(date(2026, 6, 1), PLASMA))
    assert codes(result) == ["same_day"]
    assert result.allowed_from == date(2026, 6, 15)
    assert "already recorded on 01/06/2026" in result.text() and "allowed from 15/06/2026" in result.text()


@pytest.mark.parametrize(("previous", "gap", "ok"), [
    (WB, 5, False), (WB, 83, False), (WB, 84, True),
    (RBC, 83, False), (RBC, 84, True),
    (PLASMA, 13, False), (PLASMA, 14, True),
    (PLATELETS, 13, False), (PLATELETS, 14, True),
])
def test_the_interval_after_each_type(previous, gap, ok):
    first = date(2026, 1, 5)
    facts = donor(donations=(PastDonation(first, previous),))
    result = recording_check(facts, NewDonation(first + timedelta(days=gap), PLASMA))
    assert result.ok is ok
    if not ok:
        assert codes(result) == ["interval"]
        assert result.allowed_from == first + timedelta(days=WAIT[previous])


def test_a_donation_five_days_after_whole_blood_names_the_date_it_would_be_allowed():
    facts = donor(donations=(PastDonation(date(2026, 5, 1), WB),))
    result = recording_check(facts, NewDonation(date(2026, 5, 6), WB))
    assert codes(result) == ["interval"] and result.allowed_from == date(2026, 7, 24)


def test_a_backdated_donation_too_close_before_a_recorded_one_is_refused():
    facts = donor(donations=(PastDonation(date(2026, 5, 1), WB),))
    assert codes(recording_check(facts, NewDonation(date(2026, 4, 20), WB))) == ["interval"]
    assert recording_check(facts, NewDonation(date(2026, 2, 6), WB)).ok  # 84 days before


def test_under_18_is_refused_until_the_18th_birthday_and_over_60_for_good():
    young = donor(date_of_birth=date(2008, 6, 10))
    result = recording_check(young, NewDonation(date(2026, 6, 9), WB))
    assert codes(result) == ["too_young"] and result.allowed_from == date(2026, 6, 10)
    assert recording_check(young, NewDonation(date(2026, 6, 10), WB)).ok
    old = donor(date_of_birth=date(1965, 6, 1))
    assert recording_check(old, NewDonation(date(2026, 5, 31), WB)).ok
    result = recording_check(old, NewDonation(date(2026, 6, 1), WB))
    assert codes(result) == ["too_old"] and result.allowed_from is None


@pytest.mark.parametrize(("day", "ok"), [
    (date(2025, 12, 31), False), (date(2026, 1, 1), True),  # born in 2008: possibly 18 from 1 January
    (date(2069, 12, 30), True), (date(2069, 12, 31), False),  # surely 61 only on the last day of 2069
])
def test_with_only_a_birth_year_only_a_date_surely_outside_the_ages_is_refused(day, ok):
    facts = donor(date_of_birth=None, birth_year=2008)
    assert recording_check(facts, NewDonation(day, WB)).ok is ok
    # eligibility.check, judging whether the donor may give, is conservative the other way.
    assert check(facts, WB, date(2026, 1, 1)).eligible is False


@pytest.mark.parametrize(("weight", "kind", "ok"), [
    (49.9, PLASMA, False), (50.0, PLASMA, True), (49.9, PLATELETS, False), (49.9, RBC, False),
    (49.9, WB, True), (None, PLASMA, True),
])
def test_apheresis_needs_50_kg(weight, kind, ok):
    result = recording_check(donor(weight_kg=weight), NewDonation(date(2026, 6, 1), kind))
    assert result.ok is ok
    if not ok:
        assert codes(result) == ["apheresis_underweight"] and result.allowed_from is None


@pytest.mark.parametrize(("weight", "sex", "kind", "volume", "ok"), [
    # whole blood: 42-45 kg at most 250 ml; from 45 kg 9 ml/kg up to 500 ml
    (43.0, Sex.female, WB, 250, True), (43.0, Sex.female, WB, 251, False),
    (50.0, Sex.male, WB, 450, True), (50.0, Sex.male, WB, 451, False),
    (70.0, Sex.male, WB, 500, True), (70.0, Sex.male, WB, 501, False),
    # apheresis: 50-60 kg at most 500 ml, from 60 kg 650 ml
    (55.0, Sex.male, PLASMA, 500, True), (55.0, Sex.male, PLASMA, 501, False),
    (60.0, Sex.male, PLATELETS, 650, True), (60.0, Sex.male, PLATELETS, 651, False),
    (None, Sex.male, WB, 900, True),
])
def test_the_volume_limit_follows_the_weight(weight, sex, kind, volume, ok):
    result = recording_check(donor(weight_kg=weight, sex=sex), NewDonation(date(2026, 6, 1), kind, volume))
    assert result.ok is ok
    if not ok:
        assert codes(result) == ["volume"] and result.allowed_from is None


def test_underweight_for_whole_blood_is_refused_once():
    result = recording_check(donor(weight_kg=40.0, sex=Sex.female), NewDonation(date(2026, 6, 1), PLASMA, 300))
    assert codes(result) == ["underweight"]


def test_several_violations_are_all_named():
    facts = donor(date_of_birth=date(2009, 1, 1), donations=(PastDonation(date(2026, 5, 20), WB),))
    result = recording_check(facts, NewDonation(date(2026, 6, 1), WB))
    assert sorted(codes(result)) == ["interval", "too_young"]
    assert result.allowed_from == date(2027, 1, 1)


# --- properties ---------------------------------------------------------------------------------

days = st.integers(min_value=0, max_value=400).map(lambda n: date(2025, 1, 1) + timedelta(days=n))
kinds = st.sampled_from(list(DonationType))
histories = st.lists(st.builds(PastDonation, days, kinds), max_size=6)
births = st.integers(min_value=0, max_value=60 * 366).map(lambda n: date(1962, 1, 1) + timedelta(days=n))
year_only = st.booleans()


def _independent_interval_ok(history, new: NewDonation) -> bool:
    """The interval rule written out: no donation within its own wait before the new one, and
    the new one's wait does not reach a later donation; never two on one day."""
    for past in history:
        gap = (new.date - past.date).days
        if gap == 0 or 0 < gap < WAIT[past.type] or 0 < -gap < WAIT[new.type]:
            return False
    return True


@settings(derandomize=True, max_examples=300, deadline=None)
@given(histories, days, kinds, births, year_only)
def test_the_recording_check_agrees_with_the_eligibility_rule(history, day, kind, born, only_year):
    facts = donor(date_of_birth=None if only_year else born, birth_year=born.year, donations=tuple(history))
    new = NewDonation(day, kind)
    result = recording_check(facts, new, RULES)
    verdict = check(facts, kind, day, RULES, lenient_birth_year=True)
    assert result.ok == verdict.eligible
    assert result.allowed_from == verdict.eligible_from


@settings(derandomize=True, max_examples=300, deadline=None)
@given(histories, days, kinds)
def test_the_interval_part_matches_the_rule_written_out(history, day, kind):
    new = NewDonation(day, kind)
    assert recording_check(donor(donations=tuple(history)), new, RULES).ok == _independent_interval_ok(history, new)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(histories, days, kinds, births, year_only)
def test_recording_on_the_allowed_day_passes(history, day, kind, born, only_year):
    facts = donor(date_of_birth=None if only_year else born, birth_year=born.year, donations=tuple(history))
    result = recording_check(facts, NewDonation(day, kind), RULES)
    if result.allowed_from is not None:
        assert result.allowed_from >= day
        assert recording_check(facts, NewDonation(result.allowed_from, kind), RULES).ok
