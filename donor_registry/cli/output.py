"""Printing results: rich tables for people, --json for scripts."""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from enum import Enum

from rich.console import Console
from rich.table import Table

from donor_registry.i18n import _, formatting
from donor_registry.i18n.labels import label, yes_no

# Piped or redirected output is not squeezed into 80 columns.
console = Console(width=None if Console().is_terminal else 160)
err_console = Console(stderr=True, soft_wrap=True)


def to_jsonable(value):
    """Dates as ISO strings, enums as values, models as dicts."""
    if hasattr(value, "model_dump"):
        return {k: to_jsonable(v) for k, v in value.model_dump().items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def print_json(value) -> None:
    """Print a value as indented UTF-8 JSON on stdout."""
    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def cell(value) -> str:
    """A value as a person reads it: dd/mm/yyyy, HH:MM in Vietnam's time, enum labels, có/không."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dt.datetime):
        return formatting.datetime(value)
    if isinstance(value, dt.date):
        return formatting.date(value)
    if isinstance(value, Enum):
        return label(value)
    return str(value)


def print_table(title: str | None, headers: Sequence[str], rows: Iterable[Sequence], *, empty: str | None = None) -> None:
    """Print rows as a table, or a one-line note when there are none. Title, headers and `empty`
    are msgids (mark them with N_), translated here."""
    rows = list(rows)
    if not rows:
        console.print(_(empty) if empty else _("nothing to show"))
        return
    table = Table(title=_(title) if title else None, header_style="bold")
    for header in headers:
        table.add_column(_(header) if header else "")  # _("") would be the catalog's header
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    console.print(table)


def print_fields(title: str, fields: Sequence[tuple[str, object]]) -> None:
    """Print label / value lines under a bold title; labels are msgids (N_), translated here."""
    console.print(f"[bold]{title}[/bold]", highlight=False)
    shown = [(_(name), value) for name, value in fields]
    width = max(len(name) for name, _value in shown)
    for name, value in shown:
        console.print(f"  {name.ljust(width)}  {cell(value)}", highlight=False)
