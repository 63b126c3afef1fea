"""Slot bookings on PostgreSQL (issue 15 part 1): how many a second the booking service sustains.

A fresh migrated database (dropped afterwards) with 20 drives of 07:00–17:00 in 20-minute slots
(30 slots of 10 places each, 6,000 places) and 8,000 donors. 16 threads, each with its own
session and connection, book 8,000 times: each donor once, into a random slot, so that about
a quarter of the tries find their slot full. Then 2,000 moves and 2,000 cancels of accepted
bookings, the same way. Every operation is its own transaction (`session_scope`), as a page's
request would be.

Baseline in the same run: the same bookings with the capacity counter taken out (the booking
row and its audit entry only), which is what the conditional UPDATE costs.
Checks: no error other than a plain refusal; each slot's `booked` equals its active bookings.
Target (issue 15): 100 bookings a second sustained with no errors.
"""

import datetime as dt
import os
import random
import statistics
import threading
import time
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.errors import UserError
from donor_registry.slots import service as slots

PG_ADMIN_URL = os.environ.get("DONOR_REGISTRY_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
DRIVES, DONORS, THREADS, MOVES, CANCELS = 20, 8_000, 16, 2_000, 2_000


@contextmanager
def postgres_db():
    name = f"bench_bookings_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build(engine) -> tuple[list[int], list[int]]:
    upgrade(engine)
    with session_scope(engine) as session:
        slot_ids = []
        for i in range(DRIVES):
            drive, _ = add_drive(session=session, settings=CampaignSettings(max_drives_per_day=DRIVES), now=NOW,
                                 data=DriveCreate(date=dt.date(2026, 6, 20), start_time=dt.time(7),
                                                  end_time=dt.time(17), venue=f"Điểm hiến máu {i}", capacity=300))
            slot_ids += [s.id for s in slots.create_slots(session=session, drive=drive, slot_minutes=20, now=NOW)]
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO donors (full_name, name_folded, sex, birth_year, phone_e164, phone_sms_capable, standby,
                                donation_count, created_at, updated_at)
            SELECT 'Nguyễn Văn Thử ' || x, 'nguyen van thu ' || x, 'male', 1990, '+849' || (10000000 + x), true,
                   false, 0, :t, :t
            FROM generate_series(1, :n) AS x"""), {"t": NOW, "n": DONORS})
        donors = list(conn.execute(text("SELECT id FROM donors ORDER BY id")).scalars())
    return slot_ids, donors


def run_parallel(engine, jobs) -> dict:
    """Run the jobs (callables taking a session) over THREADS threads; latencies and outcomes."""
    queue, lock = list(reversed(jobs)), threading.Lock()
    latencies, outcome = [], {"accepted": 0, "refused": 0, "errors": []}

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            began = time.perf_counter()
            try:
                with session_scope(engine) as session:
                    job(session)
                kind = "accepted"
            except UserError:
                kind = "refused"
            except Exception as exc:  # noqa: BLE001 - counted and shown
                kind = None
                with lock:
                    outcome["errors"].append(repr(exc)[:200])
            with lock:
                latencies.append(time.perf_counter() - began)
                if kind:
                    outcome[kind] += 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    latencies.sort()
    return {**outcome, "n": len(jobs), "seconds": seconds, "per_second": len(jobs) / seconds,
            "p50_ms": statistics.median(latencies) * 1000, "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000}


def consistent(engine) -> bool:
    with engine.connect() as conn:
        return not conn.execute(text("""
            SELECT s.id FROM drive_slots s LEFT JOIN slot_bookings b ON b.slot_id = s.id AND b.status = 'active'
            GROUP BY s.id, s.booked, s.capacity HAVING s.booked != count(b.id) OR s.booked > s.capacity""")).first()


def reset(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM slot_bookings"))
        conn.execute(text("UPDATE drive_slots SET booked = 0"))


def main() -> None:
    rng = random.Random(15)
    with postgres_db() as url:
        engine = make_engine(url)
        parallel = create_engine(url, pool_size=THREADS, max_overflow=0)
        slot_ids, donors = build(engine)
        choices = [(donor, rng.choice(slot_ids)) for donor in donors]
        booked: dict[int, int] = {}

        def booking(donor, slot):
            def job(session):
                booked[donor] = slots.book(session=session, donor_id=donor, slot_id=slot, now=NOW).id
            return job

        results = {}
        real = slots._take_place
        slots._take_place = lambda session, slot, drive: None
        results["baseline: bookings without the capacity counter"] = run_parallel(
            parallel, [booking(d, s) for d, s in choices])
        slots._take_place = real
        reset(engine)
        booked.clear()
        results["bookings"] = run_parallel(parallel, [booking(d, s) for d, s in choices])
        drive_slots = {slot: slot_ids[i // 30 * 30:i // 30 * 30 + 30] for i, slot in enumerate(slot_ids)}
        ids = [(booked[d], drive_slots[s]) for d, s in choices if d in booked]
        rng.shuffle(ids)
        moves = [(b, rng.choice(same)) for b, same in ids[:MOVES]]
        results["moves (to a random slot of the same drive)"] = run_parallel(
            parallel, [lambda session, b=b, to=to: slots.move(session=session, booking_id=b, slot_id=to, now=NOW)
                       for b, to in moves])
        results["cancels"] = run_parallel(
            parallel, [lambda session, b=b: slots.cancel(session=session, booking_id=b, now=NOW)
                       for b, _ in ids[MOVES:MOVES + CANCELS]])
        ok = consistent(engine)
        parallel.dispose()
        engine.dispose()
    print(f"{DRIVES} drives × 30 slots of 10 places, {DONORS:,} donors, {THREADS} threads, PostgreSQL\n")
    print("| operations | n | accepted | refused | errors | per second | p50 | p95 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['n']:,} | {r['accepted']:,} | {r['refused']:,} | {len(r['errors'])} "
              f"| {r['per_second']:.0f} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms |")
    print(f"\nevery slot's booked = its active bookings, none above capacity: {'yes' if ok else 'NO'}")
    for r in results.values():
        for error in r["errors"][:3]:
            print("error:", error)


if __name__ == "__main__":
    main()
