"""Emergency call-outs over 1,000,000 donors on SQLite: matching, filing a request, the API under load.

Builds bench-data/emergency-v5.db once (deterministic: every value is a function of the row
number): the 3,321 real communes since 2025-07-01 (~300 donors a commune, with their province and
commune codes), ABO/Rh at Vietnamese frequencies, 10% on standby, consent, SMS-able phones,
opt-outs, recent donations.

1. matching.pick (6 donors, nearest ring first: commune, 10 km, 25 km, province, neighbours) for
   200 requests from random communes, against one hand-written SQL query of the same filters over
   the communes within 10 km, run through the bare sqlite3 module.   Target: p95 < 50 ms.
2. service.create_request with its first wave queued and committed, 50 times.  Target: p95 < 300 ms.
3. The hospital API on a real `serve` process on 127.0.0.1: 50 concurrent clients for
   $BENCH_API_SECONDS (default 60) s, 95% status reads, 5% file + cancel.  Target: no errors.
"""

import datetime as dt
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

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
PATH = Path("bench-data/emergency-v5.db")
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


def build(path: Path) -> None:
    """Schema by the migrations, rows by set-based SQL."""
    tmp, conn = bulk_loading_connection(path)
    commune = f"(x * 31) % {PROVINCES * DISTRICTS * COMMUNES}"
    district, province = f"(({commune}) / {COMMUNES})", f"(({commune}) / {COMMUNES * DISTRICTS})"
    stamp = "2026-01-01 00:00:00.000000"
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE bench_units (i INTEGER PRIMARY KEY, commune_code TEXT, province_code TEXT)")
    conn.executemany("INSERT INTO bench_units VALUES (?, ?, ?)",
                     [(i, c.code, c.province_code) for i, c in enumerate(UNIT_COMMUNES)])
    conn.execute(f"""
        WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {DONORS})
        INSERT INTO donors (id, full_name, name_folded, sex, abo, rh, birth_year, weight_kg, phone_e164,
                            phone_sms_capable, standby, consent_at, consent_channel, sms_opted_out_at,
                            commune, commune_key, district, district_key, province, province_key,
                            donation_count, eligible_again_on, created_at, updated_at)
        SELECT x, 'Nguyễn Văn Hiến' || x, 'nguyen van hien' || x, CASE WHEN x % 5 < 3 THEN 'male' ELSE 'female' END,
               {ABO_SQL}, CASE WHEN {_RH_NEGATIVE} THEN '-' ELSE '+' END, 1966 + (x * 7) % 40, 50 + x % 30,
               '+8490' || printf('%07d', x), x % 20 != 3, {_STANDBY},
               CASE WHEN x % 10 != 5 THEN '{stamp}' END, CASE WHEN x % 10 != 5 THEN 'paper' END,
               CASE WHEN x % 100 = 40 THEN '{stamp}' END,
               'Xã ' || ({commune}), 'xa ' || ({commune}), 'Huyện ' || {district}, 'huyen ' || {district},
               'Tỉnh ' || {province}, 'tinh ' || {province}, x % 7,
               CASE WHEN x % 6 = 0 THEN date('2026-05-01', '+' || (x % 90) || ' days') END, '{stamp}', '{stamp}'
        FROM seq""")
    conn.execute(f"""UPDATE donors SET (commune_code, province_code, address_status) =
        (SELECT commune_code, province_code, 'new' FROM bench_units WHERE i = (donors.id * 7) % {len(UNIT_COMMUNES)})""")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    tmp.rename(path)


def reset(engine) -> None:
    """Forget earlier runs' requests, messages and hospitals."""
    with engine.begin() as conn:
        for table in ("emergency_claims", "emergency_callouts", "emergency_requests", "hospitals",
                      "sms_outbox", "audit_log"):
            conn.exec_driver_sql(f"DELETE FROM {table}")


