"""Who may get an SMS at all: the one SQL condition every sender filters donors with."""

from sqlalchemy import and_

from donor_registry.donors.models import Donor


def contactable_clause():
    """Donors with consent (not withdrawn), not opted out, alive, SMS-able phone, not merged, a channel."""
    return and_(
        Donor.consent_at.is_not(None),
        Donor.consent_withdrawn_at.is_(None),
        Donor.sms_opted_out_at.is_(None),
        Donor.deceased_on.is_(None),
        Donor.phone_e164.is_not(None),
        Donor.phone_sms_capable.is_(True),
        Donor.merged_into_id.is_(None),
        Donor.message_channel != "none",
    )
