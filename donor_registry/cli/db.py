"""`donor-registry db`: create and upgrade the schema."""

import typer

from donor_registry.cli.context import app_context
from donor_registry.cli.output import console
from donor_registry.db import current_revisions, head_revisions, sqlite_file, upgrade
from donor_registry.i18n import N_, _
from donor_registry.privacy.files import make_private

app = typer.Typer(help=N_("Create or upgrade the database schema (Alembic migrations)."), no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Create the tables, or bring an existing database up to the current schema.

    A SQLite file readable by others (made by an older version) is made owner-only (0600)."""
    engine = app_context(ctx).engine(check_schema=False)
    upgrade(engine)
    console.print(_("database is up to date ({value1})").format(value1=engine.url.render_as_string(hide_password=True)))
    path = sqlite_file(engine)
    if path is not None:
        for changed in make_private([path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]):
            console.print(_("made {changed} readable by its owner only (0600)").format(changed=changed), highlight=False)


@app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one the code expects."""
    engine = app_context(ctx).engine(check_schema=False)
    current, heads = current_revisions(engine), head_revisions(engine)
    console.print(_("database: {value1}").format(value1=', '.join(sorted(current)) or 'empty'))
    console.print(_("code:     {value1}").format(value1=', '.join(sorted(heads))))
    console.print("up to date" if current == heads else "run `donor-registry db upgrade`")
