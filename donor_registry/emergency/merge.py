"""Merging two records of one donor who were both asked for the same request."""

from sqlmodel import Session, select

from donor_registry.donors.duplicates import BEFORE_MERGE
from donor_registry.emergency.models import Answer, CallOut

ANSWER_FIELDS = ("answer", "answered_at", "answer_channel", "expected_arrival_at", "arrived_at", "donated")


def fold_duplicate_callouts(*, session: Session, keep_id: int, duplicate_id: int, **_context) -> None:
    """Keep one call-out per request: the kept donor's, taking the duplicate's answer if it has none."""
    for duplicate in session.exec(select(CallOut).where(CallOut.donor_id == duplicate_id)).all():
        kept = session.exec(
            select(CallOut).where(CallOut.request_id == duplicate.request_id, CallOut.donor_id == keep_id)
        ).first()
        if kept is None:
            continue  # moved as is by the generic merge
        if kept.answer == Answer.none and duplicate.answer != Answer.none:
            for field in ANSWER_FIELDS:
                setattr(kept, field, getattr(duplicate, field))
            session.add(kept)
        session.delete(duplicate)
    session.flush()


if fold_duplicate_callouts not in BEFORE_MERGE:
    BEFORE_MERGE.append(fold_duplicate_callouts)
