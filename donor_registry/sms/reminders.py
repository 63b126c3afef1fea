"""Reminders planned into the outbox: invitations, the day-before reminder, thank-yous,
"you may give again" and honour congratulations.

Every planner selects its recipients in one SQL query (area, eligibility, contactable_clause),
renders the texts, and bulk-inserts them with ON CONFLICT DO NOTHING on the idempotency key,
so planning twice adds nothing. A per-donor weekly cap is applied across all kinds.
"""

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, inspect, or_, true, update
from sqlmodel import Session, select

from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.campaigns.turnout import drive_area
from donor_registry.chapter_settings import rules as chapter_rules
from donor_registry.chapter_settings import service as chapter_settings
from donor_registry.config import Settings
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _
from donor_registry.slots.links import has_slots, new_links, url_of
from donor_registry.slots.models import BookingStatus, DriveSlot, SlotBooking
from donor_registry.sms.audience import contactable_clause
from donor_registry.sms.languages import ENGLISH, VIETNAMESE, english_speakers
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue_many
from donor_registry.sms.settings import parse_hh_mm
from donor_registry.sms.templates import placeholders, renderer, template_of, text_key
from donor_registry.text import name_parts

WEEK = dt.timedelta(days=7)
_NOT_COUNTED = (OutboxStatus.cancelled, OutboxStatus.failed)


@dataclass
class Candidate:
    donor_id: int
    full_name: str
    phone: str
    key: str
    fields: dict
    chapter_id: int | None = None  # the donor's: its organisation name signs the text
    link_drive_id: int | None = None  # the drive of the donor's personal link ({link}), if it has slots


@dataclass
class PlanReport:
    planned: Counter = field(default_factory=Counter)  # new rows per kind
    over_cap: Counter = field(default_factory=Counter)  # left out by the weekly cap
    existing: Counter = field(default_factory=Counter)  # already planned earlier


def _planner(session: Session, settings: Settings, now: dt.datetime,
             chapters: Collection[int] | None = None) -> "_Planner":
    tz = ZoneInfo(settings.general.timezone)
    today = now.astimezone(tz).date()
    send_at = max(now, dt.datetime.combine(today, parse_hh_mm(settings.sms.reminders.send_at), tz))
    return _Planner(session=session, settings=settings, now=now, today=today, send_at=send_at, chapters=chapters)


def plan_reminders(*, session: Session, settings: Settings, now: dt.datetime,
                   chapters: Collection[int] | None = None) -> PlanReport:
    """Plan every enabled kind of reminder due today into the outbox; with `chapters` (a
    workspace user's reach), only for donors of those chapters."""
    planner = _planner(session, settings, now, chapters)
    options = settings.sms.reminders
    if options.day_before_reminder:
        planner.add("reminder", _day_before(planner))
    if options.thank_you:
        planner.add("thank_you", _thank_you(planner), send_after=now)
    if options.congratulation:
        planner.add("congratulation", _congratulation(planner))
    planner.add("invitation", _invitations(planner))
    if options.may_give_again:
        planner.add("may_give_again", _may_give_again(planner))
    return planner.report


