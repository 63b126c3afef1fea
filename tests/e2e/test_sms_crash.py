"""Crash test: a dispatcher process is SIGKILLed mid-send several times and restarted.

The rule under test (README): a message claimed but not recorded stays 'sending' until its
lease ends; it is then looked up at the provider (To + Body, sids of other rows excluded)
and only resent if the provider does not have it; two rows with the same To and Body are
never in flight together; a reply link's token is issued at send and a copy at Twilio is
recognised by its hash. So every row reaches Twilio exactly once and each SID belongs to
one row, with families sharing a phone whose members get identical texts, on SQLite and
PostgreSQL, whether the dispatcher is `sms dispatch --once`, its loop, or `serve`.
"""

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from donor_registry.db import make_engine, session_scope
from donor_registry.emergency import reply_links
from donor_registry.emergency.tokens import REPLY_TOKEN_PLACEHOLDER, mask_reply_links, token_hash
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from tests.fakes.twilio_server import FakeTwilio
from tests.support.sms import SENDER, SID, TOKEN

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 0.5
#: A family of four shares one phone; both daughters are called Lan and get the same text,
#: and the parents the same emergency call with a reply link (its token issued at send).
FAMILY = ("Lan", "Lan", "Hoa", "Hoa")
CALL = f"Khan cap: can mau O+. Tra loi: https://hienmau.example.vn/r/{REPLY_TOKEN_PLACEHOLDER}"

COMMANDS = {
    "once": ["sms", "dispatch", "--once", "--json"],
    "loop": ["sms", "dispatch", "--every", "0.1"],
    "serve": ["serve", "--port", "0"],
}


def queue_family_texts(engine, now: dt.datetime, count: int) -> None:
    with session_scope(engine) as session:
        for n in range(count):
            name = FAMILY[n % len(FAMILY)]
            call = name == "Hoa"
            enqueue(
                session=session, now=now, donor_id=None, to=f"+849120{n // len(FAMILY):05d}",
                kind="emergency_call" if call else "invitation", idempotency_key=f"crash:{n}",
                body=CALL if call else f"Moi {name} hien mau ngay 12/6 tai Nha van hoa Ben Nghe",
                link_token_hash=token_hash(f"first-{n}") if call else None,
            )


def _env(db_url: str, fake: FakeTwilio) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DONOR_REGISTRY_", "TWILIO_"))}
    env.update({
        "DONOR_REGISTRY_DATABASE__URL": db_url,
        "DONOR_REGISTRY_SMS__GATEWAY": "twilio",
        "DONOR_REGISTRY_SMS__SENDER": SENDER,
        "DONOR_REGISTRY_SMS__TWILIO_BASE_URL": fake.base_url,
        "DONOR_REGISTRY_SMS__PUBLIC_BASE_URL": "https://hienmau.example.vn",
        "DONOR_REGISTRY_SMS__RATE_PER_SECOND": "0",
        "DONOR_REGISTRY_SMS__LEASE_SECONDS": str(LEASE_SECONDS),
        "DONOR_REGISTRY_SMS__DISPATCH_EVERY_SECONDS": "0.2",
        "DONOR_REGISTRY_SMS__QUIET_HOURS_START": "00:00",
        "DONOR_REGISTRY_SMS__QUIET_HOURS_END": "00:00",
        "DONOR_REGISTRY_SMS__BATCH_SIZE": "100",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PYTHONPATH": str(ROOT),
    })
    return env


def _start(mode: str, env, cwd: Path) -> subprocess.Popen:
    log = open(cwd / f"{mode}.log", "ab")  # noqa: SIM115 - closed with the process below
    return subprocess.Popen([sys.executable, "-m", "donor_registry", *COMMANDS[mode]],
                            env=env, cwd=cwd, stdout=log, stderr=log)



def _kill_repeatedly(fake, mode: str, env: dict, tmp_path, *, messages: int, kills: int, rng) -> int:
    """Start a dispatcher `kills` times and SIGKILL each one mid-send; how many were killed."""
    killed = 0
    for _ in range(kills):
        process = _start(mode, env, tmp_path)
        if _wait_for_progress(fake, process, len(fake.messages), messages):
            time.sleep(rng.uniform(0.0, 0.3))  # a random point in the middle of sending
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed += 1
        _stop(process, signal.SIGKILL)
    return killed

