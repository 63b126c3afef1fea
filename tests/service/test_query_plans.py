"""The national-scale queries keep to their indexes: a plan with a full scan of donors or
donations fails here.

PostgreSQL: 40,000 donors over every commune of the country (few per commune, as in a
national database), ANALYZEd, then EXPLAIN (FORMAT JSON) of each statement the services send
for `donors find`, honour candidates, expected turnout and emergency matching, captured as
they run (no planner settings changed). SQLite: EXPLAIN QUERY PLAN of find and honours after
ANALYZE, where `merged_into_id IS NULL` once made SQLite skip-scan an area index.
"""

import datetime as dt
import json
from contextlib import contextmanager
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import event, text
from sqlmodel import Session, SQLModel

from donor_registry.campaigns.models import Drive
from donor_registry.campaigns.turnout import expected_turnout
from donor_registry.chapters.models import Chapter, ChapterKind
from donor_registry.db import make_engine
from donor_registry.donors import search
from donor_registry.donors.search import _in_name_order, _name_clauses, find_donors
from donor_registry.emergency import matching
from donor_registry.emergency.models import EmergencyRequest
from donor_registry.honours import service as honours
from donor_registry.honours.settings import HonoursSettings
from donor_registry.places import units
from donor_registry.types import ABO, Rh
from tests.conftest import sqlite_copy
from tests.service.test_find_positions import forced

DONORS = 40_000
TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)
FAMILY = ["nguyen"] * 6 + ["tran"] * 2 + ["le"] * 2 + ["pham", "hoang", "huynh", "phan", "vu", "vo", "dang",
                                                       "bui", "do", "ho", "ngo", "duong", "ly"]
MIDDLE = ["van", "thi", "huu", "duc", "ngoc", "minh", "thanh", "quoc", "my", "xuan"]
GIVEN = ["an", "anh", "binh", "chau", "cuong", "dung", "giang", "ha", "hai", "hanh", "hieu", "hoa", "hung",
         "huong", "hien", "lan", "linh", "long", "mai", "nam", "nga", "nhung", "phong", "phuong", "quang",
         "quynh", "son", "tam", "thao", "thu", "trang", "trung", "tuan", "tung", "uyen", "viet", "vinh", "yen"]
# Words no generated name has, then one rare given name for a few donors: find's word index.
RARE = "ksor"
PROVINCES = 34  # province chapters 2..35 under the national chapter 1


def _communes() -> list[tuple[str, str]]:
    return [(commune.province_code, commune.code) for province in units.provinces()
            for commune in units.communes_of(province.code)]


