"""Read-only summaries computed from the records: the chapter's annual report.

The figures keep enum values and English placeholders (`--json`); the text lines and the
workbook read in the current language (see `report_files`).
"""

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import distinct, func, select
from sqlmodel import Session

from donor_registry.campaigns.models import Campaign, CampaignStatus, Drive, DriveStatus
from donor_registry.chapters.models import Chapter
from donor_registry.chapters.service import in_subtree
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donors.models import Donor
from donor_registry.honours.models import HonourAward
from donor_registry.i18n import N_
from donor_registry.places import units

# Kept as these English words in the figures (and --json); shown translated (report_files).
NO_CAMPAIGN = N_("(outside any campaign)")
NO_DISTRICT = N_("(district unknown)")
NO_UNIT = N_("(unit unknown)")
# Districts were abolished on this day: the old district is a grouping only for donations before it.
DISTRICTS_ABOLISHED = dt.date(2025, 7, 1)


@dataclass
class AnnualReport:
    year: int
    campaigns_held: int
    campaigns_cancelled: int
    drives_held: int
    drives_not_closed: int
    drives_cancelled: int
    units: int
    deferrals: int
    units_by_type: dict[str, int]
    units_by_campaign: dict[str, int]
    emergency_units: int
    donors: int
    new_donors: int
    repeat_donors: int
    honoured_by_tier: dict[int, int]
    honoured_by_district: dict[str, int]
    # By the units since 2025-07-01 (the donor's province and commune), and, for donations made
    # before that day, by the old district as entered.
    units_by_province: dict[str, int] = field(default_factory=dict)
    units_by_commune: dict[str, int] = field(default_factory=dict)
    units_by_old_district: dict[str, int] = field(default_factory=dict)
    drives_by_province: dict[str, int] = field(default_factory=dict)
    honoured_by_province: dict[str, int] = field(default_factory=dict)
    chapter: str | None = None

    def as_dict(self) -> dict:
        """Plain values for JSON."""
        return asdict(self)


def annual_report(*, session: Session, year: int, chapter: Chapter | None = None) -> AnnualReport:
    """The year-end figures: campaigns and drives, units, donors and honours, from the records;
    of one chapter and its sub-chapters when given (donations and honours by the donor's chapter)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    in_year = Donation.donated_on.between(start, end) & Donation.voided_at.is_(None)
    donated = Donation.outcome == Outcome.donated
    campaign_where, drive_where, donor_where = [Campaign.year == year], [Drive.date.between(start, end)], []
    if chapter is not None:
        campaign_where.append(in_subtree(Campaign.chapter_id, chapter))
        drive_where.append(in_subtree(Drive.chapter_id, chapter))
        donor_where.append(Donation.donor_id.in_(select(Donor.id).where(in_subtree(Donor.chapter_id, chapter))))
        in_year = in_year & donor_where[0]
    campaigns = _count_by(session, Campaign.status, *campaign_where)
    drives = _count_by(session, Drive.status, *drive_where)
    donors, new, repeat = _donor_counts(session, start, end, *donor_where)
    by_unit = _units_by_unit(session, donated, in_year)
    return AnnualReport(
        year=year,
        campaigns_held=sum(n for status, n in campaigns.items() if status != CampaignStatus.cancelled),
        campaigns_cancelled=campaigns.get(CampaignStatus.cancelled, 0),
        drives_held=drives.get(DriveStatus.closed, 0),
        drives_not_closed=drives.get(DriveStatus.planned, 0),
        drives_cancelled=drives.get(DriveStatus.cancelled, 0),
        units=session.scalar(select(func.count()).select_from(Donation).where(donated, in_year)),
        deferrals=session.scalar(select(func.count()).select_from(Donation).where(
            Donation.outcome == Outcome.deferred, in_year)),
        units_by_type={kind.value: n for kind, n in _count_by(session, Donation.type, donated, in_year).items()},
        units_by_campaign=_units_by_campaign(session, donated, in_year),
        emergency_units=_emergency_units(session, donated, in_year),
        donors=donors,
        new_donors=new,
        repeat_donors=repeat,
        honoured_by_tier=_honoured_by_tier(session, start, end, chapter),
        honoured_by_district=_honoured_by_district(session, start, end, chapter),
        units_by_province=by_unit[0], units_by_commune=by_unit[1],
        units_by_old_district=_units_by_old_district(session, donated, in_year),
        drives_by_province=_drives_by_province(session, Drive.status == DriveStatus.closed, *drive_where),
        honoured_by_province=_honoured_by_province(session, start, end, chapter),
        chapter=f"{chapter.code} {chapter.name}" if chapter else None,
    )


def _units_by_unit(session: Session, *conditions) -> tuple[dict[str, int], dict[str, int]]:
    """Units by the donor's province and by commune (units since 2025-07-01), largest first."""
    query = (
        select(Donor.province_code, Donor.commune_code, func.count(Donation.id))
        .select_from(Donation).join(Donor, Donor.id == Donation.donor_id).where(*conditions)
        .group_by(Donor.province_code, Donor.commune_code)
    )
    provinces: dict[str, int] = {}
    communes: dict[str, int] = {}
    for province_code, commune_code, n in session.execute(query):
        province = units.province(province_code) if province_code else None
        commune = units.commune(commune_code) if commune_code else None
        p_label = province.name if province else NO_UNIT
        provinces[p_label] = provinces.get(p_label, 0) + n
        c_label = f"{commune.name}, {units.province(commune.province_code).name}" if commune else NO_UNIT
        communes[c_label] = communes.get(c_label, 0) + n
    return _largest_first(provinces), _largest_first(communes)


