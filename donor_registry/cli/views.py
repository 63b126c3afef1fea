"""How donors and donations look on screen and in --json (shared by several commands)."""

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from donor_registry.cli.output import console, print_fields, print_table
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donations.service import donor_facts
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules, check
from donor_registry.i18n import N_, _, formatting
from donor_registry.i18n.labels import label, yes_no
from donor_registry.phones import mask_phone
from donor_registry.places import units
from donor_registry.places.status import STATUS_LABELS
from donor_registry.text import mask_national_id
from donor_registry.types import ConsentChannel, DonationType, Sex, blood_group_label


def donor_summary(donor: Donor, *, masked: bool = True) -> dict:
    """The fields a list shows; phone and national ID masked unless asked otherwise."""
    phone, national_id = donor.phone_e164, donor.national_id
    if masked:
        phone = mask_phone(phone) if phone else None
        national_id = mask_national_id(national_id) if national_id else None
    return {
        "id": donor.id,
        "full_name": donor.full_name,
        "born": donor.date_of_birth.isoformat() if donor.date_of_birth else donor.birth_year,
        "sex": donor.sex.value,
        "blood_group": blood_group_label(donor.abo, donor.rh),
        "phone": phone,
        "sms_capable": donor.phone_sms_capable,
        "national_id": national_id,
        "commune": donor.commune,
        "district": donor.district,
        "province": donor.province,
        "province_code": donor.province_code,
        "commune_code": donor.commune_code,
        "address_status": donor.address_status.value,
        "chapter_id": donor.chapter_id,
        "standby": donor.standby,
        "donation_count": donor.donation_count,
        "last_donation_on": donor.last_donation_on,
        "eligible_again_on": donor.eligible_again_on,
    }


def donor_record(donor: Donor, donations: Sequence[Donation], rules: EligibilityRules, on: dt.date) -> dict:
    """Everything `donors show` prints: details, history, counts by type, eligibility per type."""
    facts = donor_facts(donor=donor, donations=donations)
    counts = Counter(d.type.value for d in donations if d.outcome == Outcome.donated and d.voided_at is None)
    eligibility = {}
    for kind in DonationType:
        verdict = check(facts, kind, on, rules)
        eligibility[kind.value] = {
            "eligible": verdict.eligible,
            "eligible_from": verdict.eligible_from,
            "reasons": [reason.message for reason in verdict.reasons],
            "warnings": list(verdict.warnings),
        }
    return {
        **donor_summary(donor, masked=False),
        "address": donor.address,
        "units_date": donor.units_date,
        "address_candidates": (donor.address_candidates or "").split(),
        "weight_kg": donor.weight_kg,
        "consent_at": donor.consent_at,
        "consent_withdrawn_at": donor.consent_withdrawn_at,
        "sms_opted_out_at": donor.sms_opted_out_at,
        "notes": donor.notes,
        "erased_at": donor.erased_at,
        "counts_by_type": dict(counts),
        "checked_on": on,
        "eligibility": eligibility,
        "history": [donation_summary(d) for d in donations],
    }


def donation_summary(donation: Donation) -> dict:
    """One donation or deferral as a flat dict."""
    return {
        "id": donation.id,
        "donor_id": donation.donor_id,
        "donated_on": donation.donated_on,
        "type": donation.type.value,
        "outcome": donation.outcome.value,
        "volume_ml": donation.volume_ml,
        "site": donation.site,
        "drive_id": donation.drive_id,
        "certificate_no": donation.certificate_no,
        "deferral_reason": donation.deferral_reason,
        "deferral_until": donation.deferral_until,
        "violations": donation.violations,
        "override_reason": donation.override_reason,
        "voided_at": donation.voided_at,
        "voided_by": donation.voided_by,
        "void_reason": donation.void_reason,
    }


def outcome_text(summary: dict) -> str:
    """'đã hiến', 'tạm hoãn (reason)', with 'ĐÃ HUỶ (reason): …' when the record was voided."""
    text = label(Outcome(summary["outcome"]))
    if summary["deferral_reason"]:
        text += f" ({summary['deferral_reason']})"
    if summary["voided_at"]:
        text = _("VOIDED ({reason}): {outcome}").format(reason=summary["void_reason"], outcome=text)
    return text


