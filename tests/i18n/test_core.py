"""The i18n building blocks, against hand-written tables."""

import datetime as dt

import pytest
from pydantic import ValidationError

from donor_registry.donations.models import DonationCreate
from donor_registry.donors.models import DonorCreate
from donor_registry.emergency.compatibility import Product
from donor_registry.i18n import formatting, use_language, validation, words
from donor_registry.i18n.labels import label, message_kind, yes_no
from donor_registry.types import DonationType, Sex

MOMENT = dt.datetime(2026, 12, 2, 22, 5, tzinfo=dt.UTC)  # 05:05 on 3 December in Vietnam


@pytest.mark.parametrize("language, expected", [
    ("vi", ("07/04/2026", "05:05", "03/12/2026 05:05", "1.234.567", "12,5")),
    ("en", ("07/04/2026", "05:05", "03/12/2026 05:05", "1,234,567", "12.5")),
])
def test_dates_times_and_numbers(language, expected):
    with use_language(language):
        shown = (formatting.date(dt.date(2026, 4, 7)), formatting.time(MOMENT), formatting.datetime(MOMENT),
                 formatting.number(1234567), formatting.number(12.5, decimals=1))
    assert shown == expected


def test_a_naive_moment_is_utc_and_json_stays_utc():
    naive = dt.datetime(2026, 12, 2, 22, 5)
    assert formatting.datetime(naive) == "03/12/2026 05:05"
    assert formatting.iso(naive) == "2026-12-02T22:05:00+00:00"
    assert formatting.date(None) == "" and formatting.iso(None) is None


def test_money_in_dong():
    with use_language("vi"):
        assert formatting.money(1234567).replace("\xa0", " ") == "1.234.567 ₫"


@pytest.mark.parametrize("value, vi, en", [
    (Sex.male, "nam", "male"), (Sex.female, "nữ", "female"),
    (DonationType.whole_blood, "máu toàn phần", "whole blood"),
    (DonationType.platelet_apheresis, "gạn tách tiểu cầu", "platelet apheresis"),
    (Product.red_cells, "khối hồng cầu", "red cells"), (Product.platelets, "tiểu cầu", "platelets"),
])
def test_labels(value, vi, en):
    with use_language("vi"):
        assert label(value) == vi
    with use_language("en"):
        assert label(value) == en


def test_yes_no():
    with use_language("vi"):
        assert (yes_no(True), yes_no(False), yes_no(None)) == ("có", "không", "")


@pytest.mark.parametrize("kind, vi, en", [
    ("invitation", "lời mời", "invitation"), ("portal_link", "đường dẫn hồ sơ", "record link"),
    ("emergency_call", "gọi khẩn cấp", "emergency call"), ("chapter_own_kind", "chapter_own_kind", "chapter_own_kind"),
])
def test_message_kinds_read_as_words(kind, vi, en):
    with use_language("vi"):
        assert message_kind(kind) == vi
    with use_language("en"):
        assert message_kind(kind) == en


def test_every_message_kind_the_registry_sends_has_words():
    from donor_registry.emergency import notify
    from donor_registry.sms.settings import DEFAULT_TEMPLATES

    kinds = [*DEFAULT_TEMPLATES, notify.CALL, notify.FILLED, notify.CANCELLED, "portal_link", "portal_code"]
    with use_language("vi"):
        assert [k for k in kinds if message_kind(k) == k] == []


@pytest.mark.parametrize("typed, expected", [
    ("nữ", Sex.female), ("NU", Sex.female), ("female", Sex.female), ("Nam", Sex.male), ("m", Sex.male),
    ("gạn tách tiểu cầu", DonationType.platelet_apheresis), ("gan tach tieu cau", DonationType.platelet_apheresis),
    ("Máu toàn phần", DonationType.whole_blood), ("whole_blood", DonationType.whole_blood),
    ("huyết tương", DonationType.plasma_apheresis), ("red cell apheresis", DonationType.red_cell_apheresis),
])
def test_words_in_either_language(typed, expected):
    assert words.parse(type(expected), typed) is expected


def test_an_unknown_word_lists_the_choices_in_the_current_language():
    with use_language("vi"), pytest.raises(words.UnknownWord) as caught:
        words.parse(Sex, "đàn ông x")
    assert caught.value.choices == ["nam", "nữ", "không rõ"]
    assert [words.parse_yes_no(w) for w in ("có", "co", "x", "không", "no")] == [True, True, True, False, False]


def _error(model, **fields) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model(**fields)
    return caught.value


def test_validation_errors_read_as_sentences_with_field_labels():
    heavy = _error(DonorCreate, full_name="Lê Thị Hoa", weight_kg=5000)
    big = _error(DonationCreate, donor_id=1, donated_on=dt.date(2026, 1, 1), volume_ml=5000)
    with use_language("vi"):
        assert validation.sentence(heavy) == "Cân nặng (kg): phải nhỏ hơn 300"
        assert validation.sentence(big) == "Thể tích (ml): phải nhiều nhất là 1000"
    with use_language("en"):
        assert validation.sentence(heavy) == "Weight (kg): must be less than 300"
        assert validation.field_errors(big) == {"volume_ml": "must be at most 1000"}
