"""The donor's drive page (/b/{token}) through HTTP over 1,000,000 donors and 500 drives, on
SQLite and PostgreSQL (issue 15: p95 < 150 ms).

Takes the workspace benchmark's data (1,000,000 donors with 0-7 donations each, built once per
engine: bench-data/http-v1-N.db, PostgreSQL database bench_http_N) and adds, by the services,
500 drives on the coming 30 days (07:00-11:00 in 20-minute slots of 10 places), 1,000 donors'
personal links to a random drive each, half of them booked into a random slot (so half the pages
show a booking with its check-in code and QR code, the heavier page). The rows it adds are
removed afterwards (and before, if an earlier run stopped half-way). Then a real `serve`:

1. GET /b/{token} of the 1,000 links in random order, one client.      Target p95 < 150 ms.
2. 20 clients at once for $BENCH_BOOKING_SECONDS (default 30) s.        Target: no errors.
Baselines in the same run: GET /healthz (HTTP and the framework alone) and the page's reads as
raw SQL (the link by its hash, the drive, its slots, the donor, their donations, the booking).

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/booking_page.py [--engine sqlite|postgres|both] [--donors N]
"""

import argparse
import datetime as dt
import hashlib
import os
import random
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.slots import links
from donor_registry.slots import service as slots
from scripts.benchmarks.workspace import database, pctl, serve

VENUE = "Điểm hiến máu thử nghiệm (benchmark)"
DRIVES, LINKS, CLIENTS = 500, 1_000, 20
SECONDS = float(os.environ.get("BENCH_BOOKING_SECONDS", "30"))
TARGET_MS = 150
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

RAW_PAGE = [
    "SELECT id, donor_id, drive_id FROM drive_links WHERE token_hash = :h",
    "SELECT * FROM drives WHERE id = :drive",
    "SELECT * FROM drive_slots WHERE drive_id = :drive ORDER BY start_time",
    "SELECT * FROM donors WHERE id = :donor",
    "SELECT donated_on, type, outcome, deferral_until FROM donations WHERE donor_id = :donor AND voided_at IS NULL",
    "SELECT * FROM slot_bookings WHERE donor_id = :donor AND drive_id = :drive AND status = 'active'",
]


