"""30% injected transient failures (429, 500, answers slower than the client waits):
every message ends sent or failed with its reason; none lost, none sent twice."""

import time
from collections import Counter

from sqlmodel import Session, select

from donor_registry.sms.models import OutboxMessage, OutboxStatus
from tests.fakes.twilio_server import FakeTwilio
from tests.support.sms import SID, TOKEN, FakeClock, dispatcher, queue_messages, sms_settings

SLOW_SECONDS = 0.25


def test_thirty_percent_transient_failures_lose_nothing_and_send_nothing_twice(sqlite_url, now):
    from donor_registry.db import make_engine

    engine = make_engine(sqlite_url)
    queue_messages(engine, now, 200)
    settings = sms_settings(max_attempts=12, backoff_base_seconds=1, backoff_cap_seconds=4,
                            lease_seconds=5)
    clock = FakeClock(now)
    with FakeTwilio(SID, TOKEN) as fake:
        fake.fail_ratio(0.3, seed=7, kinds=(429, 500, "slow"), slow_seconds=SLOW_SECONDS)
        d = dispatcher(engine, fake, clock, settings, timeout=0.1)
        for _ in range(30):
            d.run_once()
            with Session(engine) as session:
                open_rows = session.exec(select(OutboxMessage).where(
                    OutboxMessage.status.in_([OutboxStatus.queued, OutboxStatus.sending]))).all()
            if not open_rows:
                break
            # A slow answer is still being handled by the provider: a real lease (minutes)
            # outlasts that; here the fake clock jumps, so let the fake finish first.
            time.sleep(SLOW_SECONDS + 0.05)
            clock.advance(settings.lease_seconds + settings.backoff_cap_seconds)
        assert fake.violations == []
        accepted = Counter(m["Body"] for m in fake.messages)
        kinds = Counter(status for _, _, status in fake.requests)
        lookups = sum(1 for method, _, _ in fake.requests if method == "GET")

    with Session(engine) as session:
        messages = session.exec(select(OutboxMessage)).all()
    assert len(messages) == 200
    assert kinds[429] > 0 and kinds[500] > 0  # the faults did happen
    assert any(m.attempts > 1 for m in messages)
    assert lookups > 0  # timed-out sends were looked up before any resend
    for message in messages:
        assert message.status in (OutboxStatus.sent, OutboxStatus.failed)
        if message.status == OutboxStatus.sent:
            assert accepted[message.body] == 1, message.idempotency_key
            assert message.provider_id is not None
        else:
            assert message.error_message, message.idempotency_key
    assert max(accepted.values()) == 1
