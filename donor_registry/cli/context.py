"""What every command shares: settings, the engine, the clock, and plain errors."""

import datetime as dt
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from typer.core import TyperGroup

from donor_registry.cli.output import err_console

try:  # typer 0.24+ carries its own copy of click
    from typer._click import Context as ClickContext
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on the click package
    from click import Context as ClickContext
    from click.exceptions import NoArgsIsHelpError, UsageError
from donor_registry.config import Settings, load_settings
from donor_registry.db import make_engine, require_current_schema
from donor_registry.errors import UserError
from donor_registry.text import CONTROL_CHARACTER, control_character_reason

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
    """Turns errors a user can act on into one line on stderr and exit code 1 (--debug: traceback);
    a bad command-line value is one line too, with exit code 2."""

    def invoke(self, ctx):
        try:
            _refuse_control_characters([*ctx._protected_args, *ctx.args])
            return super().invoke(ctx)
        except UsageError as exc:
            if isinstance(exc, NoArgsIsHelpError):
                raise
            where = f" (see: {_program(exc.ctx)} --help)" if exc.ctx is not None else ""
            err_console.print(f"error: {_one_line(exc.format_message())}{where}", highlight=False, markup=False)
            raise typer.Exit(2) from exc
        except (UserError, ValidationError, SQLAlchemyError, OSError, ValueError, OverflowError) as exc:
            if ctx.find_root().ensure_object(AppContext).debug:
                raise
            err_console.print(f"error: {_one_line(_plain(exc))}", highlight=False, markup=False)
            raise typer.Exit(1) from exc


def _refuse_control_characters(args: list[str]) -> None:
    """No value typed on the command line may hold a control character (NUL, say): it would be
    stored invisibly on SQLite and fail on PostgreSQL."""
    for arg in args:
        reason = control_character_reason(arg)
        if reason is not None:
            shown = CONTROL_CHARACTER.sub("?", arg if len(arg) <= 40 else arg[:40] + "…")
            raise UsageError(f"the value '{shown}' {reason}")


def _program(ctx: ClickContext) -> str:
    """The command as typed: 'donor-registry donors list' (the test runner calls the root 'root')."""
    parts = ctx.command_path.split(" ")
    return " ".join(["donor-registry", *parts[1:]])


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _message(error: dict) -> str:
    # A validator's own ValueError is the sentence to show; pydantic prefixes it.
    return error["msg"].removeprefix("Value error, ")


def _plain(exc: Exception) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {_message(error)}" for error in exc.errors()
        )
    if isinstance(exc, IntegrityError):
        return f"the change breaks a database rule and was not saved: {_first_line(exc.orig)}"
    if isinstance(exc, DataError) or isinstance(getattr(exc, "orig", None), OverflowError):
        return f"a value given cannot be stored (out of range or not text), nothing was saved: {_first_line(exc.orig)}"
    if isinstance(exc, OperationalError):
        return f"database error: {_first_line(exc.orig)}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error, nothing was saved: {_first_line(getattr(exc, 'orig', None) or exc)}"
    if isinstance(exc, OSError):
        return _os_error(exc)
    if isinstance(exc, OverflowError):
        return f"a number given is too large ({exc})"
    return str(exc)


def _os_error(exc: OSError) -> str:
    """'/srv/list.xlsx: is a folder, not a file' from what the system said."""
    what = {errno.EISDIR: "is a folder, not a file", errno.ENOENT: "no such file or folder",
            errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EACCES: "permission denied",
            errno.EROFS: "the disk is read-only", errno.ENOSPC: "the disk is full"}.get(exc.errno)
    what = what or (exc.strerror or str(exc)).lower()
    return f"{exc.filename}: {what}" if exc.filename else what


def _first_line(value) -> str:
    return str(value).strip().splitlines()[0] if str(value).strip() else type(value).__name__
