"""'Today' is Vietnam's day (UTC+7), not UTC's: from 17:00 UTC it is already tomorrow there, and a
donation given that morning is recorded, not refused as in the future."""

import datetime as dt

import pytest

from donor_registry.donations.models import DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.eligibility import EligibilityRules
from donor_registry.errors import UserError
from tests.service import emergency_support as make

EVENING_UTC = dt.datetime(2026, 12, 4, 20, 0, tzinfo=dt.UTC)  # 03:00 on 5 December in Vietnam


def test_a_donation_on_vietnams_today_is_recorded_in_the_utc_evening(session):
    donor_id = make.donor(session, EVENING_UTC)
    donation = record_donation(session=session, donor_id=donor_id, rules=EligibilityRules(), now=EVENING_UTC,
                               data=DonationCreate(donated_on=dt.date(2026, 12, 5)), actor="test")
    assert donation.donated_on == dt.date(2026, 12, 5)
    with pytest.raises(UserError, match="06/12/2026"):
        record_donation(session=session, donor_id=donor_id, rules=EligibilityRules(), now=EVENING_UTC,
                        data=DonationCreate(donated_on=dt.date(2026, 12, 6)), actor="test")
