"""Emergency matching with the donors' availability windows (issue 15 part 4), 1,000,000 donors on SQLite.

Reuses the emergency benchmark's database (bench-data/emergency-v6-1000000.db, built by
emergency.py if missing) and gives 20,000 of its standby donors an availability row (half "weekdays after 17:00",
half "not until" a later date, so at 10:00 on a Monday they are all excluded). Then matching.pick
(6 donors, nearest ring first) for the same 200 requests twice, interleaved: with the availability
filter, and the baseline with the filter replaced by TRUE (matching as before this change).
Target: p95 < 50 ms (as the emergency benchmark's matching), none of the excluded donors picked.
"""

import random
import time

from sqlalchemy import true
from sqlmodel import Session

from donor_registry.config import Settings
from donor_registry.db import make_engine, upgrade
from donor_registry.emergency import matching
from donor_registry.emergency.models import EmergencyRequest
from scripts.benchmarks import emergency as base

ROWS = 20_000


def seed(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM donor_availability")
        conn.exec_driver_sql(f"""
            INSERT INTO donor_availability (donor_id, weekdays, from_minute, until_minute, not_until, updated_at)
            SELECT id, 31, CASE WHEN id % 2 = 0 THEN 1020 END, NULL,
                   CASE WHEN id % 2 = 1 THEN '2026-07-01' END, '2026-05-01 00:00:00.000000'
            FROM donors WHERE standby = 1 ORDER BY id LIMIT {ROWS}""")
        conn.exec_driver_sql("ANALYZE donor_availability")


def requests(rng: random.Random) -> list[EmergencyRequest]:
    out = []
    for _ in range(200):
        group = rng.choices([g for g, _ in base.GROUP_WEIGHTS], [w for _, w in base.GROUP_WEIGHTS])[0]
        place = rng.choice(base.UNIT_COMMUNES)
        out.append(EmergencyRequest(id=-1, abo=group[:-1], rh=group[-1], units=3, needed_by=base.NOW, hospital_id=0,
                                    created_at=base.NOW, created_by="bench", commune_code=place.code,
                                    province_code=place.province_code))
    return out


def main() -> None:
    if not base.PATH.exists():
        base.build(base.PATH)
    engine = make_engine(f"sqlite:///{base.PATH}")
    upgrade(engine)
    base.reset(engine)
    seed(engine)
    settings = Settings(database={"url": f"sqlite:///{base.PATH}"})
    with_filter, baseline, picked_ids, baseline_ids = [], [], set(), set()
    real = matching.available_clause_bound  # statements are built per clause (candidate_sql)
    with Session(engine) as session:
        for request in requests(random.Random(42)):
            for clause, times in ((real, with_filter), (lambda: true(), baseline)):
                matching.available_clause_bound = clause
                start = time.perf_counter()
                picked, _ = matching.pick(session=session, request=request, want=6, now=base.NOW, on=base.NOW.date(),
                                          rules=settings.eligibility, rotation_days=30, rings=settings.emergency.rings)
                times.append((time.perf_counter() - start) * 1000)
                (picked_ids if clause is real else baseline_ids).update(c.donor_id for c in picked)
    matching.available_clause_bound = real
    print("| measure | with availability | baseline (no filter) | target |")
    print("|---|---|---|---|")
    print(f"| matching, 6 donors (200 requests, {ROWS:,} availability rows), p50 / p95 | "
          f"{base.pctl(with_filter, 50):.1f} / {base.pctl(with_filter, 95):.1f} ms | "
          f"{base.pctl(baseline, 50):.1f} / {base.pctl(baseline, 95):.1f} ms | p95 < 50 ms |")
    print(f"| donors picked although their availability excludes the moment | {unavailable_picked(engine, picked_ids)} | "
          f"{unavailable_picked(engine, baseline_ids)} | 0 |")


def unavailable_picked(engine, donor_ids: set[int]) -> int:
    """How many picked donors have an availability row (every seeded row excludes the bench's moment)."""
    with engine.connect() as conn:
        rows = {row[0] for row in conn.exec_driver_sql("SELECT donor_id FROM donor_availability")}
    return len(rows & donor_ids)


if __name__ == "__main__":
    main()
