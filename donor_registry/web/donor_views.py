"""What the donor pages show, as plain values in the current language.

The rules (eligibility.py, recording.py) give each reason a stable code and a date; the pages
say it in the reader's words from the code, and keep the rule's own detail beside it.
"""

from collections import Counter
from collections.abc import Sequence

from donor_registry.donations.models import Donation, Outcome
from donor_registry.donations.service import donor_facts
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules, check
from donor_registry.i18n import N_, _, formatting
from donor_registry.i18n.labels import label, message_kind
from donor_registry.phones import mask_phone
from donor_registry.privacy.models import Purpose
from donor_registry.text import mask_national_id
from donor_registry.types import ABO, ConsentChannel, DonationType, Rh, Sex, blood_group_label

#: A reason's code -> what it means (msgid; {day}: the day it clears, when there is one).
REASONS = {
    "deceased": N_("Recorded as deceased."),
    "too_young": N_("Under the minimum age; may give from {day}."),
    "too_old": N_("Over the maximum age."),
    "underweight": N_("Below the minimum weight."),
    "interval": N_("Too soon after another donation; may give from {day}."),
    "deferred": N_("Deferred; may give from {day}."),
    "deferred_permanently": N_("Deferred for good."),
    "same_day": N_("A donation is already recorded on that day."),
    "apheresis_underweight": N_("Apheresis needs a higher weight."),
    "volume": N_("The volume is above the limit for the donor's weight."),
}

BLOOD_GROUPS = [f"{abo.value}{rh.value}" for abo in ABO for rh in Rh]


def reason_text(code: str, day) -> str:
    text = _(REASONS[code]) if code in REASONS else code
    return text.format(day=formatting.date(day) if day else "")


def personal(donor: Donor, in_full: bool) -> tuple[str, str]:
    """The phone and national ID as this reader may see them."""
    phone, national_id = donor.phone_e164 or "", donor.national_id or ""
    if in_full:
        return phone, national_id
    return (mask_phone(phone) if phone else "", mask_national_id(national_id) if national_id else "")


def search_row(donor: Donor, chapter_names: dict, in_full: bool) -> dict:
    phone, _national_id = personal(donor, in_full)
    born = donor.date_of_birth.strftime("%d/%m/%Y") if donor.date_of_birth else (donor.birth_year or "")
    return {"id": donor.id, "name": donor.full_name, "born": born, "group": blood_group_label(donor.abo, donor.rh),
            "phone": phone, "place": ", ".join(p for p in (donor.commune, donor.province) if p),
            "chapter": chapter_names.get(donor.chapter_id, ""), "count": donor.donation_count}


def eligibility_rows(donor: Donor, donations: Sequence[Donation], rules: EligibilityRules, today) -> list[dict]:
    """Per donation type: may the donor give today, and if not why and from when."""
    facts = donor_facts(donor=donor, donations=donations)
    rows = []
    for kind in DonationType:
        verdict = check(facts, kind, today, rules)
        rows.append({"type": label(kind), "eligible": verdict.eligible,
                     "from": formatting.date(verdict.eligible_from) if verdict.eligible_from else "",
                     "reasons": [(reason_text(r.code, r.until), r.message) for r in verdict.reasons]})
    return rows


def counts_by_type(donations: Sequence[Donation]) -> list[tuple[str, int]]:
    counted = Counter(d.type for d in donations if d.outcome == Outcome.donated and d.voided_at is None)
    return [(label(kind), counted[kind]) for kind in DonationType if counted[kind]]


def history_rows(donations: Sequence[Donation]) -> list[dict]:
    """Newest first: donations and deferrals, voided ones marked."""
    return [{"date": formatting.date(d.donated_on), "type": label(d.type), "outcome": label(d.outcome),
             "deferred": d.outcome == Outcome.deferred, "volume": d.volume_ml or "", "site": d.site or "",
             "certificate": d.certificate_no or "", "deferral_reason": d.deferral_reason or "",
             "deferral_until": formatting.date(d.deferral_until) if d.deferral_until else "",
             "override": d.override_reason or "", "violations": d.violations or "",
             "voided": d.voided_at is not None, "void_reason": d.void_reason or ""}
            for d in reversed(list(donations))]


CONSENT_STATES = {"given": N_("given"), "withdrawn": N_("withdrawn"), "not asked": N_("not asked")}


def consent_rows(states: dict) -> list[dict]:
    rows = []
    for purpose, state in states.items():
        when = state["withdrawn_at"] or state["given_at"]
        rows.append({"value": purpose, "purpose": label(Purpose(purpose)), "given": state["state"] == "given",
                     "state": _(CONSENT_STATES.get(state["state"], state["state"])),
                     "when": formatting.date(when) if when else ""})
    return rows


def message_rows(messages) -> list[dict]:
    """The donor's messages, newest first: when, what kind, how it stands (never the text, which
    may hold a personal link)."""
    return [{"id": m.id, "when": formatting.datetime(m.sent_at or m.send_after), "kind": message_kind(m.kind),
             "state": label(m.status)} for m in messages]


def audit_rows(entries) -> list[dict]:
    return [{"at": formatting.datetime(e.at), "actor": e.actor, "action": e.action} for e in entries]


#: How a coordinator can have heard the donor's choice (an import's channel is the import's own).
CONSENT_CHANNELS = (ConsentChannel.paper, ConsentChannel.verbal, ConsentChannel.sms, ConsentChannel.web)


def consent_channel_choices(channels=CONSENT_CHANNELS) -> list[tuple[str, str]]:
    return [(channel.value, label(channel)) for channel in channels]


def sex_choices() -> list[tuple[str, str]]:
    return [(sex.value, label(sex)) for sex in Sex]


def type_choices() -> list[tuple[str, str]]:
    return [(kind.value, label(kind)) for kind in DonationType]
