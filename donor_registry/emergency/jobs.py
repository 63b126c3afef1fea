"""The scheduler's emergency job: expire overdue requests, then run every wave that is due."""

import datetime as dt
import logging

from sqlalchemy import Engine

from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.emergency import waves
from donor_registry.emergency.service import expire_overdue
from donor_registry.i18n import _
from donor_registry.scheduler import PeriodicJob
from donor_registry.sms.settings import require_live_links

log = logging.getLogger(__name__)


def run_due_waves(*, engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """One pass: close overdue requests, then one transaction per due wave. Returns waves run."""
    with session_scope(engine) as session:
        expire_overdue(session=session, now=now, settings=settings)
    with session_scope(engine) as session:
        due = waves.due_request_ids(session=session, now=now)
    if due:  # every wave sends reply links: refuse them all at once, in one line
        require_live_links(settings.sms, refusing=_("no wave was run"))
    ran = 0
    for request_id in due:
        try:
            with session_scope(engine) as session:
                ran += waves.run_due_wave(session=session, request_id=request_id, settings=settings, now=now)
        except Exception:  # one broken request must not stop the others' waves
            log.exception("emergency wave for request #%s failed; retried on the next pass", request_id)
    return ran


JOBS = [
    PeriodicJob(
        name="emergency_waves",
        every_seconds=lambda settings: settings.emergency.job_every_seconds,
        run=run_due_waves,
    ),
]
