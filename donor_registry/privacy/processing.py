"""The processing records (Law 91/2025, Decree 356/2025): what is processed, why, by whom, how
long, and the counts of consents, withdrawals, exports and erasures. A draft for the chapter's
impact-assessment dossier, not the dossier itself."""

import datetime as dt

from sqlalchemy import func, select
from sqlmodel import Session

from donor_registry.audit.models import AuditEntry
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.privacy.models import DonorConsent, Purpose

# The gateways [sms] gateway can name, and where they process the numbers and texts.
GATEWAYS = {
    "twilio": {"name": "Twilio Inc.", "service": "SMS gateway (phone numbers, message texts)",
               "country": "United States"},
    "esms": {"name": "eSMS.vn (ViHAT Group)",
             "service": "brand-name SMS and Zalo ZNS gateway (phone numbers, message texts)",
             "country": "Vietnam"},
}
# With a Zalo OA configured, ZNS texts are delivered by Zalo itself.
ZALO = {"name": "Zalo (VNG Corporation)", "service": "Zalo ZNS template messages (phone numbers, template parameters)",
        "country": "Vietnam"}
ACTIVITIES = (
    {"data": "name, date of birth or birth year, sex, national ID, address and area",
     "purpose": "identify donors, record donations, honour repeat donors", "consent": None},
    {"data": "phone number, SMS texts sent and received",
     "purpose": "invitations, reminders, thanks and emergency call-outs by SMS", "consent": Purpose.contact_sms},
    {"data": "blood group, weight, donation outcomes and deferral reasons (health data)",
     "purpose": "eligibility to donate, emergency matching by blood group", "consent": Purpose.health_data},
)
# Audit actions counted as a release of personal data in full.
DISCLOSURES = ("donor.show", "donor.export_data", "report.export", "honours.export_candidates", "honours.export")


def processing_report(*, session: Session, settings: Settings, now: dt.datetime) -> dict:
    """The processing records as plain values."""
    processors = [dict(GATEWAYS[settings.sms.gateway])] if settings.sms.gateway in GATEWAYS else []
    if settings.sms.gateway == "esms" and settings.sms.esms.oa_id:
        processors.append(dict(ZALO))
    processors += [p.model_dump() for p in settings.privacy.processors]
    for processor in processors:
        processor["outside_vietnam"] = processor["country"].strip().lower() not in ("vietnam", "viet nam", "việt nam")
    return {
        "draft": True,
        "generated_at": now,
        "controller": settings.general.chapter_name,
        "activities": [{**a, "consent": a["consent"].value if a["consent"] else None} for a in ACTIVITIES],
        "processors": processors,
        "cross_border_transfer": any(p["outside_vietnam"] for p in processors),
        "retention": {"identity": settings.privacy.identity_retention,
                      "donations": settings.privacy.donation_retention},
        "counts": _counts(session),
    }


def _counts(session: Session) -> dict:
    donors = session.scalar(select(func.count()).select_from(Donor).where(
        Donor.merged_into_id.is_(None), Donor.erased_at.is_(None)))
    consents = {}
    for purpose in Purpose:
        of = DonorConsent.purpose == purpose
        consents[purpose.value] = {
            "given": session.scalar(select(func.count()).select_from(DonorConsent).where(of)),
            "in_force": session.scalar(select(func.count()).select_from(DonorConsent).where(
                of, DonorConsent.withdrawn_at.is_(None))),
            "withdrawn": session.scalar(select(func.count()).select_from(DonorConsent).where(
                of, DonorConsent.withdrawn_at.is_not(None))),
        }
    audited = dict(session.execute(select(AuditEntry.action, func.count()).where(
        AuditEntry.action.in_(DISCLOSURES)).group_by(AuditEntry.action)).all())
    return {
        "donors": donors,
        "consents": consents,
        "data_exports_to_donors": audited.get("donor.export_data", 0),
        "erasures": session.scalar(select(func.count()).select_from(Donor).where(Donor.erased_at.is_not(None))),
        "full_views_and_exports": {action: audited.get(action, 0) for action in DISCLOSURES},
    }


def text_lines(report: dict) -> list[str]:
    """The records as plain lines for the terminal or a text file."""
    counts = report["counts"]
    lines = [f"Processing records (DRAFT for the impact-assessment dossier) — {report['controller']}",
             f"Generated {report['generated_at']:%Y-%m-%d %H:%M} UTC", "", "What is processed and why:"]
    for activity in report["activities"]:
        consent = f" (consent: {activity['consent']})" if activity["consent"] else ""
        lines.append(f"  - {activity['data']}: {activity['purpose']}{consent}")
    lines.append("Processors:")
    for p in report["processors"] or [{"name": "none (no data leaves the chapter)", "service": "", "country": "",
                                       "outside_vietnam": False}]:
        abroad = " — OUTSIDE VIETNAM: cross-border transfer to assess" if p["outside_vietnam"] else ""
        lines.append(f"  - {p['name']}" + (f", {p['service']}, {p['country']}" if p["service"] else "") + abroad)
    lines += ["Retention:", f"  - {report['retention']['identity']}", f"  - {report['retention']['donations']}",
              "Counts:", f"  donors registered: {counts['donors']}"]
    for purpose, c in counts["consents"].items():
        lines.append(f"  consent {purpose}: {c['given']} given, {c['in_force']} in force, {c['withdrawn']} withdrawn")
    lines += [f"  data exports to donors: {counts['data_exports_to_donors']}", f"  erasures: {counts['erasures']}"]
    lines += [f"  {action}: {n}" for action, n in counts["full_views_and_exports"].items()]
    return lines
