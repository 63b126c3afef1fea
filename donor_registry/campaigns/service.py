"""Campaigns: planning a year from the templates, adding, listing, showing and cancelling them."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from donor_registry.audit.service import record as audit
from donor_registry.campaigns import calendar
from donor_registry.campaigns.calendar import PlannedCampaign
from donor_registry.campaigns.models import (
    Campaign,
    CampaignCreate,
    CampaignStatus,
    Drive,
    DriveStatus,
)
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.chapters.models import Chapter
from donor_registry.chapters.service import in_subtree
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _, formatting


@dataclass(frozen=True)
class PlanItem:
    """One template's campaign for the year: created now (or would be), or already there."""

    planned: PlannedCampaign
    campaign: Campaign | None  # None only in a dry run, for a campaign not yet planned
    created: bool


def plan_year(
    *, session: Session, settings: CampaignSettings, year: int, now: dt.datetime,
    actor: str = "cli", dry_run: bool = False,
) -> list[PlanItem]:
    """Create the year's campaigns from the templates; those already planned are left as they are."""
    try:
        planned = calendar.plan_year(settings.templates, year)
    except ValueError as exc:  # e.g. a year outside the lunar calendar's range
        raise UserError(_("cannot plan {year}: {problem}").format(year=year, problem=exc)) from exc
    existing = {
        c.template_key: c
        for c in session.exec(select(Campaign).where(Campaign.year == year, Campaign.template_key.is_not(None)))
    }
    items = []
    for plan in planned:
        campaign = existing.get(plan.template_key)
        if campaign is not None:
            items.append(PlanItem(plan, campaign, created=False))
            continue
        if not dry_run:
            campaign = _insert_campaign(session, CampaignCreate(
                template_key=plan.template_key, name=plan.name, year=year, start=plan.start,
                end=plan.end, target_units=plan.target_units), now=now)
        items.append(PlanItem(plan, campaign, created=True))
    if not dry_run:
        created = [item.planned.template_key for item in items if item.created]
        audit(session=session, now=now, actor=actor, action="campaigns.plan",
              subject_type="year", subject_id=year, detail={"created": created})
    return items


def add_campaign(*, session: Session, data: CampaignCreate, now: dt.datetime, actor: str = "cli") -> Campaign:
    """Add a campaign that no template describes (a factory or school season, say)."""
    if data.end < data.start:
        raise UserError(_("the campaign ends ({end}) before it starts ({start})").format(
            end=formatting.date(data.end), start=formatting.date(data.start)))
    if not data.name.strip():
        raise UserError(_("the campaign needs a name"))
    if data.template_key is not None:
        taken = session.exec(select(Campaign).where(
            Campaign.template_key == data.template_key, Campaign.year == data.year)).first()
        if taken is not None:
            raise UserError(_("campaign #{campaign_id} already comes from template '{template}' in {year}").format(
                campaign_id=taken.id, template=data.template_key, year=data.year))
    campaign = _insert_campaign(session, data, now=now)
    audit(session=session, now=now, actor=actor, action="campaigns.add",
          subject_type="campaign", subject_id=campaign.id, detail={"name": campaign.name})
    return campaign


def _insert_campaign(session: Session, data: CampaignCreate, *, now: dt.datetime) -> Campaign:
    campaign = Campaign.model_validate(data, update={"name": data.name.strip(), "created_at": now, "updated_at": now})
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    """The campaign with this number, or NotFound."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("there is no campaign #{campaign_id}").format(campaign_id=campaign_id))
    return campaign


def list_campaigns(
    *, session: Session, year: int | None = None, status: CampaignStatus | None = None,
    chapter: Chapter | None = None,
) -> list[Campaign]:
    """Campaigns by start date, optionally of one year, status, or chapter (and its sub-chapters)."""
    query = select(Campaign)
    if chapter is not None:
        query = query.where(in_subtree(Campaign.chapter_id, chapter))
    if year is not None:
        query = query.where(Campaign.year == year)
    if status is not None:
        query = query.where(Campaign.status == status)
    return list(session.exec(query.order_by(Campaign.start, Campaign.end, Campaign.id)))


@dataclass(frozen=True)
class CampaignTotals:
    drives: int
    drives_closed: int
    drives_cancelled: int
    capacity: int
    registered: int
    donated: int
    deferred: int
    units: int


def campaign_totals(*, session: Session, campaign_id: int) -> CampaignTotals:
    """Drive counts and the results of the closed drives of one campaign."""
    closed = Drive.status == DriveStatus.closed
    row = session.exec(select(
        func.count(Drive.id),
        func.count(Drive.id).filter(closed),
        func.count(Drive.id).filter(Drive.status == DriveStatus.cancelled),
        func.coalesce(func.sum(Drive.capacity).filter(Drive.status != DriveStatus.cancelled), 0),
        func.coalesce(func.sum(Drive.registered).filter(closed), 0),
        func.coalesce(func.sum(Drive.donated).filter(closed), 0),
        func.coalesce(func.sum(Drive.deferred).filter(closed), 0),
        func.coalesce(func.sum(Drive.units).filter(closed), 0),
    ).where(Drive.campaign_id == campaign_id)).one()
    return CampaignTotals(*(int(value) for value in row))


def cancel_campaign(
    *, session: Session, campaign_id: int, now: dt.datetime, actor: str = "cli",
) -> tuple[Campaign, list[Drive]]:
    """Cancel a campaign and its drives still planned; closed drives keep their results."""
    from donor_registry.campaigns.drives import cancel_drive

    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if campaign.status == CampaignStatus.cancelled:
        raise UserError(_("campaign #{campaign_id} is already cancelled").format(campaign_id=campaign_id))
    planned = session.exec(select(Drive).where(
        Drive.campaign_id == campaign_id, Drive.status == DriveStatus.planned).order_by(Drive.id)).all()
    drives = [cancel_drive(session=session, drive_id=d.id, now=now, actor=actor) for d in planned]
    campaign.status = CampaignStatus.cancelled
    campaign.updated_at = now
    session.add(campaign)
    session.flush()
    audit(session=session, now=now, actor=actor, action="campaigns.cancel", subject_type="campaign",
          subject_id=campaign.id, detail={"drives_cancelled": [d.id for d in drives]})
    return campaign, drives
