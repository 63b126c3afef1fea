"""Emergency call-outs over 1,000,000 donors on SQLite and PostgreSQL: matching, filing a request,
the API under load.

Builds the data once per engine and size (bench-data/emergency-v6-N.db; PostgreSQL database
`bench_emergency_N`, kept on the server for the next run) from one generator in set-based SQL
(every value is a function of the row number): the 3,321 real communes since 2025-07-01 (~300
donors a commune at 1 M, with their province and commune codes), ABO/Rh at Vietnamese
frequencies, 10% on standby, consent, SMS-able phones, opt-outs, recent donations.

1. matching.pick (6 donors, nearest ring first: commune, 10 km, 25 km, province, neighbours) for
   200 requests from random communes, warm (one session), then 50 more each the first query of a
   fresh connection (cold; connecting itself not counted); then 100 picks with the rings
   "province, neighbours" only (the wide rings alone). Baselines on the engine's bare driver: one
   hand-written SQL query of the same filters over the communes within 10 km, and the province's
   first 6 of each compatible group read from the standby index.   Target: p95 < 50 ms.
2. service.create_request with its first wave queued and committed, 50 times.  Target: p95 < 300 ms.
3. The hospital API on a real `serve` process on 127.0.0.1: 50 concurrent clients for
   $BENCH_API_SECONDS (default 60) s, 95% status reads, 5% file + cancel.  Target: no errors.

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/emergency.py [--engine sqlite|postgres|both]
        [--donors N]
"""

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlmodel import Session

from donor_registry.config import Settings
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.emergency import matching
from donor_registry.emergency.hospitals import add_hospital
from donor_registry.emergency.models import EmergencyRequest
from donor_registry.emergency.service import RequestCreate, cancel_request, create_request
from donor_registry.places import rings, units
from scripts.benchmarks._common import bulk_loading_connection
from scripts.benchmarks._common import free_port as _free_port
from scripts.benchmarks._common import wait_for_health as _wait

DONORS = 1_000_000
PROVINCES, DISTRICTS, COMMUNES = 63, 10, 10  # districts per province, communes per district
SQLITE_DIR = Path("bench-data")
PATH = SQLITE_DIR / f"emergency-v6-{DONORS}.db"  # the 1 M SQLite file (availability.py reuses it)
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
PG_DATABASE = "bench_emergency"
UNIT_COMMUNES = [c for p in units.provinces() for c in units.communes_of(p.code)]
NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
# Knuth's multiplicative hashes of the row number: independent-looking percentages.
_Y = "(((x * 2654435761) % 4294967296) * 100 / 4294967296)"
_RH_NEGATIVE = "(((x * 2246822519) % 4294967296) * 1000 / 4294967296) < 2"
_STANDBY = "(((x * 3266489917) % 4294967296) * 100 / 4294967296) < 10"
ABO_SQL = f"CASE WHEN {_Y} < 42 THEN 'O' WHEN {_Y} < 72 THEN 'B' WHEN {_Y} < 93 THEN 'A' ELSE 'AB' END"
GROUP_WEIGHTS = [("O+", 42), ("B+", 30), ("A+", 21), ("AB+", 7), ("O-", 0.3), ("A-", 0.1)]
CLIENTS = 50
API_SECONDS = float(os.environ.get("BENCH_API_SECONDS", "60"))
STAMP = "2026-01-01 00:00:00.000000"
# The generator's few dialect differences: the row numbers, zero-padding, adding days, a timestamp.
DIALECT = {
    "sqlite": {"seq": "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {n})",
               "pad7": "printf('%07d', x)", "day": "date('2026-05-01', '+' || (x % 90) || ' days')",
               "stamp": f"'{STAMP}'"},
    "postgresql": {"seq": "WITH seq(x) AS (SELECT generate_series(CAST(1 AS BIGINT), {n}))",
                   "pad7": "lpad(CAST(x AS TEXT), 7, '0')", "day": "DATE '2026-05-01' + CAST(x % 90 AS INTEGER)",
                   "stamp": f"CAST('{STAMP}' AS TIMESTAMP)"},
}


