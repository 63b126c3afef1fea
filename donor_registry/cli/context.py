"""What every command shares: settings, the engine, the clock, and plain errors."""

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from typer.core import TyperGroup

from donor_registry.cli.output import err_console
from donor_registry.config import Settings, load_settings
from donor_registry.db import make_engine, require_current_schema
from donor_registry.errors import UserError

NOW_ENV_VAR = "DONOR_REGISTRY_NOW"


@dataclass
class AppContext:
    config_path: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def engine(self, *, check_schema: bool = True) -> Engine:
        """The configured database; by default refuses one whose schema is not current."""
        if self._engine is None:
            db = self.settings.database
            self._engine = make_engine(db.url, busy_timeout_ms=db.sqlite_busy_timeout_ms, echo=db.echo)
        if check_schema:
            require_current_schema(self._engine)
        return self._engine

    def now(self) -> dt.datetime:
        """The current time in UTC; $DONOR_REGISTRY_NOW pins it for demos and tests."""
        pinned = os.environ.get(NOW_ENV_VAR)
        if pinned:
            moment = dt.datetime.fromisoformat(pinned)
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return dt.datetime.now(dt.UTC)

    def actor(self) -> str:
        """Who the audit trail names for this command: cli:<login name>."""
        from donor_registry.audit.service import cli_actor

        return cli_actor()

    def today(self) -> dt.date:
        """Today's date in the chapter's time zone."""
        from zoneinfo import ZoneInfo

        return self.now().astimezone(ZoneInfo(self.settings.general.timezone)).date()


def app_context(ctx: typer.Context) -> AppContext:
    """The AppContext of the running command."""
    return ctx.find_root().ensure_object(AppContext)


class PlainErrors(TyperGroup):
    """Turns errors a user can act on into one line on stderr and exit code 1 (--debug: traceback)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (UserError, ValidationError, IntegrityError, OperationalError) as exc:
            if ctx.find_root().ensure_object(AppContext).debug:
                raise
            err_console.print(f"error: {_plain(exc)}", highlight=False, markup=False)
            raise typer.Exit(1) from exc


def _message(error: dict) -> str:
    # A validator's own ValueError is the sentence to show; pydantic prefixes it.
    return error["msg"].removeprefix("Value error, ")


def _plain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {_message(error)}" for error in exc.errors()
        )
    if isinstance(exc, IntegrityError):
        return f"the change breaks a database rule and was not saved: {exc.orig}"
    if isinstance(exc, OperationalError):
        return f"database error: {exc.orig}"
    return str(exc)
