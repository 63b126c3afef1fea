"""The questionnaire's form file: every shipped version is well formed, both languages for
every text, the deferrals as TT 26/2013's form states them; a malformed form is refused."""

import datetime as dt

import pytest

from donor_registry.questionnaire import form as forms

# The deferral of each deferring question of 2026-1, written from the registration form.
EXPECTED = {
    "feel_well": (False, "doctor", None), "chronic_illness": (True, "doctor", None),
    "blood_borne": (True, "permanent", None), "cured_12m": (True, "months", 12),
    "surgery_12m": (True, "months", 12), "transfusion_12m": (True, "months", 12),
    "rabies_vaccine_12m": (True, "months", 12), "weight_loss_6m": (True, "doctor", None),
    "dental_acupuncture_6m": (True, "months", 6), "tattoo_piercing_6m": (True, "months", 6),
    "blood_exposure_6m": (True, "months", 6), "recovered_6m": (True, "months", 6),
    "risk_6m": (True, "doctor", None), "infection_1m": (True, "months", 1), "vaccine_1m": (True, "months", 1),
    "epidemic_area_1m": (True, "months", 1), "flu_14d": (True, "days", 14), "medication_7d": (True, "days", 7),
    "pregnant_nursing": (True, "while", None), "pregnancy_ended_12m": (True, "months", 12),
    "weight": (False, "while", None),
}


@pytest.mark.parametrize("version", forms.versions())
def test_every_shipped_form_is_well_formed_in_both_languages(version):
    form = forms.load(version)
    assert form.version == version and isinstance(form.written, dt.date)
    assert "26/2013/TT-BYT" in form.source
    for question in form.questions:
        assert question.vi.strip() and question.en.strip() and question.vi != question.en
        assert bool(question.note_vi) == bool(question.note_en)
        if question.defer in ("days", "months"):
            assert question.period >= 1
        else:
            assert question.period is None


def test_the_current_form_defers_as_the_registration_form_says():
    form = forms.load(forms.CURRENT)
    assert {q.id: (q.defers_on, q.defer, q.period) for q in form.questions if q.defer} == EXPECTED
    assert [q.id for q in form.questions if q.defer is None] == ["donated_before"]
    assert [q.id for q in form.questions if q.asked_of == "women"] == ["pregnant_nursing", "pregnancy_ended_12m"]
    assert "Hôm nay anh/chị có cảm thấy khỏe mạnh không?" == form.question("feel_well").vi


_GOOD = {"id": "x", "vi": "Câu hỏi?", "en": "A question?", "defers_on": "yes", "defer": "days", "period": 7}


@pytest.mark.parametrize(("change", "message"), [
    ({"en": ""}, "'en' must be a non-empty text"),
    ({"vi": None}, "'vi' must be a non-empty text"),
    ({"defer": None}, "'defers_on' and 'defer' go together"),
    ({"defers_on": "maybe"}, "'defers_on' must be"),
    ({"defer": "weeks"}, "'defer' must be one of"),
    ({"period": 0}, "needs a whole 'period'"),
    ({"period": "7"}, "needs a whole 'period'"),
    ({"defer": "doctor"}, "only a deferral in days or months has a 'period'"),
    ({"asked_of": "men"}, "'asked_of' can only be"),
    ({"note_vi": "Ghi chú"}, "a note needs both languages"),
    ({"colour": "red"}, "unknown keys"),
])
def test_a_malformed_question_is_refused(change, message):
    raw = {key: value for key, value in {**_GOOD, **change}.items() if value is not None}
    with pytest.raises(forms.FormError, match=message):
        forms.parse({"version": "t", "written": dt.date(2026, 1, 1), "source": "s", "question": [raw]})


def test_a_form_without_its_version_questions_or_with_twice_the_same_id_is_refused():
    base = {"version": "t", "written": dt.date(2026, 1, 1), "source": "s"}
    for data, message in (({**base, "question": []}, "no question"),
                          ({**base, "written": "2026-01-01", "question": [_GOOD]}, "needs 'written'"),
                          ({**base, "question": [_GOOD, _GOOD]}, "same id")):
        with pytest.raises(forms.FormError, match=message):
            forms.parse(data)
