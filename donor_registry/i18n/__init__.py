"""Every word a person reads goes through here: gettext catalogs (Babel), Vietnamese by default.

Msgids are English; `locale/vi` translates them and `locale/en` repeats them, so that a missing
string shows up as a gap in both catalogs. The language is a context variable: one command, one
request or one job sets it with `use_language` and everything underneath speaks it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_ENV_VAR = "DONOR_REGISTRY_LANG"

_language: ContextVar[str] = ContextVar("donor_registry_language", default=DEFAULT_LANGUAGE)


class UnknownLanguage(ValueError):
    """A language the registry has no catalog for."""


def normalise_language(value: str) -> str:
    """'vi', 'VI', 'vi_VN', 'vi-VN' -> 'vi'; refuses what has no catalog."""
    code = value.strip().replace("-", "_").split("_")[0].lower()
    if code not in LANGUAGES:
        raise UnknownLanguage(value)
    return code


def current_language() -> str:
    return _language.get()


def set_language(language: str) -> None:
    _language.set(normalise_language(language))


def choose_language(asked: str | None, accept_language: str | None, default: str) -> str:
    """A web visitor's language: `asked` (?lang=) if it has a catalog, else the most preferred
    language of an Accept-Language header that has one, else `default` (the configured language)."""
    for candidate in [asked or "", *_accepted(accept_language or "")]:
        try:
            return normalise_language(candidate)
        except UnknownLanguage:
            continue
    try:
        return normalise_language(default)
    except UnknownLanguage:
        return DEFAULT_LANGUAGE


def _accepted(header: str) -> list[str]:
    """'en-US,en;q=0.9,vi;q=0.8' -> ['en-US', 'en', 'vi']: by quality, in order among equals; q=0 dropped."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        code, *params = [part.strip() for part in item.split(";")]
        quality = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code and code != "*" and quality > 0:
            ranked.append((-quality, position, code))
    return [code for _quality, _position, code in sorted(ranked)]


@contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _language.set(normalise_language(language))
    try:
        yield
    finally:
        _language.reset(token)


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog; compiled in memory from the .po when the .mo is missing or stale."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_path.exists() and (not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime):
        with mo_path.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(message: str) -> str:
    """`message` (an English msgid) in the current language."""
    return translations(_language.get()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """Like gettext, for a word whose translation depends on where it stands."""
    return translations(_language.get()).pgettext(context, message)


def gettext_noop(message: str) -> str:
    """Marks a string for extraction where it is translated later (module constants, enum labels)."""
    return message


def pgettext_noop(context: str, message: str) -> str:
    """Marks a string with its context for extraction; translated later with pgettext."""
    return message


_ = gettext
N_ = gettext_noop
NP_ = pgettext_noop
