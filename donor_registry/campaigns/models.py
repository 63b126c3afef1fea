"""Campaigns (a yearly season such as Chủ nhật Đỏ) and the drives (blood collection days) they hold."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type
from donor_registry.donors.models import Donor


class CampaignStatus(StrEnum):
    planned = "planned"
    cancelled = "cancelled"


class DriveStatus(StrEnum):
    planned = "planned"
    closed = "closed"
    cancelled = "cancelled"


class CampaignBase(SQLModel):
    name: str = Field(max_length=200)
    year: int = Field(index=True)
    start: dt.date
    end: dt.date
    target_units: int = Field(default=0, ge=0)
    notes: str | None = None
    chapter_id: int | None = Field(default=None, foreign_key="chapters.id", index=True)


class Campaign(CampaignBase, table=True):
    """One campaign of one year; `template_key` is set when `campaigns plan` made it from a template."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("template_key", "year", name="uq_campaigns_template_year"),)

    id: int | None = Field(default=None, primary_key=True)
    template_key: str | None = Field(default=None, max_length=64)
    status: CampaignStatus = Field(default=CampaignStatus.planned, sa_type=enum_type(CampaignStatus))
    created_at: dt.datetime
    updated_at: dt.datetime


class CampaignCreate(CampaignBase):
    template_key: str | None = None


class DriveBase(SQLModel):
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id", index=True)
    date: dt.date = Field(index=True)
    start_time: dt.time
    end_time: dt.time
    venue: str = Field(max_length=200)
    commune: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, max_length=100)
    province: str | None = Field(default=None, max_length=100)
    capacity: int | None = Field(default=None, ge=0)
    target_units: int | None = Field(default=None, ge=0)
    notes: str | None = None
    chapter_id: int | None = Field(default=None, foreign_key="chapters.id", index=True)


class Drive(DriveBase, table=True):
    """A blood collection day at one venue; results are filled in by `drives close`."""

    __tablename__ = "drives"

    id: int | None = Field(default=None, primary_key=True)
    venue_key: str = Field(max_length=200)
    commune_key: str | None = Field(default=None, max_length=100)
    district_key: str | None = Field(default=None, max_length=100)
    province_key: str | None = Field(default=None, max_length=100)
    # The venue's official commune (places.units) and optionally its coordinates: invitations
    # and the expected turnout count donors within the drive's ring around it.
    province_code: str | None = Field(default=None, sa_type=String(2))
    commune_code: str | None = Field(default=None, sa_type=String(5))
    latitude: float | None = None
    longitude: float | None = None
    status: DriveStatus = Field(default=DriveStatus.planned, sa_type=enum_type(DriveStatus))
    # Results, recorded when the drive is closed.
    registered: int | None = Field(default=None, ge=0)
    donated: int | None = Field(default=None, ge=0)
    deferred: int | None = Field(default=None, ge=0)
    units: int | None = Field(default=None, ge=0)
    # iCalendar SEQUENCE: bumped on every change a calendar must pick up (reschedule, cancel).
    sequence: int = 0
    created_at: dt.datetime
    updated_at: dt.datetime


class DriveCreate(DriveBase):
    pass


# Area lookups over the donors table (expected turnout; also reminders and emergency matching).
# Single columns: with merged_into_id second, SQLite's statistics counted `merged_into_id IS
# NULL` as matching a few rows and it skip-scanned these indexes for it (migration 0030).
Index("ix_donors_commune_key", Donor.commune_key)
Index("ix_donors_district_key", Donor.district_key)
Index("ix_donors_commune_code", Donor.commune_code)
# PostgreSQL only (migration 0041): an area's active donors with every column expected_turnout
# filters and groups on, so its count is an index-only scan instead of one heap page per donor.
_TURNOUT_COLUMNS = ["abo", "rh", "sex", "date_of_birth", "birth_year", "weight_kg", "eligible_again_on",
                    "deferred_until", "deceased_on"]
for _name, _column, _extra in (("ix_donors_turnout_commune_code", Donor.commune_code, []),
                               ("ix_donors_turnout_commune_key", Donor.commune_key, ["district_key"]),
                               ("ix_donors_turnout_district_key", Donor.district_key, [])):
    Index(_name, _column, postgresql_include=[*_extra, *_TURNOUT_COLUMNS],
          postgresql_where=text("merged_into_id IS NULL")).ddl_if(dialect="postgresql")
