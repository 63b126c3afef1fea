"""iCalendar export of drives for coordinators' phone calendars (RFC 5545).

Each drive keeps one UID forever and its SEQUENCE grows on every reschedule or cancellation,
so importing a newer export updates the events instead of adding copies; a cancelled drive is
exported with STATUS:CANCELLED so calendars remove or strike it. The words of SUMMARY and
DESCRIPTION are in the current language (Vietnamese unless --lang en), days dd/mm/yyyy.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, select

from donor_registry.campaigns.models import Campaign, Drive, DriveStatus
from donor_registry.i18n import _, formatting
from donor_registry.i18n.labels import label

PRODID = "-//donor_registry//Blood drives//VI"
TIME_ZONE = "Asia/Ho_Chi_Minh"


def drive_uid(drive_id: int, domain: str) -> str:
    """The drive's permanent iCalendar UID."""
    return f"drive-{drive_id}@{domain}"


def drives_calendar(
    drives: Iterable[Drive], *, campaign_names: Mapping[int, str], uid_domain: str,
    now: dt.datetime, calendar_name: str, time_zone: str = TIME_ZONE,
) -> bytes:
    """The drives as one VCALENDAR (with its VTIMEZONE), ready to write to a .ics file."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", time_zone)
    zone = ZoneInfo(time_zone)
    for drive in drives:
        calendar.add_component(_event(drive, campaign_names.get(drive.campaign_id), uid_domain, now, zone))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(drive: Drive, campaign_name: str | None, uid_domain: str, now: dt.datetime, zone: ZoneInfo) -> Event:
    event = Event()
    event.add("uid", drive_uid(drive.id, uid_domain))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("last-modified", drive.updated_at.astimezone(dt.UTC))
    event.add("sequence", drive.sequence)
    event.add("dtstart", dt.datetime.combine(drive.date, drive.start_time, tzinfo=zone))
    event.add("dtend", dt.datetime.combine(drive.date, drive.end_time, tzinfo=zone))
    event.add("summary", _("Blood drive: {venue}").format(venue=drive.venue))
    event.add("location", ", ".join(filter(None, [drive.venue, drive.commune, drive.district, drive.province])))
    event.add("description", _description(drive, campaign_name))
    event.add("status", "CANCELLED" if drive.status == DriveStatus.cancelled else "CONFIRMED")
    if campaign_name:
        event.add("categories", [campaign_name])
    return event


def _description(drive: Drive, campaign_name: str | None) -> str:
    n = formatting.number
    lines = [_("Drive #{id}").format(id=drive.id),
             _("Date: {day}, {start}–{end}").format(day=formatting.date(drive.date), start=f"{drive.start_time:%H:%M}",
                                                   end=f"{drive.end_time:%H:%M}"),
             _("Status: {status}").format(status=label(drive.status))]
    if campaign_name:
        lines.append(_("Campaign: {name}").format(name=campaign_name))
    if drive.capacity is not None:
        lines.append(_("Capacity: {capacity} donors").format(capacity=n(drive.capacity)))
    if drive.target_units is not None:
        lines.append(_("Target: {units} units").format(units=n(drive.target_units)))
    if drive.status == DriveStatus.closed:
        lines.append(_("Result: {units} units from {donated} donors ({registered} registered, {deferred} deferred)")
                     .format(units=n(drive.units), donated=n(drive.donated), registered=n(drive.registered),
                             deferred=n(drive.deferred)))
    if drive.notes:
        lines.append(drive.notes)
    return "\n".join(lines)


def export_drives(
    *, session: Session, drives: list[Drive], uid_domain: str, now: dt.datetime, calendar_name: str,
    time_zone: str = TIME_ZONE,
) -> bytes:
    """The iCalendar bytes of these drives, with their campaigns' names looked up."""
    ids = {d.campaign_id for d in drives if d.campaign_id is not None}
    names = dict(session.exec(select(Campaign.id, Campaign.name).where(Campaign.id.in_(ids))).all()) if ids else {}
    return drives_calendar(drives, campaign_names=names, uid_domain=uid_domain, now=now,
                           calendar_name=calendar_name, time_zone=time_zone)
