"""`donor-registry reminders`: plan invitations, reminders and thank-yous into the SMS outbox."""

from typing import Annotated

import typer

from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, print_table
from donor_registry.db import session_scope
from donor_registry.i18n import N_, _
from donor_registry.sms.reminders import plan_reminders
from donor_registry.sms.settings import require_live_links

app = typer.Typer(help=N_("Plan the automatic SMS reminders (the scheduler does this every hour)."),
                  no_args_is_help=True)


class _DryRun(Exception):
    """Raised to roll the planning transaction back."""


@app.command("plan")
def plan(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=N_("Count what would be queued, queue nothing."))] = False,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print JSON for scripts instead of a table."))] = False,
) -> None:
    """Queue today's invitations, day-before reminders, thank-yous, "may give again" and congratulations."""
    app_ctx = app_context(ctx)
    if not dry_run:
        require_live_links(app_ctx.settings.sms, refusing=_("reminders plan will not queue anything"))
    try:
        with session_scope(app_ctx.engine()) as session:
            report = plan_reminders(session=session, settings=app_ctx.settings, now=app_ctx.now())
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    kinds = sorted(set(report.planned) | set(report.over_cap) | set(report.existing))
    rows = [{"kind": k, "new": report.planned[k], "over_weekly_cap": report.over_cap[k],
             "already_planned": report.existing[k]} for k in kinds]
    if as_json:
        print_json({"dry_run": dry_run, "kinds": rows})
        return
    title = "Reminders that would be queued (dry run)" if dry_run else "Reminders queued"
    print_table(title, [N_("kind"), N_("new"), N_("over weekly cap"), N_("already planned")],
                [list(r.values()) for r in rows], empty=N_("nothing to plan today"))
    if dry_run:
        console.print(_("dry run: nothing was queued"))
