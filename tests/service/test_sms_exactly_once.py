"""Exactly once when texts repeat: two rows with the same To and Body (two daughters called Lan
who share their mother's phone get the same invitation) must each reach the provider once, and
each provider SID must be recorded for one row only, whatever a crash leaves in flight."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from sqlmodel import Session, select

from donor_registry.db import session_scope
from donor_registry.emergency import reply_links
from donor_registry.emergency.tokens import REPLY_TOKEN_PLACEHOLDER, mask_reply_links, token_hash
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from tests.fakes.twilio_server import FakeTwilio
from tests.support.sms import SID, TOKEN, FakeClock, dispatcher, sms_settings

SHARED_PHONE = "+84912000001"
LAN = "Moi Lan hien mau ngay 12/6 tai Nha van hoa Ben Nghe"


@pytest.fixture(scope="module")
def fake():
    with FakeTwilio(SID, TOKEN) as server:
        yield server
    assert server.violations == []


def queue(engine, now, texts: list[tuple[str, str]]) -> list[int]:
    """Queue the texts; one with the token placeholder gets a reply link issued at send."""
    with session_scope(engine) as session:
        return [
            enqueue(session=session, now=now, donor_id=None, to=to, kind="invitation", body=body,
                    idempotency_key=f"k{n}",
                    link_token_hash=token_hash(f"t{n}") if REPLY_TOKEN_PLACEHOLDER in body else None,
                    ).id
            for n, (to, body) in enumerate(texts)
        ]


def rows(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def assert_exactly_once(engine, fake) -> None:
    """Every row sent; per (To, Body) as many provider messages as rows; no SID on two rows;
    a reply link at the provider carries the token whose hash its row keeps."""
    outbox = rows(engine)
    assert [m.status for m in outbox] == [OutboxStatus.sent] * len(outbox)
    assert Counter((m["To"], mask_reply_links(m["Body"])) for m in fake.messages) == Counter(
        (m.to_phone, m.body.replace(REPLY_TOKEN_PLACEHOLDER, "…")) for m in outbox)
    assert sorted(m.provider_id for m in outbox) == sorted(m["sid"] for m in fake.messages)
    body_of = {m["sid"]: m["Body"] for m in fake.messages}
    for message in outbox:
        if message.link_token_hash is not None:
            assert reply_links.matcher(message.body, message.link_token_hash)(
                body_of[message.provider_id])


def test_two_identical_texts_in_flight_at_a_crash_both_arrive(engine, now, fake):
    """The state a crash left before the fix: both rows 'sending', only one reached Twilio."""
    fake.forget_messages()
    first, second = queue(engine, now, [(SHARED_PHONE, LAN), (SHARED_PHONE, LAN)])
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    d.gateway.send(to=SHARED_PHONE, body=LAN)  # the first went out, then the process died
    with session_scope(engine) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([first, second])).values(
            status=OutboxStatus.sending, attempts=1, claim_token="dead", next_attempt_at=now))
    clock.advance(31)
    report = d.run_once()
    assert (report.recovered, report.sent) == (1, 1)
    assert len(fake.messages) == 2
    assert_exactly_once(engine, fake)


def test_identical_texts_are_never_in_flight_together(engine, now, fake):
    fake.forget_messages()
    queue(engine, now, [(SHARED_PHONE, LAN), (SHARED_PHONE, LAN), (SHARED_PHONE, "other"),
                        ("+84912000002", LAN)])
    d1 = dispatcher(engine, fake, FakeClock(now))
    d2 = dispatcher(engine, fake, FakeClock(now))  # a second process (serve + sms dispatch)
    first = d1.claim()
    assert sorted((c.to_phone, c.body) for c in first) == [
        (SHARED_PHONE, LAN), (SHARED_PHONE, "other"), ("+84912000002", LAN)]
    assert d2.claim() == []  # the other Lan waits until her sister's message is settled


def test_a_crash_after_one_of_two_identical_texts_went_loses_neither(engine, now, fake):
    fake.forget_messages()
    queue(engine, now, [(SHARED_PHONE, LAN), (SHARED_PHONE, LAN)])
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    (claimed,) = d.claim()
    d.gateway.send(to=claimed.to_phone, body=claimed.body)  # sent, then killed before recording
    assert d.run_once().sent == 0  # the sister's waits while her twin's fate is unknown
    clock.advance(31)
    report = d.run_once()
    assert (report.recovered, report.sent) == (1, 1)
    assert_exactly_once(engine, fake)


# -- the invariant as a property ---------------------------------------------------------------

CALL = f"Khan cap: can mau O+. Tra loi: https://hienmau.example.vn/r/{REPLY_TOKEN_PLACEHOLDER}"
TEXTS = [(SHARED_PHONE, LAN), (SHARED_PHONE, "Cam on Lan"), ("+84912000002", LAN),
         (SHARED_PHONE, CALL)]


@st.composite
def crash_stories(draw):
    """Queued texts drawn from a few (To, Body) pairs, then runs that each die after k sends."""
    texts = draw(st.lists(st.sampled_from(TEXTS), min_size=2, max_size=8))
    kills = draw(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=4))
    return texts, kills


@settings(derandomize=True, max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story=crash_stories())
def test_any_sequence_of_kills_sends_each_row_exactly_once(engine, now, fake, story):
    texts, kills = story
    fake.forget_messages()
    with session_scope(engine) as session:
        session.execute(delete(OutboxMessage))
    queue(engine, now, texts)
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    for sends_before_death in kills:
        # A run that claims a batch, handles the first k claimed messages the way `process`
        # would (look-up or send) and dies before writing any result.
        for item in d.claim()[:sends_before_death]:
            d.process(item)
        clock.advance(31)
    d.run_once()
    assert_exactly_once(engine, fake)


def test_a_failed_look_up_keeps_the_message_uncertain(engine, now, fake):
    """Twilio answers the look-up with 500: the row may still be at Twilio, so it is asked
    again later, never resent blindly."""
    fake.forget_messages()
    queue(engine, now, [(SHARED_PHONE, LAN)])
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    (claimed,) = d.claim()
    d.gateway.send(to=claimed.to_phone, body=claimed.body)  # went out; the process died
    clock.advance(31)
    fake.fail_lookups(1, status=500)
    assert d.run_once().retried == 1
    assert rows(engine)[0].status == OutboxStatus.sending
    clock.advance(31)
    assert d.run_once().recovered == 1
    assert len(fake.messages) == 1
    assert_exactly_once(engine, fake)


def test_dispatchers_claiming_at_the_same_moment_never_share_a_text(engine, now, fake):
    """Two processes (serve and `sms dispatch`) claim at once, many times: PostgreSQL claims
    take turns (advisory lock), SQLite's BEGIN IMMEDIATE serialises them."""
    fake.forget_messages()
    for round_ in range(15):
        with session_scope(engine) as session:
            session.execute(delete(OutboxMessage))
        queue(engine, now, [(SHARED_PHONE, f"{LAN} {round_}")] * 2)
        # One row a claim: each locks its own twin, so row locks alone would not keep them apart.
        dispatchers = [dispatcher(engine, fake, FakeClock(now), sms_settings(batch_size=1))
                       for _ in range(2)]
        start = threading.Barrier(2)

        def claim(d, start=start):
            start.wait()
            return d.claim()

        with ThreadPoolExecutor(2) as pool:
            claimed = [c for batch in pool.map(claim, dispatchers) for c in batch]
        assert len(claimed) == 1, round_
