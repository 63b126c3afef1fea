"""Ceremonies, honour candidates, awards and revocations."""

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import (
    Integer,
    Row,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session

from donor_registry.chapters.models import Chapter, ChapterKind
from donor_registry.chapters.service import in_subtree, subtree_ids
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donors.models import Donor
from donor_registry.donors.normalize import area_key, place
from donor_registry.donors.service import get_donor
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.honours.models import Ceremony, CeremonyCreate, HonourAward
from donor_registry.honours.rules import HonourLevel
from donor_registry.honours.settings import HonoursSettings
from donor_registry.i18n import _, formatting


def create_ceremony(*, session: Session, data: CeremonyCreate, now: dt.datetime) -> Ceremony:
    """Create a ceremony; its name must be new."""
    name = " ".join(data.name.split())
    if not name:
        raise UserError(_("a ceremony needs a name"))
    taken = session.scalar(select(Ceremony).where(Ceremony.name == name))
    if taken is not None:
        raise Conflict(_("a ceremony named '{name}' already exists (#{ceremony_id})").format(name=name, ceremony_id=taken.id))
    if data.level == HonourLevel.district:
        raise UserError(_("districts were abolished on 2025-07-01: a ceremony is held by a commune, "
                          "province or national chapter (--level commune)"))
    district = place(data.district)
    ceremony = Ceremony(
        name=name, held_on=data.held_on, level=data.level, district=district,
        district_key=area_key(district), chapter_id=data.chapter_id, created_at=now,
    )
    session.add(ceremony)
    session.flush()
    return ceremony


def list_ceremonies(*, session: Session) -> list[tuple[Ceremony, int]]:
    """Every ceremony, newest first, with its number of active awards."""
    awarded = (
        select(func.count()).where(HonourAward.ceremony_id == Ceremony.id, HonourAward.revoked_at.is_(None))
        .scalar_subquery()
    )
    query = select(Ceremony, awarded).order_by(Ceremony.held_on.desc(), Ceremony.id.desc())
    return [(ceremony, count) for ceremony, count in session.execute(query)]


def get_ceremony(*, session: Session, ref: str | int) -> Ceremony:
    """A ceremony by its number or its exact name."""
    ref_text = str(ref).strip().lstrip("#")
    if ref_text.isdigit():
        ceremony = session.get(Ceremony, int(ref_text))
    else:
        ceremony = session.scalar(select(Ceremony).where(Ceremony.name == " ".join(ref_text.split())))
    if ceremony is None:
        raise NotFound(_("no ceremony '{ceremony}' (see `honours ceremony list`)").format(ceremony=ref))
    return ceremony


def candidates(
    *, session: Session, settings: HonoursSettings, today: dt.date, as_of: dt.date | None = None,
    district: str | None = None, tiers: Collection[int] | None = None,
    donor_ids: Collection[int] | None = None, chapter: Chapter | None = None,
) -> list[Row]:
    """Donors who have reached a tier not yet awarded to them, as of a day, by donor id.

    Each row has donor_id, full_name, district, donation_count and tier. One set-based query:
    no Python loop over donors. Counts come from Donor.donation_count when it is the count
    asked for (as of today, every type counts), else from the donations up to as_of.
    """
    as_of = as_of or today
    if as_of > today:
        raise UserError(_("the as-of date {as_of} is in the future").format(as_of=formatting.date(as_of)))
    scope = _scope(session, district=district, chapter=chapter, donor_ids=donor_ids)
    count, source = _count_source(settings, as_of=as_of, today=today, scope=scope)
    active = HonourAward.revoked_at.is_(None)
    if settings.list_every_missed_tier:
        tier_table = union_all(*(select(literal(t, Integer).label("tier")) for t in settings.tiers)).subquery("tiers")
        tier = tier_table.c.tier
        held = exists().where(HonourAward.donor_id == Donor.id, active, HonourAward.tier == tier)
        source = source.join(tier_table, tier <= count)
        order = (Donor.id, tier)
    else:
        tier = _highest_tier(count, settings.tiers)
        held = exists().where(HonourAward.donor_id == Donor.id, active, HonourAward.tier >= tier)
        order = (Donor.id,)
    query = (
        select(Donor.id.label("donor_id"), Donor.full_name, Donor.district, count.label("donation_count"),
               tier.label("tier"))
        .select_from(source)
        .where(
            Donor.merged_into_id.is_(None),
            or_(Donor.deceased_on.is_(None), Donor.deceased_on > as_of),
            count >= settings.tiers[0],
            ~held,
        )
        .order_by(*order)
    )
    query = query.where(*scope(Donor))
    if tiers is not None:
        query = query.where(tier.in_(sorted(set(tiers))))
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # A national or --as-of list passes PostgreSQL's JIT cost thresholds, and compiling took
        # longer than it saved: 0.56 s of a province's 5 s, 12 s of an --as-of's 34 s (5 M donors).
        connection.exec_driver_sql("SET LOCAL jit = off")
    # Core execution: the ORM result layer costs about a microsecond a row for nothing here.
    return list(connection.execute(query).all())


def _scope(session: Session, *, district: str | None, chapter: Chapter | None, donor_ids: Collection[int] | None):
    """The WHERE clauses, on a donors table or alias, of the donors asked about (none: everyone).

    PostgreSQL gets the subtree's chapter ids as values: it estimates `chapter_id IN (SELECT …)`
    as an average chapter (55,000 of Hồ Chí Minh's 299,000 candidates at 5 M donors) and then
    probed the awards once a donor, 3 s; SQLite keeps the subquery (test_query_plans)."""
    # The national chapter honours everyone, donors not yet placed in a chapter included.
    chapters = chapter if chapter is not None and chapter.kind != ChapterKind.national else None
    if chapters is not None and session.get_bind().dialect.name == "postgresql":
        chapters = subtree_ids(session=session, chapter_id=chapter.id)

    def clauses(donors) -> list:
        where = []
        if district:
            where.append(donors.district_key == area_key(district))
        if isinstance(chapters, Chapter):
            where.append(in_subtree(donors.chapter_id, chapters))
        elif chapters is not None:
            where.append(donors.chapter_id.in_(chapters))
        if donor_ids is not None:
            where.append(donors.id.in_(sorted(set(donor_ids))))
        return where
    return clauses


def _count_source(settings: HonoursSettings, *, as_of: dt.date, today: dt.date, scope):
    """(count column, FROM clause): the cached count when it answers the question, else an aggregate.

    The aggregate counts only the donations of the donors in scope who have the first tier's
    count today (Donor.donation_count, every accepted donation: no donor had more counted
    donations on an earlier day), so a province's count reads its own donors' rows, not the
    country's."""
    if as_of == today and settings.counts_every_type:
        return Donor.donation_count, Donor.__table__
    counted = select(Donation.donor_id, func.count().label("n")).where(
        Donation.outcome == Outcome.donated, Donation.donated_on <= as_of, Donation.voided_at.is_(None)
    )
    scoped = aliased(Donor)
    if where := scope(scoped):
        counted = counted.join(scoped, scoped.id == Donation.donor_id).where(
            scoped.donation_count >= settings.tiers[0], *where)
    if not settings.counts_every_type:
        counted = counted.where(Donation.type.in_(settings.counted_types))
    counts = counted.group_by(Donation.donor_id).having(func.count() >= settings.tiers[0]).subquery("counts")
    return counts.c.n, Donor.__table__.join(counts, counts.c.donor_id == Donor.id)


def _highest_tier(count, tiers: Sequence[int]):
    """SQL CASE: the highest tier at or below the count (NULL below the first tier)."""
    return case(*((count >= tier, literal_column(str(int(tier)), Integer)) for tier in sorted(tiers, reverse=True)))


def award(
    *, session: Session, ceremony_id: int, settings: HonoursSettings, now: dt.datetime, today: dt.date,
    as_of: dt.date | None = None, donor_ids: Collection[int] | None = None,
    tiers: Collection[int] | None = None,
) -> list[HonourAward]:
    """Award the current candidates (in the ceremony's district, if it has one) or the named donors."""
    ceremony = get_ceremony(session=session, ref=ceremony_id)
    _serialize_honour_writes(session)
    if donor_ids is not None:
        for donor_id in donor_ids:
            get_donor(session=session, donor_id=donor_id)
    chapter = session.get(Chapter, ceremony.chapter_id) if ceremony.chapter_id else None
    rows = candidates(
        session=session, settings=settings, today=today, as_of=as_of, district=ceremony.district,
        tiers=tiers, donor_ids=donor_ids, chapter=chapter,
    )
    if donor_ids is not None:
        _refuse_non_candidates(session, donor_ids, {row.donor_id for row in rows}, ceremony)
    awards = [
        HonourAward(
            donor_id=row.donor_id, tier=row.tier, ceremony_id=ceremony.id, donation_count=row.donation_count,
            awarded_on=ceremony.held_on, created_at=now,
        )
        for row in rows
    ]
    session.add_all(awards)
    session.flush()
    return awards


def _refuse_non_candidates(session: Session, donor_ids: Collection[int], listed: set[int], ceremony: Ceremony) -> None:
    for donor_id in donor_ids:
        if donor_id not in listed:
            donor = get_donor(session=session, donor_id=donor_id)
            values = {"donor_id": donor_id, "name": donor.full_name, "district": ceremony.district,
                      "count": donor.donation_count, "awarded": _held_text(session, donor_id)}
            if ceremony.district:
                raise UserError(_("donor #{donor_id} {name} has no tier left to award in {district} "
                                  "({count} donations; awarded: {awarded})").format(**values))
            raise UserError(_("donor #{donor_id} {name} has no tier left to award "
                              "({count} donations; awarded: {awarded})").format(**values))


def _held_text(session: Session, donor_id: int) -> str:
    held = session.scalars(
        select(HonourAward.tier).where(HonourAward.donor_id == donor_id, HonourAward.revoked_at.is_(None))
        .distinct().order_by(HonourAward.tier)
    ).all()
    return ", ".join(str(tier) for tier in held) or _("none")


def _serialize_honour_writes(session: Session) -> None:
    """One awarder at a time, so two ceremonies never award the same tier twice.

    SQLite already holds the write lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('donor_registry.honours'))"))


def revoke(*, session: Session, donor_id: int, tier: int, reason: str, now: dt.datetime) -> list[HonourAward]:
    """Revoke a donor's active award of a tier (kept with the reason); the donor may be listed again."""
    if not reason or not reason.strip():
        raise UserError(_("a revocation needs a reason (--reason)"))
    get_donor(session=session, donor_id=donor_id)
    _serialize_honour_writes(session)
    awards = session.scalars(
        select(HonourAward).where(
            HonourAward.donor_id == donor_id, HonourAward.tier == tier, HonourAward.revoked_at.is_(None)
        )
    ).all()
    if not awards:
        raise NotFound(_("donor #{donor_id} has no active award of tier {tier}").format(donor_id=donor_id, tier=tier))
    for held in awards:
        held.revoked_at, held.revoked_reason = now, reason.strip()
        session.add(held)
    session.flush()
    return list(awards)


def ceremony_awards(*, session: Session, ceremony_id: int) -> list[tuple[HonourAward, Donor]]:
    """The active awards of a ceremony with their donors, one per donor and tier."""
    query = (
        select(HonourAward, Donor).join(Donor, Donor.id == HonourAward.donor_id)
        .where(HonourAward.ceremony_id == ceremony_id, HonourAward.revoked_at.is_(None))
        .order_by(HonourAward.id)
    )
    seen: set[tuple[int, int]] = set()
    result = []
    for held, donor in session.execute(query):
        # After a merge the donor kept may hold the duplicate's award of the same tier too.
        if (donor.id, held.tier) not in seen:
            seen.add((donor.id, held.tier))
            result.append((held, donor))
    return result


def donors_by_id(*, session: Session, donor_ids: Sequence[int], chunk: int = 900) -> dict[int, Donor]:
    """Donors by id, loaded in chunks (for lists of candidates)."""
    found: dict[int, Donor] = {}
    for start in range(0, len(donor_ids), chunk):
        part = donor_ids[start:start + chunk]
        found.update((donor.id, donor) for donor in session.scalars(select(Donor).where(Donor.id.in_(part))))
    return found
