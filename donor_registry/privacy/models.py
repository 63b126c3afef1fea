"""Consent per purpose: each grant with its time and channel, and its withdrawal."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type
from donor_registry.types import ConsentChannel


class Purpose(StrEnum):
    """What the donor agrees to, each asked for separately (Law 91/2025: sensitive data needs its
    own explicit consent)."""

    contact_sms = "contact_sms"  # be contacted by SMS: reminders, campaigns, emergency calls
    health_data = "health_data"  # processing of health data: blood group, deferrals, weight


class DonorConsent(SQLModel, table=True):
    """One grant of consent for one purpose; a later grant after a withdrawal is a new row, so
    the history stays for the processing records."""

    __tablename__ = "donor_consents"

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donors.id", index=True)
    purpose: Purpose = Field(sa_type=enum_type(Purpose))
    given_at: dt.datetime
    channel: ConsentChannel = Field(sa_type=enum_type(ConsentChannel))
    withdrawn_at: dt.datetime | None = None
    withdrawn_channel: ConsentChannel | None = Field(default=None, sa_type=enum_type(ConsentChannel))
    # Who recorded it: cli:<user>, import, sms.
    recorded_by: str = Field(default="", sa_type=String(100))