class _Planner:
    def __init__(self, *, session, settings, now, today, send_at, chapters=None) -> None:
        self.session, self.settings, self.now = session, settings, now
        self.today, self.send_at = today, send_at
        self.chapters = None if chapters is None else frozenset(chapters)
        self.report = PlanReport()
        self.cap = settings.sms.weekly_cap_per_donor
        self._week_counts: Counter | None = None
        self._english: frozenset[int] | None = None
        # A chapter's own settings (chapter_settings) over config.toml's.
        def own(key):
            return chapter_settings.lookup(session=session, settings=settings, key=key)

        self.organisation = own(chapter_rules.ORGANISATION_NAME)
        self.ring = own(chapter_rules.DRIVE_RING)
        self.invitation_days = own(chapter_rules.INVITATION_DAYS)
        self.widest_invitation_days = max([settings.sms.reminders.invitation_days_before] + [
            int(v) for v in chapter_settings.stored_values(session=session, key=chapter_rules.INVITATION_DAYS)
            if v.isdigit()])

    def within(self):
        """The donors of the chapters planned for (a workspace user's reach), or every donor."""
        return true() if self.chapters is None else Donor.chapter_id.in_(sorted(self.chapters))

    def week_counts(self) -> Counter:
        """Reminders each donor already has within a week of today's sending time."""
        if self._week_counts is None:
            urgent = self.settings.sms.urgent_kinds
            rows = self.session.exec(
                select(OutboxMessage.donor_id, func.count())
                .where(
                    OutboxMessage.donor_id.is_not(None),
                    OutboxMessage.send_after > self.send_at - WEEK,
                    OutboxMessage.send_after < self.send_at + WEEK,
                    OutboxMessage.status.not_in(_NOT_COUNTED),
                    OutboxMessage.urgent.is_(False),
                    OutboxMessage.kind.not_in(urgent),
                )
                .group_by(OutboxMessage.donor_id)
            )
            self._week_counts = Counter(dict(rows.all()))
        return self._week_counts

    def existing_keys(self, kind: str) -> set[str]:
        """Keys of `kind` planned recently enough to be planned again today.

        Every planner looks back at most look_back_days (+ the invitation lead time), so an
        older row cannot share a key with today's candidates (and ON CONFLICT guards anyway).
        """
        reminders = self.settings.sms.reminders
        horizon = self.now - dt.timedelta(
            days=reminders.look_back_days + self.widest_invitation_days + 2
        )
        query = select(OutboxMessage.idempotency_key).where(
            OutboxMessage.kind == kind, OutboxMessage.created_at >= horizon
        )
        return set(self.session.connection().scalars(query))

    def add(self, kind: str, candidates: Iterable[Candidate], *, send_after=None) -> None:
        """Queue `kind` for the candidates not planned before and under the weekly cap."""
        candidates = list(candidates)
        if not candidates:
            return
        existing = self.existing_keys(kind)
        counts = self.week_counts()
        fills = {(has_link, language): renderer(text_key(kind, self.settings, has_link), self.settings,
                                                language=language)
                 for has_link in (False, True) for language in (VIETNAMESE, ENGLISH)}
        due = []
        for c in candidates:
            if c.key in existing:
                self.report.existing[kind] += 1
                continue
            if counts[c.donor_id] >= self.cap:
                self.report.over_cap[kind] += 1
                continue
            counts[c.donor_id] += 1
            due.append(c)
        urls = self.links(kind, due)
        rows = []
        english = self.english_speakers()
        for c in due:
            fill = fills[(c.link_drive_id is not None, ENGLISH if c.donor_id in english else VIETNAMESE)]
            body = fill(ten=name_parts(c.full_name)[2] or c.full_name, ho_ten=c.full_name,
                        to_chuc=self.organisation(c.chapter_id),
                        **{"link": urls.get((c.link_drive_id, c.donor_id)), **c.fields})
            rows.append((c.donor_id, c.phone, body, c.key))
        self.report.planned[kind] += enqueue_many(
            session=self.session, now=self.now, kind=kind, rows=rows,
            send_after=send_after or self.send_at,
        )


    def english_speakers(self) -> frozenset[int]:
        if self._english is None:
            self._english = english_speakers(self.session)
        return self._english

    def links(self, kind: str, due: list[Candidate]) -> dict[tuple[int, int], str]:
        """Personal drive links for the texts about to be queued, only when `kind`'s template
        (in either language) has {link} (a token is minted per text: slots/links.py keeps only its hash)."""
        keyed = text_key(kind, self.settings, has_link=True)
        if not any("link" in placeholders(template_of(keyed, self.settings, language) or "")
                   for language in (VIETNAMESE, ENGLISH)):
            return {}
        by_drive: dict[int, list[int]] = {}
        for c in due:
            if c.link_drive_id is not None:
                by_drive.setdefault(c.link_drive_id, []).append(c.donor_id)
        return {(drive_id, donor_id): url for drive_id, donor_ids in by_drive.items()
                for donor_id, url in new_links(session=self.session, drive_id=drive_id, donor_ids=donor_ids,
                                               now=self.now, base_url=self.settings.sms.public_base_url).items()}


def audience(
    *, session: Session, settings: Settings, now: dt.datetime, kind: str, drive_id: int | None = None
) -> list[tuple[str, dict]]:
    """Who a `kind` reminder would go to today, as (full name, template fields) pairs."""
    planner = _planner(session, settings, now)
    if drive_id is not None:
        drive = session.get(Drive, drive_id)
        if drive is None:
            raise NotFound(_("no drive with id {drive_id}").format(drive_id=drive_id))
        if kind == "invitation":
            found = _invite_for(planner, drive)
        elif kind == "reminder":
            found = _remind_for(planner, drive)
        else:
            raise UserError(_("--drive only applies to invitation and reminder, not {kind}").format(kind=kind))
    else:
        sources = {"invitation": _invitations, "reminder": _day_before, "thank_you": _thank_you,
                   "may_give_again": _may_give_again, "congratulation": _congratulation}
        if kind not in sources:
            return []
        found = sources[kind](planner)
    sample_link = url_of(settings.sms.public_base_url, "x" * 22)  # as long as a real one
    return [(c.full_name, {"link": sample_link if c.link_drive_id else None, **c.fields,
                           "to_chuc": planner.organisation(c.chapter_id)}) for c in found]