def _load_postgres(conn) -> None:
    """Donors, their name words, donations and chapters, in set-based SQL."""
    stamp = "2026-01-01 00:00:00+00"
    conn.execute(text("INSERT INTO chapters (id, code, name, name_folded, kind, parent_id, path, created_at, updated_at)"
                      " VALUES (1, 'VN', 'Trung uong', 'trung uong', 'national', NULL, '/1/', :t, :t)"), {"t": stamp})
    conn.execute(text("INSERT INTO chapters (id, code, name, name_folded, kind, parent_id, path, created_at, updated_at)"
                      " SELECT k, 'P' || k, 'Tinh ' || k, 'tinh ' || k, 'province', 1, '/1/' || k || '/', :t, :t"
                      " FROM generate_series(2, :last) k"), {"t": stamp, "last": PROVINCES + 1})
    places = _communes()
    conn.execute(text(f"""
        INSERT INTO donors (id, full_name, name_folded, sex, abo, rh, phone_e164, phone_sms_capable, birth_year,
                            weight_kg, consent_at, consent_channel, standby, province_code, commune_code,
                            chapter_id, donation_count, merged_into_id, created_at, updated_at)
        SELECT x, n, n, CASE WHEN x % 2 = 0 THEN 'male' ELSE 'female' END,
               (ARRAY['O','O','O','A','A','B','B','AB'])[1 + x % 8], CASE WHEN x % 97 = 0 THEN '-' ELSE '+' END,
               '+8490' || lpad(x::text, 7, '0'), true, 1970 + x % 35, 60, :t, 'paper', x % 3 = 0,
               (CAST(:provinces AS text[]))[1 + x % :places], (CAST(:communes AS text[]))[1 + x % :places], 2 + x % {PROVINCES},
               CASE WHEN x % 47 = 0 THEN 5 + x % 30 ELSE x % 4 END,
               CASE WHEN x % 500 = 7 THEN x - 1 END, :t, :t
        FROM (SELECT x, CASE WHEN x % 4000 = 1 THEN 'nguyen van {RARE}' ELSE
                     (CAST(:family AS text[]))[1 + (x * 7) % :nf] || ' ' || (CAST(:middle AS text[]))[1 + (x * 13) % :nm] || ' '
                     || (CAST(:given AS text[]))[1 + (x * 31) % :ng] END AS n
              FROM generate_series(1, :donors) x) s"""),
        {"t": stamp, "donors": DONORS, "places": len(places), "provinces": [p for p, _ in places],
         "communes": [c for _, c in places], "family": FAMILY, "nf": len(FAMILY), "middle": MIDDLE,
         "nm": len(MIDDLE), "given": GIVEN, "ng": len(GIVEN)})
    conn.execute(text("INSERT INTO donor_name_words (word, donor_id) SELECT DISTINCT w, id FROM donors,"
                      " unnest(string_to_array(name_folded, ' ')) w WHERE merged_into_id IS NULL"))
    conn.execute(text("INSERT INTO donor_name_words (word, donor_id) SELECT DISTINCT chr(31) || w, id FROM donors,"
                      " unnest((string_to_array(name_folded, ' '))[2:]) w WHERE merged_into_id IS NULL"))
    conn.execute(text("""
        INSERT INTO donations (donor_id, donated_on, type, outcome, source, created_at)
        SELECT d.id, DATE '2010-01-01' + (d.id % 97 + 100 * k), 'whole_blood', 'donated', 'test', :t
        FROM donors d JOIN generate_series(0, 40) k ON k < d.donation_count"""), {"t": stamp})
    conn.execute(text("ANALYZE"))