def pctl(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


RAW_SQL = """
SELECT d.id FROM donors d
WHERE d.standby IS 1 AND d.merged_into_id IS NULL AND d.abo IN ({groups}) AND d.rh = '+'
  AND d.commune_code IN ({communes}) AND (d.eligible_again_on IS NULL OR d.eligible_again_on <= ?)
  AND (d.deferred_until IS NULL OR d.deferred_until <= ?) AND d.deceased_on IS NULL
  AND d.consent_at IS NOT NULL AND d.consent_withdrawn_at IS NULL AND d.sms_opted_out_at IS NULL
  AND d.phone_e164 IS NOT NULL AND d.phone_sms_capable IS 1
  AND NOT EXISTS (SELECT 1 FROM emergency_claims c WHERE c.donor_id = d.id)
ORDER BY CASE WHEN d.abo = ? THEN 0 ELSE 1 END, d.id LIMIT 6
"""
COMPATIBLE_POSITIVE = {"O": ["O"], "A": ["A", "O"], "B": ["B", "O"], "AB": ["AB", "A", "B", "O"]}


def bench_matching(engine, settings, rng: random.Random) -> tuple[list[float], list[float]]:
    ours, raw = [], []
    conn = sqlite3.connect(PATH)
    from sqlmodel import Session

    with Session(engine) as session:
        for _ in range(200):
            group = rng.choices([g for g, _ in GROUP_WEIGHTS], [w for _, w in GROUP_WEIGHTS])[0]
            place = rng.choice(UNIT_COMMUNES)
            abo, rh = group[:-1], group[-1]
            request = EmergencyRequest(
                id=-1, abo=abo, rh=rh, units=3, needed_by=NOW, hospital_id=0, created_at=NOW, created_by="bench",
                commune_code=place.code, province_code=place.province_code)
            start = time.perf_counter()
            picked, _ = matching.pick(session=session, request=request, want=6, now=NOW, on=NOW.date(),
                                      rules=settings.eligibility, rotation_days=30, rings=settings.emergency.rings)
            ours.append((time.perf_counter() - start) * 1000)
            assert len(picked) == 6, (group, place)
            if rh == "+":
                groups = ",".join(f"'{g}'" for g in COMPATIBLE_POSITIVE[abo])
                start = time.perf_counter()
                ring = rings.communes_within(place.latitude, place.longitude, 10)
                communes = ",".join(f"'{code}'" for code in ring)
                conn.execute(RAW_SQL.format(groups=groups, communes=communes),
                             ("2026-06-01", "2026-06-01", abo)).fetchall()
                raw.append((time.perf_counter() - start) * 1000)
    conn.close()
    return ours, raw


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


def bench_api(tokens: list[str]) -> dict:
    port = _free_port()
    env = {**os.environ, "DONOR_REGISTRY_DATABASE__URL": f"sqlite:///{PATH.resolve()}",
           "DONOR_REGISTRY_SMS__GATEWAY": "console"}
    env.pop("DONOR_REGISTRY_CONFIG", None)
    log = PATH.with_suffix(".serve.log").open("w")
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
        latencies, errors, lock = [], [], threading.Lock()
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
    return {"requests": len(latencies), "errors": len(errors), "p50": pctl(latencies, 50),
            "p95": pctl(latencies, 95), "rps": len(latencies) / API_SECONDS}


def main() -> None:
    if not PATH.exists():
        started = time.perf_counter()
        build(PATH)
        print(f"built {PATH} ({DONORS:,} donors) in {time.perf_counter() - started:.0f} s\n")
    engine = make_engine(f"sqlite:///{PATH}")
    upgrade(engine)
    reset(engine)
    settings = Settings(database={"url": f"sqlite:///{PATH}"})
    rng = random.Random(42)
    hospitals, tokens = [], []
    with session_scope(engine) as session:
        for n in range(5):
            place = rng.choice(UNIT_COMMUNES)
            hospital, token = add_hospital(session=session, now=NOW, name=f"Bệnh viện {n}", commune=place.code,
                                           province=place.province_code)
            hospitals.append(hospital.id)
            tokens.append(token)
    ours, raw = bench_matching(engine, settings, rng)
    filing = bench_filing(engine, settings, hospitals, rng)
    engine.dispose()
    api = bench_api(tokens)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| measure | donor_registry | baseline | target |")
    print("|---|---|---|---|")
    print(f"| matching, 6 donors nearest first (200 requests), p50 / p95 | {pctl(ours, 50):.1f} / "
          f"{pctl(ours, 95):.1f} ms | raw SQL, communes within 10 km: {pctl(raw, 50):.1f} / {pctl(raw, 95):.1f} ms | p95 < 50 ms |")
    print(f"| request filed + first wave queued and committed (50), p50 / p95 | {pctl(filing, 50):.1f} / "
          f"{pctl(filing, 95):.1f} ms | | p95 < 300 ms |")
    print(f"| API, {CLIENTS} clients × {API_SECONDS:.0f} s on loopback: requests, errors | "
          f"{api['requests']:,} ({api['rps']:.0f}/s), {api['errors']} errors | | no errors |")
    print(f"| API latency p50 / p95 | {api['p50']:.1f} / {api['p95']:.1f} ms | | |")
    print(f"\npeak RSS of the benchmark process: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
