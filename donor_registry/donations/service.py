"""Recording donations and deferrals, and keeping each donor's counts and dates current."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from donor_registry.audit import service as audit
from donor_registry.donations.models import Donation, DonationCreate, Outcome
from donor_registry.donors.models import Donor
from donor_registry.donors.service import get_donor
from donor_registry.eligibility import Deferral, DonorFacts, EligibilityRules, PastDonation
from donor_registry.errors import Conflict, UserError
from donor_registry.i18n import _, formatting
from donor_registry.recording import NewDonation, RecordingCheck, recording_check
from donor_registry.types import DonationType

PERMANENT = dt.date.max


def record_donation(
    *, session: Session, donor_id: int, data: DonationCreate, rules: EligibilityRules,
    now: dt.datetime, source: str = "cli", actor: str = "cli", override: str | None = None,
) -> Donation:
    """Record one donation or deferral and bring the donor's counts up to date.

    A donation that breaks a recording check (recording.py) is refused with the reason and the
    date from which it would be allowed, unless `override` gives a reason to record it anyway:
    then the violations and the reason are kept on the row and in the audit log.
    """
    donor = get_donor(session=session, donor_id=donor_id)
    check_donation_fields(data, today=formatting.local(now).date())
    refuse_taken_certificate(session, data.certificate_no)
    verdict = check_recording(session=session, donor=donor, data=data, rules=rules)
    donation = Donation.model_validate(data, update={"donor_id": donor.id, "source": source, "created_at": now})
    apply_override(donation, verdict, override, donor_id=donor.id)
    session.add(donation)
    session.flush()
    if donation.violations:
        audit_override(session=session, donation=donation, now=now, actor=actor, action="donations.override")
    refresh_donor_stats(session=session, donor_ids=[donor.id], rules=rules)
    return donation


def refuse_taken_certificate(session: Session, number: str | None, *, except_id: int | None = None) -> None:
    """A certificate number belongs to one donation (voided ones keep theirs)."""
    if not number:
        return
    taken = session.exec(select(Donation).where(Donation.certificate_no == number)).first()
    if taken is not None and taken.id != except_id:
        voided = ", voided" if taken.voided_at is not None else ""
        raise Conflict(_("certificate {number} is already recorded (donation #{id}{voided})").format(
                           number=number, id=taken.id, voided=voided))


def check_recording(
    *, session: Session, donor: Donor, data: DonationCreate, rules: EligibilityRules, except_id: int | None = None,
) -> RecordingCheck:
    """The recording check of a donation against the donor's other counted donations (deferrals pass)."""
    if data.outcome != Outcome.donated:
        return RecordingCheck((), data.donated_on)
    others = [d for d in donor_donations(session=session, donor_id=donor.id) if d.id != except_id]
    facts = donor_facts(donor=donor, donations=others)
    return recording_check(facts, NewDonation(data.donated_on, data.type, data.volume_ml), rules)


def apply_override(donation: Donation, verdict: RecordingCheck, override: str | None, *, donor_id: int) -> None:
    """Refuse a donation that breaks a check, or keep the violations and the override reason on it."""
    if verdict.ok:
        donation.violations = donation.override_reason = None
        return
    if not (override and override.strip()):
        raise UserError(_("donor #{donor_id}, {donated_on}: {text}; give --override REASON to "
                          "record it anyway").format(
                            donor_id=donor_id, donated_on=formatting.date(donation.donated_on), text=verdict.text()))
    donation.violations = verdict.text()
    donation.override_reason = override.strip()


def audit_override(*, session: Session, donation: Donation, now: dt.datetime, actor: str, action: str) -> None:
    audit.record(session=session, now=now, actor=actor, action=action, subject_type="donation",
                 subject_id=donation.id, detail={"donor_id": donation.donor_id, "violations": donation.violations,
                                                 "reason": donation.override_reason})


def check_donation_fields(data: DonationCreate, *, today: dt.date) -> None:
    if data.donated_on > today:
        raise UserError(_("donation date {donated_on} is in the future").format(
            donated_on=formatting.date(data.donated_on)))
    if data.outcome == Outcome.deferred and not data.deferral_reason:
        raise UserError(_("a deferral needs a reason (--deferral-reason)"))
    if data.outcome == Outcome.donated and (data.deferral_reason or data.deferral_until):
        raise UserError(_("a deferral reason or end date only goes with --deferred"))
    if data.deferral_until is not None and data.deferral_until <= data.donated_on:
        raise UserError(_("the deferral must end after the day it was given"))


