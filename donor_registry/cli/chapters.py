"""`donor-registry chapters`: the Red Cross chapter tree (national, province, commune, unit chapters)."""

from typing import Annotated

import typer

from donor_registry.chapters import service
from donor_registry.chapters.mapping import place_unplaced
from donor_registry.chapters.models import Chapter, ChapterKind
from donor_registry.chapters.stats import chapter_counts, unmapped
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_fields, print_json, print_table
from donor_registry.cli.params import JsonOption, enum_words
from donor_registry.db import session_scope
from donor_registry.i18n import N_, _

app = typer.Typer(help=N_("The Red Cross chapter tree: national, province, commune and unit chapters."),
                  no_args_is_help=True)

ChapterArg = Annotated[str, typer.Argument(help=N_("The chapter's code (VN-92), #id or name."))]


def chapter_view(chapter: Chapter) -> dict:
    """The stable JSON shape of a chapter."""
    return {"id": chapter.id, "code": chapter.code, "name": chapter.name, "kind": chapter.kind.value,
            "parent_id": chapter.parent_id, "province_code": chapter.province_code,
            "commune_code": chapter.commune_code, "depth": service.depth(chapter)}


@app.command("add")
def add(
    ctx: typer.Context,
    kind: Annotated[ChapterKind, typer.Argument(parser=enum_words(ChapterKind), 
        help=N_("national, province, commune, or a unit chapter: school, agency, company, hospital."))],
    name: Annotated[str | None, typer.Argument(
        help=N_("The chapter's name (for a province or commune chapter, the unit's name by default)."))] = None,
    parent: Annotated[str | None, typer.Option(help=N_("The chapter it sits under (code, #id or name)."))] = None,
    province: Annotated[str | None, typer.Option(help=N_("For a province chapter: its province (code or name)."))] = None,
    commune: Annotated[str | None, typer.Option(help=N_("For a commune chapter: its commune (code or name)."))] = None,
    code: Annotated[str | None, typer.Option(help=N_("A code of your choice (default: VN, VN-92, VN-92-31507, …)."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a chapter to the tree."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        parent_id = service.find_chapter(session=session, text=parent).id if parent else None
        chapter = service.create_chapter(session=session, now=app_ctx.now(), kind=kind, name=name,
                                         parent_id=parent_id, code=code, province_code=province,
                                         commune_code=commune)
        result = chapter_view(chapter)
    if as_json:
        print_json(result)
        return
    console.print(_("added chapter {code} {name} (#{id})").format(**result), highlight=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    under: Annotated[str | None, typer.Option(help=N_("Only this chapter and the chapters below it."))] = None,
    as_json: JsonOption = False,
) -> None:
    """The chapter tree, each chapter under its parent."""
    with session_scope(app_context(ctx).engine()) as session:
        root = service.find_chapter(session=session, text=under).id if under else None
        rows = [chapter_view(c) for c in service.list_chapters(session=session, root_id=root)]
    if as_json:
        print_json(rows)
        return
    base = min((r["depth"] for r in rows), default=0)
    print_table(None, [_("code"), _("chapter"), _("kind")], [
        (r["code"], "  " * (r["depth"] - base) + r["name"], _kind_label(r["kind"])) for r in rows
    ], empty=_("no chapters yet: add the national one with `chapters add national`"))


@app.command("move")
def move(
    ctx: typer.Context,
    chapter: ChapterArg,
    to: Annotated[str, typer.Option("--to", help=N_("The new parent chapter (code, #id or name)."))],
    as_json: JsonOption = False,
) -> None:
    """Put a chapter, with everything under it, under another parent."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        moving = service.find_chapter(session=session, text=chapter)
        parent = service.find_chapter(session=session, text=to)
        moved = service.move_chapter(session=session, now=app_ctx.now(), chapter_id=moving.id, parent_id=parent.id)
        result = chapter_view(moved)
    if as_json:
        print_json(result)
        return
    console.print(_("moved chapter {code} {name} under {parent}").format(parent=parent.code, **result),
                  highlight=False)


@app.command("show")
def show(ctx: typer.Context, chapter: ChapterArg, as_json: JsonOption = False) -> None:
    """A chapter: where it sits, its sub-chapters, and what belongs to it and below."""
    with session_scope(app_context(ctx).engine()) as session:
        found = service.find_chapter(session=session, text=chapter)
        ancestors = [service.get_chapter(session=session, chapter_id=i) for i in service.ancestor_ids(found)[:-1]]
        children = [c for c in service.list_chapters(session=session, root_id=found.id) if c.parent_id == found.id]
        result = {**chapter_view(found), "ancestors": [chapter_view(a) for a in ancestors],
                  "children": [chapter_view(c) for c in children],
                  "counts": chapter_counts(session=session, chapter=found)}
    if as_json:
        print_json(result)
        return
    counts = result["counts"]
    print_fields(f"{result['code']} {result['name']}", [
        (_("kind"), _kind_label(result["kind"])),
        (_("under"), " › ".join(a["name"] for a in result["ancestors"]) or "—"),
        (_("province code"), result["province_code"]),
        (_("commune code"), result["commune_code"]),
        (_("sub-chapters"), ", ".join(f"{c['code']} {c['name']}" for c in result["children"]) or "—"),
        (_("donors (with sub-chapters)"), counts["donors"]),
        (_("drives (with sub-chapters)"), counts["drives"]),
        (_("campaigns (with sub-chapters)"), counts["campaigns"]),
        (_("ceremonies (with sub-chapters)"), counts["ceremonies"]),
        (_("hospitals (with sub-chapters)"), counts["hospitals"]),
    ])


@app.command("place")
def place(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Put donors, drives and hospitals that have no chapter (imported, say) into the chapter of
    their commune, else of their province, else the national one."""
    with session_scope(app_context(ctx).engine()) as session:
        placed = place_unplaced(session.connection())
    if as_json:
        print_json(placed)
        return
    console.print(_("placed {donors} donors, {drives} drives and {hospitals} hospitals in their chapters").format(**placed),
                  highlight=False)


@app.command("unmapped")
def unmapped_(
    ctx: typer.Context,
    under: Annotated[str | None, typer.Option(help=N_("Only this chapter and the chapters below it."))] = None,
    as_json: JsonOption = False,
) -> None:
    """What stays at a province or the national chapter because its commune is not known."""
    with session_scope(app_context(ctx).engine()) as session:
        root = service.find_chapter(session=session, text=under) if under else None
        result = unmapped(session=session, chapter=root)
    if as_json:
        print_json(result)
        return
    print_table(_("Donors without a commune (see `addresses review`)"), [_("chapter"), _("donors")],
                list(result["donors"].items()), empty=_("every donor is in a commune chapter"))
    for key, title in (("drives", _("Drives")), ("hospitals", _("Hospitals")), ("ceremonies", _("Ceremonies"))):
        rows = result[key]
        if rows:
            print_table(title, [N_("#"), _("name"), _("as entered"), _("chapter")], [
                (r["id"], r.get("venue") or r.get("name"),
                 ", ".join(filter(None, [r.get("commune"), r.get("district")])), r["chapter"]) for r in rows])


def _kind_label(kind: str) -> str:
    return {
        "national": _("national"), "province": _("province"), "commune": _("commune"),
        "school": _("school"), "agency": _("agency"), "company": _("company"), "hospital": _("hospital"),
    }[kind]
