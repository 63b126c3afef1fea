"""Helpers for the SMS tests: donors who may be texted, queued messages, a dispatcher on FakeTwilio."""

import datetime as dt

from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.sms.dispatcher import Dispatcher
from donor_registry.sms.gateway import TwilioGateway
from donor_registry.sms.outbox import enqueue
from donor_registry.sms.rules import TokenBucket
from donor_registry.sms.settings import SmsSettings
from donor_registry.text import fold

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "fake-auth-token-0123456789"
SENDER = "HIENMAU"


def make_donor(session, now, n: int, **overrides) -> Donor:
    """A donor who may be texted (consent, SMS-able phone), with phone +8491200NNNN."""
    values = {
        "full_name": f"Nguyễn Văn Số{n}", "name_folded": fold(f"Nguyễn Văn Số{n}"),
        "phone_e164": f"+849120{n:05d}", "phone_sms_capable": True, "consent_at": now,
        "commune": "Bến Nghé", "commune_key": "ben nghe", "district": "Quận 1", "district_key": "quan 1",
        "province": "TP Hồ Chí Minh", "province_key": "tp ho chi minh", "birth_year": 1990,
        "created_at": now, "updated_at": now,
    }
    values.update(overrides)
    donor = Donor(**values)
    session.add(donor)
    session.flush()
    return donor


def queue_messages(engine, now, count: int, *, kind: str = "invitation", urgent: bool = False,
                   with_donors: bool = True) -> list[int]:
    """`count` queued messages (each with a unique body naming its key); their ids."""
    ids = []
    with session_scope(engine) as session:
        for n in range(count):
            donor = make_donor(session, now, n) if with_donors else None
            key = f"test:{kind}:{n}"
            message = enqueue(
                session=session, now=now, donor_id=donor.id if donor else None,
                to=donor.phone_e164 if donor else f"+849130{n:05d}", kind=kind,
                body=f"Tin nhan thu {n} ({key})", idempotency_key=key, urgent=urgent,
            )
            ids.append(message.id)
    return ids


class FakeClock:
    """A UTC clock and a monotonic clock that only move when told (or when slept on)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self.monotonic = 0.0
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)
        self.monotonic += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


def sms_settings(**overrides) -> SmsSettings:
    values = {"gateway": "twilio", "sender": SENDER, "rate_per_second": 0, "quiet_hours_start": "00:00",
                  "quiet_hours_end": "00:00", "backoff_base_seconds": 1, "backoff_cap_seconds": 8,
                  "lease_seconds": 60, "public_base_url": "https://hienmau.example.vn"}
    values.update(overrides)
    return SmsSettings(**values)


def dispatcher(engine, fake, clock: FakeClock, settings: SmsSettings | None = None,
               timeout: float = 5.0) -> Dispatcher:
    settings = settings or sms_settings()
    gateway = TwilioGateway(SID, TOKEN, from_=SENDER, base_url=fake.base_url, timeout=timeout)
    limiter = TokenBucket(settings.rate_per_second, clock=lambda: clock.monotonic, sleep=clock.sleep)
    return Dispatcher(engine=engine, settings=settings, gateway=gateway, clock=clock, limiter=limiter)