def donors_sql(dialect: str, donors: int) -> str:
    """The donors, one row per x in 1..donors, with their commune from bench_units."""
    d = DIALECT[dialect]
    commune = f"(x * 31) % {PROVINCES * DISTRICTS * COMMUNES}"
    district, province = f"(({commune}) / {COMMUNES})", f"(({commune}) / {COMMUNES * DISTRICTS})"
    stamp = d["stamp"]
    return f"""
        {d['seq'].format(n=donors)}
        INSERT INTO donors (id, full_name, name_folded, sex, abo, rh, birth_year, weight_kg, phone_e164,
                            phone_sms_capable, standby, consent_at, consent_channel, sms_opted_out_at,
                            commune, commune_key, district, district_key, province, province_key,
                            commune_code, province_code, address_status,
                            donation_count, eligible_again_on, created_at, updated_at)
        SELECT x, 'Nguyễn Văn Hiến' || CAST(x AS TEXT), 'nguyen van hien' || CAST(x AS TEXT),
               CASE WHEN x % 5 < 3 THEN 'male' ELSE 'female' END,
               {ABO_SQL}, CASE WHEN {_RH_NEGATIVE} THEN '-' ELSE '+' END, 1966 + (x * 7) % 40, 50 + x % 30,
               '+8490' || {d['pad7']}, x % 20 != 3, {_STANDBY},
               CASE WHEN x % 10 != 5 THEN {stamp} END, CASE WHEN x % 10 != 5 THEN 'paper' END,
               CASE WHEN x % 100 = 40 THEN {stamp} END,
               'Xã ' || CAST({commune} AS TEXT), 'xa ' || CAST({commune} AS TEXT), 'Huyện ' || CAST({district} AS TEXT),
               'huyen ' || CAST({district} AS TEXT), 'Tỉnh ' || CAST({province} AS TEXT),
               'tinh ' || CAST({province} AS TEXT), u.commune_code, u.province_code, 'new', x % 7,
               CASE WHEN x % 6 = 0 THEN {d['day']} END, {stamp}, {stamp}
        FROM seq JOIN bench_units u ON u.i = (x * 7) % {len(UNIT_COMMUNES)}"""


def build(path: Path, donors: int = DONORS) -> None:
    """The SQLite file: schema by the migrations, rows by set-based SQL."""
    tmp, conn = bulk_loading_connection(path)
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE bench_units (i INTEGER PRIMARY KEY, commune_code TEXT, province_code TEXT)")
    conn.executemany("INSERT INTO bench_units VALUES (?, ?, ?)",
                     [(i, c.code, c.province_code) for i, c in enumerate(UNIT_COMMUNES)])
    conn.execute(donors_sql("sqlite", donors))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    tmp.rename(path)


