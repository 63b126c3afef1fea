"""ICS export: parses back, stable UIDs, SEQUENCE bumped on reschedule, cancelled drives marked."""

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

from donor_registry.campaigns import drives
from donor_registry.campaigns.ics import export_drives
from donor_registry.campaigns.models import CampaignCreate, DriveCreate
from donor_registry.campaigns.service import add_campaign
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.i18n import use_language

SETTINGS = CampaignSettings()
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _export(session, now):
    data = export_drives(session=session, drives=drives.list_drives(session=session), uid_domain="hienmau.test",
                         now=now, calendar_name="Hiến máu")
    calendar = Calendar.from_ical(data)
    return calendar, {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def _setup(session, now):
    campaign = add_campaign(session=session, now=now, data=CampaignCreate(
        name="Những giọt máu hồng", year=2026, start=dt.date(2026, 6, 1), end=dt.date(2026, 8, 31)))
    first, _ = drives.add_drive(session=session, settings=SETTINGS, now=now, data=DriveCreate(
        campaign_id=campaign.id, date=dt.date(2026, 6, 20), start_time=dt.time(7), end_time=dt.time(11, 30),
        venue="Nhà văn hóa xã Tân Lập", commune="Xã Tân Lập", district="Huyện Đan Phượng", capacity=120,
        target_units=100))
    second, _ = drives.add_drive(session=session, settings=SETTINGS, now=now, data=DriveCreate(
        date=dt.date(2026, 7, 4), start_time=dt.time(13), end_time=dt.time(17), venue="Trường THPT Đan Phượng"))
    session.commit()
    return first, second


def test_export_parses_back_with_local_times_and_a_timezone(session, now):
    first, second = _setup(session, now)
    calendar, events = _export(session, now)
    assert set(events) == {f"drive-{first.id}@hienmau.test", f"drive-{second.id}@hienmau.test"}
    event = events[f"drive-{first.id}@hienmau.test"]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == dt.datetime(2026, 6, 20, 7, 0, tzinfo=HCM) and start.utcoffset() == dt.timedelta(hours=7)
    assert end == dt.datetime(2026, 6, 20, 11, 30, tzinfo=HCM)
    assert event["dtstart"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    assert str(event["summary"]) == "Hiến máu: Nhà văn hóa xã Tân Lập"
    assert str(event["location"]) == "Nhà văn hóa xã Tân Lập, Xã Tân Lập, Huyện Đan Phượng"
    assert str(event["description"]).splitlines() == [
        f"Buổi hiến máu #{first.id}", "Ngày: 20/06/2026, 07:00–11:30", "Trạng thái: đã lên lịch",
        "Đợt vận động: Những giọt máu hồng", "Sức chứa: 120 người", "Mục tiêu: 100 đơn vị máu"]
    assert (event.decoded("sequence"), str(event["status"])) == (0, "CONFIRMED")


def test_uids_are_stable_and_reschedule_or_cancel_bumps_sequence(session, now):
    first, second = _setup(session, now)
    _, before = _export(session, now)
    later = now + dt.timedelta(days=1)
    drives.reschedule_drive(session=session, settings=SETTINGS, drive_id=first.id, now=later,
                            date=dt.date(2026, 6, 27), start_time=dt.time(7, 30))
    drives.cancel_drive(session=session, drive_id=second.id, now=later)
    session.commit()
    _, after = _export(session, later)
    assert set(after) == set(before)
    moved = after[f"drive-{first.id}@hienmau.test"]
    assert moved.decoded("sequence") == before[f"drive-{first.id}@hienmau.test"].decoded("sequence") + 1
    assert moved.decoded("dtstart") == dt.datetime(2026, 6, 27, 7, 30, tzinfo=HCM)
    cancelled = after[f"drive-{second.id}@hienmau.test"]
    assert (str(cancelled["status"]), cancelled.decoded("sequence")) == ("CANCELLED", 1)


def test_the_words_of_an_event_in_english(session, now):
    first, _ = _setup(session, now)
    drives.close_drive(session=session, drive_id=first.id, today=dt.date(2026, 6, 20), now=now,
                       registered=130, donated=110, deferred=20, units=110)
    with use_language("en"):
        _, events = _export(session, now)
    event = events[f"drive-{first.id}@hienmau.test"]
    assert str(event["summary"]) == "Blood drive: Nhà văn hóa xã Tân Lập"
    assert str(event["description"]).splitlines() == [
        f"Drive #{first.id}", "Date: 20/06/2026, 07:00–11:30", "Status: closed", "Campaign: Những giọt máu hồng",
        "Capacity: 120 donors", "Target: 100 units", "Result: 110 units from 110 donors (130 registered, 20 deferred)"]
