"""`addresses review` (and the workspace's /addresses page) over 250,000 flagged of 1,000,000
donors, on SQLite and PostgreSQL (issue 12: "pages in < 200 ms").

Builds the data once per engine (bench-data/addresses-review-v2-N.db; PostgreSQL database
`bench_addresses`, dropped after the run unless --keep) by set-based SQL: donors spread over a
national chapter, the province chapters of Hà Nội, Hồ Chí Minh and Cần Thơ, a commune chapter
under Cần Thơ (Phường Ninh Kiều) and a small one under Hà Nội (Phường Ba Đình); one donor in four
flagged (split / ambiguous with two real communes of their province as candidates, unknown),
100 of them in Lào Cai, a province without a chapter here. Then places.review.page (what
`addresses review` and /addresses call), 100 calls per case, each followed by its raw-SQL
baseline (the same page as one SQL string: no query building, no result objects):

1. the first page;  2. the page 200 pages deep by keyset (after_id of the 10,000th row);
3. pages from after_id spread over the whole list (the end included);  4. by status;
5. by province (Cần Thơ; Lào Cai, 100 flagged; Đà Nẵng, none);  6. within a chapter's reach, as
web/addresses.py asks it (within_reach of the Cần Thơ coordinator; of the Ba Đình one);
7. GET /addresses in-process (FastAPI's TestClient, no socket) as the Cần Thơ coordinator, first
page and 200 pages deep, against review.page alone.
Target: p95 < 200 ms in every case (max reported beside).

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/addresses_review.py [--engine sqlite|postgres|both]
        [--keep]
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from donor_registry.accounts.models import Role
from donor_registry.accounts.policy import Actor, within_reach
from donor_registry.accounts.users import add_user
from donor_registry.chapters.service import create_chapter, subtree_ids
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.donors.models import Donor
from donor_registry.places import review, units
from donor_registry.places.status import AddressStatus

NOW = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)
DONORS = 1_000_000
CALLS = 100
TARGET_MS = 200
SQLITE_DIR = Path("bench-data")
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
PG_DATABASE = "bench_addresses"
SEQUENCE = {"sqlite": "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < :n) ",
            "postgresql": "WITH seq(x) AS (SELECT generate_series(1, :n)) "}
# Donor x, m = x / 4: flagged when x % 4 = 0; chapter slot m % 8 (0-2 Hà Nội, 3-5 Hồ Chí Minh,
# 6 Cần Thơ, 7 Ninh Kiều), except every 2,500th flagged m in Lào Cai (national chapter) and the
# one after it in Ba Đình; status by (m / 8) % 3. bench_slots maps a slot to chapter and
# province; bench_pairs gives each province 50 pairs of its real communes.
DONORS_SQL = """
    INSERT INTO donors (id, full_name, name_folded, province, district, commune, province_code, commune_code,
                        units_date, address_status, address_candidates, chapter_id, sex, phone_sms_capable,
                        standby, donation_count, message_channel, created_at, updated_at)
    SELECT x, 'Người ' || CAST(x AS TEXT), 'nguoi ' || CAST(x AS TEXT), s.province_name, 'Huyện Cũ',
           'Xã Cũ ' || CAST(x % 97 AS TEXT), s.province_code,
           CASE WHEN x % 4 = 0 THEN NULL ELSE p.first_code END, '2025-07-01',
           CASE WHEN x % 4 != 0 THEN (CASE WHEN x % 3 = 0 THEN 'new' ELSE 'converted' END)
                WHEN (x / 32) % 3 = 0 THEN 'split' WHEN (x / 32) % 3 = 1 THEN 'ambiguous' ELSE 'unknown' END,
           CASE WHEN x % 4 = 0 AND (x / 32) % 3 < 2 THEN p.candidates END,
           s.chapter_id, 'unknown', FALSE, FALSE, 0, 'zalo', :stamp, :stamp
    FROM seq
    JOIN bench_slots s ON s.slot = CASE WHEN x % 4 = 0 AND (x / 4) % 2500 = 7 THEN 8
                                        WHEN x % 4 = 0 AND (x / 4) % 2500 = 8 THEN 9 ELSE (x / 4) % 8 END
    JOIN bench_pairs p ON p.province_code = s.province_code AND p.k = x % 50"""
FLAGGED_SQL = "address_status IN ('split', 'ambiguous', 'unknown')"
RAW_PAGE = ("SELECT id, full_name, province, district, commune, address_status, province_code, address_candidates "
            f"FROM donors WHERE {FLAGGED_SQL} AND id > :after AND merged_into_id IS NULL AND erased_at IS NULL"
            " {extra} ORDER BY id LIMIT 50")


def build(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    dialect = engine.dialect.name
    with session_scope(engine) as session:
        national = create_chapter(session=session, now=NOW, kind="national")
        chapters = {code: create_chapter(session=session, now=NOW, kind="province", parent_id=national.id,
                                         province_code=code).id for code in ("01", "79", "92")}
        ninh_kieu = create_chapter(session=session, now=NOW, kind="commune", parent_id=chapters["92"],
                                   commune_code="31135").id
        ba_dinh = create_chapter(session=session, now=NOW, kind="commune", parent_id=chapters["01"],
                                 commune_code="00004").id
        slots = [("01", chapters["01"])] * 3 + [("79", chapters["79"])] * 3 + [("92", chapters["92"]),
                 ("92", ninh_kieu), ("15", national.id), ("01", ba_dinh)]
        session.execute(text("CREATE TEMP TABLE bench_slots (slot INTEGER, chapter_id INTEGER, province_code TEXT,"
                             " province_name TEXT)"))
        session.execute(text("INSERT INTO bench_slots VALUES (:s, :c, :p, :n)"),
                        [{"s": i, "c": c, "p": p, "n": units.province(p).name} for i, (p, c) in enumerate(slots)])
        session.execute(text("CREATE TEMP TABLE bench_pairs (province_code TEXT, k INTEGER, first_code TEXT,"
                             " candidates TEXT)"))
        pairs = []
        for code in ("01", "79", "92", "15"):
            communes = [c.code for c in units.communes_of(code)]
            for k in range(50):
                first, second = communes[k % len(communes)], communes[(k * 7 + 1) % len(communes)]
                pairs.append({"p": code, "k": k, "f": first, "c": f"{first} {second}"})
        session.execute(text("INSERT INTO bench_pairs VALUES (:p, :k, :f, :c)"), pairs)
        session.execute(text(SEQUENCE[dialect] + DONORS_SQL), {"n": DONORS, "stamp": NOW.replace(tzinfo=None)})
        if dialect == "postgresql":
            session.execute(text("SELECT setval(pg_get_serial_sequence('donors', 'id'), :n)"), {"n": DONORS})
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "ANALYZE" if dialect == "sqlite" else "VACUUM ANALYZE")
    engine.dispose()
    print(f"built {url}", file=sys.stderr)


def database(engine_name: str) -> str:
    if engine_name == "sqlite":
        path = SQLITE_DIR / f"addresses-review-v2-{DONORS}.db"
        if not path.exists():
            SQLITE_DIR.mkdir(exist_ok=True)
            building = path.with_suffix(".building")
            building.unlink(missing_ok=True)
            build(f"sqlite:///{building}")
            building.rename(path)
        return f"sqlite:///{path.resolve()}"
    server = make_engine(PG_SERVER + "test")
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Kept by --keep and built to the end (the marker database): used as it is.
        if not conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE + "_ready",)).first():
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{PG_DATABASE}"')
            build(PG_SERVER + PG_DATABASE)
            conn.exec_driver_sql(f'CREATE DATABASE "{PG_DATABASE}_ready"')
    server.dispose()
    return PG_SERVER + PG_DATABASE


def drop_pg() -> None:
    server = make_engine(PG_SERVER + "test")
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}_ready"')
    server.dispose()


def pctl(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _actor(session: Session, chapter_name_code: str) -> Actor:
    chapter_id = session.exec(text("SELECT id FROM chapters WHERE code = :c"), params={"c": chapter_name_code}).one()[0]
    reach = frozenset(subtree_ids(session=session, chapter_id=chapter_id))
    return Actor(user_id=0, login="bench", role=Role.coordinator, chapter_id=chapter_id, reach=reach)


def cases(session: Session) -> list[tuple[str, list[dict]]]:
    """(case, the calls' keyword arguments for review.page) — each call also carries its raw SQL."""
    tenth_thousand = session.exec(text(f"SELECT id FROM donors WHERE {FLAGGED_SQL} ORDER BY id LIMIT 1 OFFSET 9999"
                                       )).one()[0]
    spread = [DONORS * k // CALLS for k in range(CALLS)]
    codes = {p: c for p, c in session.exec(text(
        "SELECT province_code, code FROM chapters WHERE kind = 'province'"))}
    ba_dinh = session.exec(text("SELECT code FROM chapters WHERE commune_code = '00004'")).one()[0]
    can_tho, ba_dinh_actor = _actor(session, codes["92"]), _actor(session, ba_dinh)
    statuses = [AddressStatus.split, AddressStatus.ambiguous, AddressStatus.unknown]

    def reach_sql(actor: Actor) -> str:
        return f"AND chapter_id IN ({', '.join(str(i) for i in sorted(actor.reach))})"

    return [
        ("first page", [{}] * CALLS),
        ("200 pages deep (after_id of the 10,000th)", [{"after_id": tenth_thousand}] * CALLS),
        ("after_id spread over the list, to its end", [{"after_id": a} for a in spread]),
        ("by status (each of the 3), spread", [{"after_id": a, "status": statuses[i % 3]}
                                               for i, a in enumerate(spread)]),
        ("province Cần Thơ (25 % of the flagged), spread", [{"after_id": a, "province_code": "92"} for a in spread]),
        ("province Lào Cai (100 flagged), first page", [{"province_code": "15"}] * CALLS),
        ("province Đà Nẵng (none flagged): the empty page", [{"province_code": "48"}] * CALLS),
        ("reach of the Cần Thơ coordinator (2 chapters), spread",
         [{"after_id": a, "where": within_reach(can_tho, Donor.chapter_id), "_sql": reach_sql(can_tho)}
          for a in spread]),
        ("reach of the Ba Đình coordinator (100 flagged), first page",
         [{"where": within_reach(ba_dinh_actor, Donor.chapter_id), "_sql": reach_sql(ba_dinh_actor)}] * CALLS),
    ]


def raw(call: dict) -> tuple[str, dict]:
    extra, params = call.get("_sql", ""), {"after": call.get("after_id", 0)}
    if "status" in call:
        extra += " AND address_status = :status"
        params["status"] = call["status"].value
    if "province_code" in call:
        extra += " AND province_code = :province"
        params["province"] = call["province_code"]
    return RAW_PAGE.format(extra=extra), params


def explain(session: Session, dialect: str, call: dict) -> str:
    sql, params = raw(call)
    if dialect == "sqlite":
        return "; ".join(str(r[-1]) for r in session.exec(text("EXPLAIN QUERY PLAN " + sql), params=params))
    rows = session.exec(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql), params=params)
    return " / ".join(str(r[0]).strip() for r in rows if "Planning" not in r[0])


def measure(engine_name: str) -> tuple[str, list]:
    url = database(engine_name)
    engine = make_engine(url)
    upgrade(engine)
    try:
        return _measure(engine, engine_name)
    finally:
        engine.dispose()


def _measure(engine, engine_name: str) -> tuple[str, list]:
    results = []
    with Session(engine) as session:
        flagged = session.exec(text(f"SELECT count(*) FROM donors WHERE {FLAGGED_SQL}")).one()[0]
        for name, calls in cases(session):
            ours, base, rows = [], [], 0
            for call in calls:
                kwargs = {k: v for k, v in call.items() if not k.startswith("_")}
                start = time.perf_counter()
                found = review.page(session=session, limit=50, **kwargs)
                ours.append((time.perf_counter() - start) * 1000)
                sql, params = raw(call)
                start = time.perf_counter()
                same = session.exec(text(sql), params=params).all()
                base.append((time.perf_counter() - start) * 1000)
                assert [f.donor_id for f in found] == [r[0] for r in same], name
                rows += len(found)
            results.append((name, ours, base, rows, explain(session, engine.dialect.name, calls[0])))
    results += rendered(engine)
    return f"{engine_name}: {flagged:,} flagged of {DONORS:,} donors", results


def rendered(engine) -> list:
    """GET /addresses in-process (TestClient: the app and its template, no socket) as the Cần
    Thơ coordinator, first page and 200 pages deep; the baseline is review.page alone."""
    from fastapi.testclient import TestClient

    from donor_registry.accounts import sessions
    from donor_registry.accounts.models import User
    from donor_registry.api import create_app
    from donor_registry.config import Settings
    from donor_registry.web.deps import SESSION_COOKIE

    settings = Settings(database={"url": engine.url.render_as_string(hide_password=False)})
    with session_scope(engine) as session:
        actor = _actor(session, "VN-92")
        user = session.exec(select(User).where(User.login == "bench.coord")).first() or add_user(
            session=session, now=NOW, actor="cli:bench", login="bench.coord", password="mat-khau-thu-nghiem",
            role=Role.coordinator, chapter_id=actor.chapter_id, min_password_length=10)
        _, token = sessions.start(session=session, now=NOW, user=user, settings=settings.accounts)
        deep = session.exec(text(f"SELECT id FROM donors WHERE {FLAGGED_SQL} AND chapter_id IN (4, 5) "
                                 "ORDER BY id LIMIT 1 OFFSET 9999")).one()[0]
    app = create_app(settings, engine)
    app.state.clock = lambda: NOW
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, token)
    client.get("/addresses")  # the first request compiles the template: not a page a user waits for twice
    out = []
    for name, after in (("GET /addresses rendered in-process, Cần Thơ coordinator, first page", 0),
                        ("the same, 200 pages deep (?after=)", deep)):
        ours, base, rows = [], [], 0
        with Session(engine) as session:
            for _ in range(CALLS):
                start = time.perf_counter()
                page = client.get("/addresses", params={"after": after} if after else None)
                ours.append((time.perf_counter() - start) * 1000)
                assert page.status_code == 200, page.status_code
                rows += page.text.count('<tr id="address-')
                start = time.perf_counter()
                review.page(session=session, after_id=after, limit=50, where=within_reach(actor, Donor.chapter_id))
                base.append((time.perf_counter() - start) * 1000)
                session.rollback()  # SQLite's transactions take the write lock the app's request needs
        out.append((name, ours, base, rows, "(the service's plan: as the Cần Thơ reach above)"))
    return out


def report(title: str, results: list) -> bool:
    print(f"\n{title}, load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print(f"| case ({CALLS} calls, pages of 50) | rows | p50 | p95 | max | baseline p50 / p95 / max |")
    print("|---|---:|---:|---:|---:|---:|")
    ok = True
    for name, ours, base, rows, _plan in results:
        ok &= pctl(ours, 95) < TARGET_MS
        print(f"| {name} | {rows:,} | {pctl(ours, 50):.1f} ms | {pctl(ours, 95):.1f} ms | {max(ours):.1f} ms | "
              f"{pctl(base, 50):.1f} / {pctl(base, 95):.1f} / {max(base):.1f} ms |")
    print("\nplans (first call of each case):")
    for name, *_rest, plan in results:
        print(f"- {name}: {plan}")
    print(f"\n- {'PASS' if ok else 'FAIL'}: p95 < {TARGET_MS} ms in every case")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database for another run")
    args = parser.parse_args()
    ok = True
    for engine_name in ["sqlite", "postgres"] if args.engine == "both" else [args.engine]:
        try:
            ok &= report(*measure(engine_name))
        finally:
            if engine_name == "postgres" and not args.keep:
                drop_pg()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
