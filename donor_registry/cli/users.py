"""`donor-registry users`: the accounts of the coordinators' workspace (the first admin, scripts)."""

import sys
from typing import Annotated

import typer

from donor_registry.accounts import users as service
from donor_registry.accounts.chapters import names, resolve_chapter
from donor_registry.audit.service import cli_actor
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, print_table
from donor_registry.cli.params import JsonOption
from donor_registry.db import session_scope
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _

app = typer.Typer(help=N_("Accounts of the web workspace: add, list, disable, reset a password."),
                  no_args_is_help=True)

LoginArg = Annotated[str, typer.Argument(help=N_("The login name (letters a-z, digits, '.', '_', '-')."))]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help=N_("Read the password from the first line of standard input (for scripts)."))]


def _summary(user) -> dict:
    return {"id": user.id, "login": user.login, "role": user.role.value, "chapter_id": user.chapter_id,
            "disabled": user.disabled, "created_at": user.created_at, "updated_at": user.updated_at}


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise UserError(_("no password on standard input"))
        return line.rstrip("\r\n")
    return typer.prompt(_("Password"), hide_input=True, confirmation_prompt=_("Repeat the password"))


def _print(user, as_json: bool, said: str) -> None:
    if as_json:
        print_json(_summary(user))
    else:
        console.print(said.format(login=user.login, id=user.id), highlight=False)


@app.command("add")
def add(
    ctx: typer.Context, login: LoginArg,
    role: Annotated[str, typer.Option(help=N_("admin, coordinator or viewer."))],
    chapter: Annotated[str | None, typer.Option(help=N_("The user's chapter (its number); none: the whole registry."))] = None,
    password_stdin: PasswordStdin = False, as_json: JsonOption = False,
) -> None:
    """Add an account (the first admin too); the password is asked, or read with --password-stdin."""
    app_ctx = app_context(ctx)
    parsed_role, login = service.parse_role(role), service.normalise_login(login)
    password = _password(password_stdin)
    with session_scope(app_ctx.engine()) as session:
        user = service.add_user(session=session, now=app_ctx.now(), actor=cli_actor(), login=login,
                                password=password, role=parsed_role,
                                chapter_id=resolve_chapter(session=session, raw=chapter),
                                min_password_length=app_ctx.settings.accounts.min_password_length)
    _print(user, as_json, _("user {login} added (#{id})"))


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every account, its role, chapter and whether it is disabled (never a password)."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [_summary(u) for u in service.list_users(session=session)]
        chapter_names = names(session=session, chapter_ids=[r["chapter_id"] for r in rows])
    if as_json:
        print_json(rows)
        return
    print_table(None, [N_("#"), _("login"), _("role"), _("chapter"), _("disabled")], [
        (r["id"], r["login"], r["role"], chapter_names.get(r["chapter_id"], _("whole registry")), _("yes") if r["disabled"] else "")
        for r in rows], empty=_("no users yet: add the first admin with `users add NAME --role admin`"))


@app.command("disable")
def disable(ctx: typer.Context, login: LoginArg, as_json: JsonOption = False) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end at once."""
    _print(_set_disabled(ctx, login, disabled=True), as_json, _("user {login} disabled"))


@app.command("enable")
def enable(ctx: typer.Context, login: LoginArg, as_json: JsonOption = False) -> None:
    """Let a disabled account sign in again."""
    _print(_set_disabled(ctx, login, disabled=False), as_json, _("user {login} enabled"))


def _set_disabled(ctx: typer.Context, login: str, *, disabled: bool):
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        user = service.user_by_login(session=session, login=login)
        service.set_disabled(session=session, now=app_ctx.now(), actor=cli_actor(), user=user, disabled=disabled)
    return user


@app.command("reset-password")
def reset_password(ctx: typer.Context, login: LoginArg, password_stdin: PasswordStdin = False,
                   as_json: JsonOption = False) -> None:
    """Set a new password for an account; its open sessions end."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:  # an unknown name is said before the prompt
        service.user_by_login(session=session, login=login)
    password = _password(password_stdin)
    with session_scope(app_ctx.engine()) as session:
        user = service.user_by_login(session=session, login=login)
        service.reset_password(session=session, now=app_ctx.now(), actor=cli_actor(), user=user,
                               password=password, min_password_length=app_ctx.settings.accounts.min_password_length)
    _print(user, as_json, _("password of {login} reset; their sessions ended"))
