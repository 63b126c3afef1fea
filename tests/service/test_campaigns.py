"""Campaign planning from templates, idempotent re-planning, adding and cancelling campaigns."""

import datetime as dt

import pytest
from sqlmodel import select

from donor_registry.campaigns import service
from donor_registry.campaigns.calendar import (
    CampaignTemplate,
    FixedAnchor,
    RangeAnchor,
    TetAnchor,
    WeeklyAnchor,
    tet_date,
)
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import (
    Campaign,
    CampaignCreate,
    CampaignStatus,
    DriveCreate,
    DriveStatus,
)
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.errors import UserError

pytestmark = pytest.mark.usefixtures("english")

D = dt.date

EVERY_KIND = CampaignSettings(templates=[
    CampaignTemplate(key="toan-dan", name="Ngày toàn dân", target_units=300,
                     anchor=FixedAnchor(month=4, day=7, days=2)),
    CampaignTemplate(key="xuan-hong", name="Lễ hội Xuân hồng", target_units=1500,
                     anchor=TetAnchor(offset_days=10, days=21)),
    CampaignTemplate(key="he", name="Những giọt máu hồng", target_units=2500,
                     anchor=RangeAnchor(start_month=6, start_day=1, end_month=8, end_day=31)),
    CampaignTemplate(key="chu-nhat-do", name="Chủ nhật Đỏ", target_units=2000,
                     anchor=WeeklyAnchor(weekday="sunday", start_month=12, start_day=1, end_month=3, end_day=31)),
])


def _campaigns(session, year):
    return {c.template_key: c for c in session.exec(select(Campaign).where(Campaign.year == year))}


def test_plan_creates_one_campaign_per_template_with_each_anchor_kind(session, now):
    items = service.plan_year(session=session, settings=EVERY_KIND, year=2027, now=now)
    session.commit()
    assert all(item.created for item in items)
    stored = _campaigns(session, 2027)
    assert (stored["toan-dan"].start, stored["toan-dan"].end) == (D(2027, 4, 7), D(2027, 4, 8))
    # Tết 2027 is Saturday 6 February 2027 (Đinh Mùi).
    assert tet_date(2027) == D(2027, 2, 6)
    assert (stored["xuan-hong"].start, stored["xuan-hong"].end) == (D(2027, 2, 16), D(2027, 3, 8))
    assert (stored["he"].start, stored["he"].end) == (D(2027, 6, 1), D(2027, 8, 31))
    # The season ending in 2027: first Sunday of December 2026 to the last Sunday of March 2027.
    assert (stored["chu-nhat-do"].start, stored["chu-nhat-do"].end) == (D(2026, 12, 6), D(2027, 3, 28))
    assert stored["he"].target_units == 2500
    assert {c.status for c in stored.values()} == {CampaignStatus.planned}


def test_replanning_changes_nothing_already_planned(session, now):
    service.plan_year(session=session, settings=EVERY_KIND, year=2027, now=now)
    session.commit()
    edited = _campaigns(session, 2027)["he"]
    edited.end, edited.target_units = D(2027, 7, 31), 99  # the coordinator adjusted it
    session.add(edited)
    service.cancel_campaign(session=session, campaign_id=_campaigns(session, 2027)["toan-dan"].id, now=now)
    session.commit()

    again = service.plan_year(session=session, settings=EVERY_KIND, year=2027, now=now + dt.timedelta(days=1))
    session.commit()
    assert not any(item.created for item in again)
    stored = _campaigns(session, 2027)
    assert len(stored) == 4
    assert (stored["he"].end, stored["he"].target_units) == (D(2027, 7, 31), 99)
    assert stored["toan-dan"].status == CampaignStatus.cancelled


def test_plan_adds_only_templates_new_since_the_last_run(session, now):
    first = CampaignSettings(templates=EVERY_KIND.templates[:2])
    service.plan_year(session=session, settings=first, year=2027, now=now)
    items = service.plan_year(session=session, settings=EVERY_KIND, year=2027, now=now)
    session.commit()
    assert {i.planned.template_key for i in items if i.created} == {"he", "chu-nhat-do"}
    assert len(_campaigns(session, 2027)) == 4


def test_dry_run_reports_and_writes_nothing(session, now):
    service.plan_year(session=session, settings=CampaignSettings(templates=EVERY_KIND.templates[:1]),
                      year=2027, now=now)
    session.commit()
    items = service.plan_year(session=session, settings=EVERY_KIND, year=2027, now=now, dry_run=True)
    session.commit()
    assert [(i.planned.template_key, i.created) for i in items if i.created] == [
        ("chu-nhat-do", True), ("xuan-hong", True), ("he", True)]
    assert all(i.campaign is None for i in items if i.created)
    assert list(_campaigns(session, 2027)) == ["toan-dan"]


def test_years_are_planned_independently(session, now):
    service.plan_year(session=session, settings=EVERY_KIND, year=2027, now=now)
    items = service.plan_year(session=session, settings=EVERY_KIND, year=2028, now=now)
    session.commit()
    assert all(i.created for i in items)
    assert _campaigns(session, 2028)["xuan-hong"].start == tet_date(2028) + dt.timedelta(days=10)


def test_add_campaign_checks_dates_and_template_year(session, now):
    with pytest.raises(UserError, match="before it starts"):
        service.add_campaign(session=session, now=now, data=CampaignCreate(
            name="Nhà máy", year=2027, start=D(2027, 5, 2), end=D(2027, 5, 1)))
    service.plan_year(session=session, settings=EVERY_KIND, year=2027, now=now)
    with pytest.raises(UserError, match="already comes from template"):
        service.add_campaign(session=session, now=now, data=CampaignCreate(
            name="x", year=2027, start=D(2027, 5, 1), end=D(2027, 5, 1), template_key="he"))
    school = service.add_campaign(session=session, now=now, data=CampaignCreate(
        name=" Trường THPT Chu Văn An ", year=2027, start=D(2027, 10, 1), end=D(2027, 10, 31), target_units=80))
    session.commit()
    assert school.name == "Trường THPT Chu Văn An"
    assert [c.id for c in service.list_campaigns(session=session, year=2027)][-1] == school.id


def test_cancel_campaign_cancels_its_planned_drives_and_keeps_closed_ones(session, now):
    campaign = service.add_campaign(session=session, now=now, data=CampaignCreate(
        name="Hè", year=2026, start=D(2026, 5, 1), end=D(2026, 8, 31)))
    drives = [
        add_drive(session=session, settings=CampaignSettings(), now=now, data=DriveCreate(
            campaign_id=campaign.id, date=day, start_time=dt.time(7), end_time=dt.time(11), venue=f"Nhà văn hóa {i}"))[0]
        for i, day in enumerate([D(2026, 5, 20), D(2026, 7, 1)])
    ]
    drives[0].status = DriveStatus.closed
    session.add(drives[0])
    session.commit()
    cancelled, dropped = service.cancel_campaign(session=session, campaign_id=campaign.id, now=now)
    session.commit()
    assert cancelled.status == CampaignStatus.cancelled
    assert [d.id for d in dropped] == [drives[1].id]
    assert [d.status for d in drives] == [DriveStatus.closed, DriveStatus.cancelled]
    with pytest.raises(UserError, match="already cancelled"):
        service.cancel_campaign(session=session, campaign_id=campaign.id, now=now)
    with pytest.raises(UserError, match="cancelled; it takes no new drives"):
        add_drive(session=session, settings=CampaignSettings(), now=now, data=DriveCreate(
            campaign_id=campaign.id, date=D(2026, 7, 2), start_time=dt.time(7), end_time=dt.time(11), venue="x"))
