"""Parsing command-line values the way Vietnamese coordinators write them."""

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import Annotated, TypeVar

import typer

from donor_registry.i18n import N_, _, words
from donor_registry.types import ABO, Rh, parse_blood_group

E = TypeVar("E", bound=Enum)

JsonOption = Annotated[bool, typer.Option("--json", help=N_("Print JSON for scripts instead of a table."))]

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(raw: str | None) -> dt.date | None:
    """2026-04-07, 07/04/2026, 07-04-2026 or 07.04.2026 (day first, as written in Vietnam)."""
    if raw is None:
        return None
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw.strip(), pattern).date()
        except ValueError:
            continue
    raise typer.BadParameter(_("'{raw}' is not a date; write 2026-04-07 or 07/04/2026").format(raw=raw))


def parse_group(raw: str | None) -> tuple[ABO | None, Rh | None]:
    """'O+', 'AB-', 'A' (Rh unknown); an unknown group is refused with the reason."""
    if raw is None:
        return None, None
    try:
        return parse_blood_group(raw)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def enum_words(enum_cls: type[E]) -> Callable[[str], E]:
    """A typer `parser` taking the value in the user's words: 'nữ', 'nu', 'female' (see i18n/words.py)."""
    def parse(raw: str | E) -> E:
        if isinstance(raw, enum_cls):
            return raw
        try:
            return words.parse(enum_cls, str(raw))
        except words.UnknownWord as exc:
            raise typer.BadParameter(_("'{value}' is not one of: {choices}").format(
                value=raw, choices=", ".join(exc.choices))) from None
    parse.__name__ = enum_cls.__name__
    return parse
