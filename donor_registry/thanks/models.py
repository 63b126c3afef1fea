"""Where a donation's unit went: one row a donation, the hospital, when, by whom, and how."""

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type


class UseKind(StrEnum):
    emergency_use = "emergency_use"  # the hospital marked a donation made for its request used
    drive_release = "drive_release"  # a coordinator released a drive's units to the hospital


class DonationUse(SQLModel, table=True):
    """A donation's unit used by or released to a hospital. The unique donation id makes the
    database refuse a second row for the same unit, so its thank-you is queued once."""

    __tablename__ = "donation_uses"

    id: int | None = Field(default=None, primary_key=True)
    donation_id: int = Field(foreign_key="donations.id", unique=True)
    hospital_id: int = Field(foreign_key="hospitals.id", index=True)
    how: UseKind = Field(sa_type=enum_type(UseKind))
    used_at: dt.datetime
    # "hospital:{id}" for a hospital's token (API or /h), "user:{login}"/"cli:{name}" for a coordinator.
    recorded_by: str = Field(max_length=100)
