"""The donor's own data as a workbook a person reads, in the current language.

The JSON beside it keeps the English keys and codes; here every sheet name and heading is a
label ("Họ và tên", not full_name), codes read as words (nữ, máu toàn phần, có / không), days
are dates shown dd/mm/yyyy and moments are Vietnam's time shown dd/mm/yyyy hh:mm.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from pathlib import Path

from donor_registry.donations.models import Outcome
from donor_registry.emergency.models import Answer, AnswerChannel
from donor_registry.i18n import NP_, _, formatting, pgettext
from donor_registry.i18n.labels import label, yes_no
from donor_registry.privacy.files import private_file
from donor_registry.privacy.models import Purpose
from donor_registry.sms.models import OutboxStatus
from donor_registry.spreadsheets import append_row
from donor_registry.types import ConsentChannel, DonationType, Rh, Sex

DATE_FORMAT = "dd/mm/yyyy"
MOMENT_FORMAT = "dd/mm/yyyy hh:mm"

# Section (the JSON key) -> its sheet's name (context "data sheet", at most 31 characters).
SHEETS = {
    "donor": NP_("data sheet", "Donor"), "consent_now": NP_("data sheet", "Consent now"),
    "consents": NP_("data sheet", "Consents"), "donations": NP_("data sheet", "Donations"),
    "honours": NP_("data sheet", "Honours"), "sms_sent": NP_("data sheet", "SMS sent"),
    "sms_received": NP_("data sheet", "SMS received"), "emergency_calls": NP_("data sheet", "Emergency calls"),
    "questionnaires": NP_("data sheet", "Health questions"),
    "merged_records": NP_("data sheet", "Merged records"), "audit_trail": NP_("data sheet", "Audit trail"),
}

# Field (the JSON key) -> its heading (context "data field").
FIELDS = {
    "id": NP_("data field", "Number"), "donor_id": NP_("data field", "Donor number"),
    "purpose": NP_("data field", "Purpose"), "state": NP_("data field", "State"),
    "given_at": NP_("data field", "Given at"), "channel": NP_("data field", "Channel"),
    "withdrawn_at": NP_("data field", "Withdrawn at"), "withdrawn_channel": NP_("data field", "Withdrawn through"),
    "recorded_by": NP_("data field", "Recorded by"), "donated_on": NP_("data field", "Donation date"),
    "type": NP_("data field", "Donation type"), "outcome": NP_("data field", "Outcome"),
    "volume_ml": NP_("data field", "Volume (ml)"), "site": NP_("data field", "Site"),
    "drive_id": NP_("data field", "Drive number"), "emergency_request_id": NP_("data field", "Emergency request number"),
    "request_id": NP_("data field", "Emergency request number"), "certificate_no": NP_("data field", "Certificate number"),
    "deferral_reason": NP_("data field", "Deferral reason"), "deferral_until": NP_("data field", "Deferred until"),
    "deferred_until": NP_("data field", "Deferred until"), "notes": NP_("data field", "Notes"),
    "source": NP_("data field", "Source"), "created_at": NP_("data field", "Created at"),
    "updated_at": NP_("data field", "Updated at"), "violations": NP_("data field", "Checks not met"),
    "override_reason": NP_("data field", "Why it was kept"), "voided_at": NP_("data field", "Voided at"),
    "voided_by": NP_("data field", "Voided by"), "void_reason": NP_("data field", "Why it was voided"),
    "tier": NP_("data field", "Tier"), "ceremony_id": NP_("data field", "Ceremony number"),
    "donation_count": NP_("data field", "Donations"), "awarded_on": NP_("data field", "Awarded on"),
    "revoked_at": NP_("data field", "Revoked at"), "revoked_reason": NP_("data field", "Why it was revoked"),
    "to_phone": NP_("data field", "To"), "from_phone": NP_("data field", "From"), "kind": NP_("data field", "Kind"),
    "body": NP_("data field", "Text"), "send_after": NP_("data field", "Send after"),
    "urgent": NP_("data field", "Urgent"), "status": NP_("data field", "Status"),
    "attempts": NP_("data field", "Attempts"), "next_attempt_at": NP_("data field", "Next attempt at"),
    "provider_id": NP_("data field", "Provider's message number"), "error_code": NP_("data field", "Error code"),
    "error_message": NP_("data field", "Error message"), "claimed_at": NP_("data field", "Taken for sending at"),
    "price_vnd": NP_("data field", "Price (đồng)"), "sent_at": NP_("data field", "Sent at"),
    "action": NP_("data field", "Action"), "received_at": NP_("data field", "Received at"),
    "wave": NP_("data field", "Wave"), "asked_at": NP_("data field", "Asked at"),
    "answer": NP_("data field", "Answer"), "answered_at": NP_("data field", "Answered at"),
    "answer_channel": NP_("data field", "Answered through"), "expected_arrival_at": NP_("data field", "Expected at"),
    "arrived_at": NP_("data field", "Arrived at"), "donated": NP_("data field", "Donated"),
    "token_expires_at": NP_("data field", "Link expires at"), "token_used_at": NP_("data field", "Link used at"),
    "full_name": NP_("data field", "Full name"), "date_of_birth": NP_("data field", "Date of birth"),
    "birth_year": NP_("data field", "Birth year"), "sex": NP_("data field", "Sex"),
    "abo": NP_("data field", "Blood group"), "rh": NP_("data field", "Rh factor"),
    "phone_e164": NP_("data field", "Phone"), "phone_sms_capable": NP_("data field", "Phone takes SMS"),
    "national_id": NP_("data field", "National ID (CCCD)"), "address": NP_("data field", "Address"),
    "commune": NP_("data field", "Commune"), "district": NP_("data field", "District"),
    "province": NP_("data field", "Province"), "weight_kg": NP_("data field", "Weight (kg)"),
    "weight_measured_on": NP_("data field", "Weighed on"), "consent_at": NP_("data field", "Consent given at"),
    "consent_channel": NP_("data field", "Consent given through"),
    "consent_withdrawn_at": NP_("data field", "Consent withdrawn at"), "standby": NP_("data field", "Standby donor"),
    "sms_opted_out_at": NP_("data field", "SMS refused at"), "deceased_on": NP_("data field", "Deceased on"),
    "chapter_id": NP_("data field", "Chapter number"), "province_code": NP_("data field", "Province code"),
    "commune_code": NP_("data field", "Commune code"), "units_date": NP_("data field", "Address units as of"),
    "address_status": NP_("data field", "Address status"),
    "address_candidates": NP_("data field", "Possible addresses"),
    "last_donation_on": NP_("data field", "Last donation date"),
    "last_donation_type": NP_("data field", "Last donation type"),
    "eligible_again_on": NP_("data field", "Eligible again on"),
    "merged_into_id": NP_("data field", "Merged into donor number"), "erased_at": NP_("data field", "Erased at"),
    "message_channel": NP_("data field", "Messages through"), "zalo_opted_out_at": NP_("data field", "Zalo refused at"),
    "zalo_unavailable_at": NP_("data field", "Zalo unreachable since"), "kept_id": NP_("data field", "Donor kept"),
    "merged_id": NP_("data field", "Donor merged"), "merged_at": NP_("data field", "Merged at"),
    "command": NP_("data field", "Command"), "moved": NP_("data field", "Records moved"),
    "snapshot": NP_("data field", "Record before the merge"), "at": NP_("data field", "At"),
    "actor": NP_("data field", "By"), "subject_type": NP_("data field", "Subject"),
    "subject_id": NP_("data field", "Subject number"), "detail": NP_("data field", "Detail"),
    "booking_id": NP_("data field", "Booking number"), "form_version": NP_("data field", "Form version"),
    "answers": NP_("data field", "Answers"), "result": NP_("data field", "Result"),
    "may_give_from": NP_("data field", "May give from"), "submitted_at": NP_("data field", "Answered at"),
    "superseded_at": NP_("data field", "Replaced at"),
}
_STATES = {"given": NP_("consent state", "given"), "withdrawn": NP_("consent state", "withdrawn"),
           "not asked": NP_("consent state", "not asked")}
_DAYS = {"donated_on", "deferral_until", "deferred_until", "awarded_on", "date_of_birth", "weight_measured_on",
         "deceased_on", "units_date", "last_donation_on", "eligible_again_on", "may_give_from"}
_ENUMS: dict[str, type[Enum]] = {
    "sex": Sex, "rh": Rh, "type": DonationType, "last_donation_type": DonationType, "outcome": Outcome,
    "consent_channel": ConsentChannel, "withdrawn_channel": ConsentChannel, "purpose": Purpose, "answer": Answer,
    "answer_channel": AnswerChannel,
}
# Fields whose codes mean something else in another section.
_SECTION_ENUMS: dict[str, dict[str, type[Enum]]] = {
    "consents": {"channel": ConsentChannel}, "consent_now": {"channel": ConsentChannel},
    "sms_sent": {"status": OutboxStatus},
}


def heading(field: str) -> str:
    return pgettext("data field", FIELDS[field]) if field in FIELDS else field


def _moment(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return formatting.local(moment).replace(tzinfo=None)  # Excel has no time zones: Vietnam's time


def shown_value(section: str, field: str, value):
    """(value for the cell, number format or None)."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return yes_no(value), None
    if isinstance(value, (dict, list)):  # a merge's snapshot, an audit detail: JSON text
        return json.dumps(value, ensure_ascii=False), None
    if not isinstance(value, str):
        return value, None
    if field in _DAYS:
        try:
            return dt.date.fromisoformat(value[:10]), DATE_FORMAT
        except ValueError:
            return value, None
    if field.endswith("_at") or field in ("at", "send_after"):
        moment = _moment(value)
        return (moment, MOMENT_FORMAT) if moment else (value, None)
    if section == "consent_now" and field == "state" and value in _STATES:
        return pgettext("consent state", _STATES[value]), None
    kind = _SECTION_ENUMS.get(section, {}).get(field) or _ENUMS.get(field)
    if kind is not None:
        try:
            return label(kind(value)), None
        except ValueError:
            return value, None
    return value, None