def _wait_for_progress(fake: FakeTwilio, process: subprocess.Popen, seen: int, total: int) -> bool:
    """Until the fake got a new message (True), or the process ended or all went (False)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(fake.messages) > seen:
            return True
        if process.poll() is not None or len(fake.messages) >= total:
            return False
        time.sleep(0.01)
    raise AssertionError("the dispatcher made no progress")


def _unsettled(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status != OutboxStatus.sent)).one()


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    process.wait(timeout=30)


def _finish(mode: str, env, cwd: Path, engine) -> None:
    """One last dispatcher after the killed claims' leases end: everything must settle."""
    time.sleep(LEASE_SECONDS + 0.1)
    process = _start(mode, env, cwd)
    if mode == "once":
        assert process.wait(timeout=60) == 0, (cwd / "once.log").read_text()
        return
    deadline = time.monotonic() + 30
    while _unsettled(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    _stop(process)


CASES = [  # (backend, how the dispatcher runs, messages, kills)
    pytest.param("sqlite", "once", 600, 4, id="sqlite-once"),
    pytest.param("postgresql", "once", 400, 3, id="postgresql-once"),
    pytest.param("postgresql", "loop", 400, 3, id="postgresql-loop"),
    pytest.param("sqlite", "serve", 400, 3, id="sqlite-serve"),
]


@pytest.mark.slow
@pytest.mark.parametrize("backend, mode, messages, kills", CASES)
def test_killed_dispatchers_send_every_row_exactly_once(
    request, tmp_path, backend, mode, messages, kills
):
    db_url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_db_url")
    engine = make_engine(db_url)
    queue_family_texts(engine, dt.datetime.now(dt.UTC), messages)
    rng = random.Random(20260601)
    with FakeTwilio(SID, TOKEN) as fake:
        env = _env(db_url, fake)
        killed = _kill_repeatedly(fake, mode, env, tmp_path, messages=messages, kills=kills, rng=rng)
        _finish(mode, env, tmp_path, engine)
        accepted = list(fake.messages)
        lookups = sum(1 for method, _, _ in fake.requests if method == "GET")
        assert fake.violations == []

    with Session(engine) as session:
        outbox = session.exec(select(OutboxMessage)).all()
    engine.dispose()
    sent = Counter((m["To"], mask_reply_links(m["Body"])) for m in accepted)
    wanted = Counter((m.to_phone, m.body.replace(REPLY_TOKEN_PLACEHOLDER, "…")) for m in outbox)
    duplicates, lost = (sent - wanted).total(), (wanted - sent).total()
    print(f"\n{backend}/{mode}: {messages} messages, {killed} kills, {lookups} look-ups, "
          f"{duplicates} duplicates, {lost} lost")
    assert killed >= 2 and lookups > 0  # some messages were in flight at a kill
    assert len(outbox) == messages
    assert [m.idempotency_key for m in outbox if m.status != OutboxStatus.sent] == []
    assert (duplicates, lost) == (0, 0)
    assert sorted(m.provider_id for m in outbox) == sorted(m["sid"] for m in accepted)
    body_of = {m["sid"]: m["Body"] for m in accepted}
    dead = [m.idempotency_key for m in outbox if m.link_token_hash is not None
            and not reply_links.matcher(m.body, m.link_token_hash)(body_of[m.provider_id])]
    assert dead == []  # each call's link carries the token its row (and call-out) knows


def _esms_env(db_url: str, fake) -> dict[str, str]:
    env = {k: v for k, v in _env(db_url, fake).items() if not k.startswith("TWILIO_")}
    env.pop("DONOR_REGISTRY_SMS__TWILIO_BASE_URL", None)
    env.update({
        "DONOR_REGISTRY_SMS__GATEWAY": "esms",
        "DONOR_REGISTRY_SMS__ESMS__BASE_URL": fake.base_url,
        "ESMS_API_KEY": fake.api_key, "ESMS_SECRET_KEY": fake.secret_key,
        "ESMS_CALLBACK_TOKEN": "crash-test-callback-token-0123456789",
    })
    return env


@pytest.mark.slow
@pytest.mark.parametrize("backend, messages, kills", [
    pytest.param("sqlite", 400, 3, id="sqlite-once"),
    pytest.param("postgresql", 300, 3, id="postgresql-once"),
])
def test_killed_dispatchers_send_every_row_exactly_once_through_esms(
    request, tmp_path, backend, messages, kills
):
    """Against the eSMS fake: a row in flight at a kill is sent again with the same
    RequestId, answered 124 if it went (reply-link rows are looked up first)."""
    from tests.fakes.esms_server import FakeEsms

    db_url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_db_url")
    engine = make_engine(db_url)
    queue_family_texts(engine, dt.datetime.now(dt.UTC), messages)
    rng = random.Random(20260602)
    with FakeEsms() as fake:
        env = _esms_env(db_url, fake)
        killed = _kill_repeatedly(fake, "once", env, tmp_path, messages=messages, kills=kills, rng=rng)
        _finish("once", env, tmp_path, engine)
        accepted = list(fake.messages)
        duplicates_answered = sum(1 for _, _, code in fake.requests if code == "124")
        assert fake.violations == [], sorted(set(fake.violations))

    with Session(engine) as session:
        outbox = session.exec(select(OutboxMessage)).all()
    engine.dispose()
    sent = Counter(("+84" + m["phone"][1:], mask_reply_links(m["content"])) for m in accepted)
    wanted = Counter((m.to_phone, m.body.replace(REPLY_TOKEN_PLACEHOLDER, "…")) for m in outbox)
    duplicates, lost = (sent - wanted).total(), (wanted - sent).total()
    print(f"\nesms {backend}: {messages} messages, {killed} kills, {duplicates_answered} answered 124, "
          f"{duplicates} duplicates, {lost} lost")
    assert killed >= 2
    assert [m.idempotency_key for m in outbox if m.status != OutboxStatus.sent] == []
    assert (duplicates, lost) == (0, 0)
    assert len({m["request_id"] for m in accepted}) == len(accepted) == messages
