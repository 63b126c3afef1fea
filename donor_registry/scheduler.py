"""The periodic jobs of `donor-registry serve`. Each domain declares its jobs in <domain>/jobs.py.

A job is a plain function `run(*, engine, settings, now)` that owns its own transactions and
keeps all of its state in the database, so it can be called directly in tests and a restart
neither loses nor repeats work. APScheduler only calls it on an interval.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
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
    from donor_registry.sms.jobs import JOBS as SMS_JOBS

    jobs += SMS_JOBS
    from donor_registry.emergency.jobs import JOBS as EMERGENCY_JOBS

    jobs += EMERGENCY_JOBS
    return jobs


def run_once(job: PeriodicJob, *, engine: Engine, settings: Settings, now: dt.datetime | None = None) -> None:
    """Run one job now (the scheduler and `--once` commands both come through here)."""
    job.run(engine=engine, settings=settings, now=now or dt.datetime.now(dt.UTC))


def build_scheduler(*, engine: Engine, settings: Settings, jobs: list[PeriodicJob]) -> BackgroundScheduler:
    """An APScheduler (not started) running each job on its interval, one run at a time, no catch-up bursts."""
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    for job in jobs:
        scheduler.add_job(
            run_once, "interval", seconds=job.every_seconds(settings), id=job.name, name=job.name,
            args=[job], kwargs={"engine": engine, "settings": settings},
            max_instances=1, coalesce=True, misfire_grace_time=None,
            next_run_time=dt.datetime.now(dt.UTC),  # catch up on what fell due while stopped
        )
    return scheduler


def scheduler_status(scheduler: BackgroundScheduler) -> dict:
    """What /healthz shows: running or not, and each job's next run."""
    return {
        "state": "running" if scheduler.state == STATE_RUNNING else "stopped",
        "jobs": [
            {"name": job.name, "next_run": job.next_run_time.isoformat() if job.next_run_time else None}
            for job in scheduler.get_jobs()
        ],
    }
