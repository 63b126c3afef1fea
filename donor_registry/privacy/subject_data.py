"""Everything the registry holds about one donor, for the donor's own request (Law 91/2025):
as JSON for a machine and as a workbook a person can read."""

import json
from pathlib import Path

from sqlmodel import Session, SQLModel, select

from donor_registry.audit.models import AuditEntry
from donor_registry.donations.models import Donation
from donor_registry.donors.models import Donor, DonorMerge
from donor_registry.donors.service import get_donor
from donor_registry.emergency.models import CallOut
from donor_registry.honours.models import HonourAward
from donor_registry.privacy import consents
from donor_registry.privacy.files import private_file
from donor_registry.privacy.models import DonorConsent
from donor_registry.questionnaire.models import QuestionnaireAnswer
from donor_registry.sms.models import InboundMessage, OutboxMessage

# Internal bookkeeping that says nothing about the person (and must not leave: a token hash).
_LEFT_OUT = {"claim_token", "reply_token_hash", "link_token_hash", "name_folded", "commune_key", "district_key", "province_key",
             "idempotency_key"}
_SECTIONS = (
    ("consents", DonorConsent, DonorConsent.donor_id, DonorConsent.id),
    ("donations", Donation, Donation.donor_id, Donation.donated_on),
    ("honours", HonourAward, HonourAward.donor_id, HonourAward.id),
    ("sms_sent", OutboxMessage, OutboxMessage.donor_id, OutboxMessage.id),
    ("sms_received", InboundMessage, InboundMessage.donor_id, InboundMessage.id),
    ("emergency_calls", CallOut, CallOut.donor_id, CallOut.id),
    ("questionnaires", QuestionnaireAnswer, QuestionnaireAnswer.donor_id, QuestionnaireAnswer.id),
)


def _plain(row: SQLModel) -> dict:
    return {key: value for key, value in row.model_dump(mode="json").items() if key not in _LEFT_OUT}


def collect(*, session: Session, donor_id: int) -> dict:
    """The donor's record, consents (current and history), donations, honours, messages,
    emergency calls, pre-donation questionnaire answers, merged duplicates and the audit trail of their data."""
    donor = get_donor(session=session, donor_id=donor_id)
    ids = [donor_id, *session.exec(select(Donor.id).where(Donor.merged_into_id == donor_id))]
    data: dict = {"donor": _plain(donor), "consent_now": consents.current(session=session, donor_id=donor_id)}
    for name, model, column, order in _SECTIONS:
        data[name] = [_plain(row) for row in session.exec(select(model).where(column.in_(ids)).order_by(order))]
    data["merged_records"] = [_plain(row) for row in session.exec(
        select(DonorMerge).where(DonorMerge.kept_id == donor_id).order_by(DonorMerge.id))]
    data["audit_trail"] = [_plain(row) for row in session.exec(
        select(AuditEntry).where(AuditEntry.subject_type == "donor", AuditEntry.subject_id.in_(ids))
        .order_by(AuditEntry.id))]
    return json.loads(json.dumps(data, default=str))  # every value plain (dates as ISO text)


def write_json(data: dict, path: Path) -> None:
    """The data as indented UTF-8 JSON, in a 0600 file."""
    private_file(path).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def write_xlsx(data: dict, path: Path) -> None:
    """The data as a workbook a person reads (privacy.workbook), in a 0600 file: the record and
    the consents now as heading / value sheets, every other section as a table."""
    from donor_registry.privacy import workbook

    workbook.write(data, path, [*(section[0] for section in _SECTIONS), "merged_records", "audit_trail"])
