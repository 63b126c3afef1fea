"""The `donor-registry` command line: a thin layer over the domain services."""

from pathlib import Path
from typing import Annotated

import typer

from donor_registry import __version__
from donor_registry.cli import (
    addresses,
    audit,
    campaigns,
    chapters,
    db,
    donations,
    donors,
    drive_outcomes,  # noqa: F401  (adds `drives outcome`)
    drives,
    emergency,
    honours,
    hospitals,
    imports,
    privacy,
    reminders,
    report,
    serve,
    settings,
    sms,
    users,
)
from donor_registry.cli.context import AppContext, PlainErrors
from donor_registry.cli.translated import install as _install_translated_help
from donor_registry.i18n import LANGUAGE_ENV_VAR, LANGUAGES, UnknownLanguage, _, set_language

_install_translated_help()
from donor_registry.i18n import N_

app = typer.Typer(
    cls=PlainErrors,
    help=N_("Blood donor registry for Red Cross chapters: donors, donations, honours, campaigns, SMS."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(db.app, name="db")
app.add_typer(chapters.app, name="chapters")
app.add_typer(donors.app, name="donors")
app.add_typer(donations.app, name="donations")
app.add_typer(imports.app, name="import")
app.add_typer(campaigns.app, name="campaigns")
app.add_typer(drives.app, name="drives")
app.command("serve")(serve.serve)
app.add_typer(honours.app, name="honours")
app.add_typer(report.app, name="report")
app.add_typer(sms.app, name="sms")
app.add_typer(reminders.app, name="reminders")
app.add_typer(hospitals.app, name="hospitals")
app.add_typer(emergency.app, name="emergency")
app.add_typer(audit.app, name="audit")
app.add_typer(privacy.app, name="privacy")
app.add_typer(users.app, name="users")
app.add_typer(settings.app, name="settings")
app.add_typer(addresses.app, name="addresses")


def _language(value: str | None) -> str | None:
    """--lang takes effect at once (it is eager), so that the help it precedes is in that language."""
    if value:
        try:
            set_language(value)
        except UnknownLanguage:
            raise typer.BadParameter(_("'{value}' is not a language of the registry; use one of: {languages}").format(
                value=value, languages=", ".join(LANGUAGES))) from None
    return value


def _version(value: bool) -> None:
    if value:
        typer.echo(_("donor-registry {__version__}").format(__version__=__version__))
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(
        "--config", help=N_("Settings file (default: $DONOR_REGISTRY_CONFIG, else ./config.toml)."))] = None,
    debug: Annotated[bool, typer.Option(help=N_("Show full tracebacks on errors."))] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help=N_("Print the version and exit."))] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", envvar=LANGUAGE_ENV_VAR, callback=_language, is_eager=True, metavar="vi|en",
        help=N_("Language of this command: vi (Vietnamese) or en (English); default: general.language."))] = None,
) -> None:
    """Set up the shared context for every command."""
    ctx.obj = AppContext(config_path=config, debug=debug)
    if not lang:
        set_language(ctx.obj.settings.general.language)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="donor-registry")
