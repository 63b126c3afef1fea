"""Campaign calendar: the pure part (no database, no I/O, no clock).

Vietnamese blood-donation chapters run the same campaigns every year (DESIGN.md, "Campaign
calendar"). Each is described once as a `CampaignTemplate` (stored in config.toml as
`[[campaigns.templates]]`) and expanded into dated `PlannedCampaign`s for a given year.

Year ownership
--------------
A template expanded for year Y always yields one campaign that "belongs" to Y:

* `fixed` and non-crossing `range` / `weekly` anchors fall inside Gregorian year Y.
* A `range` or `weekly` anchor whose end (month, day) is before its start (month, day) crosses
  the new year. The campaign planned for Y is the season that ENDS in Y: e.g. "1 Dec – 31 Mar"
  for 2027 runs 2026-12-01 … 2027-03-31. This is the season around Tết of Y, most of its months
  are in Y, and it matches how such seasons are named (Chủ nhật Đỏ of year Y starts in
  December of Y-1). Consequently `plan_year(..., 2027)` includes dates in December 2026,
  and the Sundays of December 2027 belong to the 2028 season.
* `tet` anchors are relative to Tết of year Y (lunar 1/1 always falls in Gregorian Y, between
  21 January and 20 February); a large negative offset may start the campaign in December Y-1.

29 February is rejected in anchors, because it does not exist every year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from lunar_vn import convert_lunar_to_solar
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from donor_registry.i18n import _

__all__ = [
    "TET_HOLIDAY_DAYS_AFTER",
    "TET_HOLIDAY_DAYS_BEFORE",
    "VN_TIME_ZONE",
    "WEEKDAYS",
    "Anchor",
    "CampaignTemplate",
    "FixedAnchor",
    "PlannedCampaign",
    "RangeAnchor",
    "TetAnchor",
    "WeeklyAnchor",
    "expand",
    "in_tet_holiday",
    "parse_templates",
    "plan_year",
    "tet_date",
    "tet_holiday",
]

# Vietnam's legal time (UTC+7) since 1967/1975. The lunar calendar depends on it: a new moon
# late in the evening UTC+7 is already the next day in China (UTC+8), which is why Tết
# differs from the Chinese Spring Festival in e.g. 1968, 1985, 2007 and 2030.
VN_TIME_ZONE = 7.0

# Tết public-holiday approximation (see `tet_holiday`).
TET_HOLIDAY_DAYS_BEFORE = 2
TET_HOLIDAY_DAYS_AFTER = 4

WEEKDAYS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# A non-leap reference year used to validate (month, day) pairs and measure spans.
_REF_YEAR = 2001


# --------------------------------------------------------------------------------------------
# Tết
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def tet_date(year: int) -> date:
    """Gregorian date of Tết Nguyên đán (lunar 1/1) of Gregorian year `year`.

    Uses `lunar-vn` (Hồ Ngọc Đức's algorithm) explicitly at UTC+7, i.e. the Vietnamese lunar
    calendar, not the Chinese one. Supported years: those of `lunar_vn.SUPPORTED_YEAR_RANGE`
    (1900–2100); others raise ValueError.
    """
    result = convert_lunar_to_solar(1, 1, year, 0, time_zone=VN_TIME_ZONE)
    if result.year != year:  # cannot happen for lunar 1/1, but never return a wrong year
        raise ValueError(f"Tết of lunar year {year} computed as {result}, outside {year}")
    return result


def _check_window(days_before: int, days_after: int) -> None:
    if days_before < 0 or days_after < 0:
        raise ValueError(_("Tết holiday days_before/days_after must be >= 0"))


def tet_holiday(
    year: int,
    days_before: int = TET_HOLIDAY_DAYS_BEFORE,
    days_after: int = TET_HOLIDAY_DAYS_AFTER,
) -> tuple[date, date]:
    """Approximate Tết public-holiday window of `year`, as inclusive (first, last) dates.

    APPROXIMATION: the real window is decided every year by the government (the Labour Code
    grants 5 days of Tết leave; the Prime Minister/Ministry of Labour sets the exact days and
    weekend swaps, usually 7–9 days in total). Here it is Tết minus `days_before` to Tết plus
    `days_after` (default 2 before, 4 after: 29/30 tháng Chạp to mùng 5). Use it only to warn
    when a drive is scheduled during Tết, never as the legal calendar.
    """
    _check_window(days_before, days_after)
    tet = tet_date(year)
    return tet - timedelta(days=days_before), tet + timedelta(days=days_after)


def in_tet_holiday(
    day: date,
    days_before: int = TET_HOLIDAY_DAYS_BEFORE,
    days_after: int = TET_HOLIDAY_DAYS_AFTER,
) -> bool:
    """True if `day` falls inside the approximate Tết holiday window (see `tet_holiday`).

    Checks the windows of `day.year` and `day.year + 1` (a wide window can start in December).
    """
    _check_window(days_before, days_after)
    for year in (day.year, day.year + 1):
        first, last = tet_holiday(year, days_before, days_after)
        if first <= day <= last:
            return True
    return False


# --------------------------------------------------------------------------------------------
# Templates (pydantic v2, loadable from TOML-shaped dicts)
# --------------------------------------------------------------------------------------------

def _check_month_day(month: int, day: int, what: str) -> None:
    if month == 2 and day == 29:
        raise ValueError(_("{what}: 29/2 does not exist every year").format(what=what))
    try:
        date(_REF_YEAR, month, day)
    except ValueError as exc:
        raise ValueError(_("{what}: invalid day/month {day}/{month}").format(what=what, day=day, month=month)) from exc


_MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True)


class FixedAnchor(BaseModel):
    """A fixed Gregorian day each year, e.g. 7/4; `days` > 1 for a multi-day event."""

    model_config = _MODEL_CONFIG
    kind: Literal["fixed"] = "fixed"
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    days: int = Field(default=1, ge=1, le=366)

    @model_validator(mode="after")
    def _valid_date(self) -> FixedAnchor:
        _check_month_day(self.month, self.day, "fixed anchor")
        return self


class TetAnchor(BaseModel):
    """Starts `offset_days` after Tết (negative: before) and lasts `days` days."""

    model_config = _MODEL_CONFIG
    kind: Literal["tet"] = "tet"
    offset_days: int = Field(ge=-180, le=180)
    days: int = Field(default=1, ge=1, le=366)


class _SpanMixin(BaseModel):
    model_config = _MODEL_CONFIG
    start_month: int = Field(ge=1, le=12)
    start_day: int = Field(ge=1, le=31)
    end_month: int = Field(ge=1, le=12)
    end_day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _valid_span(self) -> _SpanMixin:
        _check_month_day(self.start_month, self.start_day, f"{self.kind} anchor start")
        _check_month_day(self.end_month, self.end_day, f"{self.kind} anchor end")
        return self

    @property
    def crosses_new_year(self) -> bool:
        """True when the end (month, day) comes before the start: e.g. 1 Dec – 31 Mar."""
        return (self.end_month, self.end_day) < (self.start_month, self.start_day)

    def bounds(self, year: int) -> tuple[date, date]:
        """Inclusive (start, end) for the campaign owned by `year` (see module docstring)."""
        if self.crosses_new_year:
            return (date(year - 1, self.start_month, self.start_day),
                    date(year, self.end_month, self.end_day))
        return (date(year, self.start_month, self.start_day),
                date(year, self.end_month, self.end_day))


class RangeAnchor(_SpanMixin):
    """Every day from start month/day to end month/day (may cross the new year)."""

    kind: Literal["range"] = "range"


class WeeklyAnchor(_SpanMixin):
    """Every `weekday` (e.g. "sunday") between start and end month/day (may cross new year)."""

    kind: Literal["weekly"] = "weekly"
    weekday: Weekday

    @field_validator("weekday", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _long_enough(self) -> WeeklyAnchor:
        # At least 7 days guarantees at least one matching weekday in every year.
        start, end = self.bounds(_REF_YEAR + 1)
        if (end - start).days + 1 < 7:
            raise ValueError(_("weekly anchor range must span at least 7 days"))
        return self


Anchor = Annotated[
    FixedAnchor | TetAnchor | RangeAnchor | WeeklyAnchor,
    Field(discriminator="kind"),
]

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class CampaignTemplate(BaseModel):
    """A yearly campaign, as written in `[[campaigns.templates]]` of config.toml."""

    model_config = _MODEL_CONFIG
    key: str = Field(pattern=_SLUG, max_length=64, description="stable slug id, e.g. 'tet-2'")
    name: str = Field(min_length=1, max_length=200, description="Vietnamese display name")
    target_units: int = Field(ge=0, description="target blood units for the whole campaign")
    anchor: Anchor

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(_("name must not be blank"))
        return value


def unique_keys(templates: Iterable[CampaignTemplate]) -> None:
    seen: set[str] = set()
    for template in templates:
        if template.key in seen:
            raise ValueError(_("duplicate campaign template key '{key}'").format(key=template.key))
        seen.add(template.key)


_TEMPLATE_LIST = TypeAdapter(list[CampaignTemplate])


def parse_templates(raw: Iterable[Any]) -> tuple[CampaignTemplate, ...]:
    """Validate TOML-shaped dicts (or templates) into templates; keys must be unique."""
    templates = tuple(_TEMPLATE_LIST.validate_python(list(raw)))
    unique_keys(templates)
    return templates


# --------------------------------------------------------------------------------------------
# Expansion
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedCampaign:
    template_key: str
    name: str
    year: int
    start: date
    end: date
    days: tuple[date, ...]  # the individual dates for weekly anchors, else empty
    target_units: int


def _weekly_days(anchor: WeeklyAnchor, year: int) -> tuple[date, ...]:
    start, end = anchor.bounds(year)
    target = WEEKDAYS.index(anchor.weekday)
    first = start + timedelta(days=(target - start.weekday()) % 7)
    count = (end - first).days // 7 + 1 if first <= end else 0
    return tuple(first + timedelta(weeks=i) for i in range(count))


def expand(template: CampaignTemplate, year: int) -> PlannedCampaign:
    """The campaign of `template` owned by `year` (inclusive start/end; see module docstring)."""
    anchor = template.anchor
    days: tuple[date, ...] = ()
    if isinstance(anchor, FixedAnchor):
        start = date(year, anchor.month, anchor.day)
        end = start + timedelta(days=anchor.days - 1)
    elif isinstance(anchor, TetAnchor):
        start = tet_date(year) + timedelta(days=anchor.offset_days)
        end = start + timedelta(days=anchor.days - 1)
    elif isinstance(anchor, RangeAnchor):
        start, end = anchor.bounds(year)
    elif isinstance(anchor, WeeklyAnchor):
        days = _weekly_days(anchor, year)
        if not days:  # unreachable thanks to the 7-day validation; kept as a guard
            raise ValueError(f"template {template.key!r} has no {anchor.weekday} in {year}")
        start, end = days[0], days[-1]
    else:  # pragma: no cover - the discriminated union is exhaustive
        raise TypeError(f"unknown anchor {anchor!r}")
    return PlannedCampaign(
        template_key=template.key,
        name=template.name,
        year=year,
        start=start,
        end=end,
        days=days,
        target_units=template.target_units,
    )


def plan_year(templates: Iterable[CampaignTemplate], year: int) -> list[PlannedCampaign]:
    """Expand every template for `year`, sorted by (start, end, template_key).

    Raises ValueError on duplicate template keys.
    """
    templates = tuple(templates)
    unique_keys(templates)
    planned = [expand(t, year) for t in templates]
    return sorted(planned, key=lambda p: (p.start, p.end, p.template_key))