@pytest.fixture(scope="module")
def pg_engine(postgres_url):
    """The session's PostgreSQL database, emptied and loaded once for this module."""
    engine = make_engine(postgres_url)
    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        _load_postgres(conn)
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@contextmanager
def _statements(engine):
    """Every SELECT the code sends while the block runs, with its parameters."""
    sent = []

    def grab(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and ("donors" in statement or "donations" in statement):
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _plan(session: Session, statement: str, params) -> dict:
    """EXPLAIN (FORMAT JSON) of a statement as sent.

    find's matches-first statement (`WITH matches AS MATERIALIZED`, two common words on
    PostgreSQL) is explained with enable_seqscan off: its matches are a few hundred of these
    40,000 donors, few enough that the planner reads the small table instead, while at 1 M donors
    it takes the trigram index (8,061 matches of 'thanh vu' in 27 ms). With the setting off a plan
    still shows a Seq Scan when no index can serve the statement, which is what fails here."""
    connection = session.connection()
    matches_first = statement.lstrip().upper().startswith("WITH")
    if matches_first:
        connection.exec_driver_sql("SET enable_seqscan = off")
    try:
        raw = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
    finally:
        if matches_first:
            connection.exec_driver_sql("RESET enable_seqscan")
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _full_scans(session: Session, sent) -> list[str]:
    """'Seq Scan on <table>' for donors and donations in the plans of the statements sent."""
    found = []
    for statement, params in sent:
        plan = _plan(session, statement, params)
        found += [f"Seq Scan on {node['Relation Name']}: {statement[statement.index('FROM'):][:200]}" for node in _nodes(plan)
                  if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in ("donors", "donations")]
    return found


def _province_chapter(session: Session) -> Chapter:
    return session.get(Chapter, 7)


# (query as typed, which path of find_donors it takes: typed order / word index / name walk)
FIND_QUERIES = [
    ("nguyen van an", "a name as typed: the active donors' name index range"),
    (f"{RARE} nguyen", "a rare word first: the word index, then the donors by key"),
    ("an nguyen", "common words in another order: the trigram index or the name walk"),
    ("thanh hoa", "words some donors have later in the name: each word's range, the marked entries"),
    ("hoa thanh nguyen", "three words, one of them a family name only"),
    ("thi h", "a fragment"),
    ("Xyzabc Qwerty", "no match"),
    ("+84900001234", "a phone number"),
]


@pytest.mark.parametrize(("query", "why"), FIND_QUERIES)
def test_find_never_scans_every_donor_on_postgresql(pg_engine, query, why):
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        find_donors(session=session, query=query)
        assert sent
        assert _full_scans(session, sent) == [], why


def test_find_words_are_the_trigram_index_expression_on_postgresql(pg_engine):
    """The GIN index serves find only while the query says exactly its `' ' || name_folded`.

    At this size the planner may still prefer a scan for a rare word, so the check is on
    the plan's text: the index expression as PostgreSQL normalises it is in the filter."""
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        _in_name_order(session, _name_clauses([RARE]), 50, None)
        (statement, params), = sent
        raw = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
        expression = session.connection().exec_driver_sql(
            "SELECT pg_get_expr(indexprs, indrelid) FROM pg_index"
            " WHERE indexrelid = 'ix_donors_name_trigrams'::regclass").scalar()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    conditions = " ".join(node.get(key, "") for node in _nodes(plan) for key in ("Filter", "Index Cond", "Recheck Cond"))
    assert expression == "(' '::text || (name_folded)::text)"
    assert f"{expression} ~~ '% {RARE}%'::text" in conditions


def test_common_words_in_another_order_are_found_by_trigrams_on_postgresql(pg_engine, monkeypatch):
    """'thanh hoa': both words common (the word index is not used past a few donors here), and
    each some donors' word after the first (so no one range of names holds the matches).
    Walking names in order until a page of matches reads every name before a family's when the
    matches sit there (at 1 M donors 'minh ly' has them where 'ly' starts the sort); on
    PostgreSQL every match is found by the trigram index first, when the union of each word's
    range of names and the donors with both words later (positions) is not estimated cheaper:
    here it is, so it is turned off (its plans are in FIND_QUERIES)."""
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)
    monkeypatch.setattr(search.positions, "plan", lambda *args, **kwargs: None)
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        found = find_donors(session=session, query="thanh hoa")
        assert found and all(any(w.startswith("hoa") for w in d.name_folded.split())
                             and any(w.startswith("thanh") for w in d.name_folded.split()) for d in found)
        statement, params = sent[-1]  # after the names typed in order and the word counts
        assert statement.lstrip().startswith("WITH matches AS MATERIALIZED")
        plan = _plan(session, statement, params)
    used = {node.get("Index Name") for node in _nodes(plan)}
    assert "ix_donors_name_trigrams" in used
    assert not used & {"ix_donors_name_folded", "ix_donors_active_name"}


def test_a_family_name_in_another_order_reads_its_range_of_names_on_postgresql(pg_engine, monkeypatch):
    """'lan pham': 'pham' is no donor's word but the first of the name, so every match starts
    with it (first_words): the page is read from that range of the active donors' name index,
    (no trigrams, no scan of every donor). Here, 1,700 names, PostgreSQL reads the range whole and
    sorts it; at 1 M donors it walks the range's index entries in name order until a page."""
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        found = find_donors(session=session, query="lan pham")
        assert found and all(d.name_folded.startswith("pham ") and d.name_folded.endswith(" lan") for d in found)
        statement, params = sent[-1]
        plan = _plan(session, statement, params)
    ranges = [node for node in _nodes(plan) if node.get("Index Name") in ("ix_donors_active_name", "ix_donors_name_folded")
              and "'pham'" in node.get("Index Cond", "") and "'pham\uffff'" in node["Index Cond"]]
    assert ranges
    assert "ix_donors_name_trigrams" not in {node.get("Index Name") for node in _nodes(plan)}
    assert "Seq Scan" not in {node["Node Type"] for node in _nodes(plan)}


def test_a_family_name_in_another_order_reads_its_range_of_names_on_sqlite(sqlite_engine, monkeypatch):
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)
    with Session(sqlite_engine) as session, _statements(sqlite_engine) as sent:
        found = find_donors(session=session, query="lan pham")
        assert found and all(d.name_folded.startswith("pham ") and d.name_folded.endswith(" lan") for d in found)
        lines = _sqlite_plan(session, sent[-1:])
    assert [line for line in lines if "ix_donors_active_name" in line] == [
        "SEARCH donors USING INDEX ix_donors_active_name (name_folded>? AND name_folded<?)"]
    assert _bad_sqlite_reads(lines) == []


