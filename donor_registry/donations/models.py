"""Donation records: what was given (or why not) at a drive or a site."""

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type
from donor_registry.types import DonationType


class Outcome(StrEnum):
    donated = "donated"
    deferred = "deferred"


class DonationBase(SQLModel):
    donated_on: dt.date
    type: DonationType = Field(
        default=DonationType.whole_blood, sa_type=enum_type(DonationType)
    )
    outcome: Outcome = Field(default=Outcome.donated, sa_type=enum_type(Outcome))
    volume_ml: int | None = Field(default=None, gt=0, le=1000)
    site: str | None = Field(default=None, max_length=200)
    drive_id: int | None = Field(default=None, foreign_key="drives.id", index=True)
    emergency_request_id: int | None = Field(default=None, foreign_key="emergency_requests.id", index=True)
    certificate_no: str | None = Field(default=None, max_length=50, unique=True)
    deferral_reason: str | None = Field(default=None, max_length=300)
    deferral_until: dt.date | None = None
    notes: str | None = None


class Donation(DonationBase, table=True):
    __tablename__ = "donations"

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donors.id", index=True)
    source: str = Field(default="cli", max_length=20)
    created_at: dt.datetime


class DonationCreate(DonationBase):
    pass
