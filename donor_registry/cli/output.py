"""Printing results: rich tables for people, --json for scripts."""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from enum import Enum

from rich.console import Console
from rich.table import Table

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


def print_table(title: str | None, headers: Sequence[str], rows: Iterable[Sequence], *, empty: str = "nothing to show") -> None:
    """Print rows as a table, or a one-line note when there are none."""
    rows = list(rows)
    if not rows:
        console.print(empty)
        return
    table = Table(title=title, header_style="bold")
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)


def print_fields(title: str, fields: Sequence[tuple[str, object]]) -> None:
    """Print label / value lines under a bold title."""
    console.print(f"[bold]{title}[/bold]")
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        console.print(f"  {label.ljust(width)}  {'' if value is None else value}", highlight=False)