@pytest.mark.parametrize("how", ["intersect", "walk"])
def test_find_by_word_position_reads_indexes_only_on_postgresql(pg_engine, monkeypatch, how):
    """'thanh hoa', both words common: each word's range of names and the donors with both
    later (the marked entries intersected, or names walked in order up to a bound)."""
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)
    monkeypatch.setattr(search.positions, "plan", forced(how))
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        assert find_donors(session=session, query="thanh hoa")
        assert _full_scans(session, sent) == []


@pytest.mark.parametrize("how", ["intersect", "walk"])
def test_find_by_word_position_reads_donors_by_index_on_sqlite(sqlite_engine, monkeypatch, how):
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)
    monkeypatch.setattr(search.positions, "plan", forced(how))
    with Session(sqlite_engine) as session, _statements(sqlite_engine) as sent:
        assert find_donors(session=session, query="thanh hoa")
        lines = _sqlite_plan(session, sent)
    assert _bad_sqlite_reads(lines) == []


_WORDS = sorted({word[:k] for word in [*FAMILY, *MIDDLE, *GIVEN, RARE] for k in (2, len(word))})


@hsettings(max_examples=30, deadline=None, derandomize=True)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3))
def test_matches_first_gives_the_page_the_walk_gives_on_postgresql(pg_engine, words):
    """Property: finding every match first (PostgreSQL, several words) and walking names in order
    give the same first page, in the same order, for any words of the data (prefixes included)."""
    clauses = _name_clauses(words)
    with Session(pg_engine) as session:
        walked = [donor.id for donor in _in_name_order(session, clauses, 50, None)]
        assert [donor.id for donor in search._matches_first(session, clauses, 50, None)] == walked


@hsettings(max_examples=30, deadline=None, derandomize=True)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3))
def test_a_family_names_range_gives_the_page_the_whole_registry_gives_on_postgresql(pg_engine, words):
    """Property: reading the range of names of a word only ever first (first_words) gives the same
    ranked page as finding the matches among every name (the walk or trigrams first; for a rare
    word, its donors by key ranked whole words first)."""
    with Session(pg_engine) as session:
        ranged = [donor.id for donor in search._any_order(session, words, 50, None)]
        with patch.object(search.first_words, "only_first_word", lambda session, tokens: None):
            assert [donor.id for donor in search._any_order(session, words, 50, None)] == ranged


@hsettings(max_examples=30, deadline=None, derandomize=True)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3))
def test_a_family_names_range_gives_the_page_the_whole_registry_gives_on_sqlite(sqlite_engine, words):
    with Session(sqlite_engine) as session:
        ranged = [donor.id for donor in search._any_order(session, words, 50, None)]
        with patch.object(search.first_words, "only_first_word", lambda session, tokens: None):
            assert [donor.id for donor in search._any_order(session, words, 50, None)] == ranged


@hsettings(max_examples=30, deadline=None, derandomize=True)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3), common=st.booleans(),
       how=st.sampled_from(["intersect", "walk"]))
def test_the_union_by_word_position_gives_the_page_of_the_plan_before_on_postgresql(pg_engine, words, common, how):
    """Property: each word's range of names with the donors having every word later (positions)
    gives the page the rarest words' donors or the walk / trigrams give, in the same order."""
    _same_page_by_position(pg_engine, words, common, how)


@hsettings(max_examples=30, deadline=None, derandomize=True)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3), common=st.booleans(),
       how=st.sampled_from(["intersect", "walk"]))
def test_the_union_by_word_position_gives_the_page_of_the_plan_before_on_sqlite(sqlite_engine, words, common, how):
    _same_page_by_position(sqlite_engine, words, common, how)


def _same_page_by_position(engine, words: list[str], common: bool, how: str) -> None:
    with patch.object(search, "RARE_WORD_DONORS", 3 if common else search.RARE_WORD_DONORS), Session(engine) as session:
        with patch.object(search.positions, "plan", lambda *args, **kwargs: None):
            before = [donor.id for donor in search._any_order(session, words, 50, None)]
        with patch.object(search.positions, "plan", forced(how)):
            assert [donor.id for donor in search._any_order(session, words, 50, None)] == before


