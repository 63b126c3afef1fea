"""The dispatcher: claims due outbox rows, sends them at a steady pace, records each result.

Three short transactions per batch keep the database free while the network is slow:
claim (rows → 'sending' with a claim token and a lease), send (no transaction open), and one
result per message. A message whose fate is unknown — the process died mid-send, or the
request got no answer — stays 'sending' until its lease ends; it is then looked up at the
provider (`find_sent`: To + Body, sids of other rows excluded) and only resent if not found;
two rows with the same To and Body are never in flight at once (claims.py), so the look-up
is never ambiguous.
"""

import datetime as dt
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, and_, not_, or_, text, update
from sqlmodel import Session, select

from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.emergency import reply_links
from donor_registry.errors import UserError
from donor_registry.phones import mask_phones_in
from donor_registry.sms.audience import contactable_clause
from donor_registry.sms.channels import channels_of
from donor_registry.sms.claims import (
    Claimed,
    DispatchReport,
    Outcome,
    first_of_each_text,
    twin_in_flight,
    utc_now,
)
from donor_registry.sms.gateway import SmsGateway, SmsSendError
from donor_registry.sms.inbound import set_opted_out
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.registrations import cost_vnd
from donor_registry.sms.rules import TokenBucket, backoff_seconds, quiet_until
from donor_registry.sms.settings import SmsSettings, parse_hh_mm
from donor_registry.sms.stops import stop_message, tell_coordinators

#: Errors that mean every message would fail the same way: stop and leave the rest queued.
#: 20003 authentication, 21212 invalid From, 21606 From cannot send, 21603 no From.
CONFIG_ERROR_CODES = frozenset({20003, 21212, 21603, 21606})
#: Look-ups for lost answers search this far before the row was created.
LOOKUP_MARGIN = dt.timedelta(hours=1)
#: PostgreSQL advisory lock that makes claims take turns ("SMS" in ASCII).
CLAIM_LOCK_KEY = 0x534D53
#: Outcomes written per transaction.
RECORD_EVERY = 50


class DispatchStopped(UserError):
    """The provider refused the account or the sender: nothing more can go until it is fixed."""


