"""Ids an import reserves on PostgreSQL (bulk.IdReserver): taken from the table's sequence a
block at a time, a run without gaps read as its first and last number, and a block with gaps
(another session's numbers between ours) read number by number."""

from sqlalchemy import text

from donor_registry.db import make_engine
from donor_registry.importing import bulk


def _reserve(url: str, increment: int) -> tuple[list[int], list[int], int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"ALTER SEQUENCE donations_id_seq INCREMENT BY {increment} RESTART WITH 10"))
            reserver = bulk.IdReserver(conn, bulk.DONATIONS)
            reserver.POOL = 4
            first = reserver.take(3)
            reserver.give_back(first[1:])
            later = [reserver.next() for _ in range(3)] + reserver.take(6)
            after = conn.execute(text("SELECT nextval('donations_id_seq')")).scalar()
            conn.rollback()
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER SEQUENCE donations_id_seq INCREMENT BY 1 RESTART WITH 1"))
        engine.dispose()
    return first, later, after


def test_ids_taken_in_runs(postgres_db_url):
    first, later, after = _reserve(postgres_db_url, 1)
    assert first == [10, 11, 12]
    # 11 and 12 given back come again, then 13 (the first block's last), then a block of 6.
    assert later == [11, 12, 13, 14, 15, 16, 17, 18, 19]
    assert after == 20


def test_ids_with_gaps_are_the_sequences_numbers(postgres_db_url):
    # A sequence counting by 3 leaves gaps as other sessions' numbers would.
    first, later, after = _reserve(postgres_db_url, 3)
    assert first == [10, 13, 16]
    assert later == [13, 16, 19, 22, 25, 28, 31, 34, 37]
    assert after == 40
