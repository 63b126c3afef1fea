"""Consent per purpose: grant, withdraw, read. Each change is audited.

`contact_sms` is mirrored on donors.consent_at / consent_channel / consent_withdrawn_at, the
columns the SMS audience (sms/audience.py) and the bulk import read and write.
"""

import datetime as dt

from sqlmodel import Session, select

from donor_registry.audit import service as audit
from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.privacy.models import DonorConsent, Purpose
from donor_registry.types import ConsentChannel


def open_grant(session: Session, donor_id: int, purpose: Purpose) -> DonorConsent | None:
    """The grant of this purpose not withdrawn, if any."""
    return session.exec(
        select(DonorConsent).where(
            DonorConsent.donor_id == donor_id, DonorConsent.purpose == purpose, DonorConsent.withdrawn_at.is_(None)
        ).order_by(DonorConsent.id.desc())
    ).first()


def give(
    *, session: Session, donor: Donor, purpose: Purpose, channel: ConsentChannel, now: dt.datetime, actor: str,
) -> DonorConsent:
    """Record an explicit grant; a grant already open stands (it keeps its first time)."""
    if donor.erased_at is not None:
        raise UserError(_("donor #{donor_id} was erased: consent cannot be recorded").format(donor_id=donor.id))
    grant = open_grant(session, donor.id, purpose)
    if grant is not None:
        return grant
    grant = DonorConsent(donor_id=donor.id, purpose=purpose, given_at=now, channel=channel, recorded_by=actor)
    session.add(grant)
    if purpose == Purpose.contact_sms:
        donor.consent_at, donor.consent_channel, donor.consent_withdrawn_at = now, channel, None
    donor.updated_at = now
    session.add(donor)
    session.flush()
    audit.record(session=session, now=now, actor=actor, action="consent.give", subject_type="donor",
                 subject_id=donor.id, detail={"purpose": purpose.value, "channel": channel.value})
    return grant


def withdraw(
    *, session: Session, donor: Donor, purpose: Purpose, now: dt.datetime, actor: str,
    channel: ConsentChannel | None = None,
) -> DonorConsent | None:
    """Record a withdrawal; it stands until the donor gives consent again."""
    grant = open_grant(session, donor.id, purpose)
    if grant is not None:
        grant.withdrawn_at, grant.withdrawn_channel = now, channel
        session.add(grant)
    if purpose == Purpose.contact_sms:
        donor.consent_withdrawn_at = now
    donor.updated_at = now
    session.add(donor)
    session.flush()
    audit.record(session=session, now=now, actor=actor, action="consent.withdraw", subject_type="donor",
                 subject_id=donor.id, detail={"purpose": purpose.value,
                                              "channel": channel.value if channel else None})
    return grant


def history(*, session: Session, donor_id: int) -> list[DonorConsent]:
    """Every grant of the donor, oldest first."""
    return list(session.exec(select(DonorConsent).where(DonorConsent.donor_id == donor_id)
                             .order_by(DonorConsent.given_at, DonorConsent.id)))


def current(*, session: Session, donor_id: int) -> dict[str, dict]:
    """Each purpose's state: given (with time and channel), withdrawn, or never asked."""
    latest: dict[Purpose, DonorConsent] = {}
    for grant in history(session=session, donor_id=donor_id):
        latest[grant.purpose] = grant
    states = {}
    for purpose in Purpose:
        grant = latest.get(purpose)
        states[purpose.value] = {
            "state": "not asked" if grant is None else ("withdrawn" if grant.withdrawn_at else "given"),
            "given_at": grant.given_at if grant else None,
            "channel": grant.channel.value if grant else None,
            "withdrawn_at": grant.withdrawn_at if grant else None,
        }
    return states
