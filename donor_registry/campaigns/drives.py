"""Drives: adding, rescheduling, cancelling and closing them, with the conflicts a coordinator must see."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.calendar import in_tet_holiday
from donor_registry.campaigns.models import (
    Campaign,
    CampaignStatus,
    Drive,
    DriveCreate,
    DriveStatus,
)
from donor_registry.campaigns.service import get_campaign
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.chapters.models import Chapter
from donor_registry.chapters.service import chapter_for_place, in_subtree
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donors.normalize import area_key, place
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import N_, NP_, _, formatting, labels, pgettext
from donor_registry.places.locate import locate, unresolved
from donor_registry.text import fold


@dataclass(frozen=True)
class DriveWarning:
    """Something the coordinator should look at; the drive is saved anyway."""

    kind: str  # same_venue | too_many_drives | tet_holiday | outside_campaign | place_unresolved
    message: str


def add_drive(
    *, session: Session, settings: CampaignSettings, data: DriveCreate, now: dt.datetime, actor: str = "cli",
    latitude: float | None = None, longitude: float | None = None,
) -> tuple[Drive, list[DriveWarning]]:
    """Add a drive; conflicts (same venue, too many drives that day, Tết) come back as warnings.

    Its commune (as entered, old or new) is resolved to the official one, which invitations and
    the expected turnout draw the drive's ring around; its chapter is by default the commune's
    (else the province's, else the campaign's)."""
    _check_times(data.start_time, data.end_time)
    campaign = _open_campaign(session, data.campaign_id)
    venue = place(data.venue)
    if not venue:
        raise UserError(_("the drive needs a venue (--venue)"))
    values = data.model_dump()
    values.update(venue=venue, venue_key=fold(venue), created_at=now, updated_at=now)
    for area in ("commune", "district", "province"):
        values[area] = place(values[area])
        values[f"{area}_key"] = area_key(values[area])
    unplaced = unresolved(province=values["province"], district=values["district"], commune=values["commune"])
    if (any(values[area] for area in ("commune", "district", "province")) or latitude is not None) and not unplaced:
        where = locate(province=values["province"], district=values["district"], commune=values["commune"],
                       latitude=latitude, longitude=longitude)
        values.update(province_code=where.province_code, commune_code=where.commune_code,
                      latitude=where.latitude, longitude=where.longitude)
    if values.get("chapter_id") is None:
        found = chapter_for_place(session=session, province_code=values.get("province_code"),
                                  commune_code=values.get("commune_code"))
        values["chapter_id"] = found.id if found else (campaign.chapter_id if campaign else None)
    drive = Drive.model_validate(values)
    session.add(drive)
    session.flush()
    audit(session=session, now=now, actor=actor, action="drives.add", subject_type="drive",
          subject_id=drive.id, detail={"date": drive.date.isoformat(), "venue": drive.venue})
    warnings = conflicts(session=session, settings=settings, drive=drive, campaign=campaign)
    if unplaced and values["commune"]:
        # Kept as entered (turnout then counts the old commune's donors); a person fixes it.
        warnings.append(DriveWarning("place_unresolved", unplaced))
    return drive, warnings


def _check_times(start: dt.time, end: dt.time) -> None:
    if end <= start:
        raise UserError(_("the drive ends ({end}) before it starts ({start})").format(
            end=f"{end:%H:%M}", start=f"{start:%H:%M}"))


def _open_campaign(session: Session, campaign_id: int | None) -> Campaign | None:
    if campaign_id is None:
        return None
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if campaign.status == CampaignStatus.cancelled:
        raise UserError(_("campaign #{campaign_id} {name} is cancelled; it takes no new drives").format(
            campaign_id=campaign_id, name=campaign.name))
    return campaign


def conflicts(
    *, session: Session, settings: CampaignSettings, drive: Drive, campaign: Campaign | None = None,
) -> list[DriveWarning]:
    """What clashes with this drive on its day: the venue, the staff, Tết, the campaign's dates."""
    if drive.status == DriveStatus.cancelled:
        return []
    same_day = session.exec(select(Drive).where(
        Drive.date == drive.date, Drive.status != DriveStatus.cancelled, Drive.id != drive.id,
    ).order_by(Drive.id)).all()
    day = formatting.date(drive.date)
    warnings = [
        DriveWarning("same_venue", _("drive #{drive_id} is at {venue} on {date} too ({start}–{end})").format(
            drive_id=other.id, venue=other.venue, date=day, start=f"{other.start_time:%H:%M}",
            end=f"{other.end_time:%H:%M}"))
        for other in same_day if other.venue_key == drive.venue_key
    ]
    if len(same_day) + 1 > settings.max_drives_per_day:
        warnings.append(DriveWarning(
            "too_many_drives", _("{count} drives on {date}, more than the {most} the staff can run "
                                 "(campaigns.max_drives_per_day)").format(
                count=len(same_day) + 1, date=day, most=settings.max_drives_per_day)))
    if in_tet_holiday(drive.date, settings.tet_holiday_days_before, settings.tet_holiday_days_after):
        warnings.append(DriveWarning("tet_holiday", _("{date} falls in the Tết holiday").format(date=day)))
    campaign = campaign or (session.get(Campaign, drive.campaign_id) if drive.campaign_id else None)
    if campaign is not None and not campaign.start <= drive.date <= campaign.end:
        warnings.append(DriveWarning(
            "outside_campaign", _("{date} is outside campaign #{campaign_id} {name} ({start} – {end})").format(
                date=day, campaign_id=campaign.id, name=campaign.name, start=formatting.date(campaign.start),
                end=formatting.date(campaign.end))))
    return warnings


