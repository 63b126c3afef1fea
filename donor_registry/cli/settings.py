"""`donor-registry settings`: the few settings a chapter owns (the same service as /admin/settings)."""

from typing import Annotated

import typer

from donor_registry.accounts.chapters import names, resolve_chapter
from donor_registry.audit.service import cli_actor
from donor_registry.chapter_settings import rules, service
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, print_table
from donor_registry.cli.params import JsonOption
from donor_registry.db import session_scope
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _

app = typer.Typer(help=N_("A chapter's own settings (organisation name, drive ring, invitation days): "
                          "show, set, let inherit again."), no_args_is_help=True)

KeyArg = Annotated[str, typer.Argument(help=N_(
    "The setting: general.chapter_name, campaigns.drive_ring or sms.reminders.invitation_days_before "
    "(or its last part)."))]
ChapterOption = Annotated[str, typer.Option("--chapter", help=N_("The chapter (its code, number or name)."))]
_SOURCES = {rules.Source.chapter: N_("this chapter"), rules.Source.parent: N_("from the chapter above: {name}"),
            rules.Source.config: N_("config.toml")}


def _chapter_id(session, raw: str) -> int:
    chapter_id = resolve_chapter(session=session, raw=raw)
    if chapter_id is None:
        raise UserError(_("--chapter is empty: name a chapter"))
    return chapter_id


@app.command("show")
def show(ctx: typer.Context,
         chapter: Annotated[str | None, typer.Option(
             "--chapter", help=N_("The chapter (its code, number or name); none: config.toml's values."))] = None,
         as_json: JsonOption = False) -> None:
    """Each setting's value for a chapter and where it comes from (the chapter, one above it, config.toml)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        chapter_id = resolve_chapter(session=session, raw=chapter)
        if chapter_id is None:
            found = {key: rules.Effective(rules.config_value(app_ctx.settings, key), rules.Source.config, None)
                     for key in rules.KEYS}
        else:
            found = service.effective_for(session=session, settings=app_ctx.settings, chapter_id=chapter_id)
        parents = names(session=session, chapter_ids=[e.from_chapter_id for e in found.values()])
    if as_json:
        print_json([{"key": key, "value": e.value, "source": e.source.value, "from_chapter_id": e.from_chapter_id}
                    for key, e in found.items()])
        return
    print_table(None, [N_("setting"), N_("value"), N_("from")], [
        (key, e.value, _(_SOURCES[e.source]).format(name=parents.get(e.from_chapter_id, "")))
        for key, e in found.items()])


@app.command("set")
def set_(ctx: typer.Context, key: KeyArg,
         value: Annotated[str, typer.Argument(help=N_("The chapter's own value."))],
         chapter: ChapterOption, as_json: JsonOption = False) -> None:
    """Give a chapter its own value of a setting (checked as config.toml is). Audited."""
    app_ctx = app_context(ctx)
    key = service.parse_key(key)
    with session_scope(app_ctx.engine()) as session:
        chapter_id = _chapter_id(session, chapter)
        try:
            row = service.set_value(session=session, settings=app_ctx.settings, now=app_ctx.now(), actor=cli_actor(),
                                    chapter_id=chapter_id, key=key, raw=value)
        except ValueError as problem:
            raise UserError(f"{key}: {problem}") from None
        stored = row.value
    if as_json:
        print_json({"chapter_id": chapter_id, "key": key, "value": stored})
    else:
        console.print(_("{key} = {value} for chapter #{chapter}").format(key=key, value=stored, chapter=chapter_id),
                      highlight=False)


@app.command("reset")
def reset(ctx: typer.Context, key: KeyArg, chapter: ChapterOption, as_json: JsonOption = False) -> None:
    """Drop a chapter's own value: it takes the chapter above's, or config.toml's, again. Audited."""
    app_ctx = app_context(ctx)
    key = service.parse_key(key)
    with session_scope(app_ctx.engine()) as session:
        chapter_id = _chapter_id(session, chapter)
        dropped = service.reset_value(session=session, settings=app_ctx.settings, now=app_ctx.now(),
                                      actor=cli_actor(), chapter_id=chapter_id, key=key)
        now_value = service.value_for(session=session, settings=app_ctx.settings, key=key, chapter_id=chapter_id)
    if as_json:
        print_json({"chapter_id": chapter_id, "key": key, "reset": dropped, "value": now_value})
    elif dropped:
        console.print(_("{key} for chapter #{chapter} inherits again: {value}").format(
            key=key, chapter=chapter_id, value=now_value), highlight=False)
    else:
        console.print(_("chapter #{chapter} had no value of its own for {key}").format(key=key, chapter=chapter_id),
                      highlight=False)
