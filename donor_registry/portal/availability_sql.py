"""The SQL form of rules.available_at: donors whose recorded availability excludes `now`.

Few donors record availability, so matching reads it with NOT EXISTS on the primary key of
donor_availability per candidate row: the standby indexes still drive the query.
"""

import datetime as dt

from sqlalchemy import exists, or_

from donor_registry.donors.models import Donor
from donor_registry.portal.models import DonorAvailability
from donor_registry.portal.rules import local_moment


def unavailable_clause(now: dt.datetime):
    """True for an availability row that excludes `now` (Vietnam's local day, weekday and time)."""
    day, bit, minute = local_moment(now)
    return or_(
        DonorAvailability.not_until > day,
        DonorAvailability.weekdays.op("&")(bit) == 0,
        DonorAvailability.from_minute > minute,
        DonorAvailability.until_minute <= minute,
    )


def available_clause(now: dt.datetime):
    """Donors who may be called at `now` (no availability row: always)."""
    return ~exists().where(DonorAvailability.donor_id == Donor.id, unavailable_clause(now))
