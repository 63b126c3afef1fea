"""Record where a donation's unit went and thank its donor, once.

A hospital marks the donations made for one of its own requests used (API or /h page); a
coordinator releases a drive's units to a hospital (CLI or the workspace drive page). Each unit
gets one `donation_uses` row (the database refuses a second, under concurrent calls too), and
only a row written now queues a thank-you: one SMS of kind "blood_reached" through the outbox,
naming the hospital and never the patient, to a donor who may be texted. Consent, opt-out and
quiet hours stay the outbox's and the dispatcher's business, as for every other text.
"""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlmodel import Session

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.drives import get_drive
from donor_registry.chapter_settings import rules as chapter_rules
from donor_registry.chapter_settings import service as chapter_settings
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donors.models import Donor
from donor_registry.emergency.hospitals import get_hospital
from donor_registry.emergency.notify import given_name
from donor_registry.emergency.service import get_request
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.sms.audience import contactable_clause
from donor_registry.sms.languages import ENGLISH, VIETNAMESE, english_speakers
from donor_registry.sms.outbox import enqueue_many
from donor_registry.sms.templates import renderer, sms_settings
from donor_registry.thanks import rules
from donor_registry.thanks.models import DonationUse, UseKind

#: Rows one INSERT writes (5 values each).
CHUNK = 1000


class NotUsable(UserError):
    """Some numbers name no donation the hospital may mark: nothing was changed."""

    def __init__(self, refs: list[str]):
        self.refs = refs
        super().__init__(_("These numbers are not donations given for this request: {refs}; nothing was marked.")
                         .format(refs=", ".join(refs)))


@dataclass
class Outcomes:
    hospital_name: str
    new: list[int] = field(default_factory=list)  # donation ids recorded now
    already: list[int] = field(default_factory=list)  # recorded before (by anyone): nothing sent
    texted: int = 0  # thank-yous queued (donors who may be texted)


def _facts(donation: Donation) -> rules.DonationFacts:
    return rules.DonationFacts(id=donation.id, certificate_no=donation.certificate_no,
                               emergency_request_id=donation.emergency_request_id, drive_id=donation.drive_id,
                               donated=donation.outcome == Outcome.donated, voided=donation.voided_at is not None)


def mark_used(*, session: Session, settings, now: dt.datetime, request_id: int, hospital_id: int,
              refs: list[str], actor: str) -> Outcomes:
    """The hospital used the units of these donations (numbers or certificate numbers) made for
    its request; any number naming another donation refuses the whole call (NotUsable)."""
    request = get_request(session=session, request_id=request_id, hospital_id=hospital_id)
    refs = [r for r in (str(ref).strip() for ref in refs) if r]
    if not refs:
        raise UserError(_("Give at least one donation number or certificate number."))
    if len(refs) > rules.MAX_MARKS:
        raise UserError(_("At most {n} donations at a time.").format(n=rules.MAX_MARKS))
    numbers = [n for n in map(rules.as_number, refs) if n is not None]
    found = session.execute(select(Donation).where(
        Donation.emergency_request_id == request.id,
        or_(Donation.id.in_(numbers), Donation.certificate_no.in_(refs)))).scalars().all()
    ids, wrong = rules.resolve(refs, {d.id: _facts(d) for d in found},
                               {d.certificate_no: _facts(d) for d in found if d.certificate_no}, request.id)
    if wrong:
        raise NotUsable(wrong)
    outcome = _record(session, settings, now, ids, hospital_id, UseKind.emergency_use, actor)
    audit(session=session, now=now, actor=actor, action="thanks.used", subject_type="emergency_request",
          subject_id=request.id, detail={"hospital_id": hospital_id, "new": outcome.new, "already": outcome.already})
    return outcome


def releasable_ids(*, session: Session, drive_id: int) -> list[int]:
    """The drive's given units (not deferred, not voided) not yet used or released."""
    return list(session.execute(
        select(Donation.id).where(Donation.drive_id == drive_id, Donation.outcome == Outcome.donated,
                                  Donation.voided_at.is_(None),
                                  Donation.id.not_in(select(DonationUse.donation_id)))
        .order_by(Donation.id)).scalars())


