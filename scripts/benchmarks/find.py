"""`donors find` over 250,000 donors (--donors) on SQLite and PostgreSQL, against a raw SQL LIKE baseline.

The database is built once in bench-data/ by the workspace benchmark's set-based SQL (names from
scripts/datagen.py's lists, about 9,000 distinct ones, with their name words, unique phones and
CCCDs; datagen's own generator cannot make a million distinct people); PostgreSQL gets a copy of
the same rows by COPY (database `bench_find_N`, kept on the server). About 200 queries drawn from
40 donors of the data: names with and without diacritics, given + family name (another order),
given names alone, phones in the local form, CCCD numbers, a fragment and a name nobody has. Each is timed through donors.service.find_donors (what the CLI
and API call) and through a raw query on the bare driver, sqlite3 or psycopg (name_folded LIKE
'%words%', or an exact phone / ID match). Targets: p95 under 50 ms; on PostgreSQL also at most
1.5x SQLite's p95 in the same run (with --engine both).

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/find.py [--engine sqlite|postgres|both] [--donors N]
"""

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session

from donor_registry.db import make_engine, upgrade
from donor_registry.donors.search import find_donors
from donor_registry.phones import normalize_phone
from donor_registry.text import fold, strip_diacritics
from scripts.benchmarks._common import engine_names, postgres_copy, raw_postgres
from scripts.benchmarks.workspace import build as build_registry

NOW = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)
TARGET_P95_MS = 50
TARGET_RATIO = 1.5  # PostgreSQL's p95 against SQLite's
RUNS = 3


def build(path: Path, donors: int) -> None:
    """`donors` donors in a fresh migrated SQLite file, renamed into place once complete."""
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    build_registry(f"sqlite:///{tmp}", donors)
    tmp.rename(path)


def queries(path: Path, donors: int) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from 40 donors of the data."""
    rng = random.Random(11)
    conn = sqlite3.connect(path)
    picked = [conn.execute("SELECT full_name, phone_e164, national_id FROM donors WHERE id = ?", (i,)).fetchone()
              for i in rng.sample(range(1, donors + 1), 40)]
    conn.close()
    found = []
    for full_name, phone, national_id in picked:
        family, *_middle, given = full_name.split()
        found += [("full name", full_name), ("folded name", strip_diacritics(full_name).lower()),
                  ("given + family", f"{given} {family}"), ("given name", given),
                  ("phone", "0" + phone.removeprefix("+84")), ("national ID", national_id)]
    found += [("no match", "Xyzabc Qwerty"), ("fragment", "nguy"), ("fragment", "thi h")]
    return found


def raw_query(conn, kind: str, query: str) -> list:
    p = "?" if isinstance(conn, sqlite3.Connection) else "%s"
    if kind == "phone":
        return conn.execute(f"SELECT * FROM donors WHERE merged_into_id IS NULL AND phone_e164 = {p} LIMIT 50",
                            (normalize_phone(query).e164,)).fetchall()
    if kind == "national ID":
        return conn.execute(f"SELECT * FROM donors WHERE merged_into_id IS NULL AND national_id = {p} LIMIT 50",
                            (query,)).fetchall()
    return conn.execute(f"SELECT * FROM donors WHERE merged_into_id IS NULL AND name_folded LIKE {p} LIMIT 50",
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


def data_path(donors: int) -> Path:
    path = ROOT / "bench-data" / f"find-v3-{donors}.db"
    if not path.exists():
        build(path, donors)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)  # cached data from an earlier schema
    engine.dispose()
    return path


def measure(engine_name: str, donors: int, cases: list[tuple[str, str]]) -> tuple[list[str], float]:
    """The table of one engine and its overall p95."""
    path = data_path(donors)
    if engine_name == "sqlite":
        engine, raw = make_engine(f"sqlite:///{path}"), sqlite3.connect(path)
    else:
        url = postgres_copy(path, f"bench_find_{donors}")
        engine, raw = make_engine(url), raw_postgres(url)
    ours, base = {}, {}
    with Session(engine) as session:
        for kind, query in cases:
            ours.setdefault(kind, []).append(timed(lambda q=query: find_donors(session=session, query=q)))
            base.setdefault(kind, []).append(timed(lambda k=kind, q=query: raw_query(raw, k, q)))
    engine.dispose()
    raw.close()
    name = "SQLite" if engine_name == "sqlite" else "PostgreSQL"
    title = (f"{name}: `donors find` over {donors:,} donors, {len(cases)} queries, best of {RUNS} each, ms; "
             f"load average {os.getloadavg()[0]:.1f}")
    lines = [title, "",
             "| queries | n | find_donors p50 | p95 | max | raw LIKE / = p50 | p95 | max |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    everything_ours = [t for times in ours.values() for t in times]
    everything_base = [t for times in base.values() for t in times]
    for kind in [*ours, "all"]:
        mine = everything_ours if kind == "all" else ours[kind]
        theirs = everything_base if kind == "all" else base[kind]
        cells = " | ".join(f"{value:.1f}" for value in (*summary(mine), *summary(theirs)))
        lines.append(f"| {kind} | {len(mine)} | {cells} |")
    p95 = summary(everything_ours)[1]
    lines += ["", f"- {'PASS' if p95 < TARGET_P95_MS else 'FAIL'}: p95 {p95:.1f} ms < {TARGET_P95_MS} ms"]
    return lines, p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--donors", type=int, default=250_000)
    args = parser.parse_args()
    cases = queries(data_path(args.donors), args.donors)
    p95s, failed = {}, False
    for engine_name in engine_names(args.engine):
        lines, p95s[engine_name] = measure(engine_name, args.donors, cases)
        failed |= p95s[engine_name] >= TARGET_P95_MS
        print("\n".join(lines))
        print()
    if len(p95s) == 2:
        ratio = p95s["postgres"] / p95s["sqlite"]
        failed |= ratio > TARGET_RATIO
        print(f"- {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}: PostgreSQL p95 / SQLite p95 = {ratio:.2f} "
              f"≤ {TARGET_RATIO}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
