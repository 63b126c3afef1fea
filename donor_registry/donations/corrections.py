"""Correcting and voiding recorded donations without losing what was recorded.

A correction writes a `DonationRevision` with the old and new values; a void marks the row
(voided_at, voided_by, void_reason) and keeps it. Nothing is deleted. Both are audited and
refresh the donors' counts and dates in the same unit of work.
"""

import datetime as dt

from sqlmodel import Session, select

from donor_registry.audit import service as audit
from donor_registry.donations.models import Donation, DonationCreate, DonationRevision
from donor_registry.donations.service import (
    apply_override,
    audit_override,
    check_donation_fields,
    check_recording,
    refresh_donor_stats,
    refuse_taken_certificate,
)
from donor_registry.donors.service import get_donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _, formatting

CORRECTABLE = ("donor_id", "donated_on", "type", "volume_ml", "site", "drive_id", "certificate_no",
               "deferral_reason", "deferral_until", "notes")
# Changes to these are judged again by the recording checks.
_CHECKED = {"donor_id", "donated_on", "type", "volume_ml"}


def get_donation(*, session: Session, donation_id: int) -> Donation:
    donation = session.get(Donation, donation_id)
    if donation is None:
        raise NotFound(_("no donation #{donation_id}").format(donation_id=donation_id))
    return donation


def _live_donation(session: Session, donation_id: int) -> Donation:
    donation = get_donation(session=session, donation_id=donation_id)
    if donation.voided_at is not None:
        raise UserError(_("donation #{donation_id} was voided on {day} ({reason}); it cannot be changed").format(
            donation_id=donation_id, day=formatting.date(donation.voided_at), reason=donation.void_reason))
    return donation


def correct_donation(
    *, session: Session, donation_id: int, changes: dict, reason: str, actor: str, now: dt.datetime,
    rules: EligibilityRules, override: str | None = None,
) -> DonationRevision:
    """Change some fields of a donation, keeping the old values in a revision row."""
    if not reason.strip():
        raise UserError(_("a correction needs a reason (--reason)"))
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise UserError(_("these fields cannot be corrected: {fields}").format(fields=", ".join(sorted(unknown))))
    donation = _live_donation(session, donation_id)
    changed = {key: value for key, value in changes.items() if getattr(donation, key) != value}
    if not changed:
        raise UserError(_("donation #{donation_id} already has these values; nothing to correct").format(
                            donation_id=donation_id))
    data = DonationCreate.model_validate({**donation.model_dump(include=set(DonationCreate.model_fields)), **changed})
    donor = get_donor(session=session, donor_id=changed.get("donor_id", donation.donor_id))
    check_donation_fields(data, today=formatting.local(now).date())
    if "certificate_no" in changed:
        refuse_taken_certificate(session, data.certificate_no, except_id=donation.id)
    old = {key: getattr(donation, key) for key in (*changed, "violations", "override_reason")}
    if _CHECKED & set(changed) or override:
        verdict = check_recording(session=session, donor=donor, data=data, rules=rules, except_id=donation.id)
        apply_override(donation, verdict, override, donor_id=donor.id)
    for key in ("violations", "override_reason"):
        if getattr(donation, key) == old[key]:
            del old[key]
        else:
            changed[key] = getattr(donation, key)
    donors = {donation.donor_id, donor.id}
    for key, value in changed.items():
        setattr(donation, key, getattr(data, key) if key in DonationCreate.model_fields else value)
    session.add(donation)
    revision = DonationRevision(donation_id=donation.id, revised_at=now, revised_by=actor, reason=reason.strip(),
                                old_values=_jsonable(old), new_values=_jsonable(changed))
    session.add(revision)
    session.flush()
    audit.record(session=session, now=now, actor=actor, action="donations.correct", subject_type="donation",
                 subject_id=donation.id, detail={"old": revision.old_values, "new": revision.new_values,
                                                 "reason": revision.reason})
    if donation.violations and override:
        audit_override(session=session, donation=donation, now=now, actor=actor, action="donations.override")
    refresh_donor_stats(session=session, donor_ids=donors, rules=rules)
    return revision


def void_donation(
    *, session: Session, donation_id: int, reason: str, actor: str, now: dt.datetime, rules: EligibilityRules,
) -> Donation:
    """Mark a donation recorded by mistake as void: it stays on record and never counts again."""
    if not reason.strip():
        raise UserError(_("a void needs a reason (--reason)"))
    donation = _live_donation(session, donation_id)
    donation.voided_at, donation.voided_by, donation.void_reason = now, actor, reason.strip()
    session.add(donation)
    session.flush()
    audit.record(session=session, now=now, actor=actor, action="donations.void", subject_type="donation",
                 subject_id=donation.id, detail={"donor_id": donation.donor_id, "reason": donation.void_reason,
                                                 "donated_on": donation.donated_on.isoformat()})
    refresh_donor_stats(session=session, donor_ids=[donation.donor_id], rules=rules)
    return donation


def revisions_of(*, session: Session, donation_id: int) -> list[DonationRevision]:
    """The corrections of a donation, oldest first."""
    query = select(DonationRevision).where(DonationRevision.donation_id == donation_id).order_by(DonationRevision.id)
    return list(session.exec(query))


def _jsonable(values: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, dt.date) else getattr(value, "value", value)
            for key, value in values.items()}
