"""Words in another order when no word is only ever a family name ('hoa tran': Trần Thị Hoa,
but also Lê Thị Trang): the matches split by where the words stand in the name.

A name matches when each query word begins one of its words. Either some query word begins the
name's first word, and the name is in that word's range of the names index, which is read in
name order and stops at a page like any range; or every query word begins a later word of the
name, and the donor has a marked later-word entry (name_words.LATER) for each of them. So the
matches are exactly

    (for each word: the names starting with it that have the other words)
    ∪ (the donors with a later-word entry for every word, checked on the name),

and the first page of that union in the search's order is the first page of all matches.

The ranges cost about a page each. The donors with every word later are found by intersecting
the marked entries of the two words with the fewest of them, index entries only ('hoa tran' at
1 M donors: 51,587 and 15,875 entries, none in common, 12–18 ms), and their names checked. When
those entries are too many to pay ('thanh ly': 128,970 for 'thanh'), on PostgreSQL, whose plan
before finds every match by trigrams, names are read in order for those with every word later,
up to the last name of a full range page (no later name can make the page) or a bounded number
of names, after which the plan before is used. Each plan is weighed against search.py's own (the
rarest words' donors fetched by key, or names walked in order), counting the marked entries only
as far as could still pay; a word with many later entries costs that count (3 ms on SQLite, 8 ms
on PostgreSQL for 111,110 entries of 'ngo' at 1 M donors) and then the plan before."""

from collections.abc import Collection

from sqlalchemy import any_, func, select
from sqlmodel import Session

from donor_registry.donors import first_words, name_words
from donor_registry.donors.models import Donor

# A donor fetched by key (its row read to check the name) costs about this many word index
# entries intersected, index only: 19,841 donors by key took 40 / 113 ms on SQLite / PostgreSQL
# at 1 M donors, 126,984 entries intersected 28 / 21 ms (9x, 34x). SQLite's is taken lower for
# the union's other reads (counting, each range, the merge), which there are most of its cost.
CANDIDATE_ENTRIES = {"sqlite": 6, "postgresql": 30}
# A walk of names for those with every word later reads at most this many times its estimate
# before giving up on it for search.py's own plan.
WALK_BUDGET = 4
INTERSECT, WALK = "intersect", "walk"
# The most the union reads (marked entries counted and intersected, or names walked), whatever
# the plan before is estimated to cost: those estimates grow with the registry (a common word's
# count is only known as 'past 20,000'), and so do the later-word entries of common words, read
# colder. At 5 M donors 'van ngo' intersected 690,000 marked entries in 640 ms where trigrams
# found every match in 235 ms; at 1 M the largest union of the benchmark read 131,000
# ('binh ngo', 59 ms against 134 ms).
UNION_ENTRIES = 150_000


def plan(session: Session, tokens: list[str], counts: dict[str, int], total: int, limit: int,
         common: int, chapters: Collection[int] | None, cost_now: float, walk_allowed: bool) -> tuple | None:
    """How to find the donors with every word later when the union is estimated to read less
    than cost_now (word index entries or names): (INTERSECT, the two words whose marked entries
    to intersect) or (WALK, how many names to read in order at most); else None.

    counts: entry_counts of each token up to `common` (a count past it is 'at least');
    total: the highest donor id, the registry's size. WALK only when walk_allowed (a page in
    name order, not ranked) and over the whole registry."""
    distinct = sorted(set(tokens))
    if len(distinct) < 2 or any(len(token) < 2 for token in distinct):
        return None
    most = min(cost_now, UNION_ENTRIES)
    ranges = sum(_range_cost(token, counts, total, limit, common) for token in distinct)
    if ranges >= most:
        return None
    # The marked entries of the rarest words first, each counted only as far as could still pay.
    later: dict[str, int] = {}  # a count past its budget: at least that many
    counted: list[tuple[int, str]] = []
    for token in sorted(distinct, key=lambda token: (counts[token], token)):
        budget = int(most - ranges - sum(later.values()))
        if budget <= 0:
            break
        later[token] = _later_entries(session, token, budget)
        if later[token] > budget:
            break
        counted.append((later[token], token))
    counted.sort()
    if len(counted) >= 2:
        every_later = total * _share([count for count, _ in counted], total)
        if ranges + counted[0][0] + counted[1][0] + every_later * candidate_entries(session) < cost_now:
            return INTERSECT, (counted[0][1], counted[1][1])
    # On SQLite the plan before is the walk of every name, which stops at a page of any matches:
    # never later than this walk of the names with every word later. PostgreSQL's finds every
    # match by trigrams.
    if not walk_allowed or chapters is not None or session.get_bind().dialect.name != "postgresql":
        return None
    # Counts past their budget (or not read) as their least: fewer matches, a longer walk, which
    # reads at most every name.
    every_later = total * _share([later.get(token, 0) for token in distinct], total)
    walk = min(limit * total / every_later, total) if every_later > 0 else total
    names = int(WALK_BUDGET * walk)
    return (WALK, names) if ranges + walk < cost_now and names <= UNION_ENTRIES else None


