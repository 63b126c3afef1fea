"""Expected turnout of a drive over 1,000,000 donors, on SQLite and PostgreSQL.

Builds the database once in bench-data/ (deterministic: every value is a function of the row
number): 2,000 communes in 200 districts (~500 donors a commune), birth dates (10% only a
year), weights, blood groups at Vietnamese frequencies, last donations with eligible_again_on,
deferrals, merged and deceased donors. Then times campaigns.turnout.expected_turnout() for
50 drives (40 commune drives, 10 district drives, dates through 2026) against a hand-written
SQL query run through the bare driver (sqlite3, psycopg), asserting both give the same counts.
PostgreSQL gets a copy of the same rows by COPY (database `bench_turnout_N`, kept on the server).
Each drive is timed cold first (a new connection, DISCARD ALL on PostgreSQL, the drive's area
never read before in this run), then warm (one session for all). Target: p95 under 200 ms cold.

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/turnout.py [--engine sqlite|postgres|both] [--donors N]
        [--pg-settings server|recommended]
"""

import argparse
import datetime as dt
import os
import re
import resource
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from sqlmodel import Session

from donor_registry.campaigns.models import Drive
from donor_registry.campaigns.turnout import expected_turnout
from donor_registry.db import make_engine
from donor_registry.eligibility import EligibilityRules
from donor_registry.types import ABO, Rh, blood_group_label
from scripts.benchmarks._common import (
    bulk_loading_connection,
    engine_names,
    postgres_copy,
    raw_postgres,
    settings_text,
    with_settings,
)

COMMUNES, DISTRICTS = 2_000, 200
DRIVES = 50
LIMIT_MS = 200

# x is the row number. ABO: O 42%, B 30%, A 21%, AB 7%; Rh- 0.2%.
ABO_SQL = "CASE WHEN x % 100 < 42 THEN 'O' WHEN x % 100 < 72 THEN 'B' WHEN x % 100 < 93 THEN 'A' ELSE 'AB' END"
BIRTH = "date('1960-01-01', '+' || ((x * 7919) % 18250) || ' days')"  # 1960 to 2009
LAST = "date('2025-06-01', '+' || ((x * 104729) % 365) || ' days')"  # within the year before June 2026


def build(path: Path, donors: int) -> None:
    """Create the schema with the migrations, then fill it with set-based SQL."""
    tmp, conn = bulk_loading_connection(path)
    stamp = "2026-01-01 00:00:00.000000"
    commune = f"(x * 31) % {COMMUNES}"
    district = f"(({commune}) % {DISTRICTS})"
    conn.execute("BEGIN")
    conn.execute(f"""
        WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {donors})
        INSERT INTO donors (id, full_name, name_folded, sex, abo, rh, date_of_birth, birth_year, weight_kg,
                            phone_sms_capable, standby, commune, commune_key, district, district_key,
                            donation_count, last_donation_on, last_donation_type, eligible_again_on,
                            deferred_until, merged_into_id, deceased_on, created_at, updated_at)
        SELECT x, 'Người hiến ' || x, 'nguoi hien ' || x,
               CASE WHEN x % 100 < 42 THEN 'female' ELSE 'male' END,
               {ABO_SQL}, CASE WHEN x % 500 = 3 THEN '-' ELSE '+' END,
               CASE WHEN x % 10 = 0 THEN NULL ELSE {BIRTH} END, CAST(strftime('%Y', {BIRTH}) AS INTEGER),
               CASE WHEN x % 7 = 0 THEN NULL ELSE 40 + (x * 13) % 50 END,
               0, 0, 'Xã ' || ({commune}), 'xa ' || ({commune}),
               CASE WHEN x % 20 = 0 THEN NULL ELSE 'Huyện ' || {district} END,
               CASE WHEN x % 20 = 0 THEN NULL ELSE 'huyen ' || {district} END,
               CASE WHEN x % 5 < 3 THEN 1 + x % 9 ELSE 0 END,
               CASE WHEN x % 5 < 3 THEN {LAST} END,
               CASE WHEN x % 5 < 3 THEN 'whole_blood' END,
               CASE WHEN x % 5 < 3 THEN date({LAST}, '+84 days') END,
               CASE WHEN x % 50 = 1 THEN date('2026-01-01', '+' || (x % 300) || ' days') END,
               CASE WHEN x % 1000 = 7 THEN x - 1 END,
               CASE WHEN x % 5000 = 11 THEN '2025-01-01' END, '{stamp}', '{stamp}'
        FROM seq""")
    conn.execute("COMMIT")  # no ANALYZE: chapters' databases never get one
    conn.close()
    tmp.rename(path)


def drives() -> list[Drive]:
    """40 commune drives and 10 district drives spread over 2026."""
    result = []
    for i in range(DRIVES):
        day = dt.date(2026, 1, 4) + dt.timedelta(days=7 * i)
        if i % 5 == 4:
            result.append(Drive(date=day, district_key=f"huyen {i * 17 % DISTRICTS}", district="x"))
        else:
            c = i * 37 % COMMUNES
            result.append(Drive(date=day, commune_key=f"xa {c}", commune="x", district_key=f"huyen {c % DISTRICTS}"))
    return result


