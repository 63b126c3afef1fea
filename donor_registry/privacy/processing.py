"""The processing records (Law 91/2025, Decree 356/2025): what is processed, why, by whom, how
long, and the counts of consents, withdrawals, exports and erasures. A draft for the chapter's
impact-assessment dossier, not the dossier itself. The values keep English words (--json);
the text lines read in the current language."""

import datetime as dt

from sqlalchemy import func, select
from sqlmodel import Session

from donor_registry.audit.models import AuditEntry
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.i18n import N_, _, formatting
from donor_registry.i18n.labels import label
from donor_registry.privacy.models import DonorConsent, Purpose

# The gateways [sms] gateway can name, and where they process the numbers and texts.
GATEWAYS = {
    "twilio": {"name": "Twilio Inc.", "service": N_("SMS gateway (phone numbers, message texts)"),
               "country": N_("United States")},
    "esms": {"name": "eSMS.vn (ViHAT Group)",
             "service": N_("brand-name SMS and Zalo ZNS gateway (phone numbers, message texts)"),
             "country": N_("Vietnam")},
}
# With a Zalo OA configured, ZNS texts are delivered by Zalo itself.
ZALO = {"name": "Zalo (VNG Corporation)",
        "service": N_("Zalo ZNS template messages (phone numbers, template parameters)"), "country": N_("Vietnam")}
ACTIVITIES = (
    {"data": N_("name, date of birth or birth year, sex, national ID, address and area"),
     "purpose": N_("identify donors, record donations, honour repeat donors"), "consent": None},
    {"data": N_("phone number, SMS texts sent and received"),
     "purpose": N_("invitations, reminders, thanks and emergency call-outs by SMS"), "consent": Purpose.contact_sms},
    {"data": N_("blood group, weight, donation outcomes and deferral reasons (health data)"),
     "purpose": N_("eligibility to donate, emergency matching by blood group"), "consent": Purpose.health_data},
    {"data": N_("answers to the pre-donation health questions (health data)"),
     "purpose": N_("shown to the staff at a drive's check-in, before the doctor's check"),
     "consent": Purpose.health_data},
)
# Audit actions counted as a release of personal data in full, and how the text names them.
ACTION_NAMES = {
    "donor.show": N_("full views of a donor"), "donor.export_data": N_("data exports to donors"),
    "report.export": N_("annual reports written to a file"),
    "honours.export_candidates": N_("candidate lists written to a file"),
    "honours.export": N_("ceremony lists written to a file"),
}
DISCLOSURES = tuple(ACTION_NAMES)


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


def _purpose(value: str) -> str:
    try:
        return label(Purpose(value))
    except ValueError:
        return value


def text_lines(report: dict) -> list[str]:
    """The records as plain lines for the terminal or a text file, in the current language (the
    chapter's own processors and retention rules are shown as config.toml words them)."""
    counts, n = report["counts"], formatting.number
    lines = [_("Processing records (DRAFT for the impact-assessment dossier) — {controller}").format(
                 controller=report["controller"]),
             _("Made on {moment} (Vietnam time)").format(moment=formatting.datetime(report["generated_at"])), "",
             _("What is processed and why:")]
    for activity in report["activities"]:
        line = f"  - {_(activity['data'])}: {_(activity['purpose'])}"
        if activity["consent"]:
            line += " " + _("(consent: {purpose})").format(purpose=_purpose(activity["consent"]))
        lines.append(line)
    lines.append(_("Processors:"))
    if not report["processors"]:
        lines.append("  - " + _("none (no data leaves the chapter)"))
    for p in report["processors"]:
        line = f"  - {p['name']}" + (f", {_(p['service'])}, {_(p['country'])}" if p["service"] else "")
        if p["outside_vietnam"]:
            line += " — " + _("OUTSIDE VIETNAM: cross-border transfer to assess")
        lines.append(line)
    lines += [_("Retention:"), f"  - {report['retention']['identity']}", f"  - {report['retention']['donations']}",
              _("Counts:"), "  " + _("donors registered: {count}").format(count=n(counts["donors"]))]
    for purpose, c in counts["consents"].items():
        lines.append("  " + _("consent to {purpose}: {given} given, {in_force} in force, {withdrawn} withdrawn").format(
            purpose=_purpose(purpose), given=n(c["given"]), in_force=n(c["in_force"]), withdrawn=n(c["withdrawn"])))
    lines.append("  " + _("erasures: {count}").format(count=n(counts["erasures"])))
    lines += [f"  {_(ACTION_NAMES.get(action, action))}: {n(count)}"
              for action, count in counts["full_views_and_exports"].items()]
    return lines
