"""What the drive pages show and read: the month grid, a drive's facts, and the forms' values,
validated by the same models as the CLI (DriveCreate) with each error next to its field."""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from pydantic import BaseModel, Field, ValidationError

from donor_registry.campaigns.models import Campaign, Drive, DriveCreate
from donor_registry.i18n import N_, _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label
from donor_registry.i18n.validation import field_errors

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
DRIVE_FIELDS = ("date", "start_time", "end_time", "venue", "commune", "district", "province", "campaign_id",
                "capacity", "target_units", "notes")
RESCHEDULE_FIELDS = ("date", "start_time", "end_time", "venue")
DETAIL_FIELDS = ("campaign_id", "capacity", "target_units", "notes")
RESULT_FIELDS = ("registered", "donated", "deferred", "units")


def parse_month(raw: str | None, today: dt.date) -> dt.date:
    """'2026-06' -> 1 June 2026; anything else is this month."""
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def shift_month(first: dt.date, months: int) -> str:
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class Day:
    day: dt.date
    in_month: bool
    today: bool
    drives: list[dict] = field(default_factory=list)

    @property
    def shown(self) -> str:
        return fmt.date(self.day)


def month_grid(first: dt.date, today: dt.date, drives: list[dict]) -> list[list[Day]]:
    """Weeks (Monday first) of the month, each day with its drives."""
    by_day: dict[dt.date, list[dict]] = {}
    for drive in drives:
        by_day.setdefault(drive["day"], []).append(drive)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return [[Day(day, day.month == first.month, day == today, by_day.get(day, [])) for day in week]
            for week in weeks]


def drive_view(drive: Drive, turnout_total: int | None = None) -> dict:
    """A drive as the pages show it: dates dd/mm/yyyy, hours HH:MM, its status as a label."""
    return {
        "id": drive.id, "day": drive.date, "date": fmt.date(drive.date), "weekday": _(WEEKDAYS[drive.date.weekday()]),
        "hours": f"{drive.start_time:%H:%M}–{drive.end_time:%H:%M}", "start": f"{drive.start_time:%H:%M}",
        "end": f"{drive.end_time:%H:%M}", "venue": drive.venue,
        "area": ", ".join(part for part in (drive.commune, drive.district, drive.province) if part),
        "status": drive.status.value, "status_label": label(drive.status), "capacity": drive.capacity,
        "target_units": drive.target_units, "turnout": turnout_total, "results": {
            name: getattr(drive, name) for name in RESULT_FIELDS},
    }


def campaign_view(campaign: Campaign) -> dict:
    return {"id": campaign.id, "name": campaign.name, "start": fmt.date(campaign.start), "end": fmt.date(campaign.end),
            "status": campaign.status.value, "status_label": label(campaign.status),
            "target_units": campaign.target_units}


def day_text(raw: str) -> str:
    """07/04/2026 (a phone without a date picker) as 2026-04-07; anything else as typed."""
    text = raw.strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return text


def _time(raw: str) -> str:
    """7h, 7h30, 7:30 or 07:30 as 07:30 (as `drives add --start` reads them); else as typed."""
    hours, _sep, minutes = raw.strip().lower().replace("h", ":").rstrip(":").partition(":")
    if hours.isdigit() and (minutes.isdigit() or not minutes) and len(hours) <= 2 and len(minutes) <= 2:
        return f"{int(hours):02d}:{int(minutes or 0):02d}"
    return raw.strip()


def _values(form: dict[str, str], names) -> dict:
    values = {name: (form.get(name) or "").strip() or None for name in names}
    if values.get("date"):
        values["date"] = day_text(values["date"])
    for name in ("start_time", "end_time"):
        if values.get(name):
            values[name] = _time(values[name])
    return values


def drive_data(form: dict[str, str]) -> tuple[DriveCreate | None, dict[str, str]]:
    """A new drive's form through DriveCreate: the model, or {field: error}."""
    values = _values(form, DRIVE_FIELDS)
    errors = {name: _("is required") for name in ("date", "start_time", "end_time", "venue") if not values[name]}
    try:
        data = DriveCreate.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as problem:
        return None, {**field_errors(problem), **errors}
    return (None, errors) if errors else (data, {})


def reschedule_data(drive: Drive, form: dict[str, str]) -> tuple[dict | None, dict[str, str]]:
    """The new date, hours and venue, checked by DriveCreate over the drive's other values."""
    values = {name: value for name, value in _values(form, RESCHEDULE_FIELDS).items() if value is not None}
    current = drive.model_dump(include=set(DriveCreate.model_fields))
    try:
        data = DriveCreate.model_validate({**current, **values})
    except ValidationError as problem:
        return None, field_errors(problem)
    return {"date": data.date, "start_time": data.start_time, "end_time": data.end_time,
            "venue": data.venue if "venue" in values else None}, {}


def details_data(drive: Drive, form: dict[str, str]) -> tuple[dict | None, dict[str, str]]:
    """The campaign, capacity, target and notes (empty: none), checked by DriveCreate."""
    values = _values(form, DETAIL_FIELDS)
    current = drive.model_dump(include=set(DriveCreate.model_fields))
    try:
        data = DriveCreate.model_validate({**current, **values})
    except ValidationError as problem:
        return None, field_errors(problem)
    return {name: getattr(data, name) for name in DETAIL_FIELDS}, {}


class DriveResultsForm(BaseModel):
    """The numbers `drives close` takes (each optional: counted from recorded donations)."""

    registered: int | None = Field(default=None, ge=0)
    donated: int | None = Field(default=None, ge=0)
    deferred: int | None = Field(default=None, ge=0)
    units: int | None = Field(default=None, ge=0)


def results_data(form: dict[str, str]) -> tuple[DriveResultsForm | None, dict[str, str]]:
    try:
        return DriveResultsForm.model_validate(_values(form, RESULT_FIELDS)), {}
    except ValidationError as problem:
        return None, field_errors(problem)
