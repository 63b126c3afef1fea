"""Inbound SMS: opt-out and opt-in words, and replies offered to other features' handlers."""

import datetime as dt
import re
from collections.abc import Callable

from sqlalchemy import update
from sqlmodel import Session, select

from donor_registry.audit import service as audit
from donor_registry.donors.models import Donor
from donor_registry.sms.models import InboundMessage, OutboxMessage, OutboxStatus
from donor_registry.text import fold

#: Twilio's standard opt-out words plus Vietnamese "hủy" and "từ chối" (compared folded).
OPT_OUT_WORDS = frozenset(
    {"stop", "unsubscribe", "end", "quit", "stopall", "revoke", "optout", "cancel",
     "huy", "tu choi", "tuchoi"}
)
#: YES is Twilio's reserved opt-in word but also how people accept things: START only.
OPT_IN_WORDS = frozenset({"start", "unstop"})

#: handler(*, session, now, from_phone, body, donor) -> bool (True: handled). Other features
#: (emergency replies) append theirs; every non-opt-out reply is offered to them in order.
InboundHandler = Callable[..., bool]
INBOUND_HANDLERS: list[InboundHandler] = []

_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def keyword(body: str) -> str:
    """The reply folded for matching: no diacritics, lower case, no surrounding punctuation."""
    return _EDGES.sub("", fold(body))


def is_opt_out(body: str) -> bool:
    return keyword(body) in OPT_OUT_WORDS


def is_opt_in(body: str) -> bool:
    return keyword(body) in OPT_IN_WORDS


def donor_for_phone(*, session: Session, phone: str) -> Donor | None:
    """The (unmerged) donor with this number; the most recently created if several share it."""
    query = (
        select(Donor)
        .where(Donor.phone_e164 == phone, Donor.merged_into_id.is_(None))
        .order_by(Donor.id.desc())
    )
    return session.exec(query).first()


def receive(
    *, session: Session, now: dt.datetime, settings, from_phone: str, body: str,
    to_phone: str | None = None, provider_id: str | None = None,
) -> InboundMessage:
    """Record one inbound SMS and act on it (opt-out, opt-in, or the feature handlers)."""
    if provider_id is not None:
        seen = session.exec(
            select(InboundMessage).where(InboundMessage.provider_id == provider_id)
        ).first()
        if seen is not None:  # Twilio retried the webhook
            return seen
    donor = donor_for_phone(session=session, phone=from_phone)
    if is_opt_out(body):
        action = "opt_out"
        set_opted_out(session=session, now=now, phone=from_phone, actor="sms")
    elif is_opt_in(body):
        action = "opt_in"
        set_opted_in(session=session, now=now, phone=from_phone)
    else:
        action = "stored"
        for handler in INBOUND_HANDLERS:
            if handler(session=session, now=now, settings=settings, from_phone=from_phone, body=body,
                       donor=donor):
                action = "handled"
                break
    message = InboundMessage(
        provider_id=provider_id, from_phone=from_phone, to_phone=to_phone, body=body,
        donor_id=donor.id if donor else None, action=action, received_at=now,
    )
    session.add(message)
    session.flush()
    return message


def set_opted_out(*, session: Session, now: dt.datetime, phone: str, actor: str) -> int:
    """Mark every donor with this number opted out and cancel what is queued to it."""
    donors = session.exec(
        select(Donor).where(Donor.phone_e164 == phone, Donor.sms_opted_out_at.is_(None))
    ).all()
    for donor in donors:
        donor.sms_opted_out_at = now
        donor.updated_at = now
        session.add(donor)
        audit.record(session=session, now=now, actor=actor, action="sms.opt_out",
                     subject_type="donor", subject_id=donor.id)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.to_phone == phone, OutboxMessage.status == OutboxStatus.queued)
        .values(status=OutboxStatus.cancelled, error_message="the recipient opted out",
                updated_at=now)
    )
    session.flush()
    return len(donors)


def set_opted_in(*, session: Session, now: dt.datetime, phone: str) -> int:
    """Clear the opt-out of every donor with this number (they texted START)."""
    donors = session.exec(
        select(Donor).where(Donor.phone_e164 == phone, Donor.sms_opted_out_at.is_not(None))
    ).all()
    for donor in donors:
        donor.sms_opted_out_at = None
        donor.updated_at = now
        session.add(donor)
        audit.record(session=session, now=now, actor="sms", action="sms.opt_in",
                     subject_type="donor", subject_id=donor.id)
    session.flush()
    return len(donors)