def baseline_sql(rules: EligibilityRules, dialect: str) -> str:
    """The same question written by hand (age by birth date or year, weight, intervals, deferral)."""
    if dialect == "sqlite":
        young, old = f"date(:day, '-{rules.min_age} years')", f"date(:day, '-{rules.max_age + 1} years')"
    else:
        young = f"CAST(:day AS date) - INTERVAL '{rules.min_age} years'"
        old = f"CAST(:day AS date) - INTERVAL '{rules.max_age + 1} years'"
    sql = f"""
        SELECT abo, rh, count(*) FROM donors
        WHERE {{area}}
          AND merged_into_id IS NULL AND (deceased_on IS NULL OR deceased_on > :day)
          AND (eligible_again_on IS NULL OR eligible_again_on <= :day)
          AND (deferred_until IS NULL OR deferred_until <= :day)
          AND (date_of_birth <= {young} AND date_of_birth > {old}
               OR date_of_birth IS NULL AND birth_year <= :year - {rules.min_age} - CAST(:dec31 = 0 AS INTEGER)
                   AND birth_year >= :year - {rules.max_age}
               OR date_of_birth IS NULL AND birth_year IS NULL)
          AND (weight_kg IS NULL OR sex = 'male' AND weight_kg >= {rules.min_weight_male_kg}
               OR sex != 'male' AND weight_kg >= {rules.min_weight_female_kg})
        GROUP BY abo, rh"""
    # psycopg's named parameters are %(name)s
    return sql if dialect == "sqlite" else re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


def run_baseline(conn, sql: str, drive: Drive) -> dict[str, int]:
    if drive.commune_key:
        area = "commune_key = :commune AND (district_key = :district OR district_key IS NULL)"
    else:
        area = "district_key = :district"
    if not isinstance(conn, sqlite3.Connection):
        area = re.sub(r":(\w+)", r"%(\1)s", area)
    params = {"day": drive.date.isoformat(), "year": drive.date.year, "commune": drive.commune_key,
              "district": drive.district_key, "dec31": int((drive.date.month, drive.date.day) == (12, 31))}
    counts: dict[str, int] = {}
    for abo, rh, n in conn.execute(sql.format(area=area), params):
        label = blood_group_label(abo and ABO(abo), rh and Rh(rh))
        counts[label] = counts.get(label, 0) + n
    return counts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def database(engine_name: str, donors: int, pg_settings: str = "server") -> str:
    path = Path(f"bench-data/turnout-v3-{donors}.db")
    if not path.exists():
        started = time.perf_counter()
        build(path, donors)
        print(f"built {path} with {donors:,} donors in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if engine_name == "sqlite":
        return f"sqlite:///{path}"
    return with_settings(postgres_copy(path, f"bench_turnout_{donors}"), pg_settings)


def measure(engine_name: str, donors: int, pg_settings: str = "server") -> tuple[list[str], bool]:
    rules = EligibilityRules()
    url = database(engine_name, donors, pg_settings)
    engine = make_engine(url)
    raw = sqlite3.connect(url.removeprefix("sqlite:///")) if engine_name == "sqlite" else raw_postgres(url)
    sql = baseline_sql(rules, engine.dialect.name)
    cold, warm, theirs, totals = [], [], [], []
    for drive in drives():  # cold: a new engine and connection a drive, timed once connected
        fresh = make_engine(url)
        with fresh.connect() as conn:  # back to the pool, and the session's connection
            if engine_name == "postgres":
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("DISCARD ALL")
        with Session(fresh) as session:
            session.connection()
            started = time.perf_counter()
            turnout = expected_turnout(session=session, drive=drive, rules=rules)
            cold.append((time.perf_counter() - started) * 1000)
        fresh.dispose()
        totals.append(turnout.total)
    with Session(engine) as session:
        for drive in drives():
            started = time.perf_counter()
            turnout = expected_turnout(session=session, drive=drive, rules=rules)
            warm.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            expected = run_baseline(raw, sql, drive)
            theirs.append((time.perf_counter() - started) * 1000)
            got = {group: n for group, n in turnout.by_group.items() if n}
            assert got == expected, (drive.date, drive.commune_key, got, expected)
    raw.close()
    engine.dispose()
    name = "SQLite" if engine_name == "sqlite" else f"PostgreSQL ({settings_text(pg_settings)})"
    title = (f"{name}: {donors:,} donors; {DRIVES} drives (40 commune, 10 district); eligible donors a drive: "
             f"median {statistics.median(totals):.0f}, max {max(totals)}; load average {os.getloadavg()[0]:.1f}")
    lines = [title, "",
             "| query | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    for label, times in (("expected_turnout, cold (new connection)", cold), ("expected_turnout, warm", warm),
                         ("hand-written SQL (bare driver), warm", theirs)):
        lines.append(f"| {label} | {percentile(times, .5):.1f} | {percentile(times, .95):.1f} | {max(times):.1f} |")
    p95 = percentile(cold, .95)
    lines += ["", f"- {'PASS' if p95 < LIMIT_MS else 'FAIL'}: cold p95 {p95:.1f} ms < {LIMIT_MS} ms", ""]
    return lines, p95 >= LIMIT_MS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--donors", type=int, default=1_000_000)
    parser.add_argument("--pg-settings", choices=["server", "recommended"], default="server",
                        help="PostgreSQL: the server's settings, or the README's per-connection ones")
    args = parser.parse_args()
    failed = False
    for engine_name in engine_names(args.engine):
        lines, engine_failed = measure(engine_name, args.donors, args.pg_settings)
        failed |= engine_failed
        print("\n".join(lines))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
