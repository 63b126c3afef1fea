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
    from typer._click.exceptions import (
        BadParameter,
        MissingParameter,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )
except ImportError:  # pragma: no cover - older typer on the click package
    from click import Context as ClickContext
    from click.exceptions import (
        BadParameter,
        MissingParameter,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )
from donor_registry.config import Settings, load_settings
from donor_registry.db import make_engine, require_current_schema
from donor_registry.errors import UserError
from donor_registry.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_ENV_VAR,
    N_,
    UnknownLanguage,
    _,
    normalise_language,
    use_language,
    validation,
)
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

    def pinned_clock(self):
        """With $DONOR_REGISTRY_NOW, a clock that starts at that moment and runs on (for `serve` in
        demos and tests); None without it."""
        if not os.environ.get(NOW_ENV_VAR):
            return None
        import time

        start, pinned = time.monotonic(), self.now()
        return lambda: pinned + dt.timedelta(seconds=time.monotonic() - start)

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

    def main(self, *args, **kwargs):
        # Each command starts in the default language; --lang, $DONOR_REGISTRY_LANG or the
        # config's general.language then choose, and the caller's language is back afterwards
        # (several commands may run in one process: tests, the web service).
        with use_language(_language_from_environment()):
            return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            _refuse_control_characters([*ctx._protected_args, *ctx.args])
            return super().invoke(ctx)
        except UsageError as exc:
            if isinstance(exc, NoArgsIsHelpError):
                raise
            where = _(" (see: {command} --help)").format(command=_program(exc.ctx)) if exc.ctx is not None else ""
            err_console.print(f"{error_word()}: {_one_line(usage_message(exc))}{where}", highlight=False, markup=False)
            raise typer.Exit(2) from exc
        except (UserError, ValidationError, SQLAlchemyError, OSError, ValueError, OverflowError) as exc:
            if ctx.find_root().ensure_object(AppContext).debug:
                raise
            err_console.print(f"{error_word()}: {_one_line(_plain(exc))}", highlight=False, markup=False)
            raise typer.Exit(1) from exc


def _language_from_environment() -> str:
    """$DONOR_REGISTRY_LANG before anything is parsed, so that even `--help` given first speaks it."""
    try:
        return normalise_language(os.environ.get(LANGUAGE_ENV_VAR) or DEFAULT_LANGUAGE)
    except UnknownLanguage:
        return DEFAULT_LANGUAGE  # the --lang option's callback reports it


def usage_message(exc: UsageError) -> str:
    """Click's usage errors in the reader's language (click writes them in English)."""
    hint = _param_hint(exc)
    if isinstance(exc, MissingParameter):
        return _("{option} is required").format(option=hint) if hint else exc.format_message()
    if isinstance(exc, BadParameter) and hint:
        return _("invalid value for {option}: {reason}").format(option=hint, reason=exc.message)
    if isinstance(exc, NoSuchOption):
        known = ", ".join(sorted(exc.possibilities or ()))
        text = _("there is no option {option}").format(option=exc.option_name)
        return text + (_("; did you mean: {names}?").format(names=known) if known else "")
    return exc.format_message()


def _param_hint(exc: UsageError) -> str | None:
    hint = getattr(exc, "param_hint", None)
    if hint is None and getattr(exc, "param", None) is not None:
        hint = exc.param.get_error_hint()
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(f"'{h}'" for h in hint)
    return hint


def error_word() -> str:
    """The word before every error line ("lỗi" / "error")."""
    return _("error")


def _refuse_control_characters(args: list[str]) -> None:
    """No value typed on the command line may hold a control character (NUL, say): it would be
    stored invisibly on SQLite and fail on PostgreSQL."""
    for arg in args:
        reason = control_character_reason(arg)
        if reason is not None:
            shown = CONTROL_CHARACTER.sub("?", arg if len(arg) <= 40 else arg[:40] + "…")
            raise UsageError(_("the value '{shown}' {reason}").format(shown=shown, reason=reason))


def _program(ctx: ClickContext) -> str:
    """The command as typed: 'donor-registry donors list' (the test runner calls the root 'root')."""
    parts = ctx.command_path.split(" ")
    return " ".join(["donor-registry", *parts[1:]])


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _plain(exc: Exception) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return validation.sentence(exc)
    if isinstance(exc, IntegrityError):
        return _("the change breaks a database rule and was not saved: {reason}").format(reason=_first_line(exc.orig))
    if isinstance(exc, DataError) or isinstance(getattr(exc, "orig", None), OverflowError):
        return _("a value given cannot be stored (out of range or not text), nothing was saved: {reason}").format(
            reason=_first_line(exc.orig))
    if isinstance(exc, OperationalError):
        return _("database error: {reason}").format(reason=_first_line(exc.orig))
    if isinstance(exc, SQLAlchemyError):
        return _("database error, nothing was saved: {reason}").format(
            reason=_first_line(getattr(exc, "orig", None) or exc))
    if isinstance(exc, OSError):
        return _os_error(exc)
    if isinstance(exc, OverflowError):
        return _("a number given is too large ({reason})").format(reason=exc)
    return str(exc)


_OS_ERRORS = {errno.EISDIR: N_("is a folder, not a file"), errno.ENOENT: N_("no such file or folder"),
              errno.ENOTDIR: N_("a part of the path is a file, not a folder"),
              errno.EACCES: N_("permission denied"), errno.EROFS: N_("the disk is read-only"),
              errno.ENOSPC: N_("the disk is full")}


def _os_error(exc: OSError) -> str:
    """'/srv/list.xlsx: is a folder, not a file' from what the system said."""
    what = _OS_ERRORS.get(exc.errno)
    what = _(what) if what else (exc.strerror or str(exc)).lower()
    return f"{exc.filename}: {what}" if exc.filename else what


def _first_line(value) -> str:
    return str(value).strip().splitlines()[0] if str(value).strip() else type(value).__name__
