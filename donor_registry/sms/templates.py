"""SMS texts from the templates registered in config.toml ([sms.templates])."""

import functools
import string
from collections.abc import Callable

from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.text import nfc, strip_diacritics

# Planning renders a text per donor: the template and repeated values (given names, venues)
# are stripped of diacritics once, not 100,000 times.
_strip_cached = functools.lru_cache(maxsize=65_536)(strip_diacritics)


def _plain(text: str) -> str:
    return text if text.isascii() else _strip_cached(text)


def sms_settings(settings):
    """Accept the whole Settings or just its SmsSettings."""
    return getattr(settings, "sms", settings)


@functools.lru_cache(maxsize=256)
def placeholders(template: str) -> frozenset[str]:
    """The {names} a template uses."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


#: The text a kind takes when its message carries the donor's personal drive link (a drive with
#: slots), e.g. [sms.templates] invitation_with_link; without it, the kind's own text.
WITH_LINK = "{kind}_with_link"


def text_key(kind: str, settings, has_link: bool) -> str:
    """Which [sms.templates] entry a `kind` message is written from."""
    variant = WITH_LINK.format(kind=kind)
    return variant if has_link and variant in sms_settings(settings).templates else kind


def template_of(kind: str, settings, language: str = "vi") -> str | None:
    """The registered text of `kind` in the donor's language ([sms.templates_en] for "en"),
    else the Vietnamese one."""
    sms = sms_settings(settings)
    english = sms.templates_en.get(kind) if language == "en" else None
    return english or sms.templates.get(kind)


def renderer(kind: str, settings, needs: frozenset[str] = frozenset(), language: str = "vi") -> Callable[..., str]:
    """A fast `fields -> text` function for many messages of one kind (checks done once).

    `needs` are the fields every call will give; a template asking for others is refused now.
    """
    sms = sms_settings(settings)
    template = template_of(kind, sms, language)
    if template is None:
        known = ", ".join(sorted(sms.templates))
        raise UserError(_("no SMS template '{kind}' in [sms.templates] (known: {known})").format(kind=kind, known=known))
    general = getattr(settings, "general", None)
    defaults = {"to_chuc": general.chapter_name} if general is not None else {}
    used = placeholders(template)
    missing = used - needs - defaults.keys()
    if needs and missing:
        raise UserError(_("SMS template '{kind}' needs {fields}").format(kind=kind, fields=", ".join(sorted(missing))))
    strip = sms.strip_diacritics
    text = _plain(template) if strip else template

    def fill(**fields) -> str:
        values = {**defaults, **fields}
        if lacking := used - values.keys():
            raise UserError(_("SMS template '{kind}' needs {fields}").format(
                kind=kind, fields=", ".join(sorted(lacking))))
        values = {k: "" if values[k] is None else values[k] for k in used}
        if not strip:
            return nfc(text.format_map(values))
        return text.format_map({k: _plain(v) if isinstance(v, str) else v for k, v in values.items()})

    return fill


def render(kind: str, settings, language: str = "vi", **fields) -> str:
    """The text of a `kind` message with `fields` filled in ({to_chuc} defaults to the chapter),
    in `language` where a template of that language is registered."""
    return renderer(kind, settings, language=language)(**fields)
