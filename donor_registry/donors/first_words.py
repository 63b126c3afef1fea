"""Whether a query word only ever begins a name, as a family name does: then every donor it can
find is in one range of the names index, and a walk in name order starts there.

"Thành Vũ" (given + family) walked names in order from 'a' until a page of matches, and those
all sit where 'vu' starts the sort: SQLite read 943,000 of 1,000,000 names (281 ms), PostgreSQL
found all 8,000 matches by trigrams and sorted them (27-56 ms). The word index says in one probe
whether any active donor has a word starting with 'vu' after the first (name_words.LATER); if
none has, each match is a name starting with 'vu', and the first page of that range in name
order is the first page of all matches."""

from collections.abc import Iterable

from sqlmodel import Session

from donor_registry.donors import name_words
from donor_registry.donors.models import Donor


def only_first_word(session: Session, tokens: Iterable[str]) -> str | None:
    """A token that no active donor has but as the start of the first word of the name, or None.
    The longest such: its range of names is the narrowest."""
    later = name_words.have_later_words(session, tokens)
    for token in sorted(later, key=lambda token: (-len(token), token)):
        if not later[token]:
            return token
    return None


def starting_with(start: str) -> list:
    """The active donors whose folded name starts with `start`: one range of the names index."""
    # The range lets the index seek; LIKE keeps the result exact under any collation.
    return [Donor.merged_into_id.is_(None), Donor.name_folded >= start, Donor.name_folded < start + "\uffff",
            Donor.name_folded.like(f"{escape_like(start)}%", escape="\\")]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
