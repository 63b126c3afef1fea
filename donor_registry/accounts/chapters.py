"""The chapters an account belongs to and may reach (its chapter and below)."""

from sqlmodel import Session

from donor_registry.errors import UserError
from donor_registry.i18n import _


def resolve_chapter(*, session: Session, raw: str | None) -> int | None:
    """`--chapter 7` -> 7; None for the whole registry."""
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise UserError(_("chapter '{chapter}': give the chapter's number").format(chapter=raw.strip()[:40]))
    return int(raw.strip())


def reach(*, session: Session, chapter_id: int | None) -> set[int] | None:
    """The ids of the chapter and every chapter below it; None for the whole registry."""
    return None if chapter_id is None else {chapter_id}