def _units_by_old_district(session: Session, *conditions) -> dict[str, int]:
    """Units given before 2025-07-01, by the donor's district as entered (empty for later years)."""
    query = (
        select(Donor.district, func.count(Donation.id))
        .select_from(Donation).join(Donor, Donor.id == Donation.donor_id)
        .where(*conditions, Donation.donated_on < DISTRICTS_ABOLISHED).group_by(Donor.district)
    )
    return _largest_first({district or NO_DISTRICT: n for district, n in session.execute(query)})


def _drives_by_province(session: Session, *conditions) -> dict[str, int]:
    query = select(Drive.province_code, func.count()).where(*conditions).group_by(Drive.province_code)
    return _largest_first({(units.province(code).name if code and units.province(code) else NO_UNIT): n
                           for code, n in session.execute(query)})


def _honoured_by_province(session: Session, start: dt.date, end: dt.date, chapter: Chapter | None) -> dict[str, int]:
    query = (
        select(Donor.province_code, func.count(distinct(HonourAward.donor_id)))
        .join(Donor, Donor.id == HonourAward.donor_id)
        .where(*_active_awards_in(start, end), *_of_chapter(chapter))
        .group_by(Donor.province_code)
    )
    return _largest_first({(units.province(code).name if code and units.province(code) else NO_UNIT): n
                           for code, n in session.execute(query)})


def _of_chapter(chapter: Chapter | None) -> list:
    return [] if chapter is None else [in_subtree(Donor.chapter_id, chapter)]


def _largest_first(figures: dict[str, int]) -> dict[str, int]:
    return dict(sorted(figures.items(), key=lambda item: (-item[1], item[0])))


def _count_by(session: Session, column, *conditions) -> dict:
    query = select(column, func.count()).where(*conditions).group_by(column).order_by(column)
    return dict(session.execute(query).all())


def _units_by_campaign(session: Session, *conditions) -> dict[str, int]:
    query = (
        select(Campaign.name, Campaign.year, func.count(Donation.id))
        .select_from(Donation)
        .outerjoin(Drive, Drive.id == Donation.drive_id)
        .outerjoin(Campaign, Campaign.id == Drive.campaign_id)
        .where(*conditions)
        .group_by(Campaign.id, Campaign.name, Campaign.year)
        .order_by(func.count(Donation.id).desc(), Campaign.name)
    )
    return {f"{name} {year}" if name else NO_CAMPAIGN: n for name, year, n in session.execute(query)}


def _emergency_units(session: Session, *conditions) -> int:
    query = select(func.count()).select_from(Donation).where(Donation.emergency_request_id.is_not(None), *conditions)
    return session.scalar(query)


def _donor_counts(session: Session, start: dt.date, end: dt.date, *of_chapter) -> tuple[int, int, int]:
    """(donors who gave in the year, of them first-time donors, of them donors who had given before)."""
    donated = (Donation.outcome == Outcome.donated) & Donation.voided_at.is_(None)
    for condition in of_chapter:
        donated = donated & condition
    gave = session.scalar(
        select(func.count(distinct(Donation.donor_id))).where(donated, Donation.donated_on.between(start, end))
    )
    firsts = (
        select(Donation.donor_id).where(donated).group_by(Donation.donor_id)
        .having(func.min(Donation.donated_on).between(start, end)).subquery()
    )
    new = session.scalar(select(func.count()).select_from(firsts))
    return gave, new, gave - new


def _active_awards_in(start: dt.date, end: dt.date):
    return HonourAward.revoked_at.is_(None), HonourAward.awarded_on.between(start, end)


def _honoured_by_tier(session: Session, start: dt.date, end: dt.date, chapter: Chapter | None = None) -> dict[int, int]:
    query = (
        select(HonourAward.tier, func.count(distinct(HonourAward.donor_id)))
        .join(Donor, Donor.id == HonourAward.donor_id)
        .where(*_active_awards_in(start, end), *_of_chapter(chapter))
        .group_by(HonourAward.tier).order_by(HonourAward.tier)
    )
    return dict(session.execute(query).all())


def _honoured_by_district(session: Session, start: dt.date, end: dt.date, chapter: Chapter | None = None) -> dict[str, int]:
    query = (
        select(Donor.district, func.count(distinct(HonourAward.donor_id)))
        .join(Donor, Donor.id == HonourAward.donor_id)
        .where(*_active_awards_in(start, end), *_of_chapter(chapter))
        .group_by(Donor.district)
        .order_by(func.count(distinct(HonourAward.donor_id)).desc(), Donor.district)
    )
    return {district or NO_DISTRICT: n for district, n in session.execute(query)}


def text_lines(report: AnnualReport) -> list[str]:
    """The report as plain lines for the terminal or a text file, in the current language."""
    from donor_registry.report_files import text_lines as lines

    return lines(report)


def write_xlsx(report: AnnualReport, path: Path, *, made_on: dt.date | None = None) -> None:
    """The report as a workbook in the current language: a summary sheet and one per breakdown."""
    from donor_registry.report_files import write_xlsx as write

    write(report, path, made_on=made_on)