def test_honour_candidates_of_a_province_read_its_donors_only_on_postgresql(pg_engine):
    settings = HonoursSettings()
    with Session(pg_engine) as session:
        chapter = _province_chapter(session)
        assert chapter.kind == ChapterKind.province
        with _statements(pg_engine) as sent:
            rows = honours.candidates(session=session, settings=settings, today=TODAY, chapter=chapter)
            assert rows
            assert _full_scans(session, sent) == []


def test_honours_as_of_estimates_the_active_donors_on_postgresql(pg_engine):
    """coalesce(merged_into_id, 0) = 0 was estimated at 0.5 % of donors (no statistics for it),
    which sent PostgreSQL to a merge join over every donation; IS NULL is estimated from the
    column's statistics. The donors node's estimate is within a factor 2 of the active donors
    (39,920 of 40,000: one in 500 is merged)."""
    settings = HonoursSettings()
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        honours.candidates(session=session, settings=settings, today=TODAY, as_of=dt.date(2025, 1, 1))
        (statement, params), = sent
        raw = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    donors = [node for node in _nodes(plan) if node.get("Relation Name") == "donors"]
    assert donors
    for node in donors:
        if node["Node Type"] == "Seq Scan":
            assert node["Plan Rows"] >= 39_920 / 2


def _drive(commune_code: str, province_code: str) -> Drive:
    return Drive(id=1, date=TODAY + dt.timedelta(days=10), start_time=dt.time(7), end_time=dt.time(11),
                 venue="Nha van hoa", venue_key="nha van hoa", commune_code=commune_code,
                 province_code=province_code)


@pytest.mark.parametrize("ring", ["commune", "10km", "25km"])
def test_expected_turnout_reads_the_ring_only_on_postgresql(pg_engine, rules, ring):
    province_code, commune_code = _communes()[0]
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        turnout = expected_turnout(session=session, drive=_drive(commune_code, province_code), rules=rules,
                                   ring=ring)
        assert turnout.total > 0
        assert _full_scans(session, sent) == []


def test_emergency_matching_reads_the_rings_only_on_postgresql(pg_engine, rules):
    province_code, commune_code = _communes()[0]
    request = EmergencyRequest(id=1, abo=ABO.O, rh=Rh.positive, units=2, needed_by=NOW + dt.timedelta(hours=6),
                               hospital_id=1, created_at=NOW, created_by="test", province_code=province_code,
                               commune_code=commune_code)
    with Session(pg_engine) as session, _statements(pg_engine) as sent:
        picked, _ring = matching.pick(session=session, request=request, want=6, now=NOW, on=TODAY, rules=rules,
                                      rotation_days=7)
        assert len(picked) == 6
        assert _full_scans(session, sent) == []


# SQLite: the same donors, written row by row from the same formulas.
def _sqlite_rows():
    places = _communes()
    for x in range(1, DONORS + 1):
        name = (f"nguyen van {RARE}" if x % 4000 == 1 else
                f"{FAMILY[(x * 7) % len(FAMILY)]} {MIDDLE[(x * 13) % len(MIDDLE)]} {GIVEN[(x * 31) % len(GIVEN)]}")
        province_code, commune_code = places[x % len(places)]
        yield (x, name, name, "male" if x % 2 == 0 else "female", ["O", "O", "O", "A", "A", "B", "B", "AB"][x % 8],
               "-" if x % 97 == 0 else "+", f"+8490{x:07d}", 1, 1970 + x % 35, 60, "2026-01-01 00:00:00.000000",
               "paper", int(x % 3 == 0), province_code, commune_code, 2 + x % PROVINCES,
               5 + x % 30 if x % 47 == 0 else x % 4, x - 1 if x % 500 == 7 else None)


