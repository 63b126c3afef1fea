"""Chapters: create, find, move, and "this chapter and every chapter below it" for filters.

The tree is a materialised path ("/1/7/42/", ids from the root). A subtree is one range of the
unique `path` index, the same on SQLite and PostgreSQL (byte order, collation "C"), so a filter
"donors of this chapter and below" is `donors.chapter_id IN (SELECT id FROM chapters WHERE path
in range)`: the small chapter table is read by index and the big table by its chapter_id index.
"""

import datetime as dt
import difflib
import uuid

from sqlalchemy import func, select, update
from sqlmodel import Session

from donor_registry.chapters.models import UNIT_KINDS, Chapter, ChapterKind
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.i18n import _, labels
from donor_registry.text import fold, nfc

NATIONAL_CODE = "VN"
NATIONAL_NAME = "Trung ương Hội Chữ thập đỏ Việt Nam"

# The kinds a chapter of each kind may sit under.
ALLOWED_PARENTS: dict[ChapterKind, frozenset[ChapterKind]] = {
    ChapterKind.national: frozenset(),
    ChapterKind.province: frozenset({ChapterKind.national}),
    ChapterKind.commune: frozenset({ChapterKind.province}),
    **{kind: frozenset({ChapterKind.province, ChapterKind.commune}) for kind in UNIT_KINDS},
}


def create_chapter(
    *, session: Session, now: dt.datetime, kind: ChapterKind | str, name: str | None = None,
    parent_id: int | None = None, code: str | None = None, province_code: str | None = None,
    commune_code: str | None = None,
) -> Chapter:
    """Add a chapter under `parent_id`; province and commune chapters name their official unit."""
    kind = ChapterKind(kind)
    parent = get_chapter(session=session, chapter_id=parent_id) if parent_id is not None else None
    _check_parent(kind, parent)
    province_code, commune_code = _unit_codes(kind, parent, province_code, commune_code)
    if kind == ChapterKind.national and _national(session) is not None:
        raise Conflict(_("there is already a national chapter: {code}").format(code=_national(session).code))
    _refuse_taken_unit(session, kind, province_code, commune_code)
    name = nfc((name or "").strip()) or _default_name(kind, province_code, commune_code)
    if not name:
        raise UserError(_("a {kind} chapter needs a name").format(kind=labels.label(kind)))
    if len(name) > 200:
        raise UserError(_("a chapter name is at most 200 characters ({n} given)").format(n=len(name)))
    code = _clean_code(code) if code else _default_code(kind, parent, province_code, commune_code)
    if code and session.scalar(select(Chapter.id).where(Chapter.code == code)) is not None:
        raise Conflict(_("the chapter code {code} is already used").format(code=code))
    placeholder = f"tmp:{uuid.uuid4().hex}"
    chapter = Chapter(code=code or placeholder, name=name, name_folded=fold(name), kind=kind,
                      parent_id=parent.id if parent else None, province_code=province_code,
                      commune_code=commune_code, path=placeholder, created_at=now, updated_at=now)
    session.add(chapter)
    session.flush()
    chapter.path = f"{parent.path if parent else '/'}{chapter.id}/"
    if not code:
        chapter.code = f"{parent.code}-{chapter.id}"
    session.add(chapter)
    session.flush()
    return chapter


def get_chapter(*, session: Session, chapter_id: int) -> Chapter:
    """The chapter with this id, or NotFound."""
    chapter = session.get(Chapter, chapter_id)
    if chapter is None:
        raise NotFound(_("no chapter #{id}").format(id=chapter_id))
    return chapter


def find_chapter(*, session: Session, text: str) -> Chapter:
    """The chapter a person means by a code ("VN-92"), "#id", or a name with or without diacritics.

    A name that fits several chapters is refused naming them; one that fits none suggests the
    nearest names ("did you mean").
    """
    wanted = nfc(text.strip())
    if not wanted:
        raise UserError(_("give a chapter code or name"))
    if wanted.startswith("#") and wanted[1:].isdigit():
        return get_chapter(session=session, chapter_id=int(wanted[1:]))
    by_code = session.scalars(select(Chapter).where(func.upper(Chapter.code) == wanted.upper())).first()
    if by_code is not None:
        return by_code
    folded = fold(wanted)
    exact = list(session.scalars(select(Chapter).where(Chapter.name_folded == folded).order_by(Chapter.path)))
    if len(exact) == 1:
        return exact[0]
    if not exact:
        exact = list(session.scalars(
            select(Chapter).where(Chapter.name_folded.contains(folded, autoescape=True)).order_by(Chapter.path)
        ))
        if len(exact) == 1:
            return exact[0]
    if exact:
        listed = "; ".join(f"{c.code} {c.name}" for c in exact[:10])
        raise UserError(_("“{text}” fits several chapters: {listed}; give the code").format(text=text, listed=listed))
    raise NotFound(_no_such_chapter(session, text, folded))


