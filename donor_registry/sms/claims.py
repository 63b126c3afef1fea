"""What a claim holds, and which due rows it may take.

The crash look-up matches a provider's message to a row by To and Body, so two rows with the
same To and Body (two sisters sharing a phone get the same invitation) are never in flight at
once: each look-up then has a single candidate, and no SID is recorded for two rows.
"""

import datetime as dt
import threading
from dataclasses import dataclass, field

from sqlalchemy import exists
from sqlalchemy.orm import aliased

from donor_registry.sms.gateway import SmsSendError
from donor_registry.sms.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Claimed:
    id: int
    donor_id: int | None
    to_phone: str
    body: str
    kind: str
    urgent: bool
    attempts: int  # including this one
    created_at: dt.datetime
    in_flight: bool  # was 'sending' when claimed: an earlier try may have reached the provider
    token: str
    stored_body: str = ""  # the outbox's text: `body` with its reply token hidden
    link_hash: str | None = None  # the body's reply token's hash (issued now, or by the try in flight)
    idempotency_key: str = ""  # the provider's RequestId comes from it (esms)
    channel: str = "sms"  # esms: "sms" or "zns_sms" (sms/channels.py)


def twin_in_flight(now: dt.datetime):
    """Another row with the same To and Body is 'sending' and its lease (or wait) has not ended."""
    twin = aliased(OutboxMessage)
    return exists().where(
        twin.to_phone == OutboxMessage.to_phone,
        twin.body == OutboxMessage.body,
        twin.status == OutboxStatus.sending,
        twin.next_attempt_at > now,
        twin.id != OutboxMessage.id,
    )


def first_of_each_text(rows) -> list[OutboxMessage]:
    """The rows in order, keeping only the first of each (To, Body)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for row in rows:
        if (row.to_phone, row.body) not in seen:
            seen.add((row.to_phone, row.body))
            kept.append(row)
    return kept


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed message; written to the outbox by Dispatcher.record."""

    item: Claimed
    result: str  # sent | recovered | retried | failed | deferred | stopped | released | reissue
    at: dt.datetime
    provider_id: str | None = None
    requeue_at: dt.datetime | None = None
    keep_sending: bool = False  # the provider may have it: look it up before resending
    error: SmsSendError | None = None
    reason: str | None = None
    channel: str | None = None  # the channel it went by, if it went


@dataclass
class DispatchReport:
    sent: int = 0
    recovered: int = 0  # found already accepted by the provider after a lost answer
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0  # quiet hours began while the batch was going out
    errors: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, outcome: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + n)

    def note_error(self, message: str) -> None:
        with self._lock:
            self.errors[message] = self.errors.get(message, 0) + 1

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