@pytest.fixture(scope="module")
def sqlite_engine(sqlite_template, tmp_path_factory):
    url = sqlite_copy(sqlite_template, tmp_path_factory.mktemp("plans"))
    engine = make_engine(url)
    stamp = "2026-01-01 00:00:00.000000"
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO chapters (id, code, name, name_folded, kind, parent_id, path, created_at,"
                             " updated_at) VALUES (1, 'VN', 'Trung uong', 'trung uong', 'national', NULL, '/1/', ?, ?)",
                             (stamp, stamp))
        conn.exec_driver_sql("INSERT INTO chapters (id, code, name, name_folded, kind, parent_id, path, created_at,"
                             " updated_at) VALUES (?, ?, ?, ?, 'province', 1, ?, ?, ?)",
                             [(k, f"P{k}", f"Tinh {k}", f"tinh {k}", f"/1/{k}/", stamp, stamp)
                              for k in range(2, PROVINCES + 2)])
        conn.exec_driver_sql(
            "INSERT INTO donors (id, full_name, name_folded, sex, abo, rh, phone_e164, phone_sms_capable, birth_year,"
            " weight_kg, consent_at, consent_channel, standby, province_code, commune_code, chapter_id,"
            " donation_count, merged_into_id, created_at, updated_at)"
            f" VALUES ({', '.join('?' * 18)}, '{stamp}', '{stamp}')", list(_sqlite_rows()))
        conn.exec_driver_sql("INSERT INTO donor_name_words (word, donor_id) SELECT DISTINCT w.value, d.id FROM donors d,"
                             " json_each('[\"' || replace(d.name_folded, ' ', '\",\"') || '\"]') w"
                             " WHERE d.merged_into_id IS NULL")
        conn.exec_driver_sql("INSERT INTO donor_name_words (word, donor_id) SELECT DISTINCT char(31) || w.value, d.id"
                             " FROM donors d, json_each('[\"' || replace(d.name_folded, ' ', '\",\"') || '\"]') w"
                             " WHERE d.merged_into_id IS NULL AND w.key > 0")
        conn.exec_driver_sql(f"""
            WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 40)
            INSERT INTO donations (donor_id, donated_on, type, outcome, source, created_at)
            SELECT d.id, date('2010-01-01', '+' || (d.id % 97 + 100 * k.n) || ' days'), 'whole_blood', 'donated',
                   'test', '{stamp}' FROM donors d JOIN k ON k.n < d.donation_count""")
        conn.exec_driver_sql("ANALYZE")
    yield engine
    engine.dispose()


def _sqlite_plan(session: Session, sent) -> list[str]:
    """The EXPLAIN QUERY PLAN lines of the statements sent."""
    return [row[-1] for statement, params in sent
            for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]


def _bad_sqlite_reads(lines: list[str]) -> list[str]:
    """Every donor read but a SEARCH on an index and the walk of the active donors in name order
    (find's common words: it stops at a page of matches); no skip-scan ("ANY(") either."""
    return [line for line in lines if "donors" in line and not line.startswith("SEARCH donor_name_words")
            and ("ANY(" in line or (line.startswith("SCAN donors")
                                    and line != "SCAN donors USING INDEX ix_donors_active_name"))]


@pytest.mark.parametrize(("query", "why"), FIND_QUERIES)
def test_find_reads_donors_by_index_on_sqlite(sqlite_engine, query, why):
    with Session(sqlite_engine) as session, _statements(sqlite_engine) as sent:
        find_donors(session=session, query=query)
        lines = _sqlite_plan(session, sent)
    assert lines
    assert _bad_sqlite_reads(lines) == [], why


def test_honour_candidates_on_sqlite(sqlite_engine):
    """One pass over the table in id order, not a skip-scan of an area index for `merged_into_id
    IS NULL` (which read every donor through the index, 1.5x slower). A province's candidates
    are read the same way: SQLite cannot size `chapter_id IN (subtree)` (as before 0030)."""
    settings = HonoursSettings()
    with Session(sqlite_engine) as session:
        for chapter in (None, _province_chapter(session)):
            with _statements(sqlite_engine) as sent:
                assert honours.candidates(session=session, settings=settings, today=TODAY, chapter=chapter)
                lines = _sqlite_plan(session, sent)
            assert "SCAN donors" in lines
            assert not [line for line in lines if "donors USING" in line or "ANY(" in line]


