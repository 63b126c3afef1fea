"""Ceremonies and the awards handed out at them."""

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type
from donor_registry.honours.rules import HonourLevel


class CeremonyBase(SQLModel):
    name: str = Field(max_length=200)
    held_on: dt.date
    level: HonourLevel = Field(sa_type=enum_type(HonourLevel))
    district: str | None = Field(default=None, max_length=100)
    # The chapter holding the ceremony: only its donors (and its sub-chapters') are awarded.
    chapter_id: int | None = Field(default=None, foreign_key="chapters.id", index=True)


class Ceremony(CeremonyBase, table=True):
    __tablename__ = "honour_ceremonies"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    district_key: str | None = Field(default=None, max_length=100)
    created_at: dt.datetime


class CeremonyCreate(CeremonyBase):
    pass


class HonourAward(SQLModel, table=True):
    """One tier awarded to one donor at one ceremony; revoked awards stay, with the reason.

    At most one active award per (donor, tier) is a rule of honours.service, not a unique
    index: a merge moves every award of the duplicate to the donor kept, and when both
    records were honoured at the same tier the two rows are both true history. Readers
    take the highest active tier, so the donor is still listed once.
    """

    __tablename__ = "honour_awards"
    __table_args__ = (Index("ix_honour_awards_donor_id_tier", "donor_id", "tier"),)

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donors.id")
    tier: int = Field(gt=0)
    ceremony_id: int = Field(foreign_key="honour_ceremonies.id", index=True)
    donation_count: int  # counted when awarded: what the ceremony list prints
    awarded_on: dt.date
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = Field(default=None, max_length=300)
