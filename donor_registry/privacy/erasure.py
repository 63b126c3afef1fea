"""Erasure on the donor's request: identity and contact data go, donation rows stay de-identified
so counts, honours and reports stay right (the retention rule in README and config.toml)."""

import datetime as dt

from sqlalchemy import update
from sqlmodel import Session, select

from donor_registry.audit import service as audit
from donor_registry.donors import name_words
from donor_registry.donors.models import Donor, DonorMerge
from donor_registry.donors.service import get_donor
from donor_registry.emergency.models import DonorClaim
from donor_registry.errors import UserError
from donor_registry.i18n import _, formatting
from donor_registry.privacy import consents
from donor_registry.privacy.models import Purpose
from donor_registry.questionnaire import service as questionnaire
from donor_registry.sms.models import InboundMessage, OutboxMessage, OutboxStatus

ERASED = "[erased]"
# Identity, contact and health fields of the donor row that erasure empties. Kept: sex, birth
# year, district and province (text and code: the reports' breakdowns) and the donation
# statistics. The commune goes as text and as code (and a flagged address's candidates).
CLEARED = (
    "date_of_birth", "abo", "rh", "phone_e164", "national_id", "address", "commune", "commune_key",
    "commune_code", "address_candidates", "weight_kg", "weight_measured_on", "notes",
)


def erase_donor(*, session: Session, donor_id: int, now: dt.datetime, actor: str) -> dict:
    """Erase one donor (and the merged duplicates that were the same person); returns what was
    scrubbed. Refused while an open emergency request is calling the donor."""
    donor = get_donor(session=session, donor_id=donor_id)
    if donor.erased_at is not None:
        raise UserError(_("donor #{donor_id} was already erased on {date}").format(
            donor_id=donor_id, date=formatting.date(donor.erased_at)))
    claim = session.get(DonorClaim, donor_id)
    if claim is not None:
        raise UserError(_("donor #{donor_id} is being called for open emergency request #{request_id}: "
                          "close or cancel that request first, then erase").format(
            donor_id=donor_id, request_id=claim.request_id))
    for purpose in Purpose:
        if consents.open_grant(session, donor_id, purpose) is not None:
            consents.withdraw(session=session, donor=donor, purpose=purpose, now=now, actor=actor)
    duplicates = list(session.exec(select(Donor).where(Donor.merged_into_id == donor_id)))
    ids = [donor_id, *(d.id for d in duplicates)]
    for person in (donor, *duplicates):
        _clear(person, now)
    session.add_all([donor, *duplicates])
    session.flush()
    name_words.forget(session=session, donor_ids=ids)
    scrubbed = {
        "outbox_messages": _scrub_outbox(session, ids, now),
        "inbound_messages": session.execute(update(InboundMessage).where(InboundMessage.donor_id.in_(ids))
                                            .values(from_phone=ERASED, body=ERASED)).rowcount,
        "merge_snapshots": session.execute(update(DonorMerge).where(DonorMerge.kept_id == donor_id)
                                           .values(snapshot={"erased": True})).rowcount,
        "merged_duplicates": len(duplicates),
        "questionnaire_answers": questionnaire.erase(session=session, donor_ids=ids, now=now),
    }
    audit.record(session=session, now=now, actor=actor, action="donor.erase", subject_type="donor",
                 subject_id=donor_id, detail=scrubbed)
    return scrubbed


def _clear(donor: Donor, now: dt.datetime) -> None:
    for name in CLEARED:
        setattr(donor, name, None)
    donor.full_name, donor.name_folded = ERASED, ""
    donor.phone_sms_capable = donor.standby = False
    if donor.consent_at is not None and donor.consent_withdrawn_at is None:
        donor.consent_withdrawn_at = now
    donor.erased_at = donor.updated_at = now


def _scrub_outbox(session: Session, donor_ids: list[int], now: dt.datetime) -> int:
    """Every message to these donors loses its text and number; those not yet sent never will be."""
    mine = OutboxMessage.donor_id.in_(donor_ids)
    session.execute(update(OutboxMessage).where(mine, OutboxMessage.status == OutboxStatus.queued)
                    .values(status=OutboxStatus.cancelled, error_message="the donor's data was erased",
                            updated_at=now))
    return session.execute(update(OutboxMessage).where(mine).values(body=ERASED, to_phone=ERASED,
                                                                    updated_at=now)).rowcount