def test_turnout_and_matching_read_the_ring_on_sqlite(sqlite_engine, rules):
    province_code, commune_code = _communes()[0]
    request = EmergencyRequest(id=1, abo=ABO.O, rh=Rh.positive, units=2, needed_by=NOW + dt.timedelta(hours=6),
                               hospital_id=1, created_at=NOW, created_by="test", province_code=province_code,
                               commune_code=commune_code)
    with Session(sqlite_engine) as session, _statements(sqlite_engine) as sent:
        assert expected_turnout(session=session, drive=_drive(commune_code, province_code), rules=rules).total > 0
        assert len(matching.pick(session=session, request=request, want=6, now=NOW, on=TODAY, rules=rules,
                                 rotation_days=7)[0]) == 6
        lines = _sqlite_plan(session, sent)
    assert _bad_sqlite_reads(lines) == []


def test_emergency_matching_over_the_wide_rings_reads_no_full_donors_on_postgresql(pg_engine, rules):
    """The province and neighbouring-province rings (one LATERAL arm per province and group,
    emergency/province_ring.py) read each arm from ix_donors_standby_province_id in donor order,
    and no statement of the pick scans donors: an AB+ request (8 groups) asking more donors
    than the nearer rings and the province hold, so every ring is read. The statements are
    captured here whatever they start with (the wide rings' start with WITH)."""
    province_code, commune_code = _communes()[0]
    request = EmergencyRequest(id=1, abo=ABO.AB, rh=Rh.positive, units=2, needed_by=NOW + dt.timedelta(hours=6),
                               hospital_id=1, created_at=NOW, created_by="test", province_code=province_code,
                               commune_code=commune_code)
    sent = []

    def grab(conn, cursor, statement, params, context, executemany):
        if "FROM donors" in statement:
            sent.append((statement, params))

    event.listen(pg_engine, "before_cursor_execute", grab)
    try:
        with Session(pg_engine) as session:
            picked, widest = matching.pick(session=session, request=request, want=1500, now=NOW, on=TODAY,
                                           rules=rules, rotation_days=7, rings=["commune", "10km", "province",
                                                                                 "neighbours"])
    finally:
        event.remove(pg_engine, "before_cursor_execute", grab)
    assert widest == "neighbours" and len(picked) > 600
    wide = [(statement, params) for statement, params in sent if "LATERAL" in statement]
    assert len(wide) >= 2  # the province, then its neighbours
    with Session(pg_engine) as session:
        assert _full_scans(session, sent) == []
        for statement, params in wide:
            raw = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            assert "ix_donors_standby_province_id" in {node.get("Index Name") for node in _nodes(plan)}


def test_emergency_matching_over_the_wide_rings_searches_the_province_index_on_sqlite(sqlite_engine, rules):
    """The same pick on SQLite: each wide-ring statement (keys, then a correlated list subquery
    per key) SEARCHes ix_donors_standby_province_id and reads donors by rowid, never a SCAN."""
    province_code, commune_code = _communes()[0]
    request = EmergencyRequest(id=1, abo=ABO.AB, rh=Rh.positive, units=2, needed_by=NOW + dt.timedelta(hours=6),
                               hospital_id=1, created_at=NOW, created_by="test", province_code=province_code,
                               commune_code=commune_code)
    sent = []

    def grab(conn, cursor, statement, params, context, executemany):
        if "JOIN donors AS picked" in statement:
            sent.append((statement, params))

    event.listen(sqlite_engine, "before_cursor_execute", grab)
    try:
        with Session(sqlite_engine) as session:
            _picked, widest = matching.pick(session=session, request=request, want=1500, now=NOW, on=TODAY,
                                            rules=rules, rotation_days=7, rings=["commune", "10km", "province",
                                                                                  "neighbours"])
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", grab)
    assert widest == "neighbours" and len(sent) >= 2
    with Session(sqlite_engine) as session:
        lines = _sqlite_plan(session, sent)
    assert "SEARCH picked USING INTEGER PRIMARY KEY (rowid=?)" in lines
    assert "SEARCH donors USING INDEX ix_donors_standby_province_id (province_code=? AND abo=? AND rh=?)" in lines
    assert not [line for line in lines if line.startswith(("SCAN donors", "SCAN picked"))]
