"""Every number of the dashboard in one call, for the actor's chapter and the chapters below it.

Each card is one or two counting queries through existing indexes, with no loop over donors in
Python. Two would read every donor, so they are bounded: the flagged addresses are counted
through the partial index ix_donors_address_flagged up to ADDRESS_BOUND (more reads "more than"),
and the honours candidates come from honours.service.candidates (one set-based pass over the
chapter's donors, about 1 s for 1 M donors): for a user of the whole registry they are not
counted, and the card links to the honours page instead.
"""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, text
from sqlmodel import Session, func, select

from donor_registry.accounts.policy import Action, Actor, allows, within_reach
from donor_registry.campaigns import drives as drive_service
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.campaigns.turnout import expected_turnout
from donor_registry.chapter_settings import service as chapter_settings
from donor_registry.chapter_settings.rules import DRIVE_RING
from donor_registry.chapters.service import get_chapter
from donor_registry.config import Settings
from donor_registry.dashboard.cache import CardCache, Counted
from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor
from donor_registry.emergency import hospitals
from donor_registry.emergency import service as emergency
from donor_registry.emergency.models import EmergencyRequest, RequestStatus
from donor_registry.honours.service import candidates
from donor_registry.i18n import formatting
from donor_registry.importing.models import ImportRun
from donor_registry.importing.runs import history
from donor_registry.sms import costs
from donor_registry.sms import service as sms
from donor_registry.types import blood_group_label

#: The flagged addresses are counted up to this many (the index range is read no further).
ADDRESS_BOUND = 1000
#: Drives of the week whose expected turnout is counted (one indexed query each).
MAX_TURNOUTS = 30
IMPORTS_SHOWN = 5
_FLAGGED = text("donors.address_status IN ('split', 'ambiguous', 'unknown')")
# `+` keeps SQLite off the merged_into_id indexes (it would skip-scan one of them over every
# donor) so that it reads the flagged addresses' partial index; PostgreSQL reads it the same.
_NOT_MERGED = text("+donors.merged_into_id IS NULL")


@dataclass(frozen=True)
class WeekDrive:
    drive: Drive
    expected: int | None  # None: cancelled, or beyond MAX_TURNOUTS


@dataclass(frozen=True)
class Reserve:
    group: str  # "O+", "A?" …
    standby: int
    eligible_today: int


@dataclass(frozen=True)
class SmsHealth:
    queued: int
    failed: int
    sent_this_month: int
    cost_this_month: int  # đồng


@dataclass(frozen=True)
class Dashboard:
    week_start: dt.date
    week_end: dt.date
    drives: list[WeekDrive] | None = None  # None: the card is not the role's
    reserve: list[Reserve] = field(default_factory=list)
    requests: list[EmergencyRequest] | None = None
    sms: SmsHealth | None = None
    honours_by_tier: dict[int, int] | None = None
    honours_counted: bool = True  # False: the whole registry's candidates are not counted here
    flagged_addresses: int | None = None  # capped at ADDRESS_BOUND + 1
    imports: list[ImportRun] | None = None
    counted_at: dt.datetime | None = None  # when the kept cards (reserve, SMS, honours) were counted


