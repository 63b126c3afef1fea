"""The dispatcher against FakeTwilio (real twilio client, every request checked against the spec)."""

import datetime as dt

import pytest
from sqlmodel import Session, select

from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.sms.dispatcher import DispatchStopped
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from tests.fakes.twilio_server import FakeTwilio
from tests.support.sms import SID, TOKEN, FakeClock, dispatcher, queue_messages, sms_settings


@pytest.fixture
def fake():
    with FakeTwilio(SID, TOKEN) as server:
        yield server
    assert server.violations == []


def rows(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_enqueue_is_idempotent_per_key(session, now):
    first = enqueue(session=session, now=now, donor_id=None, to="+84912000001", kind="x",
                    body="a", idempotency_key="k1")
    again = enqueue(session=session, now=now, donor_id=None, to="+84912000001", kind="x",
                    body="b", idempotency_key="k1")
    assert first is not None and first.status == OutboxStatus.queued and again is None
    assert len(session.exec(select(OutboxMessage)).all()) == 1


def test_due_messages_are_sent_once_with_provider_ids(engine, now, fake):
    ids = queue_messages(engine, now, 12)
    report = dispatcher(engine, fake, FakeClock(now)).run_once()
    assert report.sent == 12
    sids = {m["sid"] for m in fake.messages}
    assert [m.status for m in rows(engine)] == [OutboxStatus.sent] * 12
    assert {m.provider_id for m in rows(engine)} == sids
    callbacks = {m["StatusCallback"] for m in fake.messages}
    assert callbacks == {f"https://hienmau.example.vn/sms/status?outbox_id={i}" for i in ids}
    assert dispatcher(engine, fake, FakeClock(now)).run_once().sent == 0  # nothing twice


def test_messages_not_yet_due_wait(engine, now, fake):
    with session_scope(engine) as session:
        enqueue(session=session, now=now, donor_id=None, to="+84912000001", kind="x", body="later",
                idempotency_key="later", send_after=now + dt.timedelta(hours=1))
    clock = FakeClock(now)
    assert dispatcher(engine, fake, clock).run_once().sent == 0
    clock.advance(3600)
    assert dispatcher(engine, fake, clock).run_once().sent == 1


def test_429_and_500_are_retried_with_backoff_then_sent(engine, now, fake):
    queue_messages(engine, now, 1)
    clock = FakeClock(now)
    fake.fail_next(1, status=429)
    fake.fail_next(1, status=500)
    d = dispatcher(engine, fake, clock, sms_settings(backoff_base_seconds=10, backoff_cap_seconds=15))
    assert d.run_once().retried == 1
    [row] = rows(engine)
    assert row.status == OutboxStatus.queued and row.error_code == 20429
    assert row.next_attempt_at == now + dt.timedelta(seconds=10)
    clock.advance(10)
    assert d.run_once().retried == 1
    [row] = rows(engine)
    assert row.next_attempt_at == clock.now + dt.timedelta(seconds=15)  # 20 s capped at 15
    clock.advance(15)
    assert d.run_once().sent == 1
    [row] = rows(engine)
    assert row.status == OutboxStatus.sent and row.attempts == 3 and len(fake.messages) == 1


def test_transient_errors_give_up_after_max_attempts(engine, now, fake):
    queue_messages(engine, now, 1)
    clock = FakeClock(now)
    fake.fail_next(5, status=503)
    d = dispatcher(engine, fake, clock, sms_settings(max_attempts=3))
    for _ in range(3):
        d.run_once()
        clock.advance(3600)
    [row] = rows(engine)
    assert row.status == OutboxStatus.failed and "gave up after 3 tries" in row.error_message
    assert fake.messages == []


@pytest.mark.parametrize("code", [21211, 21614])
def test_invalid_or_landline_number_marks_the_phone(engine, now, fake, code):
    queue_messages(engine, now, 2)
    fake.reject_numbers({"+84912000000": code})
    report = dispatcher(engine, fake, FakeClock(now)).run_once()
    assert (report.sent, report.failed) == (1, 1)
    first, second = rows(engine)
    assert first.status == OutboxStatus.failed and first.error_code == code
    with Session(engine) as session:
        donor = session.get(Donor, first.donor_id)
        assert donor.phone_sms_capable is False
        assert session.get(Donor, second.donor_id).phone_sms_capable is True


def test_unsubscribed_recipient_marks_the_donor_opted_out(engine, now, fake):
    queue_messages(engine, now, 1)
    with session_scope(engine) as session:  # a second message to the same donor, later
        donor_id = rows(engine)[0].donor_id
        enqueue(session=session, now=now, donor_id=donor_id, to="+84912000000", kind="x",
                body="later", idempotency_key="later", send_after=now + dt.timedelta(days=1))
    fake.reject_numbers({"+84912000000": 21610})
    dispatcher(engine, fake, FakeClock(now)).run_once()
    first, later = rows(engine)
    assert first.status == OutboxStatus.failed and first.error_code == 21610
    assert later.status == OutboxStatus.cancelled
    with Session(engine) as session:
        assert session.get(Donor, donor_id).sms_opted_out_at is not None


def test_bad_credentials_stop_the_batch_and_leave_messages_queued(engine, now, fake):
    queue_messages(engine, now, 5)
    fake.auth_token = "rotated"
    with pytest.raises(DispatchStopped, match="TWILIO_AUTH_TOKEN"):
        dispatcher(engine, fake, FakeClock(now), sms_settings(concurrency=1)).run_once()
    assert {(m.status, m.attempts) for m in rows(engine)} == {(OutboxStatus.queued, 0)}
    fake.violations.clear()  # the 401s are recorded as violations by design


def test_quiet_hours_hold_non_urgent_messages_until_morning(engine, now, fake):
    night = dt.datetime(2026, 6, 1, 15, 0, tzinfo=dt.UTC)  # 22:00 in Hà Nội
    queue_messages(engine, night, 2)
    with session_scope(engine) as session:
        enqueue(session=session, now=night, donor_id=None, to="+84913000001", kind="emergency_call",
                body="Can gap mau O+", idempotency_key="urgent")
    clock = FakeClock(night)
    settings = sms_settings(quiet_hours_start="21:00", quiet_hours_end="07:00")
    assert dispatcher(engine, fake, clock, settings).run_once().sent == 1
    assert [m["Body"] for m in fake.messages] == ["Can gap mau O+"]
    clock.now = dt.datetime(2026, 6, 2, 0, 0, tzinfo=dt.UTC)  # 07:00 local
    assert dispatcher(engine, fake, clock, settings).run_once().sent == 2


def test_messages_to_a_donor_who_withdrew_consent_are_cancelled(engine, now, fake):
    queue_messages(engine, now, 2)
    with session_scope(engine) as session:
        donor = session.get(Donor, rows(engine)[0].donor_id)
        donor.consent_withdrawn_at = now
        session.add(donor)
    report = dispatcher(engine, fake, FakeClock(now)).run_once()
    assert (report.sent, report.cancelled) == (1, 1)
    assert rows(engine)[0].status == OutboxStatus.cancelled


def test_a_lost_answer_is_looked_up_not_resent(engine, now, fake):
    queue_messages(engine, now, 2)
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    claimed = d.claim()  # the process "dies" after sending the first, before recording
    d.gateway.send(to=claimed[0].to_phone, body=claimed[0].body)
    assert d.run_once().sent == 0  # both still leased
    clock.advance(31)
    report = d.run_once()
    assert (report.recovered, report.sent) == (1, 1)
    assert len(fake.messages) == 2 and fake.duplicates() == []
    assert {m.provider_id for m in rows(engine)} == {m["sid"] for m in fake.messages}