def _donor_columns():
    return Donor.id, Donor.full_name, Donor.phone_e164, Donor.chapter_id


def _drive_fields(drive: Drive) -> dict:
    return {
        "ngay": drive.date.strftime("%d/%m/%Y"),
        "gio": drive.start_time.strftime("%H:%M"),
        "dia_diem": drive.venue,
    }


def area_clause(drive: Drive, ring: str = "10km"):
    """Donors living in the drive's area: within its ring (campaigns.drive_ring) when it is
    located by official commune or coordinates; for an old address, its commune, else its
    district, else its province."""
    if drive.commune_code or drive.latitude is not None:
        return drive_area(drive, ring)[2]
    parts = []
    if drive.commune_key:
        parts.append(Donor.commune_key == drive.commune_key)
    if drive.district_key and drive.commune_key:
        # Wrapped so the planner searches the (much narrower) commune index, not the district's.
        parts.append(func.coalesce(Donor.district_key, "") == drive.district_key)
    elif drive.district_key:
        parts.append(Donor.district_key == drive.district_key)
    if drive.province_key and not drive.commune_key:
        parts.append(Donor.province_key == drive.province_key)
    return and_(*parts) if parts else None


def _invitations(p: _Planner) -> Iterator[Candidate]:
    last_day = p.today + dt.timedelta(days=p.widest_invitation_days)
    drives = p.session.exec(
        select(Drive).where(
            Drive.status == DriveStatus.planned, Drive.date > p.today, Drive.date <= last_day
        ).order_by(Drive.date, Drive.id)
    ).all()
    for drive in drives:
        if drive.date <= p.today + dt.timedelta(days=p.invitation_days(drive.chapter_id)):
            yield from _invite_for(p, drive)


def _invite_for(p: _Planner, drive: Drive) -> Iterator[Candidate]:
    area = area_clause(drive, p.ring(drive.chapter_id))
    if area is None:
        return
    query = select(*_donor_columns()).where(
        area, contactable_clause(), p.within(), eligible_on_clause(drive.date, p.settings.eligibility)
    ).order_by(Donor.id)
    fields = _drive_fields(drive)
    link_drive_id = drive.id if has_slots(p.session, drive.id) else None
    for donor_id, name, phone, chapter_id in p.session.connection().execute(query):
        yield Candidate(donor_id, name, phone, f"invitation:drive:{drive.id}:donor:{donor_id}",
                        fields, chapter_id=chapter_id, link_drive_id=link_drive_id)


def _day_before(p: _Planner) -> Iterator[Candidate]:
    tomorrow = p.today + dt.timedelta(days=1)
    drives = p.session.exec(
        select(Drive).where(Drive.status == DriveStatus.planned, Drive.date == tomorrow)
    ).all()
    for drive in drives:
        yield from _remind_for(p, drive)


def _remind_for(p: _Planner, drive: Drive) -> Iterator[Candidate]:
    local_midnight = dt.datetime.combine(p.today, dt.time(0), p.send_at.tzinfo)
    invited = select(OutboxMessage.donor_id).where(
        OutboxMessage.idempotency_key.like(f"invitation:drive:{drive.id}:donor:%"),
        OutboxMessage.status.not_in([OutboxStatus.cancelled, OutboxStatus.failed]),
        OutboxMessage.created_at < local_midnight,
    )
    # A donor with a booking is reminded of the booked time ({gio}), invited or not.
    active = and_(SlotBooking.drive_id == drive.id, SlotBooking.status == BookingStatus.active)
    booked = dict(p.session.connection().execute(
        select(SlotBooking.donor_id, DriveSlot.start_time).join(DriveSlot, DriveSlot.id == SlotBooking.slot_id)
        .where(active)).all())
    query = select(*_donor_columns()).where(
        or_(Donor.id.in_(invited), Donor.id.in_(select(SlotBooking.donor_id).where(active)))
        if booked else Donor.id.in_(invited),
        contactable_clause(), p.within(), eligible_on_clause(drive.date, p.settings.eligibility),
    ).order_by(Donor.id)
    fields = _drive_fields(drive)
    link_drive_id = drive.id if booked or has_slots(p.session, drive.id) else None
    for donor_id, name, phone, chapter_id in p.session.connection().execute(query):
        start = booked.get(donor_id)
        yield Candidate(donor_id, name, phone, f"reminder:drive:{drive.id}:donor:{donor_id}",
                        {**fields, "gio": start.strftime("%H:%M")} if start else fields,
                        chapter_id=chapter_id, link_drive_id=link_drive_id)


