"""Record links, one-time codes, and the donor's availability for the standby reserve."""

import datetime as dt

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class RecordLink(SQLModel, table=True):
    """A link to one donor's record: only the sha256 of its token is kept (emergency/tokens.py)."""

    __tablename__ = "portal_links"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    donor_id: int = Field(foreign_key="donors.id", index=True)
    via: str = Field(sa_type=String(16))  # "code" (asked by phone) or "message" (an SMS's link)
    created_at: dt.datetime
    expires_at: dt.datetime


class RecordCode(SQLModel, table=True):
    """One request for a code by phone; a row also for an unknown phone, so the rate limits and
    the answer are the same whether or not the phone is registered (then no donor, no code)."""

    __tablename__ = "portal_codes"

    id: int | None = Field(default=None, primary_key=True)
    phone_e164: str = Field(sa_type=String(16), index=True)
    client_ip: str = Field(sa_type=String(64), index=True)
    donor_id: int | None = Field(default=None, foreign_key="donors.id")
    code_hash: str | None = Field(default=None, sa_type=String(64))
    salt: str = Field(sa_type=String(32))
    created_at: dt.datetime = Field(index=True)
    expires_at: dt.datetime
    attempts: int = 0
    used_at: dt.datetime | None = None


class DonorAvailability(SQLModel, table=True):
    """When a standby donor may be called (no row: any time) and the language the donor chose."""

    __tablename__ = "donor_availability"

    donor_id: int = Field(foreign_key="donors.id", primary_key=True)
    weekdays: int = 127  # bit 0 = Monday … bit 6 = Sunday
    from_minute: int | None = None  # local minutes after midnight, window start (inclusive)
    until_minute: int | None = None  # window end (exclusive)
    not_until: dt.date | None = None  # not before this local date
    language: str | None = Field(default=None, sa_type=String(2))
    updated_at: dt.datetime