@dataclass(frozen=True)
class DonorStats:
    donation_count: int
    last_donation_on: dt.date | None
    last_donation_type: DonationType | None
    eligible_again_on: dt.date | None
    deferred_until: dt.date | None


def summarize(rows: Sequence[tuple[dt.date, DonationType, Outcome, dt.date | None]], rules: EligibilityRules) -> DonorStats:
    """Counts and dates from one donor's (date, type, outcome, deferral_until) rows."""
    donated = sorted((day, kind) for day, kind, outcome, _ in rows if outcome == Outcome.donated)
    deferrals = [until or PERMANENT for _, _, outcome, until in rows if outcome == Outcome.deferred]
    clear_dates = [day + dt.timedelta(days=rules.interval_days[kind]) for day, kind in donated]
    return DonorStats(
        donation_count=len(donated),
        last_donation_on=donated[-1][0] if donated else None,
        last_donation_type=donated[-1][1] if donated else None,
        eligible_again_on=max(clear_dates, default=None),
        deferred_until=max(deferrals, default=None),
    )


def refresh_donor_stats(*, session: Session, donor_ids: Iterable[int], rules: EligibilityRules, chunk: int = 500) -> None:
    """Recompute the denormalised counts and dates of these donors from their donation rows."""
    ids = sorted(set(donor_ids))
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        rows_by_donor: dict[int, list] = {donor_id: [] for donor_id in part}
        query = sa_select(
            Donation.donor_id, Donation.donated_on, Donation.type, Donation.outcome, Donation.deferral_until
        ).where(Donation.donor_id.in_(part), Donation.voided_at.is_(None))
        for donor_id, *row in session.execute(query):
            rows_by_donor[donor_id].append(row)
        for donor in session.exec(select(Donor).where(Donor.id.in_(part))):
            stats = summarize(rows_by_donor[donor.id], rules)
            for field, value in vars(stats).items():
                setattr(donor, field, value)
            session.add(donor)
    session.flush()


def donor_donations(*, session: Session, donor_id: int) -> list[Donation]:
    """Every donation and deferral of a donor, oldest first, voided ones included (marked)."""
    query = select(Donation).where(Donation.donor_id == donor_id).order_by(Donation.donated_on, Donation.id)
    return list(session.exec(query))


def list_donations(
    *, session: Session, donor_id: int | None = None, since: dt.date | None = None,
    until: dt.date | None = None, drive_id: int | None = None, limit: int = 200,
) -> list[tuple[Donation, Donor]]:
    """Donations with their donors, newest first, filtered by donor, dates or drive; voided ones
    are listed too (marked), as they stay on record."""
    query = select(Donation, Donor).join(Donor, Donor.id == Donation.donor_id)
    if donor_id is not None:
        query = query.where(Donation.donor_id == donor_id)
    if since is not None:
        query = query.where(Donation.donated_on >= since)
    if until is not None:
        query = query.where(Donation.donated_on <= until)
    if drive_id is not None:
        query = query.where(Donation.drive_id == drive_id)
    return list(session.exec(query.order_by(Donation.donated_on.desc(), Donation.id.desc()).limit(limit)))


def donor_facts(*, donor: Donor, donations: Sequence[Donation]) -> DonorFacts:
    """The pure-rule view of a donor, for eligibility.check; voided donations do not count."""
    donations = [d for d in donations if d.voided_at is None]
    return DonorFacts(
        date_of_birth=donor.date_of_birth,
        birth_year=donor.birth_year,
        sex=donor.sex,
        weight_kg=donor.weight_kg,
        donations=tuple(PastDonation(d.donated_on, d.type) for d in donations if d.outcome == Outcome.donated),
        deferrals=tuple(
            Deferral(d.donated_on, d.deferral_until, d.deferral_reason or "")
            for d in donations if d.outcome == Outcome.deferred
        ),
        deceased=donor.deceased_on is not None,
    )
