"""Donation records: what was given (or why not) at a drive or a site."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type, index_where_set
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
    drive_id: int | None = Field(default=None, foreign_key="drives.id")
    emergency_request_id: int | None = Field(default=None, foreign_key="emergency_requests.id")
    certificate_no: str | None = Field(default=None, max_length=50, unique=True)
    deferral_reason: str | None = Field(default=None, max_length=300)
    deferral_until: dt.date | None = None
    notes: str | None = None


class Donation(DonationBase, table=True):
    __tablename__ = "donations"
    __table_args__ = (
        # A donor's history in date order, the same-day check and the stats refresh read
        # this index alone; it also serves every lookup by donor_id.
        Index("ix_donations_donor_id_donated_on", "donor_id", "donated_on"),
        index_where_set("ix_donations_drive_id", "drive_id"),
        index_where_set("ix_donations_emergency_request_id", "emergency_request_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donors.id")
    source: str = Field(default="cli", max_length=20)
    created_at: dt.datetime
    # Recorded although it broke a recording check (recording.py): which, and why anyway.
    violations: str | None = None
    override_reason: str | None = Field(default=None, max_length=300)
    # A voided donation stays as a row, so history shows it and a re-import of the same
    # file knows it, but it never counts.
    voided_at: dt.datetime | None = None
    voided_by: str | None = Field(default=None, max_length=100)
    void_reason: str | None = Field(default=None, max_length=300)


class DonationRevision(SQLModel, table=True):
    """One correction of a donation: the values before and after, who, when and why."""

    __tablename__ = "donation_revisions"

    id: int | None = Field(default=None, primary_key=True)
    donation_id: int = Field(foreign_key="donations.id", index=True)
    revised_at: dt.datetime
    revised_by: str = Field(max_length=100)
    reason: str = Field(max_length=300)
    old_values: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    new_values: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DonationCreate(DonationBase):
    pass
