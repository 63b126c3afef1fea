"""`donors find` for words in another order when no word is only ever a family name ('minh tran':
Trần Văn Minh, but also Lê Minh Trang): the union of each word's range of names and the donors
with every word later in the name (donors/positions.py) gives exactly the page the walk or the
rarest word's donors give, in the same order, on both engines."""

from unittest.mock import patch

import pytest
from sqlalchemy import text

from donor_registry.donors import name_words, positions, search
from donor_registry.donors.duplicates import merge_donors
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor, find_donors

# 'minh tran': both words begin the first word of some names and a later word of others.
NAMES = ["Trần Văn Minh", "Trần Minh Anh", "Trần Thị Hoa", "Lê Minh Trang", "Bùi Trang Minh",
         "Minh Trần Khoa", "Phạm Trần Minh", "Trang Minh Lê", "Lê Thị Minh", "Đỗ Minh Tuấn", "Võ Trâm Anh"]

# Every match (each word begins a word), in name order (folded): bui trang minh, le minh trang,
# minh tran khoa, pham tran minh, tran minh anh, tran van minh, trang minh le. Whole words
# ('minh' and 'tran' as words, not 'trang'): 2 for minh tran khoa, pham tran minh, tran minh anh,
# tran van minh; 1 for the others. The name typed in order ('minh tran…') always comes first.
RANKED = ["Minh Trần Khoa", "Phạm Trần Minh", "Trần Minh Anh", "Trần Văn Minh",
          "Bùi Trang Minh", "Lê Minh Trang", "Trang Minh Lê"]
# A page of 3 walked in name order (both words common): the first three matches by name,
# then the whole-word ones first.
WALKED_3 = ["Minh Trần Khoa", "Bùi Trang Minh", "Lê Minh Trang"]
# A page of 3 through the word index (rare words): the most whole words first, then by name.
RANKED_3 = ["Minh Trần Khoa", "Phạm Trần Minh", "Trần Minh Anh"]


def forced(how: str, names: int = 10**6):
    """positions.plan, made to take the union whenever it can: INTERSECT, or WALK reading at
    most `names` names (only where the walk is allowed; else the intersection)."""
    real = positions.plan

    def plan(session, tokens, counts, total, limit, common, chapters, cost_now, walk_allowed):
        with patch.object(positions, "UNION_ENTRIES", 10**12):
            chosen = real(session, tokens, counts, total, limit, common, chapters, 10**12, walk_allowed)
        if chosen is not None and how == positions.WALK and walk_allowed and chapters is None:
            return positions.WALK, names
        return chosen
    return plan


@pytest.fixture
def people(session, now):
    donors = {name: create_donor(session=session, data=DonorCreate(full_name=name), now=now) for name in NAMES}
    # Others, so that a page of 3 of the rare words is still read from the word index (the walk
    # in name order is estimated to read 3 / (8/23 * 9/23) = 22 names, the index 2 * 8).
    for _ in range(12):
        create_donor(session=session, data=DonorCreate(full_name="Hà Văn Bảo"), now=now)
    session.commit()
    return donors


@pytest.fixture
def unions(monkeypatch):
    """Calls of the union's two ways of finding the donors with every word later."""
    used = []
    intersect, walk = positions.intersect_every_later, positions.walk_every_later
    monkeypatch.setattr(positions, "intersect_every_later", lambda *a: used.append("intersect") or intersect(*a))
    monkeypatch.setattr(positions, "walk_every_later", lambda *a: used.append("walk") or walk(*a))
    return used


def found(session, query, limit=50):
    return [donor.full_name for donor in find_donors(session=session, query=query, limit=limit)]


@pytest.mark.parametrize("how", [positions.INTERSECT, positions.WALK])
def test_common_words_by_position_give_the_walks_page(session, people, monkeypatch, unions, how):
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)  # both words common: the walk's order
    assert (found(session, "minh tran"), found(session, "minh tran", limit=3)) == (RANKED, WALKED_3)
    monkeypatch.setattr(positions, "plan", forced(how))
    unions.clear()
    assert found(session, "minh tran") == RANKED
    assert found(session, "tran minh") == RANKED[2:3] + RANKED[:2] + RANKED[3:]  # 'tran minh…' typed first
    assert found(session, "minh tran", limit=3) == WALKED_3
    assert found(session, "MINH trần", limit=3) == WALKED_3
    assert set(unions) == {how}


def test_rare_words_by_position_give_the_word_index_page(session, people, monkeypatch, unions):
    assert (found(session, "minh tran"), found(session, "minh tran", limit=3)) == (RANKED, RANKED_3)
    monkeypatch.setattr(positions, "plan", forced(positions.WALK))  # ranked: never walked
    unions.clear()
    assert found(session, "minh tran") == RANKED
    assert found(session, "minh tran", limit=3) == RANKED_3
    assert found(session, "tran minh", limit=3) == ["Trần Minh Anh", "Minh Trần Khoa", "Phạm Trần Minh"]
    assert set(unions) == {"intersect"}