def build_postgres(url: str, donors: int) -> None:
    """The PostgreSQL database: the same generator, then VACUUM ANALYZE."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE bench_units (i INTEGER PRIMARY KEY, commune_code TEXT,"
                             " province_code TEXT)")
        conn.exec_driver_sql("INSERT INTO bench_units VALUES (%s, %s, %s)",
                             [(i, c.code, c.province_code) for i, c in enumerate(UNIT_COMMUNES)])
        conn.exec_driver_sql(donors_sql("postgresql", donors).replace("%", "%%"))  # psycopg's placeholders
        conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('donors', 'id'), {donors})")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def database(engine_name: str, donors: int) -> str:
    """The engine's benchmark database for this size, built on first use."""
    started = time.perf_counter()
    if engine_name == "sqlite":
        path = SQLITE_DIR / f"emergency-v6-{donors}.db"
        if path.exists():
            return f"sqlite:///{path.resolve()}"
        build(path, donors)
        url = f"sqlite:///{path.resolve()}"
    else:
        name = f"{PG_DATABASE}_{donors}"
        server = make_engine(PG_SERVER + "test")
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name + "_ready",)).first():
                server.dispose()
                return PG_SERVER + name
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            build_postgres(PG_SERVER + name, donors)
            conn.exec_driver_sql(f'CREATE DATABASE "{name}_ready"')  # a marker: the build finished
        server.dispose()
        url = PG_SERVER + name
    print(f"built {url} ({donors:,} donors) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return url


def reset(engine) -> None:
    """Forget earlier runs' requests, messages and hospitals."""
    with engine.begin() as conn:
        for table in ("emergency_claims", "emergency_callouts", "emergency_requests", "hospitals",
                      "sms_outbox", "audit_log"):
            conn.exec_driver_sql(f"DELETE FROM {table}")


def pctl(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


_FILTERS = """d.standby IS {true} AND d.merged_into_id IS NULL
  AND (d.eligible_again_on IS NULL OR d.eligible_again_on <= {p}) AND (d.deferred_until IS NULL OR d.deferred_until <= {p})
  AND d.deceased_on IS NULL AND d.consent_at IS NOT NULL AND d.consent_withdrawn_at IS NULL
  AND d.sms_opted_out_at IS NULL AND d.phone_e164 IS NOT NULL AND d.phone_sms_capable IS {true}
  AND NOT EXISTS (SELECT 1 FROM emergency_claims c WHERE c.donor_id = d.id)"""
# The floor of a pick that ends in the 10 km ring: one query of the same filters (availability,
# rotation and age left out) over the communes within 10 km, Rh+ requests.
RAW_10KM = f"""
SELECT d.id FROM donors d
WHERE {_FILTERS} AND d.abo IN ({{groups}}) AND d.rh = '+' AND d.commune_code IN ({{communes}})
ORDER BY CASE WHEN d.abo = {{p}} THEN 0 ELSE 1 END, d.id LIMIT 6
"""
# The floor of the province ring: the first 6 of each compatible group of the province by the
# standby index, then the first 6 of those (the bounded form matching now uses).
RAW_PROVINCE_ARM = f"""SELECT * FROM (SELECT d.id, {{rank}} AS rank FROM donors d
WHERE {_FILTERS} AND d.province_code = {{p}} AND d.abo = '{{abo}}' AND d.rh = '+' ORDER BY d.id LIMIT 6) AS arm{{n}}"""
COMPATIBLE_POSITIVE = {"O": ["O"], "A": ["A", "O"], "B": ["B", "O"], "AB": ["AB", "A", "B", "O"]}
RAW_SYNTAX = {"sqlite": {"p": "?", "true": "1"}, "postgresql": {"p": "%s", "true": "true"}}


def requests(rng: random.Random, count: int) -> list[EmergencyRequest]:
    """Requests from random communes, groups at Vietnamese frequencies."""
    out = []
    for _ in range(count):
        group = rng.choices([g for g, _ in GROUP_WEIGHTS], [w for _, w in GROUP_WEIGHTS])[0]
        place = rng.choice(UNIT_COMMUNES)
        out.append(EmergencyRequest(id=-1, abo=group[:-1], rh=group[-1], units=3, needed_by=NOW, hospital_id=0,
                                    created_at=NOW, created_by="bench", commune_code=place.code,
                                    province_code=place.province_code))
    return out


SHORT: list[str] = []  # the picks that found fewer than 6 donors


def timed_pick(session: Session, settings, request: EmergencyRequest, ring_names) -> tuple[float, str | None]:
    start = time.perf_counter()
    picked, widest = matching.pick(session=session, request=request, want=6, now=NOW, on=NOW.date(),
                                   rules=settings.eligibility, rotation_days=30, rings=ring_names)
    elapsed = (time.perf_counter() - start) * 1000
    if len(picked) < 6:  # only where the country holds fewer (a rare group, a small --donors)
        SHORT.append(f"{request.abo}{request.rh}")
    return elapsed, widest


def raw_baselines(engine, batch: list[EmergencyRequest]) -> tuple[list[float], list[float]]:
    """The two raw-SQL floors on the engine's bare driver (sqlite3, psycopg), Rh+ requests."""
    syntax = RAW_SYNTAX[engine.dialect.name]
    within, province = [], []
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        for request in batch:
            if request.rh != "+":
                continue
            abo, day = request.abo, NOW.date().isoformat()
            place = units.commune(request.commune_code)
            start = time.perf_counter()
            communes = ",".join(f"'{code}'" for code in rings.communes_within(place.latitude, place.longitude, 10))
            groups = ",".join(f"'{g}'" for g in COMPATIBLE_POSITIVE[abo])
            cursor.execute(RAW_10KM.format(groups=groups, communes=communes, **syntax), (day, day, abo))
            cursor.fetchall()
            within.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            arms = [RAW_PROVINCE_ARM.format(rank=int(g != abo), abo=g, n=n, **syntax)
                    for n, g in enumerate(COMPATIBLE_POSITIVE[abo])]
            cursor.execute(" UNION ALL ".join(arms) + " ORDER BY rank, id LIMIT 6",
                           [value for _ in arms for value in (day, day, place.province_code)])
            cursor.fetchall()
            province.append((time.perf_counter() - start) * 1000)
        conn.rollback()
    finally:
        conn.close()
    return within, province


def bench_matching(engine, settings, rng: random.Random) -> dict:
    """Warm picks (one session), cold picks (each the first query of a new connection), the
    wide rings alone, and the raw-SQL floors; each pick's time by the widest ring it reached."""
    warm, by_ring = [], {}
    batch = requests(rng, 200)
    with Session(engine) as session:
        timed_pick(session, settings, requests(random.Random(0), 1)[0], settings.emergency.rings)  # neighbour table
        for request in batch:
            elapsed, widest = timed_pick(session, settings, request, settings.emergency.rings)
            warm.append(elapsed)
            by_ring.setdefault(widest, []).append(elapsed)
        wide = [timed_pick(session, settings, request, ["province", "neighbours"])[0] for request in requests(rng, 100)]
    cold = []
    for request in requests(rng, 50):
        engine.dispose()  # the pool's connections closed: the next session opens a new one
        with Session(engine) as session:
            session.connection()  # connecting is not counted
            cold.append(timed_pick(session, settings, request, settings.emergency.rings)[0])
    within, province = raw_baselines(engine, batch)
    return {"warm": warm, "cold": cold, "wide": wide, "by_ring": by_ring, "raw_10km": within,
            "raw_province": province}


def bench_filing(engine, settings, hospitals: list[int], rng: random.Random) -> list[float]:
    times = []
    for i in range(50):
        group = rng.choices([g for g, _ in GROUP_WEIGHTS], [w for _, w in GROUP_WEIGHTS])[0]
        start = time.perf_counter()
        with session_scope(engine) as session:
            request = create_request(session=session, now=NOW, settings=settings, hospital_id=hospitals[i % len(hospitals)],
                                     data=RequestCreate(blood_group=group, units=2), actor="bench")
        times.append((time.perf_counter() - start) * 1000)
        with session_scope(engine) as session:
            cancel_request(session=session, now=NOW, settings=settings, request_id=request.id, actor="bench")
    return times


def bench_api(url: str, tokens: list[str]) -> dict:
    port = _free_port()
    env = {**os.environ, "DONOR_REGISTRY_DATABASE__URL": url, "DONOR_REGISTRY_SMS__GATEWAY": "console"}
    env.pop("DONOR_REGISTRY_CONFIG", None)
    SQLITE_DIR.mkdir(exist_ok=True)
    log = (SQLITE_DIR / f"emergency-{url.split(':')[0].split('+')[0]}.serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "donor_registry", "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--no-scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        seed_ids = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for token in tokens:
                reply = client.post("/api/v1/emergency-requests", json={"blood_group": "O+", "units": 1},
                                    headers={"Authorization": f"Bearer {token}"})
                reply.raise_for_status()
                seed_ids.append((token, reply.json()["id"]))
        latencies, errors, limited, lock = [], [], [], threading.Lock()
        deadline = time.monotonic() + API_SECONDS

        def client_loop(n: int) -> None:
            rng = random.Random(n)
            token, request_id = seed_ids[n % len(seed_ids)]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
                while time.monotonic() < deadline:
                    start = time.perf_counter()
                    try:
                        if rng.random() < 0.05:
                            filed = client.post("/api/v1/emergency-requests", json={"blood_group": "A+", "units": 1})
                            ok = filed.status_code == 201 and client.post(
                                f"/api/v1/emergency-requests/{filed.json()['id']}/cancel").status_code == 200
                            if filed.status_code == 429:  # the hospital's request limits answering
                                with lock:
                                    limited.append(1)
                        else:
                            ok = client.get(f"/api/v1/emergency-requests/{request_id}").status_code == 200
                    except httpx.HTTPError as exc:
                        ok = False
                        with lock:
                            errors.append(repr(exc))
                    elapsed = (time.perf_counter() - start) * 1000
                    with lock:
                        latencies.append(elapsed)
                        if not ok:
                            errors.append("bad status")

        threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    return {"requests": len(latencies), "errors": len(errors), "limited": len(limited), "p50": pctl(latencies, 50),
            "p95": pctl(latencies, 95), "rps": len(latencies) / API_SECONDS}


def hospitals_and_tokens(engine, rng: random.Random) -> tuple[list[int], list[str]]:
    hospitals, tokens = [], []
    with session_scope(engine) as session:
        for n in range(5):
            place = rng.choice(UNIT_COMMUNES)
            hospital, token = add_hospital(session=session, now=NOW, name=f"Bệnh viện {n}", commune=place.code,
                                           province=place.province_code)
            hospitals.append(hospital.id)
            tokens.append(token)
    return hospitals, tokens


def measure(engine_name: str, donors: int) -> None:
    url = database(engine_name, donors)
    engine = make_engine(url)
    upgrade(engine)  # cached data from an earlier schema
    reset(engine)
    settings = Settings(database={"url": url})
    rng = random.Random(42)
    hospitals, tokens = hospitals_and_tokens(engine, rng)
    load = os.getloadavg()[0]
    m = bench_matching(engine, settings, rng)
    filing = bench_filing(engine, settings, hospitals, rng)
    engine.dispose()
    api = bench_api(url, tokens)
    load = f"{load:.1f}–{os.getloadavg()[0]:.1f}"

    def figures(values: list[float]) -> str:
        return f"{pctl(values, 50):.1f} / {pctl(values, 95):.1f} ms"

    def verdict(values: list[float], target: float) -> str:
        return "met" if pctl(values, 95) < target else "**not met**"

    print(f"\n{engine_name}, {donors:,} donors, load average {load}\n")
    print("| measure | donor_registry | baseline | target |")
    print("|---|---|---|---|")
    print(f"| matching, 6 donors nearest first (200 requests), warm, p50 / p95 | {figures(m['warm'])} | "
          f"raw SQL, communes within 10 km: {figures(m['raw_10km'])} | p95 < 50 ms — {verdict(m['warm'], 50)} |")
    print(f"| the same, cold: first query of a new connection (50), p50 / p95 | {figures(m['cold'])} | | "
          f"p95 < 50 ms — {verdict(m['cold'], 50)} |")
    print(f"| rings province, neighbours only (100), warm, p50 / p95 | {figures(m['wide'])} | "
          f"raw SQL, the province by the standby index: {figures(m['raw_province'])} | "
          f"p95 < 50 ms — {verdict(m['wide'], 50)} |")
    print(f"| request filed + first wave queued and committed (50), p50 / p95 | {figures(filing)} | | "
          f"p95 < 300 ms — {verdict(filing, 300)} |")
    print(f"| API, {CLIENTS} clients × {API_SECONDS:.0f} s on loopback: requests, errors | "
          f"{api['requests']:,} ({api['rps']:.0f}/s), {api['errors']} errors ({api['limited']} of them 429) | | "
          f"no errors |")
    print(f"| API latency p50 / p95 | {api['p50']:.1f} / {api['p95']:.1f} ms | | |")
    print("\nwarm picks by the widest ring they reached: " + ", ".join(
        f"{ring} {len(values)} × {figures(values)}" for ring, values in m["by_ring"].items()))
    if SHORT:
        print(f"picks short of 6 donors: {len(SHORT)} ({', '.join(sorted(set(SHORT)))})")
    SHORT.clear()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process: {rss_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--donors", type=int, default=DONORS)
    args = parser.parse_args()
    for engine_name in ["sqlite", "postgres"] if args.engine == "both" else [args.engine]:
        measure(engine_name, args.donors)


if __name__ == "__main__":
    main()
