"""Writing and reading the audit trail."""

import datetime as dt
import getpass

from sqlalchemy import and_, literal, or_
from sqlmodel import Session, select

from donor_registry.audit.models import AuditEntry


def cli_actor() -> str:
    """Who acts from the command line: cli:<login name>."""
    return f"cli:{getpass.getuser()}"


def record(
    *, session: Session, now: dt.datetime, actor: str, action: str,
    subject_type: str | None = None, subject_id: int | None = None, detail: dict | None = None,
) -> AuditEntry:
    """Add one audit entry to the current unit of work."""
    entry = AuditEntry(
        at=now, actor=actor, action=action, subject_type=subject_type,
        subject_id=subject_id, detail=detail or {},
    )
    session.add(entry)
    return entry


def recent(*, session: Session, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
    """The newest entries first, optionally of one action."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.exec(query))


def about(*, session: Session, subject_type: str, subject_id: int, limit: int = 50) -> list[AuditEntry]:
    """The newest entries about one record (a donor's page shows its own)."""
    query = select(AuditEntry).where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
    return list(session.exec(query.order_by(AuditEntry.id.desc()).limit(limit)))


def page(*, session: Session, reach: set[int] | None, donor_id: int | None = None, action: str = "",
         actor: str = "", before: int | None = None, limit: int = 50) -> list[AuditEntry]:
    """One page of the trail, newest first, for a reader whose reach is `reach` (None: everything).

    A chapter's admin sees what its users did and what was done to its donors, never another
    chapter's; `before` is the id the previous page ended at (keyset paging, no OFFSET).
    """
    from donor_registry.accounts.models import User
    from donor_registry.donors.models import Donor

    query = select(AuditEntry)
    if reach is not None:
        chapters = sorted(reach)
        by_users = select(literal("user:") + User.login).where(User.chapter_id.in_(chapters))
        about_donors = select(Donor.id).where(Donor.chapter_id.in_(chapters))
        query = query.where(or_(AuditEntry.actor.in_(by_users),
                                and_(AuditEntry.subject_type == "donor", AuditEntry.subject_id.in_(about_donors))))
    if donor_id is not None:
        query = query.where(AuditEntry.subject_type == "donor", AuditEntry.subject_id == donor_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return list(session.exec(query.order_by(AuditEntry.id.desc()).limit(limit)))