def _no_such_chapter(session: Session, text: str, folded: str) -> str:
    names = {row.name_folded: f"{row.code} {row.name}" for row in session.execute(
        select(Chapter.name_folded, Chapter.code, Chapter.name))}
    close = difflib.get_close_matches(folded, list(names), n=3, cutoff=0.6)
    if close:
        return _("no chapter “{text}”; did you mean: {names}?").format(
            text=text, names="; ".join(names[c] for c in close))
    return _("no chapter “{text}” (see `chapters list`)").format(text=text)


def list_chapters(*, session: Session, root_id: int | None = None) -> list[Chapter]:
    """Every chapter (or `root_id` and below) in tree order: each parent before its children."""
    query = select(Chapter)
    if root_id is not None:
        query = query.where(subtree_clause(get_chapter(session=session, chapter_id=root_id)))
    chapters = list(session.scalars(query))
    children: dict[int | None, list[Chapter]] = {}
    ids = {c.id for c in chapters}
    for chapter in chapters:
        parent = chapter.parent_id if chapter.parent_id in ids else None
        children.setdefault(parent, []).append(chapter)
    ordered: list[Chapter] = []

    def walk(parent_id: int | None) -> None:
        for child in sorted(children.get(parent_id, []), key=lambda c: (c.kind in UNIT_KINDS, c.name_folded, c.id)):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def depth(chapter: Chapter) -> int:
    """0 for a root, 1 for its children, …"""
    return chapter.path.count("/") - 2


