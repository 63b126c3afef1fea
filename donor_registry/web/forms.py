"""Small helpers for the workspace's forms: what a browser sends, as the models expect it."""

import datetime as dt

from donor_registry.i18n import _


def blank_to_none(values: dict) -> dict:
    """A field left empty is no value (the models' None), not an empty text."""
    return {name: (value.strip() or None) if isinstance(value, str) else value for name, value in values.items()}


def day_value(raw: str | None) -> tuple[dt.date | None, str | None]:
    """'2026-04-07' (a date input) or '07/04/2026' (typed) -> the date; else the error to show."""
    if raw is None:
        return None, None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw.strip(), pattern).date(), None
        except ValueError:
            continue
    return None, _("is not a date; write 07/04/2026")
