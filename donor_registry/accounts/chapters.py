"""The chapter an account belongs to and the chapters it reaches (its chapter and below)."""

from sqlmodel import Session, select

from donor_registry.chapters import service as chapters
from donor_registry.chapters.models import Chapter


def resolve_chapter(*, session: Session, raw: str | None) -> int | None:
    """`--chapter VN-92`, `#7` or a name -> the chapter's id; None (no value) for the whole registry."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    return chapters.find_chapter(session=session, text=f"#{text}" if text.isdigit() else text).id


def reach(*, session: Session, chapter_id: int | None) -> set[int] | None:
    """The ids of the chapter and every chapter below it; None for the whole registry."""
    if chapter_id is None:
        return None
    return set(chapters.subtree_ids(session=session, chapter_id=chapter_id))


def names(*, session: Session, chapter_ids) -> dict[int, str]:
    """'VN-92 Hội Chữ thập đỏ thành phố Cần Thơ' for each id given."""
    ids = sorted({i for i in chapter_ids if i is not None})
    if not ids:
        return {}
    rows = session.exec(select(Chapter).where(Chapter.id.in_(ids))).all()
    return {row.id: f"{row.code} {row.name}" for row in rows}
