"""Finding donors by a national ID, a phone in any format, or part of a name (diacritics or not),
within a chapter's reach, with bounded work: every query stops at a page of results.

Names typed in order ('nguyen thi h…') are one range of a names index read in order, so even a
two-letter prefix shared by 40 % of donors reads about a page of rows, never every match. Within
a reach of a few chapters each chapter's names are read in order (ix_donors_chapter_id_name_folded)
and the pages merged; a large reach (a province and its many chapters) holds a large share of the
donors, so the registry's names are read in order and the reach checked on each row.

Words in another order ('thanh vu') are read from the range of names starting with a word that
is only ever a family name (first_words). When every word is also a later word of some names
('hoa tran': Trần Thị Hoa, Lê Thị Trang), each word's range and the donors with every word later
(positions), if estimated cheaper than the plan before: a rare word's donors looked up in the word
index (name_words) and fetched by key, or a walk in name order, on PostgreSQL trigrams first."""

import re
from collections.abc import Collection
from contextlib import contextmanager

from sqlalchemy import case, func, or_, text, true, union_all
from sqlmodel import Session, select

from donor_registry.donors import first_words, name_words, normalize, positions
from donor_registry.donors.first_words import escape_like as _escape_like
from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.text import fold

_DIGITS_ONLY = re.compile(r"[\d\s.+()\-]+")

# Index entries counted per query word: beyond this a word is common, never searched from the index.
COMMON_WORD_ENTRIES = 20_000
RARE_WORD_DONORS = COMMON_WORD_ENTRIES  # kept as the name tests patch
# Reading a candidate from the word index costs about this many donors read in name order.
CANDIDATE_COST = 2
# Up to this many chapters in reach, each chapter's names are read in order, a page from each.
CHAPTER_SEEKS = 32


def find_donors(*, session: Session, query: str, limit: int = 50,
                chapters: Collection[int] | None = None) -> list[Donor]:
    """Donors matching a national ID, a phone in any format, or a name with or without diacritics.

    `chapters`: the ids of the chapters whose donors may be found (the workspace user's reach);
    None for the whole registry. The reach is part of every query: no other donor is even read."""
    query = query.strip()
    if not query:
        raise UserError(_("give a name, a phone number or a national ID to search for"))
    if _DIGITS_ONLY.fullmatch(query):
        identifier = _identifier_clause(query)
        if chapters is not None and not chapters:
            return []
        active = select(Donor).where(Donor.merged_into_id.is_(None), _reach_filter(chapters), identifier)
        return list(session.exec(active.limit(limit)))
    if chapters is not None and not chapters:
        return []
    tokens = fold(query).split()
    with _serial(session):
        in_order = _typed_in_order(session, tokens, limit, chapters)
        if len(in_order) == limit:
            return in_order
        seen = {donor.id for donor in in_order}
        rest = [donor for donor in _any_order(session, tokens, limit, chapters) if donor.id not in seen]
    return in_order + rest[: limit - len(in_order)]


