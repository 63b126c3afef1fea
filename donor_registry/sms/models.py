"""SMS tables: the outbox (every message to send, with its state) and inbound replies."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type


class OutboxStatus(StrEnum):
    queued = "queued"  # waiting for send_after / next_attempt_at
    sending = "sending"  # claimed by a dispatcher; the provider may or may not have it
    sent = "sent"  # the provider accepted it (provider_id set)
    delivered = "delivered"  # the status callback says the handset got it
    undelivered = "undelivered"  # the status callback says it never arrived (30003–30008)
    failed = "failed"  # will never go: error_code / error_message say why
    cancelled = "cancelled"  # a coordinator cancelled it before it went


class OutboxMessageBase(SQLModel):
    donor_id: int | None = Field(default=None, foreign_key="donors.id", index=True)
    to_phone: str = Field(sa_type=String(20))
    kind: str = Field(max_length=40, index=True)
    body: str = Field(sa_type=Text)
    idempotency_key: str = Field(sa_type=String(200), unique=True)
    send_after: dt.datetime
    urgent: bool = False


class OutboxMessage(OutboxMessageBase, table=True):
    __tablename__ = "sms_outbox"
    __table_args__ = (Index("ix_sms_outbox_status_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    status: OutboxStatus = Field(default=OutboxStatus.queued, sa_type=enum_type(OutboxStatus))
    attempts: int = 0
    # When the dispatcher may next pick the row up: send_after at first, then after backoff
    # or the end of quiet hours.
    next_attempt_at: dt.datetime
    provider_id: str | None = Field(default=None, sa_type=String(64), index=True)
    error_code: int | None = None
    error_message: str | None = Field(default=None, max_length=500)
    claimed_at: dt.datetime | None = None
    claim_token: str | None = Field(default=None, sa_type=String(32))
    # The body has a reply link whose token is not kept (emergency/reply_links.py): the hash
    # of the token last issued for it.
    link_token_hash: str | None = Field(default=None, sa_type=String(64))
    # The channel it went by ("sms", "zns", or "zns_sms" until a callback says which one
    # reached the phone) and its price in đồng (the provider's, else the config's table).
    channel: str | None = Field(default=None, sa_type=String(8))
    price_vnd: int | None = None
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    updated_at: dt.datetime


class InboundMessage(SQLModel, table=True):
    """One SMS a donor sent us (opt-out words, replies to emergency calls, anything else)."""

    __tablename__ = "sms_inbound"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: str | None = Field(default=None, sa_type=String(64), unique=True)
    from_phone: str = Field(sa_type=String(40), index=True)
    to_phone: str | None = Field(default=None, sa_type=String(40))
    body: str = Field(sa_type=Text)
    donor_id: int | None = Field(default=None, foreign_key="donors.id", index=True)
    # What it did: "opt_out", "opt_in", "handled" (a handler took it) or "stored".
    action: str = Field(max_length=20)
    received_at: dt.datetime
