"""The donor's record behind a link: open it, ask for a code by phone, and the donor's own changes.

Every view and change is audited with the link as the actor ("donor-link:<id>"). Limits are
constants here: a code lives CODE_MINUTES, takes MAX_ATTEMPTS tries; a phone gets PHONE_LIMIT
codes and an address IP_LIMIT requests per hour.
"""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlmodel import Session

from donor_registry.audit import service as audit
from donor_registry.donations.models import Donation
from donor_registry.donations.service import donor_facts
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules, check
from donor_registry.emergency.tokens import new_reply_token, token_hash
from donor_registry.errors import UserError
from donor_registry.honours.models import HonourAward
from donor_registry.honours.rules import tiers_reached
from donor_registry.i18n import _
from donor_registry.phones import InvalidPhone, mask_phone, normalize_phone
from donor_registry.portal import rules
from donor_registry.portal.models import DonorAvailability, RecordCode, RecordLink
from donor_registry.privacy import consents
from donor_registry.privacy.models import Purpose
from donor_registry.slots import journey
from donor_registry.slots import links as drive_links
from donor_registry.sms import outbox
from donor_registry.sms.inbound import set_opted_out
from donor_registry.sms.models import OutboxMessage
from donor_registry.thanks.service import destinations
from donor_registry.types import DonationType

LINK_DAYS = 30
SENT_LINK_DAYS = 7  # a link sent by SMS sits in the outbox's text, so it lives shorter
# A record link opened from a drive page: made on the click and opened at once.
PAGE_LINK_DAYS = 1
CODE_MINUTES = 10
MAX_ATTEMPTS = 5
PHONE_LIMIT = 3
IP_LIMIT = 10
LIMIT_WINDOW = dt.timedelta(hours=1)


class LinkProblem(Exception):
    """The link is unknown or expired (the page says the same for both)."""


@dataclass
class Record:
    link: RecordLink
    donor: Donor
    name: str
    phone: str
    donations: list[Donation]
    next_eligible: list[tuple[DonationType, dt.date | None, list[str]]]
    honours_reached: list[int]
    honours_awarded: list[HonourAward]
    availability: DonorAvailability | None
    consents: dict[str, dict]
    bookings: list = field(default_factory=list)  # [(drive, slot)] booked from today on
    reached: dict[int, str] = field(default_factory=dict)  # {donation id: the hospital its unit went to}


def actor_of(link: RecordLink) -> str:
    return f"donor-link:{link.id}"


def issue_link(*, session: Session, donor_id: int, now: dt.datetime, via: str = "message",
               days: int = LINK_DAYS) -> str:
    """A fresh link token for the donor (only its hash is kept)."""
    token = new_reply_token()
    session.add(RecordLink(token_hash=token_hash(token), donor_id=donor_id, via=via, created_at=now,
                           expires_at=now + dt.timedelta(days=days)))
    session.flush()
    return token


def link_from_drive_page(*, session: Session, drive_token: str, now: dt.datetime, timezone: str) -> str:
    """A fresh record link for the donor of a working drive link (the drive page's "my record"
    button), so every invitation's link leads to the record without a second link in the SMS.
    A bad or expired drive link raises slots.links.LinkProblem."""
    link, donor, _drive = drive_links.open_link(session=session, token=drive_token, now=now, timezone=timezone)
    token = issue_link(session=session, donor_id=donor.id, now=now, via="drive-page", days=PAGE_LINK_DAYS)
    audit.record(session=session, now=now, actor=drive_links.actor_of(link), action="portal.link_opened",
                 subject_type="donor", subject_id=donor.id, detail={"expires_days": PAGE_LINK_DAYS})
    return token


