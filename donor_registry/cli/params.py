"""Parsing command-line values the way Vietnamese coordinators write them."""

import datetime as dt
from typing import Annotated

import typer

from donor_registry.i18n import N_
from donor_registry.types import ABO, Rh, parse_blood_group

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
    raise typer.BadParameter(f"'{raw}' is not a date; write 2026-04-07 or 07/04/2026")


def parse_group(raw: str | None) -> tuple[ABO | None, Rh | None]:
    """'O+', 'AB-', 'A' (Rh unknown); an unknown group is refused with the reason."""
    if raw is None:
        return None, None
    try:
        return parse_blood_group(raw)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