@contextmanager
def _serial(session: Session):
    """On PostgreSQL, no parallel plans while searching names: each query reads a page, or a few
    thousand index entries, and the planner, which cannot estimate how soon a walk in name order
    meets a page of matches, chose to start two workers for a range of names (Gather Merge:
    26 ms for 'cuong bui' at 1 M donors against 11 ms without). The setting is the
    transaction's own and put back afterwards (not after an error of the database, which ends the
    transaction and the setting with it)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.scalar(text("SELECT current_setting('max_parallel_workers_per_gather')"))
    session.execute(text("SELECT set_config('max_parallel_workers_per_gather', '0', true)"))
    yield
    session.execute(text("SELECT set_config('max_parallel_workers_per_gather', :before, true)"), {"before": before})


def _reach_filter(chapters: Collection[int] | None):
    # coalesce() keeps the planner off the chapter indexes: this filter is checked on rows another
    # index found (a phone, the word index, the names in order), never a scan of a chapter's donors.
    return true() if chapters is None else func.coalesce(Donor.chapter_id, 0).in_(sorted(chapters))


def _in_name_order(session: Session, clauses: list, limit: int, chapters: Collection[int] | None) -> list[Donor]:
    """The first `limit` donors in name order meeting `clauses` within the reach."""
    if chapters is not None and len(chapters) <= CHAPTER_SEEKS:
        pages = [select(Donor.id).where(Donor.chapter_id == chapter_id, *clauses)
                 .order_by(Donor.name_folded, Donor.id).limit(limit).subquery() for chapter_id in sorted(chapters)]
        ids = [select(page.c.id) for page in pages]
        query = select(Donor).where(Donor.id.in_(ids[0] if len(ids) == 1 else union_all(*ids)))
    else:
        # The page's ids first: PostgreSQL checks the words on the index entries (an index-only
        # scan) instead of reading each walked donor's row, which in name order are scattered.
        page = (select(Donor.id).where(_reach_filter(chapters), *clauses)
                .order_by(Donor.name_folded, Donor.id).limit(limit))
        query = select(Donor).where(Donor.id.in_(page))
    return list(session.exec(query.order_by(Donor.name_folded, Donor.id).limit(limit)))


def _typed_in_order(session: Session, tokens: list[str], limit: int, chapters) -> list[Donor]:
    """Names that start with the query as typed ('nguyen thi hoa…'): one range of a names index."""
    found = _in_name_order(session, first_words.starting_with(" ".join(tokens)), limit, chapters)
    return sorted(found, key=lambda donor: -_whole_word_hits(donor.name_folded, tokens))


def _any_order(session: Session, tokens: list[str], limit: int, chapters) -> list[Donor]:
    """Every word as a word prefix, in any order, through the rarest words' index or a walk."""
    counts = name_words.entry_counts(session, tokens, RARE_WORD_DONORS)
    indexed = sorted((count, token) for token, count in counts.items() if count <= RARE_WORD_DONORS)
    total = max(session.scalar(select(func.max(Donor.id))) or 1, 1)  # the registry's size
    if indexed and indexed[0][0] * CANDIDATE_COST <= _walk_cost(counts, total, limit):
        family = first_words.only_first_word(session, tokens) if _range_is_cheaper(total, indexed, limit) else None
        if family is not None:
            return _rank_in_range(session, tokens, family, limit, chapters)
        cost = _candidates_cost(session, indexed, total)
        found = _by_position(session, tokens, counts, total, limit, chapters, cost, rank=True)
        if found is not None:
            return found
        return _rank_candidates(session, tokens, [token for _, token in indexed[:2]], limit, chapters)
    family = first_words.only_first_word(session, tokens)
    found = None
    if family is not None:  # every match starts with it: walk that range of names only
        clauses = [*first_words.starting_with(family), *_walk_words(session, [t for t in tokens if t != family])]
        found = _in_name_order(session, clauses, limit, chapters)
    else:
        cost = _walk_cost(counts, total, limit)
        found = _by_position(session, tokens, counts, total, limit, chapters, cost, rank=False)
    if found is None and _trigrams_first(session, tokens, chapters):
        found = _matches_first(session, _name_clauses(tokens), limit, chapters)
    elif found is None:
        found = _in_name_order(session, _walk_clauses(session, tokens), limit, chapters)
    return sorted(found, key=lambda donor: -_whole_word_hits(donor.name_folded, tokens))


