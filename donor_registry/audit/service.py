"""Writing and reading the audit trail."""

import datetime as dt
import getpass

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
