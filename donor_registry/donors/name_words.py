"""The word index of donor names: one row per distinct word of each active donor's folded name."""

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session

from donor_registry.donors.models import DonorNameWord

WORD_LENGTH = 50
WORDS = DonorNameWord.__table__
_AFTER_EVERY_PREFIX = "\uffff"  # sorts after any character a folded name holds


def words_of(name_folded: str) -> set[str]:
    """The distinct words of a folded name, cut to the column's length."""
    return {word[:WORD_LENGTH] for word in name_folded.split()}


def word_rows(donor_id: int, name_folded: str) -> list[tuple[str, int]]:
    """(word, donor id) rows of one donor, for bulk inserts."""
    return [(word, donor_id) for word in sorted(words_of(name_folded))]


def set_words(*, session: Session, donor_id: int, name_folded: str) -> None:
    """Make the index hold exactly the words of this donor's current name."""
    forget(session=session, donor_ids=[donor_id])
    rows = word_rows(donor_id, name_folded)
    if rows:
        session.execute(insert(WORDS), [{"word": word, "donor_id": donor_id} for word, donor_id in rows])


def forget(*, session: Session, donor_ids: Sequence[int]) -> None:
    """Drop these donors' words (a merged duplicate is no longer searched)."""
    session.execute(delete(WORDS).where(WORDS.c.donor_id.in_(list(donor_ids))))


def prefix_clause(token: str):
    """Index entries whose word starts with token: a range, so both databases use the primary key."""
    token = token[:WORD_LENGTH]
    return (WORDS.c.word >= token) & (WORDS.c.word < token + _AFTER_EVERY_PREFIX)


def donors_with_prefix(token: str):
    """Subquery of the donors with a word starting with token."""
    return select(WORDS.c.donor_id).where(prefix_clause(token))


def entry_counts(session: Session, tokens: Iterable[str], cap: int) -> dict[str, int]:
    """Index entries of each token's prefix, counted up to cap + 1 (so > cap means 'at least')."""
    counts = {}
    for token in set(tokens):
        capped = select(WORDS.c.word).where(prefix_clause(token)).limit(cap + 1).subquery()
        counts[token] = session.scalar(select(func.count()).select_from(capped))
    return counts
