"""The SMS periodic jobs: drain the outbox every few seconds, plan reminders every hour."""

import datetime as dt
import logging

from sqlalchemy import Engine

from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.scheduler import PeriodicJob
from donor_registry.sms.dispatcher import Dispatcher
from donor_registry.sms.reminders import plan_reminders
from donor_registry.sms.service import gateway_from_settings

log = logging.getLogger(__name__)


def dispatch(*, engine: Engine, settings: Settings, now: dt.datetime) -> None:
    """Send what is due (the dispatcher keeps its own clock: sending takes time)."""
    gateway = gateway_from_settings(settings.sms)
    dispatcher = Dispatcher(
        engine=engine, settings=settings.sms, gateway=gateway, timezone=settings.general.timezone
    )
    try:
        report = dispatcher.run_once()
    finally:
        if hasattr(gateway, "close"):
            gateway.close()
    if report.sent or report.failed or report.retried:
        log.info("sms dispatch: %s", report)


def plan(*, engine: Engine, settings: Settings, now: dt.datetime) -> None:
    """Queue today's reminders (idempotent: planning again adds nothing)."""
    with session_scope(engine) as session:
        report = plan_reminders(session=session, settings=settings, now=now)
    if report.planned:
        log.info("reminders planned: %s", dict(report.planned))


def poll_esms(*, engine: Engine, settings: Settings, now: dt.datetime) -> None:
    """eSMS: settle sent messages whose delivery report has not come (GetSendStatus)."""
    if settings.sms.gateway != "esms":
        return
    from donor_registry.sms.esms_callbacks import poll_statuses

    gateway = gateway_from_settings(settings.sms)
    try:
        with session_scope(engine) as session:
            counts = poll_statuses(session=session, gateway=gateway, now=now)
    finally:
        gateway.close()
    if counts["settled"]:
        log.info("esms status query: %s", counts)


JOBS: list[PeriodicJob] = [
    PeriodicJob(name="sms.dispatch", every_seconds=lambda settings: settings.sms.dispatch_every_seconds, run=dispatch),
    PeriodicJob(name="sms.reminders", every_seconds=lambda settings: 3600.0, run=plan),
    PeriodicJob(name="sms.esms_status", every_seconds=lambda settings: 900.0, run=poll_esms),
]
