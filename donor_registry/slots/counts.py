"""The coordinator's counts of a drive's bookings, and the show rate of a chapter's past drives.

Per slot: booked (active bookings), checked in, donated and deferred (the outcome recorded for a
checked-in booking, slots/outcome.py; a voided one counts as neither), and no-shows: active
bookings not checked in once the slot is over (judged at `now`, in the drive's time zone). One
grouped query counts them; only "is the slot over" is decided per slot in Python.

The show rate of past drives is checked-in ÷ booked (active bookings) over the chapter's drives
that are finished (their date before `before`, not cancelled) and had bookings; walk-ins are the
donors with a donation at such a drive and no active booking of it. The expected turnout of a
drive with bookings (campaigns/turnout.py) is `forecast(booked, history)`:
round(booked × show rate) + round(mean walk-ins a drive), over the chapter's RECENT_DRIVES most
recent finished drives; with no such drive, DEFAULT_SHOW_RATE and no walk-ins.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func
from sqlmodel import Session, select

from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.donations.models import Donation, Outcome
from donor_registry.slots.models import BookingStatus, DriveSlot, SlotBooking
from donor_registry.slots.rules import TIMEZONE

#: The show rate assumed for a chapter without a finished drive with bookings (no history yet):
#: four in five booked donors come. A guess to be replaced by the chapter's own history.
DEFAULT_SHOW_RATE = 0.8
#: The expected turnout learns from the chapter's most recent finished drives with bookings.
RECENT_DRIVES = 10


@dataclass(frozen=True)
class Tally:
    booked: int = 0
    checked_in: int = 0
    donated: int = 0
    deferred: int = 0
    no_show: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(getattr(self, f) + getattr(other, f) for f in vars(self)))


@dataclass(frozen=True)
class SlotCounts:
    slot_id: int
    start: dt.time
    end: dt.time
    capacity: int
    tally: Tally


@dataclass(frozen=True)
class DriveCounts:
    slots: list[SlotCounts]
    total: Tally


def slot_over(drive_date: dt.date, end: dt.time, now: dt.datetime, timezone: str = TIMEZONE) -> bool:
    """Whether a slot of that day ending at `end` (local time) is over at `now`."""
    return now >= dt.datetime.combine(drive_date, end, tzinfo=ZoneInfo(timezone))


def drive_counts(*, session: Session, drive: Drive, now: dt.datetime, timezone: str = TIMEZONE) -> DriveCounts:
    """Booked, checked in, donated, deferred and no-show per slot of the drive, and their totals."""
    live = and_(Donation.voided_at.is_(None), SlotBooking.checked_in_at.is_not(None))
    query = (
        select(DriveSlot.id, DriveSlot.start_time, DriveSlot.end_time, DriveSlot.capacity,
               func.count(SlotBooking.id), func.count(SlotBooking.checked_in_at),
               func.coalesce(func.sum(case((and_(live, Donation.outcome == Outcome.donated), 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(live, Donation.outcome == Outcome.deferred), 1), else_=0)), 0))
        .select_from(DriveSlot)
        .outerjoin(SlotBooking, and_(SlotBooking.slot_id == DriveSlot.id, SlotBooking.status == BookingStatus.active))
        .outerjoin(Donation, Donation.id == SlotBooking.donation_id)
        .where(DriveSlot.drive_id == drive.id)
        .group_by(DriveSlot.id, DriveSlot.start_time, DriveSlot.end_time, DriveSlot.capacity)
        .order_by(DriveSlot.start_time))
    slots = []
    for slot_id, start, end, capacity, booked, checked_in, donated, deferred in session.exec(query):
        over = drive.status != DriveStatus.cancelled and slot_over(drive.date, end, now, timezone)
        tally = Tally(booked, checked_in, int(donated), int(deferred), booked - checked_in if over else 0)
        slots.append(SlotCounts(slot_id, start, end, capacity, tally))
    return DriveCounts(slots=slots, total=sum((s.tally for s in slots), Tally()))


@dataclass(frozen=True)
class PastDrive:
    drive_id: int
    date: dt.date
    booked: int
    checked_in: int
    walk_ins: int


@dataclass(frozen=True)
class ShowHistory:
    drives: tuple[PastDrive, ...]

    @property
    def booked(self) -> int:
        return sum(d.booked for d in self.drives)

    @property
    def checked_in(self) -> int:
        return sum(d.checked_in for d in self.drives)

    @property
    def show_rate(self) -> float | None:
        """Checked in ÷ booked over these drives (None without a booking)."""
        return self.checked_in / self.booked if self.booked else None

    @property
    def walk_ins_per_drive(self) -> float | None:
        return sum(d.walk_ins for d in self.drives) / len(self.drives) if self.drives else None


def past_drives(*, session: Session, chapter_id: int | None, before: dt.date, since: dt.date | None = None,
                limit: int | None = None) -> ShowHistory:
    """The chapter's finished drives with bookings (newest first): booked, checked in, walk-ins.

    The drives are picked first (newest first, each probed for an active booking, stopping at
    `limit`), then only their bookings are counted."""
    active = and_(SlotBooking.drive_id == Drive.id, SlotBooking.status == BookingStatus.active)
    picked = (select(Drive.id)
              .where(Drive.chapter_id == chapter_id if chapter_id is not None else Drive.chapter_id.is_(None),
                     Drive.status != DriveStatus.cancelled, Drive.date < before, exists().where(active))
              .order_by(Drive.date.desc(), Drive.id.desc()))
    if since is not None:
        picked = picked.where(Drive.date >= since)
    if limit is not None:
        picked = picked.limit(limit)
    ids = list(session.exec(picked))
    if not ids:
        return ShowHistory(())
    query = (
        select(Drive.id, Drive.date, func.count(SlotBooking.id), func.count(SlotBooking.checked_in_at))
        .join(SlotBooking, active).where(Drive.id.in_(ids))
        .group_by(Drive.id, Drive.date).order_by(Drive.date.desc(), Drive.id.desc()))
    rows = list(session.exec(query))
    walk_ins = _walk_ins(session, [row[0] for row in rows])
    return ShowHistory(tuple(PastDrive(drive_id, date, booked, checked_in, walk_ins.get(drive_id, 0))
                             for drive_id, date, booked, checked_in in rows))


def _walk_ins(session: Session, drive_ids: Sequence[int]) -> dict[int, int]:
    """Donors with a (not voided) donation or deferral at each drive and no active booking of it."""
    if not drive_ids:
        return {}
    booked = exists().where(SlotBooking.drive_id == Donation.drive_id, SlotBooking.donor_id == Donation.donor_id,
                            SlotBooking.status == BookingStatus.active)
    query = (select(Donation.drive_id, func.count(func.distinct(Donation.donor_id)))
             .where(Donation.drive_id.in_(drive_ids), Donation.voided_at.is_(None), ~booked)
             .group_by(Donation.drive_id))
    return dict(session.exec(query).all())


@dataclass(frozen=True)
class MonthRate:
    month: dt.date  # its first day
    drives: int
    booked: int
    checked_in: int

    @property
    def show_rate(self) -> float:
        return self.checked_in / self.booked


def by_month(history: ShowHistory) -> list[MonthRate]:
    """The history's drives added up by month, newest month first."""
    months: dict[dt.date, list[PastDrive]] = {}
    for drive in history.drives:
        months.setdefault(drive.date.replace(day=1), []).append(drive)
    return [MonthRate(month, len(drives), sum(d.booked for d in drives), sum(d.checked_in for d in drives))
            for month, drives in sorted(months.items(), reverse=True)]


@dataclass(frozen=True)
class Forecast:
    booked: int
    show_rate: float
    from_history: int  # how many past drives the rate and walk-ins come from (0: the defaults)
    expected_walk_ins: int
    total: int


def half_up(value: float) -> int:
    return math.floor(value + 0.5)


def forecast(booked: int, history: ShowHistory) -> Forecast:
    """Expected turnout of a drive with `booked` active bookings, from the chapter's history."""
    rate = history.show_rate
    if rate is None:
        return Forecast(booked, DEFAULT_SHOW_RATE, 0, 0, half_up(booked * DEFAULT_SHOW_RATE))
    walk_ins = half_up(history.walk_ins_per_drive or 0)
    return Forecast(booked, rate, len(history.drives), walk_ins, half_up(booked * rate) + walk_ins)


def active_bookings(*, session: Session, drive_id: int) -> int:
    """How many active bookings the drive has."""
    return session.exec(select(func.count(SlotBooking.id)).where(
        SlotBooking.drive_id == drive_id, SlotBooking.status == BookingStatus.active)).one()
