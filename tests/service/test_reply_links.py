"""Reply tokens never kept in clear: the outbox holds the call's text with the token hidden, the
dispatcher issues a fresh token when it sends, the provider gets a working link, and a crash
look-up still finds the provider's copy (by its token's hash), so each call goes exactly once."""

import io
import re

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.emergency import answers
from donor_registry.emergency.models import CallOut
from donor_registry.emergency.tokens import REPLY_TOKEN_PLACEHOLDER, token_hash
from donor_registry.sms.dispatcher import Dispatcher
from donor_registry.sms.gateway import ConsoleGateway
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from tests.fakes.twilio_server import FakeTwilio
from tests.service import emergency_support as make
from tests.support.sms import SID, TOKEN, FakeClock, dispatcher, sms_settings

LINK = re.compile(r"https://hienmau\.example\.vn/r/([A-Za-z0-9_-]{22})")
SHARED = {"phone_e164": "0912000001"}


@pytest.fixture
def fake():
    with FakeTwilio(SID, TOKEN) as server:
        yield server
    assert server.violations == []


@pytest.fixture
def cfg(db_url) -> Settings:
    return Settings(database={"url": db_url},
                    sms={"gateway": "twilio", "public_base_url": "https://hienmau.example.vn"})


def two_sisters_called(engine, now, cfg) -> None:
    """Two daughters called Lan who share their mother's phone; a request asks one donor a
    phone, so two requests of the hospital ask one each, with the very same text."""
    with session_scope(engine) as session:
        hospital, _ = make.hospital(session, now)
        for _ in range(2):
            make.donor(session, now, "O+", name="Trần Thị Lan", **SHARED)
        for _ in range(2):
            make.request(session, now, cfg, hospital.id, "O+", units=1)


def outbox(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def tokens_sent(fake) -> list[str]:
    return [t for m in fake.messages for t in LINK.findall(m["Body"])]


def assert_links_work(engine, now, cfg, fake) -> None:
    """Each call went once; the link in each provider copy opens its own donor's call-out."""
    calls = outbox(engine)
    sent = tokens_sent(fake)
    assert len(sent) == len(calls) == len(fake.messages) and len(set(sent)) == len(sent)
    assert sorted(m.provider_id for m in calls) == sorted(m["sid"] for m in fake.messages)
    with Session(engine) as session:
        owners = {answers.callout_for_token(session=session, token=t, now=now).donor_id for t in sent}
    assert owners == {m.donor_id for m in calls}
    for message in calls:
        assert message.status == OutboxStatus.sent
        assert REPLY_TOKEN_PLACEHOLDER in message.body and not LINK.search(message.body)
        token = LINK.search(next(m["Body"] for m in fake.messages if m["sid"] == message.provider_id))[1]
        assert token_hash(token) == message.link_token_hash


def test_the_outbox_keeps_the_text_without_its_token_and_twilio_gets_a_working_link(
        engine, now, cfg, fake):
    two_sisters_called(engine, now, cfg)
    before = outbox(engine)
    assert len(before) == 2 and before[0].body == before[1].body  # the very same text
    assert f"https://hienmau.example.vn/r/{REPLY_TOKEN_PLACEHOLDER}" in before[0].body
    with Session(engine) as session:
        stored = set(session.exec(select(CallOut.reply_token_hash)))
    assert {m.link_token_hash for m in before} == stored
    assert dispatcher(engine, fake, FakeClock(now), sms_settings()).run_once().sent == 2
    assert_links_work(engine, now, cfg, fake)


def test_a_crash_after_sending_is_recognised_by_the_token_hash(engine, now, cfg, fake):
    two_sisters_called(engine, now, cfg)
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    (claimed,) = d.claim()  # the sister's twin text waits
    d.gateway.send(to=claimed.to_phone, body=claimed.body)  # went out; the process died
    clock.advance(31)
    report = d.run_once()
    assert (report.recovered, report.sent) == (1, 1)
    assert_links_work(engine, now, cfg, fake)


def test_a_crash_before_sending_issues_a_new_token_and_sends_once(engine, now, cfg, fake):
    two_sisters_called(engine, now, cfg)
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    (claimed,) = d.claim()  # died before the request went out: this token never reached anyone
    lost_token = LINK.search(claimed.body)[1]
    clock.advance(31)
    report = d.run_once()
    assert (report.recovered, report.sent) == (0, 2)
    assert lost_token not in tokens_sent(fake)
    assert_links_work(engine, now, cfg, fake)


def test_a_call_left_in_flight_by_an_older_dispatcher_is_not_sent_twice(engine, now, cfg, fake):
    """Both twins 'sending' and one already at Twilio: the hash tells which one it is."""
    two_sisters_called(engine, now, cfg)
    clock = FakeClock(now)
    d = dispatcher(engine, fake, clock, sms_settings(lease_seconds=30))
    first = d.claim()[0]
    d.gateway.send(to=first.to_phone, body=first.body)
    with session_scope(engine) as session:
        session.execute(update(OutboxMessage).values(status=OutboxStatus.sending,
                                                     next_attempt_at=now, claim_token="dead"))
    clock.advance(31)
    d.run_once()
    assert_links_work(engine, now, cfg, fake)


def test_the_console_prints_the_link_with_its_token_hidden(engine, now, cfg):
    two_sisters_called(engine, now, cfg)
    out = io.StringIO()
    d = Dispatcher(engine=engine, settings=sms_settings(gateway="console"),
                   gateway=ConsoleGateway(stream=out), clock=FakeClock(now))
    assert d.run_once().sent == 2
    printed = out.getvalue()
    assert "https://hienmau.example.vn/r/…" in printed and not LINK.search(printed)
    assert all(LINK.search(m["body"]) for m in d.gateway.sent)  # the SMS itself has the link
