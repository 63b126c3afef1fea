"""The processing records (Law 91/2025, Decree 356/2025): what is processed, why, by whom, how
long, and the counts of consents, withdrawals, exports and erasures. A draft for the chapter's
impact-assessment dossier, not the dossier itself."""

import datetime as dt

from sqlalchemy import func, select
from sqlmodel import Session

from donor_registry.audit.models import AuditEntry
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.i18n import N_, _, formatting, labels
from donor_registry.privacy.models import DonorConsent, Purpose

# The gateways [sms] gateway can name, and where they process the numbers and texts. The
# records keep these English words (--json); text_lines reads them in the current language.
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
)
#: The records' own words, translated when read; a processor the chapter configured is shown as written.
_OWN_WORDS = frozenset(
    [text for gateway in (*GATEWAYS.values(), ZALO) for text in (gateway["service"], gateway["country"])]
    + [text for activity in ACTIVITIES for text in (activity["data"], activity["purpose"])]
)


def _read(text: str) -> str:
    return _(text) if text in _OWN_WORDS else text


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
    lines = [_("Processing records (DRAFT for the impact-assessment dossier) — {controller}").format(
                 controller=report["controller"]),
             _("Generated {moment}").format(moment=formatting.datetime(report["generated_at"])), "",
             _("What is processed and why:")]
    for activity in report["activities"]:
        consent = (" " + _("(consent: {purpose})").format(purpose=labels.label(Purpose(activity["consent"])))
                   if activity["consent"] else "")
        lines.append(f"  - {_read(activity['data'])}: {_read(activity['purpose'])}{consent}")
    lines.append(_("Processors:"))
    for p in report["processors"] or [{"name": _("none (no data leaves the chapter)"), "service": "", "country": "",
                                       "outside_vietnam": False}]:
        abroad = " — " + _("OUTSIDE VIETNAM: cross-border transfer to assess") if p["outside_vietnam"] else ""
        where = f", {_read(p['service'])}, {_read(p['country'])}" if p["service"] else ""
        lines.append(f"  - {p['name']}{where}{abroad}")
    lines += [_("Retention:"), f"  - {report['retention']['identity']}", f"  - {report['retention']['donations']}",
              _("Counts:"), "  " + _("donors registered: {count}").format(count=counts["donors"])]
    for purpose, c in counts["consents"].items():
        lines.append("  " + _("consent {purpose}: {given} given, {in_force} in force, {withdrawn} withdrawn").format(
            purpose=labels.label(Purpose(purpose)), given=c["given"], in_force=c["in_force"], withdrawn=c["withdrawn"]))
    lines += ["  " + _("data exports to donors: {count}").format(count=counts["data_exports_to_donors"]),
              "  " + _("erasures: {count}").format(count=counts["erasures"])]
    lines += [f"  {action}: {n}" for action, n in counts["full_views_and_exports"].items()]
    return lines