class Dispatcher:
    """Drains the outbox through one gateway; `run_once` sends everything that is due."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: SmsSettings,
        gateway: SmsGateway,
        timezone: str = "Asia/Ho_Chi_Minh",
        clock: Callable[[], dt.datetime] = utc_now,
        limiter: TokenBucket | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.gateway = gateway
        self.timezone = timezone
        self.clock = clock
        self.limiter = limiter or TokenBucket(settings.rate_per_second)
        self.quiet_start = parse_hh_mm(settings.quiet_hours_start)
        self.quiet_end = parse_hh_mm(settings.quiet_hours_end)
        self.lease = dt.timedelta(seconds=settings.lease_seconds)

    # -- the loop ---------------------------------------------------------------------------

    def run_once(self, *, max_batches: int | None = None, progress=None) -> DispatchReport:
        """Claim and send batches until nothing is due (or max_batches). Raises DispatchStopped."""
        report = DispatchReport()
        batches = 0
        with ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="sms") as pool:
            while max_batches is None or batches < max_batches:
                batch = self.claim(report)
                if not batch:
                    break
                batches += 1
                self._send_batch(pool, batch, report, progress)
        return report

    def _send_batch(self, pool, batch: list[Claimed], report: DispatchReport, progress) -> None:
        """Send a batch on the pool's threads; results are written from this thread in groups.

        Writing a group at a time keeps SQLite's single writer off the senders' path; a crash
        before a group is written leaves those rows 'sending', and the look-up resolves them.
        """
        stop = threading.Event()

        def work(item: Claimed) -> Outcome:
            if stop.is_set():
                return Outcome(item, "released", self.clock())
            outcome = self.process(item)
            if outcome.result == "stopped":
                stop.set()
            return outcome

        pending: list[Outcome] = []
        for outcome in pool.map(work, batch):
            pending.append(outcome)
            if len(pending) >= RECORD_EVERY:
                self.record(pending, report)
                pending = []
            if progress is not None:
                progress(1)
        self.record(pending, report)
        stopped = next((o for o in pending if o.result == "stopped"), None)
        if stop.is_set():
            error = stopped.error if stopped else None
            if error is not None and error.out_of_balance:
                tell_coordinators(engine=self.engine, now=self.clock(), error=error)
            raise DispatchStopped(stop_message(error))

    def batch_size(self) -> int:
        """No more than half a lease's worth at the configured rate, so no claim outlives it."""
        rate = self.settings.rate_per_second
        if rate == 0:
            return self.settings.batch_size
        return max(1, min(self.settings.batch_size, int(rate * self.settings.lease_seconds / 2)))

    def is_urgent(self, *, urgent: bool, kind: str) -> bool:
        return urgent or kind in self.settings.urgent_kinds

    def quiet_until(self, now: dt.datetime) -> dt.datetime | None:
        return quiet_until(now, start=self.quiet_start, end=self.quiet_end, tz=self.timezone)

    # -- claim ------------------------------------------------------------------------------

    def claim(self, report: DispatchReport | None = None) -> list[Claimed]:
        """Mark up to one batch of due rows 'sending' under a new claim token, and commit.

        Never two rows with the same To and Body in flight at once (two sisters sharing a
        phone get the same invitation): the provider look-up after a crash matches by To and
        Body, so it can only tell such rows apart one at a time. A row whose twin is being
        sent (or waits out its lease) stays queued; only the first twin of a batch is taken.
        """
        now = self.clock()
        token = secrets.token_hex(8)
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status.in_([OutboxStatus.queued, OutboxStatus.sending]),
                OutboxMessage.next_attempt_at <= now,
                not_(twin_in_flight(now)),
            )
            .order_by(OutboxMessage.urgent.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(self.batch_size())
        )
        if self.quiet_until(now) is not None:
            query = query.where(
                or_(OutboxMessage.urgent.is_(True), OutboxMessage.kind.in_(self.settings.urgent_kinds))
            )
        with session_scope(self.engine) as session:
            if session.get_bind().dialect.name == "postgresql":
                # Claims by several processes take turns (SQLite's BEGIN IMMEDIATE does the
                # same), so each sees the twins the other just claimed.
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
                query = query.with_for_update(skip_locked=True, of=OutboxMessage)
            rows = first_of_each_text(session.exec(query))
            if not rows:
                return []
            gone = self._cancel_uncontactable(session, rows, now)
            if report is not None and gone:
                report.count("cancelled", len(gone))
            channels = self._channels(session, rows)
            claimed = [self._claimed(session, row, token, channels.get(row.donor_id, "sms"))
                       for row in rows if row.id not in gone]
            if claimed:
                session.connection().execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([c.id for c in claimed]))
                    .values(
                        status=OutboxStatus.sending, claim_token=token, claimed_at=now,
                        attempts=OutboxMessage.attempts + 1, next_attempt_at=now + self.lease,
                        updated_at=now,
                    )
                )
        return claimed

    def _claimed(
        self, session: Session, row: OutboxMessage, token: str, channel: str | None = "sms"
    ) -> Claimed:
        """What a sender needs; a reply link sent afresh gets its token now, in this claim."""
        in_flight = row.status == OutboxStatus.sending
        body, link_hash = row.body, row.link_token_hash
        if link_hash is not None and not in_flight:
            body, link_hash = reply_links.issue(
                session=session, message_id=row.id, stored_body=row.body, old_hash=link_hash
            )
        return Claimed(
            id=row.id, donor_id=row.donor_id, to_phone=row.to_phone, body=body, kind=row.kind,
            urgent=row.urgent, attempts=row.attempts + 1, created_at=row.created_at,
            in_flight=in_flight, token=token, stored_body=row.body, link_hash=link_hash,
            idempotency_key=row.idempotency_key, channel=channel or "sms",
        )

    def _channels(self, session: Session, rows: list[OutboxMessage]) -> dict:
        if not getattr(self.gateway, "takes_request_id", False):
            return {}
        zalo = bool(getattr(self.gateway, "oa_id", ""))
        ids = {r.donor_id for r in rows if r.donor_id is not None}
        return channels_of(session=session, donor_ids=ids, zalo_possible=zalo)

    def _cancel_uncontactable(
        self, session: Session, rows: list[OutboxMessage], now: dt.datetime
    ) -> set[int]:
        """Cancel queued rows whose donor may no longer be texted (opted out since, …)."""
        donor_ids = {r.donor_id for r in rows if r.donor_id is not None}
        if not donor_ids:
            return set()
        blocked = set(
            session.exec(
                select(Donor.id).where(Donor.id.in_(donor_ids), not_(contactable_clause()))
            )
        )
        gone = {r.id for r in rows if r.donor_id in blocked and r.status == OutboxStatus.queued}
        if gone:
            session.connection().execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(gone))
                .values(
                    status=OutboxStatus.cancelled, updated_at=now,
                    error_message="the donor can no longer be texted (consent, opt-out, phone)",
                )
            )
        return gone

    # -- one message ------------------------------------------------------------------------

    def process(self, item: Claimed) -> Outcome:
        """Send one claimed message (or find that it already went); no database writes."""
        now = self.clock()
        if not self.is_urgent(urgent=item.urgent, kind=item.kind):
            resume_at = self.quiet_until(now)
            if resume_at is not None:
                return Outcome(item, "deferred", now, requeue_at=resume_at)
        if item.in_flight and not self._resend_is_safe(item, now):
            try:
                found = self._look_up(item)
            except SmsSendError as exc:  # the question failed: the row is as uncertain as before
                return self._after_error(item, exc, uncertain=True)
            if found is not None:
                return Outcome(item, "recovered", self.clock(), provider_id=found.provider_id)
            if item.link_hash is not None:  # its token is gone: the next claim issues one
                return Outcome(item, "reissue", self.clock())
        try:
            self.limiter.acquire()
            result = self.gateway.send(
                to=item.to_phone, body=item.body, status_callback=self._callback_url(item),
                **self._send_extras(item),
            )
        except SmsSendError as exc:
            return self._after_error(item, exc)
        outcome = "recovered" if result.status == "duplicate" else "sent"
        return Outcome(item, outcome, self.clock(), provider_id=result.provider_id,
                       channel=result.channel or "sms")

    def _resend_is_safe(self, item: Claimed, now: dt.datetime) -> bool:
        """The provider de-duplicates by RequestId and the row is inside its window: a resend
        of a message that already went is answered as a duplicate, so no look-up is needed.
        A reply link's token is issued afresh only after a look-up (its first copy is gone)."""
        window = getattr(self.gateway, "dedup_window", None)
        return window is not None and item.link_hash is None and now - item.created_at < window

    def _send_extras(self, item: Claimed) -> dict:
        if not getattr(self.gateway, "takes_request_id", False):
            return {}
        from donor_registry.sms.esms_gateway import request_id_for

        return {"request_id": request_id_for(item.idempotency_key), "kind": item.kind,
                "channel": item.channel}

    def _look_up(self, item: Claimed):
        with Session(self.engine) as session:
            taken = set(
                session.exec(
                    select(OutboxMessage.provider_id).where(
                        OutboxMessage.to_phone == item.to_phone,
                        OutboxMessage.provider_id.is_not(None),
                        OutboxMessage.id != item.id,
                    )
                )
            )
        matches = None
        if item.link_hash is not None:
            matches = reply_links.matcher(item.stored_body, item.link_hash)
        return self.gateway.find_sent(
            to=item.to_phone, body=item.body, since=item.created_at - LOOKUP_MARGIN, exclude=taken,
            matches=matches,
        )

    def _callback_url(self, item: Claimed) -> str | None:
        base = self.settings.status_callback_url()
        if base and getattr(self.gateway, "takes_request_id", False):
            return f"{base}/{item.id}"  # eSMS appends its own query string
        return f"{base}?outbox_id={item.id}" if base else None

    def _after_error(self, item: Claimed, exc: SmsSendError, *, uncertain: bool = False) -> Outcome:
        now = self.clock()
        if exc.stops_everything or exc.http_status in (401, 403) or (
            exc.action is None and exc.code in CONFIG_ERROR_CODES
        ):
            return Outcome(item, "stopped", now, error=exc)
        if exc.transient and item.attempts < self.settings.max_attempts:
            wait = dt.timedelta(
                seconds=backoff_seconds(
                    item.attempts,
                    base=self.settings.backoff_base_seconds,
                    cap=self.settings.backoff_cap_seconds,
                )
            )
            # No answer at all: the provider may have the message; look it up before resending.
            unknown = exc.http_status is None
            return Outcome(
                item, "retried", now, error=exc, keep_sending=unknown or uncertain,
                requeue_at=now + (max(wait, self.lease) if unknown else wait),
            )
        reason = exc.message if not exc.transient else (
            f"gave up after {item.attempts} tries: {exc.message}"
        )
        return Outcome(item, "failed", now, error=exc, reason=reason)

    # -- results ----------------------------------------------------------------------------

    def record(self, outcomes: list[Outcome], report: DispatchReport) -> None:
        """Write a group of outcomes in one transaction (each only if our claim still holds)."""
        if not outcomes:
            return
        with session_scope(self.engine) as session:
            for outcome in outcomes:
                self._apply(session, outcome)
        for outcome in outcomes:
            if outcome.error is not None:
                report.note_error(mask_phones_in(outcome.error.message))
            if outcome.result not in ("stopped", "released", "reissue"):
                report.count(outcome.result)

    def _apply(self, session: Session, o: Outcome) -> None:
        values: dict = {"claim_token": None, "updated_at": o.at}
        if o.error is not None:
            values |= {"error_code": o.error.code, "error_message": mask_phones_in(o.error.message)[:500]}
        if o.provider_id is not None:
            values |= {
                "status": OutboxStatus.sent, "provider_id": o.provider_id, "sent_at": o.at,
                "error_code": None, "error_message": None,
            }
            if o.channel is not None:
                values |= {"channel": o.channel,
                           "price_vnd": cost_vnd(self.settings, channel=o.channel, text=o.item.body)}
        elif o.result == "failed":
            values |= {"status": OutboxStatus.failed, "error_message": mask_phones_in(o.reason or "")[:500]}
            self._mark_phone(session, o)
        else:  # retried, deferred, stopped, released, reissue: back in line
            in_flight = o.keep_sending or (o.item.in_flight and o.result not in ("retried", "reissue"))
            values |= {
                "status": OutboxStatus.sending if in_flight else OutboxStatus.queued,
                "next_attempt_at": o.requeue_at or o.at,
            }
            if o.result != "retried":  # not a real try
                values["attempts"] = o.item.attempts - 1
        session.connection().execute(
            update(OutboxMessage)
            .where(
                and_(
                    OutboxMessage.id == o.item.id,
                    OutboxMessage.claim_token == o.item.token,
                    OutboxMessage.status == OutboxStatus.sending,
                )
            )
            .values(**values)
        )

    def _mark_phone(self, session: Session, o: Outcome) -> None:
        """21211 / 21614: the number cannot take SMS; 21610: the recipient opted out."""
        if o.error is None:
            return
        if o.error.phone_not_sms_able:
            session.execute(
                update(Donor)
                .where(Donor.phone_e164 == o.item.to_phone)
                .values(phone_sms_capable=False, updated_at=o.at)
            )
        elif o.error.opted_out:
            set_opted_out(session=session, now=o.at, phone=o.item.to_phone, actor="sms.dispatcher")

