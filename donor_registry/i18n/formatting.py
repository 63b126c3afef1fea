"""How a person reads dates, times, numbers and money: one module, every screen and export.

Dates are dd/mm/yyyy and times HH:MM in Vietnam's time (Asia/Ho_Chi_Minh) in both languages; the
database keeps UTC and `--json` prints ISO 8601 in UTC (`iso`). Numbers and đồng follow the
language's conventions through Babel: 1.234.567 in Vietnamese, 1,234,567 in English.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal

from donor_registry.i18n import current_language

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
_LOCALES = {"vi": "vi_VN", "en": "en_GB"}  # en_GB: still day before month


def _locale() -> str:
    return _LOCALES.get(current_language(), "vi_VN")


def local(moment: dt.datetime) -> dt.datetime:
    """A stored moment in Vietnam's time; a naive moment is taken as UTC (how the database keeps it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VIETNAM)


def date(day: dt.date | dt.datetime | None) -> str:
    """07/04/2026 ('' for None); a datetime is first brought to Vietnam's time."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = local(day).date()
    return f"{day:%d/%m/%Y}"  # the same in both languages; Babel costs 20 µs a call in hot rules


def time(moment: dt.datetime | None) -> str:
    """14:30 in Vietnam's time."""
    return "" if moment is None else format_datetime(local(moment), "HH:mm", locale=_locale())


def datetime(moment: dt.datetime | None) -> str:
    """07/04/2026 14:30 in Vietnam's time."""
    return "" if moment is None else format_datetime(local(moment), "dd/MM/yyyy HH:mm", locale=_locale())


def number(value: float | None, *, decimals: int = 0) -> str:
    """1.234.567 (vi) or 1,234,567 (en); `decimals` fixes the digits after the separator."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale())


def money(dong: float | None) -> str:
    """An amount in đồng: 1.234.567 ₫ (vi) or ₫1,234,567 (en)."""
    return "" if dong is None else format_currency(dong, "VND", locale=_locale())


def iso(moment: dt.datetime | None) -> str | None:
    """For --json: ISO 8601 in UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()