def release_drive(*, session: Session, settings, now: dt.datetime, drive_id: int, hospital_id: int,
                  actor: str) -> Outcomes:
    """Release the drive's units not yet released to the hospital; each donor thanked once."""
    drive = get_drive(session=session, drive_id=drive_id)
    get_hospital(session=session, hospital_id=hospital_id)
    ids = releasable_ids(session=session, drive_id=drive.id)
    outcome = _record(session, settings, now, ids, hospital_id, UseKind.drive_release, actor)
    audit(session=session, now=now, actor=actor, action="thanks.released", subject_type="drive",
          subject_id=drive.id, detail={"hospital_id": hospital_id, "count": len(outcome.new)})
    return outcome


def destinations(*, session: Session, donation_ids: list[int]) -> dict[int, str]:
    """{donation id: the hospital's name} for the donations whose unit is known to have gone somewhere."""
    if not donation_ids:
        return {}
    from donor_registry.emergency.models import Hospital

    return dict(session.execute(
        select(DonationUse.donation_id, Hospital.name).join(Hospital, Hospital.id == DonationUse.hospital_id)
        .where(DonationUse.donation_id.in_(donation_ids))).all())


def uses_of_request(*, session: Session, request_id: int) -> list[tuple[Donation, DonationUse | None]]:
    """The counted donations made for a request, each with its use if recorded, oldest first."""
    return list(session.execute(
        select(Donation, DonationUse).outerjoin(DonationUse, DonationUse.donation_id == Donation.id)
        .where(Donation.emergency_request_id == request_id, Donation.outcome == Outcome.donated,
               Donation.voided_at.is_(None))
        .order_by(Donation.donated_on, Donation.id)).all())


def _record(session: Session, settings, now: dt.datetime, ids: list[int], hospital_id: int, how: UseKind,
            actor: str) -> Outcomes:
    hospital = get_hospital(session=session, hospital_id=hospital_id)
    outcome = Outcomes(hospital_name=hospital.name)
    if ids:
        session.flush()
        rows = [{"donation_id": i, "hospital_id": hospital_id, "how": how.value, "used_at": now,
                 "recorded_by": actor[:100]} for i in ids]
        written = set()
        for start in range(0, len(rows), CHUNK):  # one statement a chunk, within SQLite's bound parameters
            written |= set(session.execute(_insert(session).values(rows[start:start + CHUNK])
                                           .returning(DonationUse.donation_id)).scalars())
        outcome.new = [i for i in ids if i in written]
        outcome.already = [i for i in ids if i not in written]
    outcome.texted = _thank(session, settings, now, outcome.new, hospital.name)
    return outcome


def _insert(session: Session):
    """INSERT … ON CONFLICT (donation_id) DO NOTHING: a unit marked twice at once is recorded once."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(DonationUse).on_conflict_do_nothing(index_elements=["donation_id"])


def _thank(session: Session, settings, now: dt.datetime, donation_ids: list[int], hospital_name: str) -> int:
    """Queue the thank-you of each newly recorded donation whose donor may be texted (none when
    the chapter's [sms.templates] has no such text: the use is recorded all the same)."""
    if not donation_ids or rules.KIND not in sms_settings(settings).templates:
        return 0
    rows = session.execute(
        select(Donation.id, Donation.donated_on, Donor.id, Donor.full_name, Donor.phone_e164, Donor.chapter_id)
        .join(Donor, Donor.id == Donation.donor_id)
        .where(Donation.id.in_(donation_ids), contactable_clause()).order_by(Donation.id)).all()
    if not rows:
        return 0
    organisation = chapter_settings.lookup(session=session, settings=settings, key=chapter_rules.ORGANISATION_NAME)
    fills = {language: renderer(rules.KIND, settings, language=language) for language in (VIETNAMESE, ENGLISH)}
    english = english_speakers(session)
    messages = [(donor_id, phone, fills[ENGLISH if donor_id in english else VIETNAMESE](ten=given_name(full_name) or full_name, ho_ten=full_name,
                                       to_chuc=organisation(chapter_id), ngay=donated_on.strftime("%d/%m/%Y"),
                                       benh_vien=hospital_name), rules.thank_you_key(donation_id))
                for donation_id, donated_on, donor_id, full_name, phone, chapter_id in rows]
    return enqueue_many(session=session, now=now, kind=rules.KIND, rows=messages)