def send_link(*, session: Session, donor_id: int, now: dt.datetime, base_url: str, actor: str) -> str:
    """Queue an SMS with a fresh record link to the donor (at most one a day); its address.

    A UserError when the donor cannot get it: unknown, merged, erased, no phone, or opted out.
    """
    donor = session.get(Donor, donor_id)
    if donor is None or donor.merged_into_id is not None or donor.erased_at is not None:
        raise UserError(_("There is no donor #{id}.").format(id=donor_id))
    if not donor.phone_e164 or donor.sms_opted_out_at is not None or donor.deceased_on is not None:
        raise UserError(_("Donor #{id} cannot receive SMS (no phone, or opted out).").format(id=donor_id))
    key = f"portal-link:{donor_id}:{rules.local_moment(now)[0].isoformat()}"
    if session.execute(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first():
        raise UserError(_("A record link was already sent to donor #{id} today.").format(id=donor_id))
    token = issue_link(session=session, donor_id=donor_id, now=now, via="sms", days=SENT_LINK_DAYS)
    url = f"{base_url.rstrip('/')}/me/{token}"
    body = _("Your blood donation record (donations, when you may give again, honours): {url}").format(url=url)
    outbox.enqueue(session=session, now=now, donor_id=donor_id, to=donor.phone_e164, kind="portal_link",
                   body=body, idempotency_key=key)
    audit.record(session=session, now=now, actor=actor, action="portal.link_sent", subject_type="donor",
                 subject_id=donor_id, detail={"expires_days": SENT_LINK_DAYS})
    return url


def link_for(*, session: Session, token: str, now: dt.datetime) -> RecordLink:
    link = session.execute(select(RecordLink).where(RecordLink.token_hash == token_hash(token))).scalar()
    if link is None or now >= _aware(link.expires_at):
        raise LinkProblem(token)
    donor = session.get(Donor, link.donor_id)
    if donor is None or donor.erased_at is not None or donor.merged_into_id is not None:
        raise LinkProblem(token)
    return link


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def upcoming_bookings(*, session: Session, donor_id: int, now: dt.datetime) -> list:
    """The donor's active bookings at drives from today on: [(drive, slot)], soonest first."""
    return journey.upcoming_bookings(session=session, donor_id=donor_id, today=rules.local_moment(now)[0])


def open_record(*, session: Session, token: str, now: dt.datetime, eligibility: EligibilityRules,
                tiers: list[int]) -> Record:
    """The donor's record, audited as a view by the link."""
    link = link_for(session=session, token=token, now=now)
    donor = session.get(Donor, link.donor_id)
    donations = list(session.execute(select(Donation).where(Donation.donor_id == donor.id)
                                     .order_by(Donation.donated_on.desc(), Donation.id.desc())).scalars())
    facts = donor_facts(donor=donor, donations=donations)
    today = rules.local_moment(now)[0]
    next_eligible = []
    for kind in DonationType:
        verdict = check(facts, kind, today, eligibility)
        next_eligible.append((kind, verdict.eligible_from, [r.message for r in verdict.reasons]))
    awards = list(session.execute(select(HonourAward).where(
        HonourAward.donor_id == donor.id, HonourAward.revoked_at.is_(None)).order_by(HonourAward.tier)).scalars())
    audit.record(session=session, now=now, actor=actor_of(link), action="portal.view", subject_type="donor",
                 subject_id=donor.id)
    return Record(link=link, donor=donor, name=rules.mask_name(donor.full_name),
                  phone=mask_phone(donor.phone_e164) if donor.phone_e164 else "",
                  donations=[d for d in donations if d.voided_at is None], next_eligible=next_eligible,
                  honours_reached=tiers_reached(donor.donation_count, tiers), honours_awarded=awards,
                  availability=session.get(DonorAvailability, donor.id),
                  consents=consents.current(session=session, donor_id=donor.id),
                  bookings=upcoming_bookings(session=session, donor_id=donor.id, now=now),
                  reached=destinations(session=session, donation_ids=[d.id for d in donations if d.voided_at is None]))


def request_code(*, session: Session, phone: str, client_ip: str, now: dt.datetime) -> bool:
    """Send a code if the phone is one donor's who may get messages; False only when rate-limited.

    The caller answers the same for a known or unknown phone: a row is written either way.
    """
    try:
        e164 = normalize_phone(phone).e164
    except InvalidPhone:
        e164 = phone.strip()[:16]
    since = now - LIMIT_WINDOW
    by_phone = session.execute(select(func.count()).select_from(RecordCode).where(
        RecordCode.phone_e164 == e164, RecordCode.created_at > since)).scalar()
    by_ip = session.execute(select(func.count()).select_from(RecordCode).where(
        RecordCode.client_ip == client_ip, RecordCode.created_at > since)).scalar()
    if not (rules.within_limit(by_phone, PHONE_LIMIT) and rules.within_limit(by_ip, IP_LIMIT)):
        return False
    donors = list(session.execute(select(Donor.id).where(
        Donor.phone_e164 == e164, Donor.merged_into_id.is_(None), Donor.erased_at.is_(None),
        Donor.deceased_on.is_(None), Donor.sms_opted_out_at.is_(None))).scalars())
    row = RecordCode(phone_e164=e164, client_ip=client_ip[:64], salt=rules.new_salt(), created_at=now,
                     expires_at=now + dt.timedelta(minutes=CODE_MINUTES))
    code = None
    if len(donors) == 1:
        code = rules.new_code()
        row.donor_id, row.code_hash = donors[0], rules.code_hash(code, row.salt)
    session.add(row)
    session.flush()
    if code is not None:
        body = _("Your code to open your blood donation record: {code}. It expires in {minutes} minutes."
                 ).format(code=code, minutes=CODE_MINUTES)
        outbox.enqueue(session=session, now=now, donor_id=row.donor_id, to=e164, kind="portal_code", body=body,
                       idempotency_key=f"portal-code:{row.id}", urgent=True)
    return True


def redeem_code(*, session: Session, phone: str, code: str, now: dt.datetime) -> str | None:
    """A new record link for the newest usable code of the phone if `code` matches, else None."""
    try:
        e164 = normalize_phone(phone).e164
    except InvalidPhone:
        return None
    row = session.execute(select(RecordCode).where(
        RecordCode.phone_e164 == e164, RecordCode.code_hash.is_not(None))
        .order_by(RecordCode.id.desc()).limit(1).with_for_update()).scalar()
    if row is None:
        return None
    state = rules.CodeState(_aware(row.expires_at), row.attempts, row.used_at is not None)
    if not rules.code_usable(state, now, MAX_ATTEMPTS):
        return None
    if not rules.code_matches(code, row.salt, row.code_hash):
        session.execute(update(RecordCode).where(RecordCode.id == row.id).values(attempts=RecordCode.attempts + 1))
        return None
    used = session.execute(update(RecordCode).where(RecordCode.id == row.id, RecordCode.used_at.is_(None))
                           .values(used_at=now, attempts=RecordCode.attempts + 1)).rowcount
    if used != 1:
        return None
    return issue_link(session=session, donor_id=row.donor_id, now=now, via="code", days=1)


def set_availability(*, session: Session, token: str, now: dt.datetime, availability: rules.Availability) -> None:
    link = link_for(session=session, token=token, now=now)
    row = _availability_row(session, link.donor_id, now)
    row.weekdays, row.from_minute = availability.weekdays, availability.from_minute
    row.until_minute, row.not_until = availability.until_minute, availability.not_until
    session.add(row)
    audit.record(session=session, now=now, actor=actor_of(link), action="portal.availability",
                 subject_type="donor", subject_id=link.donor_id,
                 detail={"weekdays": row.weekdays, "from": row.from_minute, "until": row.until_minute,
                         "not_until": row.not_until.isoformat() if row.not_until else None})
    session.flush()


def set_language(*, session: Session, token: str, now: dt.datetime, language: str) -> None:
    if language not in ("vi", "en"):
        raise ValueError(language)
    link = link_for(session=session, token=token, now=now)
    row = _availability_row(session, link.donor_id, now)
    row.language = language
    session.add(row)
    audit.record(session=session, now=now, actor=actor_of(link), action="portal.language",
                 subject_type="donor", subject_id=link.donor_id, detail={"language": language})
    session.flush()


def withdraw(*, session: Session, token: str, now: dt.datetime, what: str) -> None:
    """Withdraw one consent purpose, or "messages": opt out of every message (privacy services)."""
    link = link_for(session=session, token=token, now=now)
    donor = session.get(Donor, link.donor_id)
    if what == "messages":
        if donor.phone_e164:
            set_opted_out(session=session, now=now, phone=donor.phone_e164, actor=actor_of(link))
        return
    consents.withdraw(session=session, donor=donor, purpose=Purpose(what), now=now, actor=actor_of(link))


def _availability_row(session: Session, donor_id: int, now: dt.datetime) -> DonorAvailability:
    row = session.get(DonorAvailability, donor_id) or DonorAvailability(donor_id=donor_id, updated_at=now)
    row.updated_at = now
    return row
