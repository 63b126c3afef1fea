"""The language switch: one context, one language; unknown languages refused."""

import pytest

from donor_registry import i18n


@pytest.mark.parametrize(("given", "expected"), [("vi", "vi"), ("VI", "vi"), ("vi_VN", "vi"),
                                                 ("en-US", "en"), (" en ", "en")])
def test_language_codes_are_normalised(given, expected):
    assert i18n.normalise_language(given) == expected


@pytest.mark.parametrize("given", ["fr", "", "vie"])
def test_a_language_without_catalog_is_refused(given):
    with pytest.raises(i18n.UnknownLanguage):
        i18n.normalise_language(given)


def test_vietnamese_is_the_default_and_use_language_restores_it():
    assert i18n.current_language() == "vi"
    with i18n.use_language("en"):
        assert i18n.current_language() == "en"
    assert i18n.current_language() == "vi"


def test_a_message_without_translation_falls_back_to_its_msgid():
    assert i18n.gettext("A sentence no catalog holds 7f3a") == "A sentence no catalog holds 7f3a"
