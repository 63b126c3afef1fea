"""Hospitals, their emergency requests, and the donors called for each request."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type
from donor_registry.donors.models import Donor
from donor_registry.emergency.compatibility import Product
from donor_registry.types import ABO, Rh


class RequestStatus(StrEnum):
    open = "open"
    covered = "covered"
    cancelled = "cancelled"
    expired = "expired"


class Answer(StrEnum):
    none = "none"
    accepted = "accepted"
    declined = "declined"
    too_late = "too_late"  # accepted after the request was covered, cancelled or expired


class AnswerChannel(StrEnum):
    link = "link"
    sms = "sms"
    phone = "phone"


class Hospital(SQLModel, table=True):
    __tablename__ = "hospitals"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    commune: str | None = Field(default=None, max_length=100)
    district: str = Field(default="", max_length=100)  # "" for an address since 2025-07-01
    province: str | None = Field(default=None, max_length=100)
    commune_key: str | None = Field(default=None, max_length=100)
    district_key: str = Field(default="", max_length=100)
    province_key: str | None = Field(default=None, max_length=100)
    # Where it is: the official commune (places.units), and optionally its own coordinates;
    # emergency matching measures distance from here (emergency/rings.py).
    province_code: str | None = Field(default=None, sa_type=String(2))
    commune_code: str | None = Field(default=None, sa_type=String(5))
    latitude: float | None = None
    longitude: float | None = None
    chapter_id: int | None = Field(default=None, foreign_key="chapters.id", index=True)
    # sha256 of the API token; the token itself is shown once and never stored.
    token_hash: str | None = Field(default=None, sa_type=String(64), unique=True)
    token_prefix: str | None = Field(default=None, max_length=12)
    token_issued_at: dt.datetime | None = None
    token_revoked_at: dt.datetime | None = None
    # Set while the chapter has suspended the hospital: it may sign in and cancel, not file.
    suspended_at: dt.datetime | None = None
    suspended_reason: str | None = Field(default=None, max_length=300)
    created_at: dt.datetime


class EmergencyRequestBase(SQLModel):
    abo: ABO = Field(sa_type=enum_type(ABO))
    rh: Rh = Field(sa_type=enum_type(Rh))
    product: Product = Field(default=Product.red_cells, sa_type=enum_type(Product))
    units: int = Field(ge=1)
    needed_by: dt.datetime
    note: str | None = Field(default=None, max_length=500)


class EmergencyRequest(EmergencyRequestBase, table=True):
    __tablename__ = "emergency_requests"

    id: int | None = Field(default=None, primary_key=True)
    hospital_id: int = Field(foreign_key="hospitals.id", index=True)
    status: RequestStatus = Field(default=RequestStatus.open, sa_type=enum_type(RequestStatus), index=True)
    created_at: dt.datetime
    created_by: str = Field(max_length=100)
    # The area of the hospital when the request was made: matching measures distance from it.
    commune_key: str | None = Field(default=None, max_length=100)
    district_key: str | None = Field(default=None, max_length=100)
    province_key: str | None = Field(default=None, max_length=100)
    # The hospital's location when the request was made: the rings are drawn around it.
    province_code: str | None = Field(default=None, sa_type=String(2))
    commune_code: str | None = Field(default=None, sa_type=String(5))
    latitude: float | None = None
    longitude: float | None = None
    wave: int = 0
    # The widest ring called so far ("commune", "10km", "province", …: emergency.rings; a request
    # made before the rings says "district").
    area_level: str = Field(default="commune", sa_type=String(10))
    # When the scheduler runs the next wave; None once the request is closed.
    next_wave_at: dt.datetime | None = Field(default=None, index=True)
    closed_at: dt.datetime | None = None
    close_reason: str | None = Field(default=None, max_length=300)


class CallOut(SQLModel, table=True):
    """One donor asked for one request: the question, the answer, and what came of it."""

    __tablename__ = "emergency_callouts"
    __table_args__ = (UniqueConstraint("request_id", "donor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="emergency_requests.id", index=True)
    donor_id: int = Field(foreign_key="donors.id", index=True)
    wave: int
    asked_at: dt.datetime = Field(index=True)
    answer: Answer = Field(default=Answer.none, sa_type=enum_type(Answer))
    answered_at: dt.datetime | None = None
    answer_channel: AnswerChannel | None = Field(default=None, sa_type=enum_type(AnswerChannel))
    expected_arrival_at: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    donated: bool = False
    # sha256 of the one-time reply-link token sent in the SMS.
    reply_token_hash: str = Field(sa_type=String(64), unique=True)
    token_expires_at: dt.datetime
    token_used_at: dt.datetime | None = None


class DonorClaim(SQLModel, table=True):
    """A donor asked by an open request. The primary key makes the database refuse a second
    open request calling the same donor, under concurrent transactions on either backend.

    donor_id deliberately has no foreign key: a donor merge moves every FK to donors.id, and
    two claims (one per record of the same person) would then collide on the primary key.
    """

    __tablename__ = "emergency_claims"

    donor_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    request_id: int = Field(
        sa_column=Column(Integer, ForeignKey("emergency_requests.id"), nullable=False, index=True)
    )
    claimed_at: dt.datetime


# Matching reads only active standby donors of a few groups in one area: partial indexes keep
# that fast over a million donors on both backends. The WHERE must match the query's terms
# exactly for SQLite to use them (emergency/candidate_sql.py writes `standby IS 1`).
_donors = Donor.__table__
_STANDBY = _donors.c.standby.is_(True) & _donors.c.merged_into_id.is_(None)
STANDBY_BY_GROUP = Index(
    "ix_donors_standby_group_area", _donors.c.abo, _donors.c.rh, _donors.c.district_key,
    _donors.c.commune_key, sqlite_where=_STANDBY, postgresql_where=_STANDBY,
)
STANDBY_BY_COMMUNE_CODE = Index(
    "ix_donors_standby_group_commune_code", _donors.c.abo, _donors.c.rh, _donors.c.commune_code,
    sqlite_where=_STANDBY, postgresql_where=_STANDBY,
)
# The wide rings read each (province, group) in donor number order (emergency/province_ring.py):
# PostgreSQL needs the id as a column for that (its equal keys are in heap order), 0042.
STANDBY_BY_PROVINCE_CODE = Index(
    "ix_donors_standby_province_id", _donors.c.province_code, _donors.c.abo, _donors.c.rh, _donors.c.id,
    sqlite_where=_STANDBY, postgresql_where=_STANDBY,
)
STANDBY_BY_PROVINCE = Index(
    "ix_donors_standby_province", _donors.c.province_key, _donors.c.abo, _donors.c.rh,
    sqlite_where=_STANDBY, postgresql_where=_STANDBY,
)
