"""The words a person reads for each enum value, in the current language.

Each enum has its own gettext context (`pgettext("sex", "male")`), so that one English word
can be translated differently where it stands ("planned" drive vs "planned" campaign). `--json`
keeps the enum values themselves.
"""

from __future__ import annotations

from enum import Enum

from donor_registry.i18n import NP_, pgettext

# enum class name -> (gettext context, {value: English label}); NP_ marks each for extraction
# with its context, the same context the label is looked up in.
_LABELS: dict[str, tuple[str, dict[str, str]]] = {
    "Sex": ("sex", {"male": NP_("sex", "male"), "female": NP_("sex", "female"), "unknown": NP_("sex", "unknown")}),
    "DonationType": ("donation type", {
        "whole_blood": NP_("donation type", "whole blood"),
        "platelet_apheresis": NP_("donation type", "platelet apheresis"),
        "plasma_apheresis": NP_("donation type", "plasma apheresis"),
        "red_cell_apheresis": NP_("donation type", "red cell apheresis"),
    }),
    "Rh": ("rh", {"+": NP_("rh", "positive"), "-": NP_("rh", "negative")}),
    "ConsentChannel": ("consent channel", {
        "paper": NP_("consent channel", "paper form"), "sms": NP_("consent channel", "SMS"), "web": NP_("consent channel", "web page"),
        "verbal": NP_("consent channel", "verbal"), "import": NP_("consent channel", "imported file"),
    }),
    "Role": ("role", {"admin": NP_("role", "administrator"), "coordinator": NP_("role", "coordinator"),
                      "viewer": NP_("role", "viewer")}),
    "CampaignStatus": ("campaign status", {"planned": NP_("campaign status", "planned"), "cancelled": NP_("campaign status", "cancelled")}),
    "DriveStatus": ("drive status", {"planned": NP_("drive status", "planned"), "closed": NP_("drive status", "closed"),
                                     "cancelled": NP_("drive status", "cancelled")}),
    "ChapterKind": ("chapter kind", {
        "national": NP_("chapter kind", "national"), "province": NP_("chapter kind", "province"), "commune": NP_("chapter kind", "commune"),
        "school": NP_("chapter kind", "school"), "agency": NP_("chapter kind", "agency"), "company": NP_("chapter kind", "company"),
        "hospital": NP_("chapter kind", "hospital"),
    }),
    "HonourLevel": ("honour level", {"commune": NP_("honour level", "commune"), "province": NP_("honour level", "province"),
                                     "national": NP_("honour level", "national"), "district": NP_("honour level", "district")}),
    "Outcome": ("outcome", {"donated": NP_("outcome", "donated"), "deferred": NP_("outcome", "deferred")}),
    "RequestStatus": ("request status", {"open": NP_("request status", "open"), "covered": NP_("request status", "covered"),
                                         "cancelled": NP_("request status", "cancelled"), "expired": NP_("request status", "expired")}),
    "Answer": ("answer", {"none": NP_("answer", "no answer"), "accepted": NP_("answer", "accepted"),
                          "declined": NP_("answer", "declined"), "too_late": NP_("answer", "too late")}),
    "Product": ("blood product", {"red_cells": NP_("blood product", "red cells"),
                                  "whole_blood": NP_("blood product", "whole blood"),
                                  "plasma": NP_("blood product", "plasma"), "platelets": NP_("blood product", "platelets")}),
    "AnswerChannel": ("answer channel", {"link": NP_("answer channel", "link"), "sms": NP_("answer channel", "SMS"), "phone": NP_("answer channel", "phone")}),
    "Purpose": ("consent purpose", {"contact_sms": NP_("consent purpose", "contact by SMS"),
                                    "health_data": NP_("consent purpose", "health data")}),
    "OutboxStatus": ("sms status", {
        "queued": NP_("sms status", "queued"), "sending": NP_("sms status", "sending"), "sent": NP_("sms status", "sent"),
        "delivered": NP_("sms status", "delivered"), "undelivered": NP_("sms status", "undelivered"), "failed": NP_("sms status", "failed"),
        "cancelled": NP_("sms status", "cancelled"),
    }),
}

_YES_NO = {True: NP_("yes/no", "yes"), False: NP_("yes/no", "no")}

# SMS kinds are plain strings (config.toml's [sms.templates] keys), not an enum.
_MESSAGE_KINDS = {
    "invitation": NP_("sms kind", "invitation"), "reminder": NP_("sms kind", "reminder"),
    # The texts of those two for a drive with slots (they carry the drive link); sent as their kind.
    "invitation_with_link": NP_("sms kind", "invitation with the drive link"),
    "reminder_with_link": NP_("sms kind", "reminder with the drive link"),
    "thank_you": NP_("sms kind", "thank-you"), "may_give_again": NP_("sms kind", "may give again"),
    "congratulation": NP_("sms kind", "congratulation"), "emergency_call": NP_("sms kind", "emergency call"),
    "emergency_filled": NP_("sms kind", "emergency covered"),
    "emergency_cancelled": NP_("sms kind", "emergency cancelled"),
    "portal_link": NP_("sms kind", "record link"), "portal_code": NP_("sms kind", "sign-in code"),
    "waitlist_offer": NP_("sms kind", "waiting list offer"),
    "blood_reached": NP_("sms kind", "blood reached a hospital"),
}


def label(value: Enum | None) -> str:
    """The label of one enum value ('' for None); a value without a label is shown as it is."""
    if value is None:
        return ""
    entry = _LABELS.get(type(value).__name__)
    if entry is None or str(value.value) not in entry[1]:
        return str(value.value)
    context, words = entry
    return pgettext(context, words[str(value.value)])


def yes_no(flag: bool | None) -> str:
    return "" if flag is None else pgettext("yes/no", _YES_NO[bool(flag)])


def message_kind(kind: str | None) -> str:
    """The words for an SMS kind; a kind without a label (a chapter's own) is shown as it is."""
    if not kind:
        return ""
    return pgettext("sms kind", _MESSAGE_KINDS[kind]) if kind in _MESSAGE_KINDS else kind


def known_enums() -> dict[str, dict[str, str]]:
    """{enum name: {value: English label}}, for tests and for the words people may type."""
    return {name: dict(words) for name, (_context, words) in _LABELS.items()}


def context_of(enum_name: str) -> str:
    return _LABELS[enum_name][0]