def get_drive(*, session: Session, drive_id: int) -> Drive:
    """The drive with this number, or NotFound."""
    drive = session.get(Drive, drive_id)
    if drive is None:
        raise NotFound(_("there is no drive #{drive_id}").format(drive_id=drive_id))
    return drive


def list_drives(
    *, session: Session, campaign_id: int | None = None, since: dt.date | None = None,
    until: dt.date | None = None, status: DriveStatus | None = None, area: str | None = None,
    chapter: Chapter | None = None,
) -> list[Drive]:
    """Drives by date and start time, filtered by campaign, dates, status, commune/district, or
    chapter (and its sub-chapters)."""
    query = select(Drive)
    if chapter is not None:
        query = query.where(in_subtree(Drive.chapter_id, chapter))
    if campaign_id is not None:
        query = query.where(Drive.campaign_id == campaign_id)
    if since is not None:
        query = query.where(Drive.date >= since)
    if until is not None:
        query = query.where(Drive.date <= until)
    if status is not None:
        query = query.where(Drive.status == status)
    if area:
        key = area_key(area)
        query = query.where((Drive.commune_key == key) | (Drive.district_key == key))
    return list(session.exec(query.order_by(Drive.date, Drive.start_time, Drive.id)))


def reschedule_drive(
    *, session: Session, settings: CampaignSettings, drive_id: int, now: dt.datetime,
    date: dt.date | None = None, start_time: dt.time | None = None, end_time: dt.time | None = None,
    venue: str | None = None, actor: str = "cli",
) -> tuple[Drive, list[DriveWarning]]:
    """Move a planned drive to another day, time or venue; calendars pick it up by its SEQUENCE."""
    drive = _planned(session, drive_id, "rescheduled")
    before = {"date": drive.date.isoformat(), "start": f"{drive.start_time:%H:%M}",
              "end": f"{drive.end_time:%H:%M}", "venue": drive.venue}
    new_start, new_end = start_time or drive.start_time, end_time or drive.end_time
    _check_times(new_start, new_end)
    if (new_start, new_end) != (drive.start_time, drive.end_time) and _has_slots(session, drive.id):
        raise UserError(_("drive #{drive_id} has time slots; its hours cannot change (its day and venue can)").format(
            drive_id=drive.id))
    drive.date, drive.start_time, drive.end_time = date or drive.date, new_start, new_end
    if venue is not None:
        if not place(venue):
            raise UserError(_("the venue must not be empty"))
        drive.venue = place(venue)
        drive.venue_key = fold(drive.venue)
    _touch(session, drive, now)
    audit(session=session, now=now, actor=actor, action="drives.reschedule", subject_type="drive",
          subject_id=drive.id, detail={"before": before})
    return drive, conflicts(session=session, settings=settings, drive=drive)


def _has_slots(session: Session, drive_id: int) -> bool:
    from donor_registry.slots.links import has_slots  # slots/ builds on this module

    return has_slots(session, drive_id)


def cancel_drive(*, session: Session, drive_id: int, now: dt.datetime, actor: str = "cli") -> Drive:
    """Cancel a planned drive; it stays listed (and exported as cancelled) so calendars drop it."""
    drive = _planned(session, drive_id, "cancelled")
    drive.status = DriveStatus.cancelled
    _touch(session, drive, now)
    audit(session=session, now=now, actor=actor, action="drives.cancel", subject_type="drive", subject_id=drive.id)
    return drive


