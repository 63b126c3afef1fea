"""The word index of donor names: one row per distinct word of each active donor's folded name,
and one more per word after the first, marked with LATER.

The marked rows tell a family name from a given one: a word none of whose donors has it but as
the first word of the name ('vu' in 'vu thi lan') finds only names in one range of the names
index, so `donors find` reads that range rather than every name before it."""

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, exists, func, insert, select
from sqlmodel import Session

from donor_registry.donors.models import DonorNameWord

WORD_LENGTH = 50
WORDS = DonorNameWord.__table__
_AFTER_EVERY_PREFIX = "\uffff"  # sorts after any character a folded name holds
# Before a word that is not the first of the name: a control character, which no stored name
# holds (text.control_character_reason), so no word is taken for a marked one.
LATER = "\x1f"


def words_of(name_folded: str) -> set[str]:
    """The index entries of a folded name: its distinct words, and LATER + each word after the
    first, cut to the column's length."""
    words = name_folded.split()
    return {word[:WORD_LENGTH] for word in words} | {(LATER + word)[:WORD_LENGTH] for word in words[1:]}


def has_later_word(session: Session, token: str) -> bool:
    """Whether an active donor has a word starting with token after the first word of the name
    (a token as long as an entry: whether a later word starts with its cut prefix)."""
    later = select(WORDS.c.donor_id).where(prefix_clause(LATER + token)).limit(1)
    return session.scalar(later) is not None


def have_later_words(session: Session, tokens: Iterable[str]) -> dict[str, bool]:
    """has_later_word of each token, in one statement."""
    tokens = sorted(set(tokens))
    if not tokens:
        return {}
    probes = [exists(select(WORDS.c.donor_id).where(prefix_clause(LATER + token))) for token in tokens]
    return {token: bool(found) for token, found in zip(tokens, session.execute(select(*probes)).one(), strict=True)}


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
    tokens = sorted(set(tokens))
    if session.get_bind().dialect.name == "postgresql" and tokens:
        # One statement, each token's entries read once up to the cap: there a statement's round
        # trip and planning cost as much as reading 20,000 entries (1.4-1.7 ms each at 1 M donors).
        columns = [select(func.count()).select_from(select(WORDS.c.word).where(prefix_clause(token))
                                                    .limit(cap + 1).subquery()).scalar_subquery()
                   for token in tokens]
        return dict(zip(tokens, session.execute(select(*columns)).one(), strict=True))
    counts = {}
    for token in tokens:
        # A common word (most of those typed) is told by the entry past the cap alone, which
        # reads the entries but counts none: a third of counting them on both engines.
        entries = select(WORDS.c.word).where(prefix_clause(token))
        if session.scalar(entries.offset(cap).limit(1)) is not None:
            counts[token] = cap + 1
        else:
            counts[token] = session.scalar(select(func.count()).select_from(entries.subquery()))
    return counts