def week_of(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week holding `today`."""
    start = today - dt.timedelta(days=today.weekday())
    return start, start + dt.timedelta(days=6)


def gather(*, session: Session, actor: Actor, settings: Settings, today: dt.date, now: dt.datetime,
           cache: CardCache | None = None) -> Dashboard:
    """The dashboard of `actor` on `today`; the SMS cost is of the month holding `now` (Vietnam's time).

    With a `cache`, the cards that read every donor of the chapter are the ones it keeps for
    this reach and day (counted at `counted_at`); without one, every card is counted now."""
    month_start = formatting.local(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start, end = week_of(today)

    def may(action: Action) -> bool:
        return allows(actor, action)

    chapter = get_chapter(session=session, chapter_id=actor.chapter_id) if actor.chapter_id is not None else None

    def count_slow_cards() -> tuple:
        return (_reserve(session, actor, settings, today), _sms(session, actor, settings, month_start),
                _honours(session, settings, chapter, today) if chapter else {})

    key = (actor.reach, actor.chapter_id, today, month_start)
    kept = cache.get(key, now, count_slow_cards) if cache is not None else Counted(count_slow_cards(), now)
    reserve, sms_health, honours_by_tier = kept.value
    return Dashboard(
        week_start=start, week_end=end,
        drives=_drives(session, settings, chapter, start, end, today),
        reserve=reserve, requests=_requests(session, actor), sms=sms_health,
        honours_by_tier=honours_by_tier, honours_counted=chapter is not None,
        flagged_addresses=_flagged(session, actor),
        imports=history(session=session, actor=actor, limit=IMPORTS_SHOWN) if may(Action.work_donors) else None,
        counted_at=kept.at if cache is not None and cache.keeps else None,
    )


def _drives(session, settings, chapter, start, end, today) -> list[WeekDrive]:
    listed = drive_service.list_drives(session=session, since=start, until=end, chapter=chapter)
    shown = []
    ring = chapter_settings.lookup(session=session, settings=settings, key=DRIVE_RING)
    for number, drive in enumerate(listed):
        counted = number < MAX_TURNOUTS and drive.status != DriveStatus.cancelled
        total = expected_turnout(session=session, drive=drive, rules=settings.eligibility, today=today,
                                 ring=ring(drive.chapter_id)).total if counted else None
        shown.append(WeekDrive(drive, total))
    return shown


def _reserve(session, actor, settings, today) -> list[Reserve]:
    """Standby donors by group and how many may give today, in one pass (the standby index)."""
    eligible = case((eligible_on_clause(today, settings.eligibility), 1), else_=0)
    query = (select(Donor.abo, Donor.rh, func.count(), func.sum(eligible))
             .where(Donor.standby.is_(True), Donor.merged_into_id.is_(None), Donor.erased_at.is_(None),
                    within_reach(actor, Donor.chapter_id))
             .group_by(Donor.abo, Donor.rh))
    rows = [Reserve(blood_group_label(abo, rh), n, int(ready or 0)) for abo, rh, n, ready in session.exec(query)]
    return sorted(rows, key=lambda r: r.group)


def _requests(session, actor) -> list[EmergencyRequest]:
    within = None if actor.reach is None else \
        [h.id for h in hospitals.list_hospitals(session=session) if allows(actor, Action.read_lists, h.chapter_id)]
    return emergency.list_requests(session=session, status=RequestStatus.open, hospital_ids=within)


def _sms(session, actor, settings, month_start) -> SmsHealth:
    within = within_reach(actor, Donor.chapter_id)
    table = sms.stats(session=session, donors_within=within)

    def total(state: str) -> int:
        return sum(counts.get(state, 0) for counts in table.values())

    month = costs.monthly_costs(session=session, since=month_start.astimezone(dt.UTC),
                                timezone=settings.general.timezone, donors_within=within)
    return SmsHealth(queued=total("queued"), failed=total("failed") + total("undelivered"),
                     sent_this_month=sum(r["messages"] for r in month),
                     cost_this_month=sum(r["cost_vnd"] for r in month))


def _honours(session, settings, chapter, today) -> dict[int, int]:
    by_tier: dict[int, int] = {}
    for row in candidates(session=session, settings=settings.honours, today=today, chapter=chapter):
        by_tier[row.tier] = by_tier.get(row.tier, 0) + 1
    return dict(sorted(by_tier.items()))


def _flagged(session, actor) -> int:
    bounded = (select(Donor.id)
               .where(_FLAGGED, _NOT_MERGED, Donor.erased_at.is_(None),
                      within_reach(actor, Donor.chapter_id))
               .limit(ADDRESS_BOUND + 1).subquery())
    return session.exec(select(func.count()).select_from(bounded)).one()