_ONLY_PLANNED = {
    "rescheduled": N_("drive #{drive_id} is {status}; only a planned drive can be rescheduled"),
    "cancelled": N_("drive #{drive_id} is {status}; only a planned drive can be cancelled"),
}


def _planned(session: Session, drive_id: int, verb: str) -> Drive:
    drive = get_drive(session=session, drive_id=drive_id)
    if drive.status != DriveStatus.planned:
        raise UserError(_(_ONLY_PLANNED[verb]).format(drive_id=drive_id, status=labels.label(drive.status)))
    return drive


def _touch(session: Session, drive: Drive, now: dt.datetime) -> None:
    drive.sequence += 1
    drive.updated_at = now
    session.add(drive)
    session.flush()


@dataclass(frozen=True)
class DriveResults:
    registered: int
    donated: int
    deferred: int
    units: int


def recorded_results(*, session: Session, drive_id: int) -> DriveResults:
    """Results as counted from the donations recorded against the drive (one unit per donation)."""
    counts = dict(session.exec(
        select(Donation.outcome, func.count(Donation.id)).where(Donation.drive_id == drive_id, Donation.voided_at.is_(None)).group_by(Donation.outcome)
    ).all())
    donated, deferred = counts.get(Outcome.donated, 0), counts.get(Outcome.deferred, 0)
    return DriveResults(registered=donated + deferred, donated=donated, deferred=deferred, units=donated)


def close_drive(
    *, session: Session, drive_id: int, today: dt.date, now: dt.datetime, registered: int | None = None,
    donated: int | None = None, deferred: int | None = None, units: int | None = None, actor: str = "cli",
) -> Drive:
    """Record what happened at a drive; numbers not given are counted from its recorded donations.

    A closed drive can be closed again to correct its numbers.
    """
    drive = get_drive(session=session, drive_id=drive_id)
    if drive.status == DriveStatus.cancelled:
        raise UserError(_("drive #{drive_id} was cancelled; it has no results to record").format(drive_id=drive_id))
    if drive.date > today:
        raise UserError(_("drive #{drive_id} is on {date}, still to come; close it on the day or after").format(
            drive_id=drive_id, date=formatting.date(drive.date)))
    counted = recorded_results(session=session, drive_id=drive_id)
    results = DriveResults(
        registered=_given(registered, counted.registered, "registered"),
        donated=_given(donated, counted.donated, "donated"),
        deferred=_given(deferred, counted.deferred, "deferred"),
        units=_given(units, counted.units, "units"),
    )
    if results.donated + results.deferred > results.registered:
        raise UserError(_("{donated} donated + {deferred} deferred is more than the {registered} registered "
                          "at drive #{drive_id}").format(donated=results.donated, deferred=results.deferred,
                                                         registered=results.registered, drive_id=drive_id))
    drive.registered, drive.donated = results.registered, results.donated
    drive.deferred, drive.units = results.deferred, results.units
    drive.status = DriveStatus.closed
    drive.updated_at = now
    session.add(drive)
    session.flush()
    audit(session=session, now=now, actor=actor, action="drives.close", subject_type="drive",
          subject_id=drive.id, detail=vars(results))
    return drive


#: The drive's numbers as a coordinator reads them in "… must not be negative".
_RESULT_NAMES = {"registered": NP_("drive result", "registered"), "donated": NP_("drive result", "donated"),
                 "deferred": NP_("drive result", "deferred"), "units": NP_("drive result", "units")}


def _given(value: int | None, counted: int, name: str) -> int:
    if value is None:
        return counted
    if value < 0:
        raise UserError(_("{name} must not be negative").format(name=pgettext("drive result", _RESULT_NAMES[name])))
    return value


def check_donation_drive(*, session: Session, drive_id: int, donated_on: dt.date) -> list[str]:
    """Checks a donation recorded against a drive: the drive must exist and not be cancelled.

    Returns warnings (a date that differs from the drive's day).
    """
    try:
        drive = get_drive(session=session, drive_id=drive_id)
    except NotFound as exc:
        raise NotFound(_("there is no drive #{drive_id} to record the donation against").format(
            drive_id=drive_id)) from exc
    if drive.status == DriveStatus.cancelled:
        raise UserError(_("drive #{drive_id} at {venue} on {date} was cancelled").format(
            drive_id=drive_id, venue=drive.venue, date=formatting.date(drive.date)))
    if drive.date != donated_on:
        return [_("drive #{drive_id} at {venue} was on {date}, not {donated_on}").format(
            drive_id=drive_id, venue=drive.venue, date=formatting.date(drive.date),
            donated_on=formatting.date(donated_on))]
    return []