def move_chapter(*, session: Session, now: dt.datetime, chapter_id: int, parent_id: int) -> Chapter:
    """Put a chapter (and everything under it) under another parent, in one statement."""
    chapter = get_chapter(session=session, chapter_id=chapter_id)
    parent = get_chapter(session=session, chapter_id=parent_id)
    if parent.path.startswith(chapter.path):
        raise UserError(_("chapter {code} cannot move under itself or its own sub-chapter {parent}").format(
            code=chapter.code, parent=parent.code))
    _check_parent(chapter.kind, parent)
    if chapter.kind == ChapterKind.commune and chapter.province_code != parent.province_code:
        raise UserError(_("commune chapter {code} belongs to province {province}; it cannot move under {parent}").format(
            code=chapter.code, province=chapter.province_code, parent=parent.code))
    old, new = chapter.path, f"{parent.path}{chapter.id}/"
    session.flush()
    session.execute(
        update(Chapter).where(subtree_clause(chapter))
        .values(path=new + func.substr(Chapter.path, len(old) + 1), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    values = {"parent_id": parent.id}
    if chapter.kind in UNIT_KINDS:  # a unit chapter has nothing under it, and takes its parent's place
        values |= {"province_code": parent.province_code,
                   "commune_code": parent.commune_code if parent.kind == ChapterKind.commune else None}
    session.execute(update(Chapter).where(Chapter.id == chapter.id).values(**values)
                    .execution_options(synchronize_session=False))
    session.expire_all()
    return get_chapter(session=session, chapter_id=chapter_id)


def path_range(path: str) -> tuple[str, str]:
    """[low, high) of the paths at or under `path` ("/1/7/" → "/1/7/", "/1/70")."""
    return path, path[:-1] + chr(ord("/") + 1)


def subtree_clause(chapter: Chapter):
    """WHERE clause on the chapters table: this chapter and every chapter below it."""
    low, high = path_range(chapter.path)
    return (Chapter.path >= low) & (Chapter.path < high)


def subtree_select(chapter: Chapter):
    """SELECT of the ids of this chapter and every chapter below it."""
    return select(Chapter.id).where(subtree_clause(chapter))


def in_subtree(column, chapter: Chapter):
    """`column` (a chapter_id column of any table) is this chapter or one below it."""
    return column.in_(subtree_select(chapter))


def subtree_ids(*, session: Session, chapter_id: int) -> list[int]:
    """The ids of this chapter and of every chapter below it."""
    return list(session.scalars(subtree_select(get_chapter(session=session, chapter_id=chapter_id))))


def ancestor_ids(chapter: Chapter) -> list[int]:
    """The ids from the root down to this chapter, itself included."""
    return [int(part) for part in chapter.path.strip("/").split("/")]


def is_within(*, session: Session, chapter_id: int, ancestor_id: int) -> bool:
    """True when `chapter_id` is `ancestor_id` or below it."""
    return ancestor_id in ancestor_ids(get_chapter(session=session, chapter_id=chapter_id))


def national_chapter(*, session: Session, now: dt.datetime) -> Chapter:
    """The national chapter, created on first use."""
    return _national(session) or create_chapter(session=session, now=now, kind=ChapterKind.national)


def province_chapter(*, session: Session, province_code: str) -> Chapter | None:
    """The chapter of an official province, if there is one."""
    return session.scalars(select(Chapter).where(Chapter.kind == ChapterKind.province,
                                                 Chapter.province_code == province_code)).first()


def commune_chapter(*, session: Session, commune_code: str) -> Chapter | None:
    """The chapter of an official commune, if there is one."""
    return session.scalars(select(Chapter).where(Chapter.kind == ChapterKind.commune,
                                                 Chapter.commune_code == commune_code)).first()


def chapter_for_place(*, session: Session, province_code: str | None, commune_code: str | None) -> Chapter | None:
    """The nearest chapter of an address: its commune's, else its province's, else None."""
    if commune_code:
        found = commune_chapter(session=session, commune_code=commune_code)
        if found is not None:
            return found
    if province_code:
        return province_chapter(session=session, province_code=province_code)
    return None


def _national(session: Session) -> Chapter | None:
    return session.scalars(select(Chapter).where(Chapter.kind == ChapterKind.national)).first()


def _check_parent(kind: ChapterKind, parent: Chapter | None) -> None:
    allowed = ALLOWED_PARENTS[kind]
    if parent is None and allowed:
        raise UserError(_("a {kind} chapter needs a parent chapter (--parent), one of: {kinds}").format(
            kind=labels.label(kind), kinds=", ".join(sorted(labels.label(k) for k in allowed))))
    if parent is not None and parent.kind not in allowed:
        if not allowed:
            raise UserError(_("the national chapter has no parent"))
        raise UserError(_("a {kind} chapter cannot sit under {parent} ({parent_kind}); it goes under a {kinds} chapter").format(
            kind=labels.label(kind), parent=parent.code, parent_kind=labels.label(parent.kind),
            kinds=" / ".join(sorted(labels.label(k) for k in allowed))))


def _unit_codes(kind: ChapterKind, parent: Chapter | None, province_code: str | None,
                commune_code: str | None) -> tuple[str | None, str | None]:
    if kind == ChapterKind.national:
        return None, None
    if kind == ChapterKind.province:
        if not province_code:
            raise UserError(_("a province chapter needs its province (--province)"))
        return _places().province_code_of(province_code), None
    if kind == ChapterKind.commune:
        if not commune_code:
            raise UserError(_("a commune chapter needs its commune (--commune)"))
        commune = _places().commune_code_of(commune_code, province_code=parent.province_code)
        return parent.province_code, commune
    return parent.province_code, parent.commune_code if parent.kind == ChapterKind.commune else None


def _places():
    from donor_registry.chapters import places

    return places


def _default_name(kind: ChapterKind, province_code: str | None, commune_code: str | None) -> str:
    if kind == ChapterKind.national:
        return NATIONAL_NAME
    if kind == ChapterKind.province:
        return _places().chapter_name(province_code=province_code)
    if kind == ChapterKind.commune:
        return _places().chapter_name(commune_code=commune_code)
    return ""


def _default_code(kind: ChapterKind, parent: Chapter | None, province_code: str | None,
                  commune_code: str | None) -> str | None:
    if kind == ChapterKind.national:
        return NATIONAL_CODE
    if kind == ChapterKind.province:
        return f"{parent.code}-{province_code}"
    if kind == ChapterKind.commune:
        return f"{parent.code}-{commune_code}"
    return None  # a unit chapter: "<parent code>-<id>", once the id is known


def _clean_code(code: str) -> str:
    code = nfc(code.strip())
    if not code or len(code) > 40 or any(ch.isspace() for ch in code):
        raise UserError(_("a chapter code is 1 to 40 characters without spaces: “{code}”").format(code=code))
    return code


def _refuse_taken_unit(session: Session, kind: ChapterKind, province_code: str | None, commune_code: str | None) -> None:
    taken = None
    if kind == ChapterKind.province:
        taken = province_chapter(session=session, province_code=province_code)
    elif kind == ChapterKind.commune:
        taken = commune_chapter(session=session, commune_code=commune_code)
    if taken is not None:
        raise Conflict(_("{unit} already has a chapter: {code} {name}").format(
            unit=province_code if kind == ChapterKind.province else commune_code, code=taken.code, name=taken.name))
