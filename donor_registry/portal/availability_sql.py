"""The SQL form of rules.available_at: donors whose recorded availability excludes `now`.

Few donors record availability, so matching reads it with NOT EXISTS on the primary key of
donor_availability per candidate row: the standby indexes still drive the query.
"""

import datetime as dt

from sqlalchemy import bindparam, exists, or_

from donor_registry.donors.models import Donor
from donor_registry.portal.models import DonorAvailability
from donor_registry.portal.rules import local_moment

# The moment's values by name (available_values), for available_clause_bound's bind parameters.
VALUE_NAMES = ("av_day", "av_weekday_bit", "av_minute")


def unavailable_clause(now: dt.datetime):
    """True for an availability row that excludes `now` (Vietnam's local day, weekday and time)."""
    return _unavailable(*local_moment(now))


def _unavailable(day, bit, minute):
    return or_(
        DonorAvailability.not_until > day,
        DonorAvailability.weekdays.op("&")(bit) == 0,
        DonorAvailability.from_minute > minute,
        DonorAvailability.until_minute <= minute,
    )


def available_clause(now: dt.datetime):
    """Donors who may be called at `now` (no availability row: always)."""
    return ~exists().where(DonorAvailability.donor_id == Donor.id, unavailable_clause(now))


def available_clause_bound():
    """The same with the moment as bind parameters named VALUE_NAMES (available_values), for a
    statement built once and run at any moment."""
    unavailable = _unavailable(*(bindparam(name) for name in VALUE_NAMES))
    return ~exists().where(DonorAvailability.donor_id == Donor.id, unavailable)


def available_values(now: dt.datetime) -> dict[str, object]:
    """The values of available_clause_bound at `now`."""
    return dict(zip(VALUE_NAMES, local_moment(now), strict=True))
