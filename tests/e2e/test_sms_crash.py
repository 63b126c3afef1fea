"""Crash test: a dispatcher process is SIGKILLed mid-send several times and restarted.

The rule under test (README): a message claimed but not recorded stays 'sending' until its
lease ends; it is then looked up at the provider (To + Body, sids of other rows excluded)
and only resent if the provider does not have it. So every key reaches Twilio exactly once.
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
from sqlmodel import Session, select

from donor_registry.db import make_engine
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from tests.fakes.twilio_server import FakeTwilio
from tests.support.sms import SENDER, SID, TOKEN, queue_messages

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 1000
KILLS = 5
LEASE_SECONDS = 0.5


def _env(sqlite_url: str, fake: FakeTwilio) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DONOR_REGISTRY_", "TWILIO_"))}
    env.update({
        "DONOR_REGISTRY_DATABASE__URL": sqlite_url,
        "DONOR_REGISTRY_SMS__GATEWAY": "twilio",
        "DONOR_REGISTRY_SMS__SENDER": SENDER,
        "DONOR_REGISTRY_SMS__TWILIO_BASE_URL": fake.base_url,
        "DONOR_REGISTRY_SMS__PUBLIC_BASE_URL": "https://hienmau.example.vn",
        "DONOR_REGISTRY_SMS__RATE_PER_SECOND": "0",
        "DONOR_REGISTRY_SMS__LEASE_SECONDS": str(LEASE_SECONDS),
        "DONOR_REGISTRY_SMS__QUIET_HOURS_START": "00:00",
        "DONOR_REGISTRY_SMS__QUIET_HOURS_END": "00:00",
        "DONOR_REGISTRY_SMS__BATCH_SIZE": "100",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PYTHONPATH": str(ROOT),
    })
    return env


def _start(env, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "donor_registry", "sms", "dispatch", "--once", "--json"],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _wait_for_progress(fake: FakeTwilio, process: subprocess.Popen, seen: int) -> bool:
    """Until the fake got a new message (True) or the process ended (False); 20 s at most."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(fake.messages) > seen:
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.01)
    raise AssertionError("the dispatcher made no progress")


@pytest.mark.slow
def test_killed_dispatchers_send_every_key_exactly_once(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    queue_messages(engine, dt.datetime.now(dt.UTC), MESSAGES)
    rng = random.Random(20260601)
    kills = 0
    with FakeTwilio(SID, TOKEN) as fake:
        env = _env(sqlite_url, fake)
        for _ in range(KILLS):
            process = _start(env, tmp_path)
            if _wait_for_progress(fake, process, len(fake.messages)):
                time.sleep(rng.uniform(0.0, 0.4))
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    kills += 1
            process.communicate(timeout=30)
        time.sleep(LEASE_SECONDS + 0.1)  # the killed claims' leases end
        final = subprocess.run(
            [sys.executable, "-m", "donor_registry", "sms", "dispatch", "--once", "--json"],
            check=False, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        assert final.returncode == 0, final.stderr
        accepted = Counter(m["Body"] for m in fake.messages)
        sid_of = {m["Body"]: m["sid"] for m in fake.messages}
        lookups = sum(1 for method, _, _ in fake.requests if method == "GET")
        assert fake.violations == []

    assert kills >= 3
    assert lookups > 0  # some messages were in flight at a kill and were looked up
    with Session(engine) as session:
        messages = session.exec(select(OutboxMessage)).all()
    engine.dispose()
    assert len(messages) == MESSAGES
    for message in messages:
        assert message.status == OutboxStatus.sent, (message.idempotency_key, message.status)
        assert accepted[message.body] == 1, message.idempotency_key
        assert message.provider_id == sid_of[message.body]
    assert len(fake.messages) == MESSAGES
