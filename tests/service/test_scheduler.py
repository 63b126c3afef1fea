"""The scheduler wiring and the one-scheduler-per-database lock, on both databases."""

import datetime as dt

import pytest

from donor_registry.scheduler import (
    PeriodicJob,
    all_jobs,
    build_scheduler,
    run_once,
    scheduler_status,
)
from donor_registry.service_lock import SchedulerLock, SchedulerLockHeld


def test_lock_is_exclusive_and_released(engine):
    first, second = SchedulerLock(engine), SchedulerLock(engine)
    first.acquire()
    try:
        with pytest.raises(SchedulerLockHeld, match="already running the scheduler"):
            second.acquire()
    finally:
        first.release()
    second.acquire()  # free again once released
    second.release()


def test_jobs_are_added_with_their_interval_and_limits(engine, settings):
    calls = []
    job = PeriodicJob(name="test.job", every_seconds=lambda s: 42.0,
                      run=lambda *, engine, settings, now: calls.append(now))
    scheduler = build_scheduler(engine=engine, settings=settings, jobs=[job])
    [added] = scheduler.get_jobs()
    assert (added.id, added.trigger.interval, added.max_instances, added.coalesce) == (
        "test.job", dt.timedelta(seconds=42), 1, True)
    # What APScheduler will call, called directly: the job gets an aware `now`.
    added.func(*added.args, **added.kwargs)
    assert len(calls) == 1 and calls[0].tzinfo is not None


def test_an_empty_job_list_runs(engine, settings):
    scheduler = build_scheduler(engine=engine, settings=settings, jobs=[])
    scheduler.start()
    try:
        assert scheduler_status(scheduler) == {"state": "running", "jobs": []}
    finally:
        scheduler.shutdown()
    assert scheduler_status(scheduler)["state"] == "stopped"


def test_run_once_passes_the_given_now(engine, settings, now):
    seen = []
    job = PeriodicJob(name="x", every_seconds=lambda s: 1.0, run=lambda **kw: seen.append(kw["now"]))
    run_once(job, engine=engine, settings=settings, now=now)
    assert seen == [now]
    assert all(isinstance(j, PeriodicJob) for j in all_jobs())
