"""The questionnaire's pure rules: the answers, the day they were given and the drive's date
give the verdict; the expected dates are written by hand (form 2026-1)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.questionnaire import form as forms
from donor_registry.questionnaire.rules import MissingAnswers, Result, add_months, evaluate

FORM = forms.load("2026-1")
DRIVE = dt.date(2026, 6, 5)
ANSWERED = dt.date(2026, 6, 1)
# The answers of a donor with nothing to report (feels well, weighs enough, no to the rest).
FINE = {q.id: q.id in ("feel_well", "weight") for q in FORM.questions}


def _verdict(changes: dict, *, answered_on=ANSWERED, drive_date=DRIVE, sex=None):
    return evaluate(FORM, {**FINE, **changes}, drive_date=drive_date, answered_on=answered_on, sex=sex)


@pytest.mark.parametrize(("changes", "answered_on", "result", "until"), [
    ({}, ANSWERED, Result.may_give, None),
    ({"donated_before": True}, ANSWERED, Result.may_give, None),  # informational
    ({"medication_7d": True}, ANSWERED, Result.deferred, dt.date(2026, 6, 8)),
    ({"flu_14d": True}, ANSWERED, Result.deferred, dt.date(2026, 6, 15)),
    ({"vaccine_1m": True}, ANSWERED, Result.deferred, dt.date(2026, 7, 1)),
    ({"epidemic_area_1m": True}, dt.date(2026, 6, 5), Result.deferred, dt.date(2026, 7, 5)),
    ({"tattoo_piercing_6m": True}, ANSWERED, Result.deferred, dt.date(2026, 12, 1)),
    ({"dental_acupuncture_6m": True}, ANSWERED, Result.deferred, dt.date(2026, 12, 1)),
    ({"blood_exposure_6m": True}, dt.date(2026, 5, 31), Result.deferred, dt.date(2026, 11, 30)),
    ({"surgery_12m": True}, ANSWERED, Result.deferred, dt.date(2027, 6, 1)),
    ({"pregnancy_ended_12m": True}, ANSWERED, Result.deferred, dt.date(2027, 6, 1)),
    ({"tattoo_piercing_6m": True, "surgery_12m": True, "flu_14d": True}, ANSWERED, Result.deferred,
     dt.date(2027, 6, 1)),  # the latest date
    # answered long enough before the drive, the deferral is over by then
    ({"medication_7d": True}, dt.date(2026, 5, 20), Result.may_give, None),
    ({"medication_7d": True}, dt.date(2026, 5, 29), Result.may_give, None),  # over on the drive's day itself
    ({"medication_7d": True}, dt.date(2026, 5, 30), Result.deferred, dt.date(2026, 6, 6)),
    ({"feel_well": False}, ANSWERED, Result.see_doctor, None),
    ({"chronic_illness": True, "risk_6m": True}, ANSWERED, Result.see_doctor, None),
    ({"feel_well": False, "medication_7d": True}, ANSWERED, Result.deferred, dt.date(2026, 6, 8)),
    ({"pregnant_nursing": True}, ANSWERED, Result.deferred, None),  # no date can be given
    ({"weight": False}, ANSWERED, Result.deferred, None),
    ({"weight": False, "surgery_12m": True}, ANSWERED, Result.deferred, None),
    ({"blood_borne": True}, ANSWERED, Result.permanent, None),
    ({"blood_borne": True, "flu_14d": True, "feel_well": False}, ANSWERED, Result.permanent, None),
])
def test_the_verdict_on_a_hand_written_table(changes, answered_on, result, until):
    verdict = _verdict(changes, answered_on=answered_on)
    assert (verdict.result, verdict.until) == (result, until)


def test_each_deferring_answer_is_a_finding_and_one_over_before_the_drive_does_not_defer():
    verdict = _verdict({"medication_7d": True, "vaccine_1m": True, "feel_well": False},
                       answered_on=dt.date(2026, 5, 20))
    assert [(f.question_id, f.defer, f.until, f.defers) for f in verdict.findings] == [
        ("feel_well", "doctor", None, False),
        ("vaccine_1m", "months", dt.date(2026, 6, 20), True),
        ("medication_7d", "days", dt.date(2026, 5, 27), False),
    ]
    assert (verdict.result, verdict.until) == (Result.deferred, dt.date(2026, 6, 20))


@pytest.mark.parametrize(("day", "months", "expected"), [
    (dt.date(2026, 3, 15), 12, dt.date(2027, 3, 15)),
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
    (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
    (dt.date(2027, 12, 31), 1, dt.date(2028, 1, 31)),
    (dt.date(2026, 12, 7), 6, dt.date(2027, 6, 7)),
])
def test_months_are_calendar_months(day, months, expected):
    assert add_months(day, months) == expected


def test_a_man_is_not_asked_the_womens_questions_and_a_missing_answer_is_named():
    mans = {key: value for key, value in FINE.items() if key not in ("pregnant_nursing", "pregnancy_ended_12m")}
    assert evaluate(FORM, mans, drive_date=DRIVE, answered_on=ANSWERED, sex="male").result == Result.may_give
    with pytest.raises(MissingAnswers) as missing:
        evaluate(FORM, mans, drive_date=DRIVE, answered_on=ANSWERED, sex="unknown")
    assert missing.value.question_ids == ["pregnant_nursing", "pregnancy_ended_12m"]
    assert evaluate(FORM, {**mans, "pregnant_nursing": True}, drive_date=DRIVE, answered_on=ANSWERED,
                    sex="male").result == Result.may_give  # an answer not asked is ignored


_GRAVITY = {Result.may_give: 0, Result.see_doctor: 1, Result.deferred: 2, Result.permanent: 3}
_ANSWERS = st.fixed_dictionaries({q.id: st.booleans() for q in FORM.questions})


@settings(derandomize=True, max_examples=300, deadline=None)
@given(answers=_ANSWERS, days_before=st.integers(min_value=0, max_value=60), extra=st.sampled_from(
    [q.id for q in FORM.questions if q.defers_on is not None]))
def test_a_further_deferring_answer_never_makes_the_verdict_milder(answers, days_before, extra):
    answered_on = DRIVE - dt.timedelta(days=days_before)
    before = evaluate(FORM, answers, drive_date=DRIVE, answered_on=answered_on)
    worse = {**answers, extra: FORM.question(extra).defers_on}
    after = evaluate(FORM, worse, drive_date=DRIVE, answered_on=answered_on)
    assert _GRAVITY[after.result] >= _GRAVITY[before.result]
    if before.result == after.result == Result.deferred and before.until and after.until:
        assert after.until >= before.until
    for verdict in (before, after):  # a dated deferral always ends after the drive, at the latest finding
        if verdict.result == Result.deferred and verdict.until is not None:
            assert verdict.until > DRIVE
            assert verdict.until == max(f.until for f in verdict.findings if f.defers and f.until)
        if verdict.result == Result.may_give:
            assert not any(f.defers or f.defer == "doctor" for f in verdict.findings)