def every_later_clauses(session: Session, name_folded, tokens: list[str]) -> list:
    """Each token begins a word after the first: the folded name holds ' ' + token (no leading
    space added). strpos() on PostgreSQL, as search.py's walks."""
    if session.get_bind().dialect.name == "postgresql":
        return [func.strpos(name_folded, " " + token) > 0 for token in tokens]
    return [name_folded.like(f"% {first_words.escape_like(token)}%", escape="\\") for token in tokens]


def intersect_every_later(pair: tuple[str, str]):
    """Subquery of the donors with a later word starting with each of the pair, index only."""
    first, second = (name_words.donors_with_prefix(name_words.LATER + token) for token in pair)
    return first.intersect(second)


def among_every_later(session: Session, donor_id, pair: tuple[str, str]):
    """donor_id is one of intersect_every_later(pair). On PostgreSQL as `= ANY(ARRAY(…))`, so the
    donors are read by key once the ids are known: with `IN (…)` the planner, which estimates
    such ranges of words poorly, hashed the ids against a scan of every donor (40,000 in the
    plans test)."""
    ids = intersect_every_later(pair)
    if session.get_bind().dialect.name == "postgresql":
        return donor_id == any_(func.array(ids.scalar_subquery()))
    return donor_id.in_(ids)


def walk_every_later(session: Session, tokens: list[str], limit: int, names: int, ends: list[str]) -> list[int] | None:
    """The ids of the first `limit` active donors in name order with every token in a later word.

    ends: the last name of each range page that was full; no later name can make the page, so
    the walk stops there. Without one, it stops after `names` names and gives None when those
    held fewer than `limit` such donors (more names are left: the estimate was wrong)."""
    bounds = [Donor.name_folded <= end for end in ends]
    if not bounds:
        start = (select(Donor.name_folded).where(Donor.merged_into_id.is_(None))
                 .order_by(Donor.name_folded, Donor.id).offset(names).limit(1))
        end = session.scalar(start)
        bounds = [] if end is None else [Donor.name_folded <= end]
    # The page's ids first, checked on the names index's entries (search._in_name_order).
    page = (select(Donor.id).where(Donor.merged_into_id.is_(None), *bounds,
                                   *every_later_clauses(session, Donor.name_folded, tokens))
            .order_by(Donor.name_folded, Donor.id).limit(limit))
    ids = list(session.scalars(page))
    if len(ids) < limit and bounds and not ends:
        return None
    return ids


def candidate_entries(session: Session) -> int:
    return CANDIDATE_ENTRIES.get(session.get_bind().dialect.name, CANDIDATE_ENTRIES["sqlite"])


def _later_entries(session: Session, token: str, cap: int) -> int:
    """token's marked later-word entries counted up to cap + 1. On PostgreSQL in one read of at
    most cap + 1 entries; on SQLite the probe past the cap first (name_words.entry_counts), which
    there costs half as much as counting when the word has too many."""
    entry = name_words.LATER + token
    if session.get_bind().dialect.name != "postgresql":
        return name_words.entry_counts(session, [entry], cap)[entry]
    entries = select(name_words.WORDS.c.word).where(name_words.prefix_clause(entry)).limit(cap + 1)
    return session.scalar(select(func.count()).select_from(entries.subquery()))


def _share(counts, total: int) -> float:
    share = 1.0
    for count in counts:
        share *= min(count / total, 1.0)
    return share


def _range_cost(token: str, counts: dict[str, int], total: int, limit: int, common: int) -> float:
    """Names read from token's range until a page of names with the other words, if they occur
    as often there as anywhere; at most the donors with the word, when that count is known."""
    others = _share([count for other, count in counts.items() if other != token], total)
    walk = limit / others if others else float("inf")
    return walk if counts[token] > common else min(counts[token], walk)
