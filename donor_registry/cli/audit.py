"""`donor-registry audit`: the trail of sensitive actions (emergency calls, answers, views, exports)."""

from typing import Annotated

import typer

from donor_registry.audit.service import recent
from donor_registry.cli.context import app_context
from donor_registry.cli.output import print_json, print_table
from donor_registry.db import session_scope
from donor_registry.i18n import N_

app = typer.Typer(help=N_("Read the audit trail of sensitive actions."), no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    action: Annotated[str | None, typer.Option(help=N_("Only this action, e.g. emergency.callout or emergency.view."))] = None,
    limit: Annotated[int, typer.Option(min=1, help=N_("At most this many entries."))] = 100,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print JSON for scripts instead of a table."))] = False,
) -> None:
    """List audit entries, newest first."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [
            {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "subject_type": e.subject_type,
             "subject_id": e.subject_id, "detail": e.detail}
            for e in recent(session=session, limit=limit, action=action)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(None, [N_("#"), N_("at"), N_("actor"), N_("action"), N_("subject"), N_("detail")], [
        (r["id"], r["at"], r["actor"], r["action"],
         f"{r['subject_type']} #{r['subject_id']}" if r["subject_type"] else "",
         ", ".join(f"{k}={v}" for k, v in r["detail"].items())) for r in rows
    ], empty=N_("no audit entries"))
