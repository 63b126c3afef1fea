"""`donors find` over 250,000 donors in SQLite, against a raw SQL LIKE baseline.

The database is built once in bench-data/ with the importer (scripts/datagen.py donors). About
200 queries: names with and without diacritics, given names alone, words in another order, phones
in several forms, CCCD numbers. Each is timed through donors.service.find_donors (what the CLI
and API call) and through a raw sqlite3 query (name_folded LIKE '%words%', or an exact
phone / ID match). Target: p95 under 50 ms.

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/find.py [--donors N]
"""

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session

from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.donors.service import find_donors
from donor_registry.importing.service import import_donors
from donor_registry.phones import normalize_phone
from donor_registry.text import fold, strip_diacritics
from scripts.datagen import generate_donors, write_donors_csv

NOW = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)
TARGET_P95_MS = 50
RUNS = 3


def build(path: Path, donors: int) -> None:
    """Import `donors` generated donors into a fresh migrated SQLite file."""
    csv_path = path.with_suffix(".csv")
    write_donors_csv(csv_path, donors, seed=7)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine)
    with session_scope(engine) as session:
        report = import_donors(session=session, path=csv_path, now=NOW, today=NOW.date(), skip_invalid=True)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    csv_path.unlink()
    tmp.rename(path)
    print(f"built {path}: {report.created:,} donors", file=sys.stderr)


def queries(donors: int) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from the same generated donors."""
    rng = random.Random(11)
    people = generate_donors(donors, seed=7)
    picked = rng.sample(people, 40)
    found = []
    for person in picked:
        family, *_middle, given = person["full_name"].split()
        found += [("full name", person["full_name"]), ("folded name", strip_diacritics(person["full_name"]).lower()),
                  ("given + family", f"{given} {family}"), ("given name", given)]
        if person["phone"]:
            found.append(("phone", person["phone"]))
        if person["national_id"]:
            found.append(("national ID", person["national_id"]))
    found += [("no match", "Xyzabc Qwerty"), ("fragment", "nguy"), ("fragment", "thi h")]
    return found


def raw_query(conn: sqlite3.Connection, kind: str, query: str) -> list:
    if kind == "phone":
        return conn.execute("SELECT * FROM donors WHERE merged_into_id IS NULL AND phone_e164 = ? LIMIT 50",
                            (normalize_phone(query).e164,)).fetchall()
    if kind == "national ID":
        return conn.execute("SELECT * FROM donors WHERE merged_into_id IS NULL AND national_id = ? LIMIT 50",
                            (query,)).fetchall()
    return conn.execute("SELECT * FROM donors WHERE merged_into_id IS NULL AND name_folded LIKE ? LIMIT 50",
                        (f"%{fold(query)}%",)).fetchall()


def timed(function) -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def summary(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))], ordered[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--donors", type=int, default=250_000)
    args = parser.parse_args()
    path = ROOT / "bench-data" / f"find-{args.donors}-v2.db"
    if not path.exists():
        build(path, args.donors)
    engine = make_engine(f"sqlite:///{path}")
    raw = sqlite3.connect(path)
    cases = queries(args.donors)
    ours, base = {}, {}
    with Session(engine) as session:
        for kind, query in cases:
            ours.setdefault(kind, []).append(timed(lambda q=query: find_donors(session=session, query=q)))
            base.setdefault(kind, []).append(timed(lambda k=kind, q=query: raw_query(raw, k, q)))
    print(f"`donors find` over {args.donors:,} donors (SQLite), {len(cases)} queries, best of {RUNS} each, ms\n")
    print("| queries | n | find_donors p50 | p95 | max | raw LIKE / = p50 | p95 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    everything_ours = [t for times in ours.values() for t in times]
    everything_base = [t for times in base.values() for t in times]
    for kind in [*ours, "all"]:
        mine = everything_ours if kind == "all" else ours[kind]
        theirs = everything_base if kind == "all" else base[kind]
        cells = " | ".join(f"{value:.1f}" for value in (*summary(mine), *summary(theirs)))
        print(f"| {kind} | {len(mine)} | {cells} |")
    p95 = summary(everything_ours)[1]
    print(f"\n- {'PASS' if p95 < TARGET_P95_MS else 'FAIL'}: p95 {p95:.1f} ms < {TARGET_P95_MS} ms")
    return 0 if p95 < TARGET_P95_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