def _by_position(session: Session, tokens: list[str], counts: dict[str, int], total: int, limit: int,
                 chapters, cost_now: float, rank: bool) -> list[Donor] | None:
    """The page from each word's range of names and the donors with every word later
    (positions), in _rank_candidates' order if `rank` else in name order; None when that union
    is not estimated to cost less than cost_now, or its bounded walk fell short."""
    how = positions.plan(session, tokens, counts, total, limit, RARE_WORD_DONORS, chapters, cost_now,
                         walk_allowed=not rank)
    if how is None:
        return None
    pages = []
    for family in sorted(set(tokens)):
        if rank:
            pages.append(_rank_in_range(session, tokens, family, limit, chapters))
        else:
            clauses = [*first_words.starting_with(family), *_walk_words(session, [t for t in tokens if t != family])]
            pages.append(_in_name_order(session, clauses, limit, chapters))
    if how[0] == positions.WALK:
        ends = [page[-1].name_folded for page in pages if len(page) == limit]
        later_ids = positions.walk_every_later(session, tokens, limit, how[1], ends)
        if later_ids is None:
            return None
    else:
        later = (select(Donor.id).where(positions.among_every_later(session, Donor.id, how[1]),
                                        *_name_clauses(tokens), _reach_filter(chapters))
                 .order_by(*_rank_order(tokens, rank)).limit(limit))
        later_ids = list(session.scalars(later))
    ids = {*later_ids, *(donor.id for page in pages for donor in page)}
    if not ids:
        return []
    page = select(Donor).where(Donor.id.in_(sorted(ids))).order_by(*_rank_order(tokens, rank)).limit(limit)
    return list(session.exec(page))


def _rank_order(tokens: list[str], rank: bool) -> list:
    """_rank_candidates' order (whole-word matches first, then by name) or name order."""
    return [_whole_words(tokens).desc(), Donor.name_folded, Donor.id] if rank else [Donor.name_folded, Donor.id]


def _whole_words(tokens: list[str]):
    spaced = " " + Donor.name_folded + " "
    return sum(case((spaced.like(f"% {_escape_like(token)} %", escape="\\"), 1), else_=0) for token in tokens)


def _candidates_cost(session: Session, indexed: list, total: int) -> float:
    """_rank_candidates' reading, in word index entries: the rarest words' entries and their
    donors fetched by key (positions.candidate_entries each)."""
    if len(indexed) == 1:
        return indexed[0][0] * positions.candidate_entries(session)
    both = indexed[0][0] * indexed[1][0] / total
    return indexed[0][0] + indexed[1][0] + both * positions.candidate_entries(session)


def _walk_cost(counts: dict[str, int], total: int, limit: int) -> float:
    """Names read in order until a page of matches, if the words occurred independently: whether
    reading the rarest words' donors is cheaper is weighed against it (CANDIDATE_COST)."""
    share = 1.0
    for count in counts.values():
        share *= min(count / total, 1.0)
    return limit / share if share else float("inf")


def _trigrams_first(session: Session, tokens: list[str], chapters) -> bool:
    """On PostgreSQL, whether to find every match by trigrams before ordering (two words or
    more, each of two letters or more: one letter is in nearly every name) rather than walk
    names in order, when no word is a family name only (first_words).

    The walk assumes matches spread over the name order; a word that is a family name for some
    donors and a given name for others ('minh ly': Lý Minh Anh, Bùi Minh Ly) has many of its
    matches where that family starts the sort, and the walk reads every name before it. The
    trigram index (0030) finds every match instead (8,000 of 'thanh vu' in 27 ms at 1 M donors).
    One word alone is walked: a family name was found as typed, a given or middle name is spread
    over the name order. Within a few chapters each chapter's names are read in order."""
    return (session.get_bind().dialect.name == "postgresql" and len(tokens) > 1
            and all(len(token) >= 2 for token in tokens)
            and (chapters is None or len(chapters) > CHAPTER_SEEKS))


def _matches_first(session: Session, clauses: list, limit: int, chapters) -> list[Donor]:
    """The first `limit` donors in name order among all matches, found first (MATERIALIZED keeps
    PostgreSQL from turning it back into the walk)."""
    matches = (select(Donor.id, Donor.name_folded).where(_reach_filter(chapters), *clauses)
               .cte("matches").prefix_with("MATERIALIZED"))
    page = select(matches.c.id).order_by(matches.c.name_folded, matches.c.id).limit(limit)
    query = select(Donor).where(Donor.id.in_(page))
    return list(session.exec(query.order_by(Donor.name_folded, Donor.id).limit(limit)))


