"""The periodic jobs of `donor-registry serve`. Each domain declares its jobs in <domain>/jobs.py.

A job is a plain function `run(*, engine, settings, now)` that owns its own transactions and
keeps all of its state in the database, so it can be called directly in tests and a restart
neither loses nor repeats work. APScheduler only calls it on an interval.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from donor_registry.config import Settings

JobFunction = Callable[..., None]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: Callable[[Settings], float]
    run: JobFunction  # run(*, engine: Engine, settings: Settings, now: dt.datetime) -> None


def all_jobs() -> list[PeriodicJob]:
    """Every domain's periodic jobs; one import line per domain."""
    jobs: list[PeriodicJob] = []
    return jobs


def run_once(job: PeriodicJob, *, engine: Engine, settings: Settings, now: dt.datetime | None = None) -> None:
    """Run one job now (the scheduler and `--once` commands both come through here)."""
    job.run(engine=engine, settings=settings, now=now or dt.datetime.now(dt.UTC))
