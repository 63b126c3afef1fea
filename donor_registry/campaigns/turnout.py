"""Expected turnout of a drive: donors living in its area who may give on its day, by blood group."""

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, select

from donor_registry.campaigns.models import Drive
from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.types import ABO, Rh, blood_group_label

# Display order: every group, then partly or wholly unknown ones.
GROUP_ORDER = [f"{abo.value}{rh.value}" for abo in ABO for rh in Rh]


@dataclass(frozen=True)
class Turnout:
    area: str | None  # "commune", "district", or None when the drive has neither
    area_name: str | None
    by_group: dict[str, int]  # "O+" → count; "A?" / "?" for unknown Rh / group; zeros included
    total: int


def expected_turnout(*, session: Session, drive: Drive, rules: EligibilityRules) -> Turnout:
    """Count the drive's area donors eligible on its date, grouped by ABO and Rh, in one query.

    The area is the drive's commune (in its district, when given), else its district.
    """
    area, area_name, where = _area(drive)
    if where is None:
        return Turnout(area=None, area_name=None, by_group=dict.fromkeys(GROUP_ORDER, 0), total=0)
    query = (
        select(Donor.abo, Donor.rh, func.count())
        .where(*where, eligible_on_clause(drive.date, rules))
        .group_by(Donor.abo, Donor.rh)
    )
    by_group = dict.fromkeys(GROUP_ORDER, 0)
    for abo, rh, count in session.exec(query):
        label = blood_group_label(abo, rh)
        by_group[label] = by_group.get(label, 0) + count
    return Turnout(area=area, area_name=area_name, by_group=by_group, total=sum(by_group.values()))


def _area(drive: Drive):
    if drive.commune_key:
        where = [Donor.commune_key == drive.commune_key]
        if drive.district_key:
            # Commune names repeat across districts; a donor with no district recorded still counts.
            where.append(or_(Donor.district_key == drive.district_key, Donor.district_key.is_(None)))
        return "commune", drive.commune, where
    if drive.district_key:
        return "district", drive.district, [Donor.district_key == drive.district_key]
    return None, None, None