def _walk_clauses(session: Session, tokens: list[str]) -> list:
    return [Donor.merged_into_id.is_(None), *_walk_words(session, tokens)]


def _walk_words(session: Session, tokens: list[str]) -> list:
    """Every word as a word prefix, for a walk in name order. On PostgreSQL as strpos(), which the
    trigram index cannot take: its estimate of `LIKE '% toan%'` sometimes sent a given name alone
    to fetch and sort every match by trigrams (117 ms) where the walk stops at a page (7.6 ms)."""
    if session.get_bind().dialect.name != "postgresql":
        return _like_words(tokens)
    padded = " " + Donor.name_folded
    return [func.strpos(padded, " " + token) > 0 for token in tokens]


def _name_clauses(tokens: list[str]) -> list:
    # Every word must appear as a whole word or a word prefix, in any order: 'an nguyen'
    # finds 'Nguyễn Văn An'. name_folded is stored with single spaces, so ' ' + word works.
    # `merged_into_id IS NULL` as written: it selects the active donors' name index
    # (ix_donors_active_name, migration 0030) on both engines.
    return [Donor.merged_into_id.is_(None), *_like_words(tokens)]


def _like_words(tokens: list[str]) -> list:
    padded = " " + Donor.name_folded
    return [padded.like(f"% {_escape_like(token)}%", escape="\\") for token in tokens]


def _rank_candidates(session: Session, tokens: list[str], rarest: list[str], limit: int,
                     chapters) -> list[Donor]:
    """The matches among the donors of the rarest words (at most RARE_WORD_DONORS of them): whole-
    word matches first, then by name."""
    candidates = name_words.donors_with_prefix(rarest[0])
    if len(rarest) > 1:
        candidates = candidates.intersect(name_words.donors_with_prefix(rarest[1]))
    query = select(Donor).where(Donor.id.in_(candidates), *_name_clauses(tokens), _reach_filter(chapters))
    return list(session.exec(query.order_by(*_rank_order(tokens, True)).limit(limit)))


def _range_is_cheaper(total: int, indexed: list, limit: int) -> bool:
    """Whether a page of the rarest word's donors is read sooner from a family name's range of
    names (about limit / its share, spread as it is over the names) than its donors fetched by
    key: 'toan nguyen' at 1 M donors, 19,800 of them read in 70 ms on SQLite, or 2,500 names."""
    rarest = max(indexed[0][0], 1)
    return limit * total / rarest < rarest * CANDIDATE_COST


def _rank_in_range(session: Session, tokens: list[str], family: str, limit: int, chapters) -> list[Donor]:
    """_rank_candidates' page (whole-word matches first, then by name) when every match starts
    with `family` (first_words): that range of names read in name order once per number of
    whole words, most first, each read stopping at what the page still lacks."""
    whole_words = _whole_words(tokens)
    clauses = [*first_words.starting_with(family), *_walk_words(session, [t for t in tokens if t != family])]
    found: list[Donor] = []
    for whole in range(len(tokens), -1, -1):
        found += _in_name_order(session, [*clauses, whole_words == whole], limit - len(found), chapters)
        if len(found) == limit:
            break
    return found


def _whole_word_hits(name_folded: str, tokens: list[str]) -> int:
    words = set(name_folded.split())
    return sum(token in words for token in tokens)


def _identifier_clause(query: str):
    digits = re.sub(r"\D", "", query)
    clauses = []
    if len(digits) in (9, 12):
        clauses.append(Donor.national_id == digits)
    try:
        e164, _kind = normalize.phone(query)
        clauses.append(Donor.phone_e164 == e164)
    except UserError:
        pass
    if not clauses:
        raise UserError(_("'{query}' is neither a valid phone number nor a 9- or 12-digit "
                          "national ID").format(query=query))
    return or_(*clauses)