def _append(sheet, section: str, fields: list[str], row: dict) -> None:
    values = [shown_value(section, field, row.get(field)) for field in fields]
    append_row(sheet, [value for value, _format in values])
    for column, (_value, number_format) in enumerate(values, start=1):
        if number_format:
            sheet.cell(sheet.max_row, column).number_format = number_format


def write(data: dict, path: Path, sections: list[str]) -> None:
    """The record as a heading / value sheet, the consents now and every section as tables."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    record = book.active
    record.title = pgettext("data sheet", SHEETS["donor"])
    append_row(record, [pgettext("data field", "Field"), pgettext("data field", "Value")])
    for field, value in data["donor"].items():
        shown, number_format = shown_value("donor", field, value)
        append_row(record, [heading(field), shown])
        if number_format:
            record.cell(record.max_row, 2).number_format = number_format
    record.column_dimensions["A"].width = 30
    record.column_dimensions["B"].width = 50
    consent = book.create_sheet(pgettext("data sheet", SHEETS["consent_now"]))
    fields = ["purpose", "state", "given_at", "channel", "withdrawn_at"]
    append_row(consent, [heading(field) for field in fields])
    for purpose, state in data["consent_now"].items():
        _append(consent, "consent_now", fields, {"purpose": purpose, **state})
    for name in sections:
        sheet = book.create_sheet(pgettext("data sheet", SHEETS[name]))
        rows = data[name]
        if not rows:
            append_row(sheet, [_("none")])
            continue
        fields = list(rows[0])
        append_row(sheet, [heading(field) for field in fields])
        for row in rows:
            _append(sheet, name, fields, row)
    for sheet in book.worksheets:
        for header in sheet[1]:
            header.font = Font(bold=True)
        if sheet is not record:
            for column in sheet.columns:
                sheet.column_dimensions[column[0].column_letter].width = 18
    book.save(private_file(path))