def _since(p: _Planner) -> dt.date:
    return p.today - dt.timedelta(days=p.settings.sms.reminders.look_back_days)


def _thank_you(p: _Planner) -> Iterator[Candidate]:
    query = (
        select(Donation.id, Donation.donated_on, *_donor_columns())
        .join(Donor, Donor.id == Donation.donor_id)
        .where(
            Donation.outcome == Outcome.donated, Donation.voided_at.is_(None),
            Donation.donated_on >= _since(p), Donation.donated_on <= p.today,
            contactable_clause(), p.within(),
        )
        .order_by(Donation.id)
    )
    for donation_id, donated_on, donor_id, name, phone, chapter_id in p.session.exec(query):
        yield Candidate(donor_id, name, phone, f"thank_you:donation:{donation_id}",
                        {"ngay": donated_on.strftime("%d/%m/%Y")}, chapter_id)


def _may_give_again(p: _Planner) -> Iterator[Candidate]:
    query = select(Donor.eligible_again_on, *_donor_columns()).where(
        Donor.last_donation_on.is_not(None),
        Donor.eligible_again_on >= _since(p), Donor.eligible_again_on <= p.today,
        contactable_clause(), p.within(), eligible_on_clause(p.today, p.settings.eligibility),
    ).order_by(Donor.id)
    for again_on, donor_id, name, phone, chapter_id in p.session.exec(query):
        yield Candidate(donor_id, name, phone, f"may_give_again:donor:{donor_id}:{again_on.isoformat()}",
                        {"ngay": again_on.strftime("%d/%m/%Y")}, chapter_id)


def _congratulation(p: _Planner) -> Iterator[Candidate]:
    if not inspect(p.session.connection()).has_table("honour_awards"):
        return
    from donor_registry.honours.models import HonourAward  # the honours domain may be absent

    query = (
        select(HonourAward.id, HonourAward.donation_count, *_donor_columns())
        .join(Donor, Donor.id == HonourAward.donor_id)
        .where(
            HonourAward.revoked_at.is_(None),
            HonourAward.awarded_on >= _since(p), HonourAward.awarded_on <= p.today,
            contactable_clause(), p.within(),
        )
        .order_by(HonourAward.id)
    )
    for award_id, count, donor_id, name, phone, chapter_id in p.session.exec(query):
        yield Candidate(donor_id, name, phone, f"congratulation:award:{award_id}",
                        {"so_lan": count}, chapter_id)


def withdraw_stale_reminders(
    *, session: Session, now: dt.datetime, donor_ids: Iterable[int], withdrawn_donation_ids: Iterable[int] = (),
) -> int:
    """Cancel queued messages a correction or void made wrong: the thank-you for a donation
    voided or moved to another donor, and a "may give again" for a date that is no longer the
    donor's. Returns how many."""
    stale = [f"{kind}:donation:{donation_id}" for donation_id in withdrawn_donation_ids
             for kind in ("thank_you", "blood_reached")]
    for donor_id, again_on in session.exec(select(Donor.id, Donor.eligible_again_on).where(
            Donor.id.in_(sorted(set(donor_ids))))):
        current = f"may_give_again:donor:{donor_id}:{again_on.isoformat()}" if again_on else None
        stale += session.exec(select(OutboxMessage.idempotency_key).where(
            OutboxMessage.donor_id == donor_id, OutboxMessage.kind == "may_give_again",
            OutboxMessage.status == OutboxStatus.queued, OutboxMessage.idempotency_key != (current or ""))).all()
    if not stale:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(stale), OutboxMessage.status == OutboxStatus.queued)
        .values(status=OutboxStatus.cancelled, error_message="the donation it was about was corrected or voided",
                updated_at=now))
    return result.rowcount
