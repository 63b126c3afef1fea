"""However hospitals file, cancel and get answers, no donor gets more than K urgent SMS in any
24 hours (replies to a donor's own late answer aside), and withdrawn calls never count."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from donor_registry.config import Settings
from donor_registry.emergency import waves
from donor_registry.emergency.answers import answer
from donor_registry.emergency.models import (
    Answer,
    AnswerChannel,
    CallOut,
    EmergencyRequest,
    RequestStatus,
)
from donor_registry.emergency.service import cancel_request, expire_overdue
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from tests.service import emergency_support as make

CAP = 4
STEP = st.tuples(
    st.integers(min_value=0, max_value=4 * 60),  # minutes since the step before
    st.sampled_from(["file", "file", "send", "cancel", "accept", "decline", "wave"]),
    st.integers(min_value=1, max_value=3),  # units of a new request
)


def _latest_open(session):
    return session.exec(select(EmergencyRequest).where(EmergencyRequest.status == RequestStatus.open)
                        .order_by(EmergencyRequest.id.desc())).first()


def _step(session, cfg, now, hospital_id, action, units):
    latest = _latest_open(session)
    if action == "file":
        make.request(session, now, cfg, hospital_id, units=units, needed_by=now + dt.timedelta(hours=6))
    elif action == "send":
        make.mark_sent(session, now)
    elif action == "cancel" and latest:
        cancel_request(session=session, now=now, settings=cfg, request_id=latest.id, actor="test")
    elif action in ("accept", "decline") and latest:
        callout = session.exec(select(CallOut).where(CallOut.request_id == latest.id,
                                                     CallOut.answer == Answer.none)).first()
        if callout:
            answer(session=session, now=now, settings=cfg, callout=callout, accept=action == "accept",
                   channel=AnswerChannel.phone, actor="test")
    elif action == "wave" and latest:
        waves.run_wave(session=session, request=latest, settings=cfg, now=now)
    expire_overdue(session=session, now=now, settings=cfg)


def _most_in_a_day(times: list[dt.datetime]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t - start < dt.timedelta(hours=24))
                for i, start in enumerate(times)), default=0)


@settings(derandomize=True, max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_no_donor_gets_more_than_k_urgent_sms_in_any_24_hours(session, now, db_url, steps):
    cfg = Settings(database={"url": db_url}, emergency={
        "max_urgent_sms_per_donor_day": CAP, "max_requests_per_hour": 1000, "max_open_requests": 1000})
    savepoint = session.begin_nested()
    try:
        hospital, _ = make.hospital(session, now)
        for _ in range(3):
            make.donor(session, now)
        moment = now
        for minutes, action, units in steps:
            moment += dt.timedelta(minutes=minutes)
            _step(session, cfg, moment, hospital.id, action, units)
        sent = session.exec(select(OutboxMessage).where(
            OutboxMessage.urgent.is_(True), OutboxMessage.status != OutboxStatus.cancelled,
            ~OutboxMessage.idempotency_key.endswith(":late"))).all()
        for donor_id in {m.donor_id for m in sent}:
            assert _most_in_a_day([m.created_at for m in sent if m.donor_id == donor_id]) <= CAP
    finally:
        savepoint.rollback()