def print_donor_table(rows: list[dict], *, empty: str) -> None:
    """Donors as a table, one row each."""
    print_table(
        None, [N_("#"), N_("name"), N_("born"), N_("group"), N_("phone"), N_("commune"), N_("district"),
               N_("donations"), N_("next")],
        [(r["id"], r["full_name"], _born(r["born"]), r["blood_group"], r["phone"], r["commune"], r["district"],
          r["donation_count"], r["eligible_again_on"]) for r in rows],
        empty=empty,
    )


def _born(born) -> str:
    """A birth date (a date or its ISO text) as 07/04/2001, a birth year as it is."""
    if isinstance(born, str) and len(born) == 10:
        born = dt.date.fromisoformat(born)
    return formatting.date(born) if isinstance(born, dt.date) else ("" if born is None else str(born))


def print_donor_record(record: dict) -> None:
    """The page `donors show` prints."""
    phone = record["phone"] or "-"
    print_fields(f"#{record['id']} {record['full_name']}", [
        (N_("born"), _born(record["born"])), (N_("sex"), label(Sex(record["sex"]))),
        (N_("blood group"), record["blood_group"]),
        (N_("phone"), phone if record["sms_capable"] else _("{phone} (no SMS)").format(phone=phone)),
        (N_("national ID"), record["national_id"]), (N_("address"), record["address"]),
        (N_("area"), ", ".join(filter(None, [record["commune"], record["district"], record["province"]]))),
        (N_("official address"), official_address_text(record)),
        (N_("weight"), f"{formatting.number(record['weight_kg'], decimals=1)} kg" if record["weight_kg"] else None),
        (N_("standby"), bool(record["standby"])),
        *((_CONSENT_LINES.get(purpose, purpose), _consent_text(state))
          for purpose, state in record.get("consents", {}).items()),
        (N_("erased"), record["erased_at"]),
        (N_("donations"), f"{record['donation_count']} ({_counts_text(record['counts_by_type'])})"),
    ])
    question = _("May give on {day}?").format(day=formatting.date(record["checked_on"]))
    console.print(f"[bold]{question}[/bold]", highlight=False)
    kinds = {kind: label(DonationType(kind)) for kind in record["eligibility"]}
    width = max(len(name) for name in kinds.values())
    for kind, verdict in record["eligibility"].items():
        reasons = "; ".join(verdict["reasons"])
        if verdict["eligible"]:
            line = yes_no(True)
        elif verdict["eligible_from"]:
            line = _("no, from {day}: {reasons}").format(day=formatting.date(verdict["eligible_from"]), reasons=reasons)
        else:
            line = _("no: {reasons}").format(reasons=reasons)
        console.print(f"  {kinds[kind].ljust(width)}  {line}", highlight=False)
    print_table(N_("History"), [N_("#"), N_("date"), N_("type"), N_("outcome"), N_("ml"), N_("site"),
                                N_("certificate")], [
        (h["id"], h["donated_on"], DonationType(h["type"]), outcome_text(h), h["volume_ml"], h["site"],
         h["certificate_no"])
        for h in record["history"]
    ], empty=N_("no donations recorded"))


_CONSENT_LINES = {"contact_sms": N_("consent to SMS"), "health_data": N_("consent to health data")}


def official_address_text(record: dict) -> str:
    """'Phường Sóc Trăng, Thành phố Cần Thơ (converted)', or the status and candidates."""
    status = _(STATUS_LABELS[record["address_status"]])
    if record["commune_code"]:
        commune = units.commune(record["commune_code"])
        province = units.province(commune.province_code)
        return f"{commune.name}, {province.name} ({status})"
    candidates = ", ".join(f"{c.name} ({c.code})" for code in record.get("address_candidates") or ()
                           if (c := units.commune(code)))
    return f"{status}: {candidates}" if candidates else status




def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {label(DonationType(kind))}" for kind, n in counts.items()) or _("none")


def _consent_text(state: dict) -> str:
    if state["withdrawn_at"]:
        return _("withdrawn {day}").format(day=formatting.date(state["withdrawn_at"]))
    if state["given_at"]:
        channel = label(ConsentChannel(state["channel"])) if state["channel"] else ""
        return _("given {day} ({channel})").format(day=formatting.date(state["given_at"]), channel=channel)
    return _("not asked")
