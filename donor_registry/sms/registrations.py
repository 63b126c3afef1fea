"""Templates as registered: each kind's SMS text (registered with the carriers through eSMS)
and its ZNS template (approved by Zalo) with its parameters in order, and what a kind costs.

The outbox keeps the rendered SMS text only; a ZNS message needs the values, so they are read
back out of the text with the kind's own template (`template_values`). A text that does not
read back (edited by hand, a template changed since it was queued, or an English text from
[sms.templates_en]: ZNS templates are Vietnamese) goes as SMS.
"""

import functools
import re
import string
from dataclasses import dataclass

from donor_registry.i18n import _
from donor_registry.sms.encoding import analyse
from donor_registry.sms.settings import SmsSettings
from donor_registry.sms.templates import _plain, placeholders


@functools.lru_cache(maxsize=256)
def _reader(template: str) -> re.Pattern:
    pattern, seen = [], set()
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        pattern.append(re.escape(literal))
        if name:
            pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(pattern) + r"\Z", re.DOTALL)


def template_values(template: str, text: str) -> dict[str, str] | None:
    """The placeholder values that turn `template` into `text`, or None if it does not fit."""
    match = _reader(template).match(text)
    return match.groupdict() if match else None


def zns_params_reader(settings: SmsSettings):
    """(kind, text) → (template id, values, names) for kinds with a ZNS registration."""

    def read(kind: str, text: str):
        zns = settings.esms.zns.get(kind)
        template = settings.templates.get(kind)
        if zns is None or template is None:
            return None
        shown = _plain(template) if settings.strip_diacritics else template
        values = template_values(shown, text)
        if values is None or not set(zns.params) <= values.keys():
            return None
        return zns.template_id, [values[n] for n in zns.params], list(zns.params)

    return read


#: Placeholders that carry health detail, and the kinds whose registration allows them
#: (a blood group in an emergency call; nothing else about a donor's health goes in a text).
HEALTH_FIELDS = {"nhom_mau": frozenset({"emergency_call", "emergency_filled"})}


@dataclass(frozen=True)
class Registration:
    kind: str
    sms_text: str | None
    zns_template_id: str | None
    zns_params: tuple[str, ...]
    problems: tuple[str, ...]


def check(settings: SmsSettings, kinds: list[str] | None = None) -> list[Registration]:
    """Each kind's registrations and what is missing or inconsistent (empty: ready to send)."""
    wanted = sorted(set(kinds or []) | settings.templates.keys() | settings.esms.zns.keys())
    rows = []
    for kind in wanted:
        template = settings.templates.get(kind)
        zns = settings.esms.zns.get(kind)
        problems = []
        if template is None:
            problems.append(_("no SMS template in [sms.templates]"))
        if settings.gateway == "esms" and settings.esms.oa_id and zns is None:
            problems.append(_("no ZNS template in [sms.esms.zns] (goes as SMS only)"))
        english = settings.templates_en.get(kind)
        for field, allowed in HEALTH_FIELDS.items():
            used = {f for text in (template, english) if text is not None for f in placeholders(text)}
            if field in used and kind not in allowed:
                problems.append(_("{placeholder} is health detail only {kinds} may carry").format(
                    placeholder=f"{{{field}}}", kinds=", ".join(sorted(allowed))))
        if zns is not None and template is not None:
            unknown = [p for p in zns.params if p not in placeholders(template)]
            if unknown:
                problems.append(_("ZNS parameters {parameters} are not in the SMS template").format(
                    parameters=", ".join(unknown)))
        rows.append(Registration(kind, template, zns.template_id if zns else None,
                                 tuple(zns.params) if zns else (), tuple(problems)))
    return rows


def cost_vnd(settings: SmsSettings, *, channel: str, text: str) -> int:
    """The price table's cost of one message: ZNS flat, SMS per part (zns_sms: ZNS if it goes)."""
    prices = settings.prices
    if channel in ("zns", "zns_sms"):
        return prices.zns_vnd
    per_part = prices.twilio_segment_vnd if settings.gateway == "twilio" else prices.sms_segment_vnd
    return per_part * analyse(text).segments
