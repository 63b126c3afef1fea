"""Slots of a drive: splitting its hours into slots and spreading its capacity over them.

Pure functions of values (no session, no clock).

The rule:
- Slots follow one another from the opening time, each `slot_minutes` long; when the hours do
  not divide evenly the last slot is shorter and ends at the closing time.
- The drive's capacity is spread in proportion to each slot's minutes, by largest remainder:
  every slot gets the whole part of capacity × its minutes ÷ all minutes, and the places left
  over go one each to the slots with the largest fractional parts, earlier slots first on a tie.
  With slots of equal length this is "capacity ÷ slots each, the first (capacity mod slots)
  slots one more". The slots' capacities always add up to the drive's.
- A slot left without a place (a capacity smaller than the number of slots, or a short last
  slot) is refused with the slot named: longer slots or a larger capacity are the fix. So are
  slots of less than MIN_SLOT_MINUTES.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from donor_registry.errors import UserError
from donor_registry.i18n import _

#: Drive hours, slots and link expiry are Vietnam's times (config: general.timezone).
TIMEZONE = "Asia/Ho_Chi_Minh"

MIN_SLOT_MINUTES = 5


@dataclass(frozen=True)
class SlotPlan:
    start: dt.time
    end: dt.time
    capacity: int


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def split_hours(start: dt.time, end: dt.time, slot_minutes: int, capacity: int) -> list[SlotPlan]:
    """The drive's slots from `start` to `end`, `slot_minutes` each, holding `capacity` in all."""
    if slot_minutes < MIN_SLOT_MINUTES:
        raise UserError(_("a slot must last at least {least} minutes (--slot-minutes {given})").format(
            least=MIN_SLOT_MINUTES, given=slot_minutes))
    first, last = _minutes(start), _minutes(end)
    if last <= first:
        raise UserError(_("the drive ends ({end}) before it starts ({start})").format(
            end=f"{end:%H:%M}", start=f"{start:%H:%M}"))
    bounds = [(at, min(at + slot_minutes, last)) for at in range(first, last, slot_minutes)]
    total = last - first
    shares = [capacity * (b - a) for a, b in bounds]  # each slot's share, times `total`
    places = [share // total for share in shares]
    left_over = capacity - sum(places)
    by_remainder = sorted(range(len(bounds)), key=lambda i: (-(shares[i] % total), i))
    for i in by_remainder[:left_over]:
        places[i] += 1
    plans = [SlotPlan(_time(a), _time(b), n) for (a, b), n in zip(bounds, places, strict=True)]
    empty = next((plan for plan in plans if plan.capacity == 0), None)
    if empty is not None:
        raise UserError(_("a capacity of {capacity} leaves the slot {start}–{end} without a place; "
                          "use longer slots or a larger capacity").format(
            capacity=capacity, start=f"{empty.start:%H:%M}", end=f"{empty.end:%H:%M}"))
    return plans


def link_expires_at(drive_date: dt.date, timezone: str) -> dt.datetime:
    """When a donor's link to a drive stops working: the end of the day after the drive, local
    time (the donor may still look the morning after; nothing can be booked by then)."""
    return dt.datetime.combine(drive_date + dt.timedelta(days=2), dt.time(0), tzinfo=ZoneInfo(timezone))