def remove_bench_drives(url: str) -> None:
    """Whatever an earlier run of this benchmark added (its drives and what hangs off them)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        ids = "SELECT id FROM drives WHERE venue = :v"
        # Its bookings' and page views' audit entries (actors "bench" and "drive-link:<id>").
        session.execute(text(f"DELETE FROM audit_log WHERE actor = 'bench' OR actor IN "
                             f"(SELECT 'drive-link:' || CAST(id AS TEXT) FROM drive_links WHERE drive_id IN ({ids}))"),
                        {"v": VENUE})
        for table in ("slot_waitlist", "slot_bookings", "drive_links", "drive_slots"):
            session.execute(text(f"DELETE FROM {table} WHERE drive_id IN ({ids})"), {"v": VENUE})
        session.execute(text("DELETE FROM drives WHERE venue = :v"), {"v": VENUE})
    engine.dispose()


def add_bench_drives(url: str, rng: random.Random) -> list[tuple[str, int, int]]:
    """(token, donor id, drive id) of LINKS links; half of them booked."""
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(VIETNAM).date()
    made = []
    with session_scope(engine) as session:
        top = session.execute(text("SELECT max(id) FROM donors")).scalar()
        drive_slots = []
        for n in range(DRIVES):
            data = DriveCreate(date=today + dt.timedelta(days=1 + n % 30), start_time=dt.time(7),
                               end_time=dt.time(11), venue=VENUE, capacity=120)
            drive, _warnings = add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
            drive_slots.append((drive.id, [s.id for s in slots.create_slots(
                session=session, drive=drive, slot_minutes=20, now=now)]))
        donors = rng.sample(range(1, top + 1), LINKS)
        for k, donor_id in enumerate(donors):
            drive_id, slot_ids = rng.choice(drive_slots)
            token = links.drive_link(session=session, donor_id=donor_id, drive_id=drive_id, now=now,
                                     base_url="").removeprefix("/b/")
            if k % 2 == 0:
                slots.book(session=session, donor_id=donor_id, slot_id=rng.choice(slot_ids), now=now, actor="bench")
            made.append((token, donor_id, drive_id))
    engine.dispose()
    return made


def timed(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    reply = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    if reply.status_code != 200:
        raise SystemExit(f"GET {path}: {reply.status_code}")
    return elapsed


def raw_sql(url: str, made: list[tuple[str, int, int]]) -> list[float]:
    engine = make_engine(url)
    times = []
    with engine.connect() as conn:
        for token, donor_id, drive_id in made:
            start = time.perf_counter()
            params = {"h": hashlib.sha256(token.encode()).hexdigest(), "drive": drive_id, "donor": donor_id}
            for statement in RAW_PAGE:
                conn.execute(text(statement), params).all()
            times.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return times


def clients_at_once(base: str, tokens: list[str]) -> dict:
    latencies, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + SECONDS

    def loop(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    ok = client.get(f"/b/{rng.choice(tokens)}").status_code == 200
                except httpx.HTTPError as exc:
                    ok = False
                    with lock:
                        errors.append(repr(exc))
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    if not ok:
                        errors.append("status")

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"requests": len(latencies), "errors": len(errors), "p50": pctl(latencies, 50),
            "p95": pctl(latencies, 95), "first errors": errors[:3]}


def measure(engine_name: str, donors: int) -> dict:
    url = database(engine_name, donors)
    migrated = make_engine(url)
    upgrade(migrated)  # cached data from an earlier schema
    migrated.dispose()
    rng = random.Random(15)
    remove_bench_drives(url)
    try:
        made = add_bench_drives(url, rng)
        raw = raw_sql(url, made)
        server, base = serve(url, Path(f"bench-data/booking-{engine_name}.serve.log"))
        try:
            tokens = [token for token, _donor, _drive in made]
            with httpx.Client(base_url=base, timeout=60) as client:
                for token in tokens[:20]:  # warm up: templates compiled, caches filled
                    timed(client, f"/b/{token}")
                order = tokens[:]
                rng.shuffle(order)
                figures = {"healthz": [timed(client, "/healthz") for _ in range(200)],
                           "booking page": [timed(client, f"/b/{t}") for t in order],
                           "the page's reads as raw SQL": raw}
            figures["clients"] = clients_at_once(base, tokens)
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        remove_bench_drives(url)
    return figures


def report(engine_name: str, figures: dict) -> None:
    print(f"\n{engine_name}, load average {os.getloadavg()[0]:.1f}\n")
    print("| request | n | p50 | p95 | max | target |")
    print("|---|---:|---:|---:|---:|---|")
    for name, values in figures.items():
        if name == "clients":
            continue
        verdict = "" if name != "booking page" else \
            f"p95 < {TARGET_MS} ms — {'met' if pctl(values, 95) < TARGET_MS else '**not met**'}"
        print(f"| {name} | {len(values)} | {pctl(values, 50):.1f} ms | {pctl(values, 95):.1f} ms | "
              f"{max(values):.1f} ms | {verdict} |")
    c = figures["clients"]
    print(f"\n{CLIENTS} clients × {SECONDS:.0f} s: {c['requests']:,} requests ({c['requests'] / SECONDS:.0f}/s), "
          f"{c['errors']} errors, p50 {c['p50']:.0f} ms, p95 {c['p95']:.0f} ms {c['first errors'] or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--donors", type=int, default=1_000_000)
    args = parser.parse_args()
    for engine_name in ["sqlite", "postgres"] if args.engine == "both" else [args.engine]:
        report(engine_name, measure(engine_name, args.donors))


if __name__ == "__main__":
    main()
