"""Expected turnout of a drive: donors living within its ring who may give on its day, by blood group.

A drive with active bookings is expected to see its booked donors times the show rate of its
chapter's recent finished drives, plus the walk-ins those drives had (slots/counts.forecast);
`total` is then that forecast, and `eligible` still the donors of the ring who may give."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, select

from donor_registry.campaigns.models import Drive
from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.places import rings, units
from donor_registry.slots import counts
from donor_registry.types import ABO, Rh, blood_group_label

# Display order: every group, then partly or wholly unknown ones.
GROUP_ORDER = [f"{abo.value}{rh.value}" for abo in ABO for rh in Rh]


@dataclass(frozen=True)
class Turnout:
    area: str | None  # the ring ("10km", "commune", "province"); "district" for a drive without a
    # commune code (an old address); None when the drive has no place
    area_name: str | None
    by_group: dict[str, int]  # "O+" → count; "A?" / "?" for unknown Rh / group; zeros included
    total: int  # the forecast when the drive has bookings, else `eligible`
    eligible: int = 0  # donors of the ring who may give on the day (the sum of by_group)
    forecast: counts.Forecast | None = None  # only for a drive with active bookings

    @property
    def booked(self) -> int | None:
        return self.forecast.booked if self.forecast else None

    @property
    def show_rate(self) -> float | None:
        return self.forecast.show_rate if self.forecast else None

    @property
    def expected_walk_ins(self) -> int | None:
        return self.forecast.expected_walk_ins if self.forecast else None


def expected_turnout(*, session: Session, drive: Drive, rules: EligibilityRules, ring: str = "10km",
                     today: dt.date | None = None, history: "counts.ShowHistory | None" = None) -> Turnout:
    """Count the donors of the drive's ring eligible on its date, grouped by ABO and Rh, in one query;
    with bookings, forecast from the show rate of the chapter's drives finished before `today`
    (default: the drive's day), or from `history` when the caller has it."""
    predicted = _forecast(session, drive, today, history)
    area, area_name, where = drive_area(drive, ring)
    if where is None:
        return Turnout(area=None, area_name=None, by_group=dict.fromkeys(GROUP_ORDER, 0),
                       total=predicted.total if predicted else 0, forecast=predicted)
    query = (
        select(Donor.abo, Donor.rh, func.count())
        .where(where, Donor.merged_into_id.is_(None), eligible_on_clause(drive.date, rules))
        .group_by(Donor.abo, Donor.rh)
    )
    by_group = dict.fromkeys(GROUP_ORDER, 0)
    for abo, rh, count in session.exec(query):
        label = blood_group_label(abo, rh)
        by_group[label] = by_group.get(label, 0) + count
    eligible = sum(by_group.values())
    return Turnout(area=area, area_name=area_name, by_group=by_group, eligible=eligible, forecast=predicted,
                   total=predicted.total if predicted else eligible)


def _forecast(session: Session, drive: Drive, today: dt.date | None,
              history: "counts.ShowHistory | None") -> counts.Forecast | None:
    if drive.id is None:
        return None
    booked = counts.active_bookings(session=session, drive_id=drive.id)
    if not booked:
        return None
    if history is None:
        history = chapter_history(session=session, chapter_id=drive.chapter_id,
                                  before=min(today, drive.date) if today else drive.date)
    return counts.forecast(booked, history)


def chapter_history(*, session: Session, chapter_id: int | None, before: dt.date) -> counts.ShowHistory:
    """The chapter's most recent finished drives with bookings, that the forecast learns from."""
    return counts.past_drives(session=session, chapter_id=chapter_id, before=before, limit=counts.RECENT_DRIVES)


def drive_area(drive: Drive, ring: str):
    """(ring, what it is called, WHERE on donors) of the donors a drive counts on and invites.

    A drive located by official commune (or coordinates) takes the communes within the ring
    around its venue (`commune_code IN (…)`, indexed); one with only an old address keeps the
    old rule (its commune within its district, else its district)."""
    place = rings.origin(commune_code=drive.commune_code, province_code=drive.province_code,
                         latitude=drive.latitude, longitude=drive.longitude)
    if ring == "province" and place.province_code:
        return ring, units.province(place.province_code).name, Donor.province_code == place.province_code
    communes = rings.communes_within_ring(place, ring)
    if communes:
        centre = units.commune(place.commune_code).name if place.commune_code else drive.venue
        label = centre if ring == "commune" else f"{centre} ≤ {rings.ring_km(ring):g} km"
        return ring, label, Donor.commune_code.in_(communes)
    return _old_area(drive)


def _old_area(drive: Drive):
    if drive.commune_key:
        where = Donor.commune_key == drive.commune_key
        if drive.district_key:
            # Commune names repeat across districts; a donor with no district recorded still counts.
            where = where & or_(Donor.district_key == drive.district_key, Donor.district_key.is_(None))
        return "commune", drive.commune, where
    if drive.district_key:
        return "district", drive.district, Donor.district_key == drive.district_key
    return None, None, None
