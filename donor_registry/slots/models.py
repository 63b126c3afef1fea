"""A drive's time slots and the donors' bookings of them."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type


class BookingStatus(StrEnum):
    active = "active"
    cancelled = "cancelled"


class DriveSlot(SQLModel, table=True):
    """A part of a drive's hours taking `capacity` donors.

    `booked` counts the slot's active bookings. It only changes by a conditional UPDATE in the
    transaction that books, moves or cancels (slots/service.py), and the CHECK makes the
    database itself refuse a count above capacity, whatever the code does."""

    __tablename__ = "drive_slots"
    __table_args__ = (
        UniqueConstraint("drive_id", "start_time", name="uq_drive_slots_drive_start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_drive_slots_booked_within_capacity"),
        CheckConstraint("capacity >= 0", name="ck_drive_slots_capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    drive_id: int = Field(foreign_key="drives.id", index=True)
    start_time: dt.time
    end_time: dt.time
    capacity: int
    booked: int = 0


_ACTIVE = text("status = 'active'")
_LINKED = text("donation_id IS NOT NULL")


class SlotBooking(SQLModel, table=True):
    """A donor's booking of a slot; moving it changes its slot, cancelling keeps the row."""

    __tablename__ = "slot_bookings"
    __table_args__ = (
        # One active booking per donor and drive, even when two requests race.
        Index("uq_slot_bookings_active_donor_drive", "donor_id", "drive_id", unique=True,
              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        # A check-in code names one active booking of its drive (slots/codes.py draws it).
        Index("uq_slot_bookings_active_drive_code", "drive_id", "check_in_code", unique=True,
              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        Index("ix_slot_bookings_check_in_code", "check_in_code"),
        # A drive's bookings by status: its counts and the show rate of past drives (slots/counts.py).
        Index("ix_slot_bookings_drive_status", "drive_id", "status"),
        # A donation is the outcome of at most one booking (slots/outcome.py).
        Index("uq_slot_bookings_donation", "donation_id", unique=True,
              sqlite_where=_LINKED, postgresql_where=_LINKED),
    )

    id: int | None = Field(default=None, primary_key=True)
    drive_id: int = Field(foreign_key="drives.id")
    slot_id: int = Field(foreign_key="drive_slots.id", index=True)
    donor_id: int = Field(foreign_key="donors.id", index=True)
    status: BookingStatus = Field(default=BookingStatus.active, sa_type=enum_type(BookingStatus))
    created_at: dt.datetime
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None = None
    # Drawn at booking time and kept when the booking moves; NULL only for a row the migration
    # could not have seen (every booking 0035 found got one).
    check_in_code: str | None = Field(default=None, sa_type=String(6))
    checked_in_at: dt.datetime | None = None
    # The donation or deferral recorded for this booking at check-in (slots/outcome.py); it only
    # changes by a conditional UPDATE, so one booking gets one outcome. A voided donation stays
    # linked (shown as voided) until another outcome is recorded in its place.
    donation_id: int | None = Field(default=None, foreign_key="donations.id")


class DriveLink(SQLModel, table=True):
    """A donor's personal link to one drive (book, move, cancel): only the sha256 of its token
    is kept (emergency/tokens.py). It expires with the drive (slots/rules.link_expires_at), read
    from the drive's date at each use, so a rescheduled drive keeps its links working."""

    __tablename__ = "drive_links"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    donor_id: int = Field(foreign_key="donors.id", index=True)
    drive_id: int = Field(foreign_key="drives.id", index=True)
    created_at: dt.datetime


class WaitStatus(StrEnum):
    waiting = "waiting"  # on the list, not offered a place yet
    offered = "offered"  # texted about a freed place (not held for them); still on the list
    booked = "booked"  # booked a time at the drive: off the list
    left = "left"  # left the list (or was merged into a donor already on it)


_ON_LIST = text("status IN ('waiting', 'offered')")


class SlotWaitlist(SQLModel, table=True):
    """A donor waiting for a place at a drive whose every slot is full (slots/waitlist.py).

    A freed place is offered to the first waiting donor by `joined_at`, once: `offered_at`
    is set and the entry stays on the list until the donor books or leaves."""

    __tablename__ = "slot_waitlist"
    __table_args__ = (
        Index("uq_slot_waitlist_active_donor_drive", "donor_id", "drive_id", unique=True,
              sqlite_where=_ON_LIST, postgresql_where=_ON_LIST),
        Index("ix_slot_waitlist_drive_status_joined", "drive_id", "status", "joined_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    drive_id: int = Field(foreign_key="drives.id")
    donor_id: int = Field(foreign_key="donors.id", index=True)
    joined_at: dt.datetime
    offered_at: dt.datetime | None = None
    status: WaitStatus = Field(default=WaitStatus.waiting, sa_type=enum_type(WaitStatus))