def test_a_walk_that_falls_short_gives_the_page_of_the_plan_before(session, people, monkeypatch, unions):
    """Two names read in order hold none with both words later: the union gives up, and the
    walk of every name gives the page (the estimate of such names was wrong)."""
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)
    monkeypatch.setattr(positions, "plan", forced(positions.WALK, names=2))
    assert found(session, "minh tran") == RANKED
    assert unions == ["walk"]


def test_names_with_both_words_later_only(session, now, monkeypatch, unions):
    """No name starts with either word: every match is a donor with both words later."""
    for name in ("Lê Minh Trang", "Vũ Trang Minh", "Lê Minh Anh", "Hồ Trang Lan", "Đào Minh Trân", "Đỗ Minh Trâm"):
        create_donor(session=session, data=DonorCreate(full_name=name), now=now)
    session.commit()
    monkeypatch.setattr(positions, "plan", forced(positions.INTERSECT))
    assert found(session, "tran minh") == ["Đào Minh Trân", "Lê Minh Trang", "Vũ Trang Minh"]  # whole words first
    assert found(session, "tran minh xyz") == []
    assert unions == ["intersect", "intersect"]


def test_a_merged_duplicate_is_not_found_by_position(session, people, now, rules, monkeypatch):
    monkeypatch.setattr(positions, "plan", forced(positions.INTERSECT))
    twin = create_donor(session=session, data=DonorCreate(full_name="Bùi Trang Minh"), now=now)
    session.commit()
    assert found(session, "minh tran").count("Bùi Trang Minh") == 2
    merge_donors(session=session, keep_id=people["Bùi Trang Minh"].id, duplicate_id=twin.id, rules=rules, now=now,
                 command="t")
    session.commit()
    assert found(session, "minh tran") == RANKED


def test_the_union_is_taken_only_when_estimated_cheaper(session, people):
    """plan() against the cost of the plan before (here, as given): a generous cost takes the
    intersection; one the ranges alone exceed takes nothing; and a word with more later entries
    than could pay leaves the walk of names (PostgreSQL, name order) or nothing."""
    counts = {"minh": 8, "tran": 7}  # as given, for a registry of 11 donors

    def plan(cost, walk=True, tokens=("minh", "tran"), limit=50):
        return positions.plan(session, list(tokens), counts, 11, limit, 20_000, None, cost, walk)

    # The ranges: at most 8 + 7 names; later entries: 'tran' 4 (Lê Minh Trang, Bùi Trang Minh,
    # Minh Trần Khoa, Phạm Trần Minh), 'minh' 8 (all but Minh Trần Khoa of its donors).
    assert plan(1_000) == (positions.INTERSECT, ("tran", "minh"))
    assert plan(10) is None
    with patch.object(positions, "UNION_ENTRIES", 20):  # never more, whatever the plan before costs
        assert plan(1_000) is None
    assert plan(1_000, tokens=("minh", "minh")) is None  # one word: its range was tried as typed
    assert plan(1_000, tokens=("minh", "t")) is None  # one letter begins most names' words
    assert plan(20) is None  # 15 + 4, and 'minh''s 8 are past the 1 left; a walk costs 11
    # A page of 1: the ranges cost 1.6 + 1.4 names, the intersection 12 entries and 2.9 donors by
    # key (past 30 on both engines), the walk of names 11 / 2.9 per match.
    walk = plan(30, limit=1)
    if session.get_bind().dialect.name == "postgresql":
        assert walk == (positions.WALK, int(positions.WALK_BUDGET * 11 / (11 * 4 / 11 * 8 / 11)))
    else:
        assert walk is None  # SQLite's walk of every name stops no later
    assert plan(30, limit=1, walk=False) is None


def test_a_search_leaves_the_transactions_planner_settings_as_they_were(session, people):
    """On PostgreSQL a name search plans without parallel workers (search._serial), then puts the
    transaction's setting back."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 1"))
    seen = []
    real = search._any_order

    def any_order(session, *args):
        seen.append(session.scalar(text("SHOW max_parallel_workers_per_gather")))
        return real(session, *args)

    with patch.object(search, "_any_order", any_order):
        assert found(session, "minh tran") == RANKED
    assert seen == ["0"]
    assert session.scalar(text("SHOW max_parallel_workers_per_gather")) == "1"


def test_word_counts_and_later_words_in_one_statement_each(session, people):
    """name_words.entry_counts stops past the cap (cap + 1: 'at least'); have_later_words tells
    the words some donor has after the first word of the name (hand-counted from NAMES)."""
    assert name_words.entry_counts(session, ["minh", "tran", "xyz", "minh"], 8) == {"minh": 9, "tran": 8, "xyz": 0}
    assert name_words.have_later_words(session, ["minh", "khoa", "vo", "ha", "tram"]) == {
        "minh": True, "khoa": True, "vo": False, "ha": False, "tram": True}
    assert name_words.have_later_words(session, []) == {}
