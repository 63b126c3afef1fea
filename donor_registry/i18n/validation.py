"""Pydantic's validation errors as sentences a coordinator reads: the field's label, then what is wrong.

`weight_kg: Input should be less than 300` becomes "Cân nặng (kg): phải nhỏ hơn 300" (and
"Weight (kg): must be less than 300" in English). The CLI's plain errors, the hospital pages and
the workspace forms all go through `field_errors` / `sentence`.
"""

from __future__ import annotations

from pydantic import ValidationError

from donor_registry.i18n import N_, _

# Field names of the models people fill in -> their label (msgid).
FIELD_LABELS: dict[str, str] = {
    "full_name": N_("Full name"),
    "date_of_birth": N_("Date of birth"),
    "birth_year": N_("Birth year"),
    "sex": N_("Sex"),
    "abo": N_("Blood group"),
    "rh": N_("Rh factor"),
    "phone": N_("Phone"),
    "phone_e164": N_("Phone"),
    "national_id": N_("National ID (CCCD)"),
    "address": N_("Address"),
    "commune": N_("Commune"),
    "district": N_("District"),
    "province": N_("Province"),
    "weight_kg": N_("Weight (kg)"),
    "consent_channel": N_("Consent"),
    "notes": N_("Notes"),
    "donated_on": N_("Donation date"),
    "type": N_("Donation type"),
    "outcome": N_("Outcome"),
    "volume_ml": N_("Volume (ml)"),
    "site": N_("Site"),
    "drive_id": N_("Drive"),
    "name": N_("Name"),
    "venue": N_("Venue"),
    "starts_on": N_("Start date"),
    "ends_on": N_("End date"),
    "starts_at": N_("Start time"),
    "ends_at": N_("End time"),
    "target_units": N_("Target units"),
    "units": N_("Units"),
    "blood_group": N_("Blood group"),
    "product": N_("Blood product"),
    "needed_by": N_("Needed by"),
    "note": N_("Note"),
    "login": N_("Login name"),
    "password": N_("Password"),
    "role": N_("Role"),
}

# pydantic error type -> sentence (msgid with the error's ctx names as placeholders).
_SENTENCES: dict[str, str] = {
    "missing": N_("is required"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "string_too_long": N_("is longer than {max_length} characters"),
    "string_too_short": N_("is shorter than {min_length} characters"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_parsing": N_("must be a number"),
    "date_parsing": N_("is not a date; write 07/04/2026"),
    "date_from_datetime_parsing": N_("is not a date; write 07/04/2026"),
    "datetime_parsing": N_("is not a date and time"),
    "enum": N_("must be one of: {expected}"),
    "bool_parsing": N_("must be yes or no"),
    "string_type": N_("must be text"),
}


def field_label(field: str) -> str:
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def _field(error: dict) -> str:
    names = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    return names[-1] if names else ""


def _what(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        # A validator of ours raised ValueError with its own sentence (already through the catalogs).
        return str(error.get("ctx", {}).get("error") or error["msg"].removeprefix("Value error, "))
    if kind in _SENTENCES:
        try:
            return _(_SENTENCES[kind]).format(**{k: _shown(v) for k, v in (error.get("ctx") or {}).items()})
        except (KeyError, IndexError):
            pass
    return _("is not valid")


def _shown(value):
    """300.0 -> 300: a limit written as a float in a model reads as the number it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{field name: sentence}, for forms that show each error next to its field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        errors.setdefault(_field(error), _what(error))
    return errors


def sentence(exc: ValidationError) -> str:
    """One line: 'Cân nặng (kg): phải nhỏ hơn 300; Họ và tên: là bắt buộc'."""
    parts = []
    for field, what in field_errors(exc).items():
        parts.append(f"{field_label(field)}: {what}" if field else what)
    return "; ".join(parts)
