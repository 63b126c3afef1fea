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


@pytest.mark.parametrize(("asked", "header", "default", "expected"), [
    ("en", "vi", "vi", "en"),                       # ?lang= first
    ("fr", "en-GB,en;q=0.8", "vi", "en"),           # an unknown ?lang= is ignored
    (None, "fr-FR,fr;q=0.9,en;q=0.8,vi;q=0.7", "vi", "en"),  # first supported in the header
    (None, "vi;q=0.5,en;q=0.9", "vi", "en"),        # by quality, not by position
    (None, "en;q=0,vi", "en", "vi"),                # q=0 means "not this one"
    (None, "*", "vi", "vi"),
    (None, "de, fr", "en", "en"),                   # nothing supported: the configured language
    (None, None, "xx", "vi"),                       # a configured language without catalog: Vietnamese
    ("", "", "vi", "vi"),
])
def test_a_web_visitor_gets_the_asked_then_accepted_then_configured_language(asked, header, default, expected):
    assert i18n.choose_language(asked, header, default) == expected
