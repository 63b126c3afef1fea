"""Whom to call for a request: compatible, eligible, standby, contactable donors, nearest first.

The order is decided by pure rules (area levels, preference rank, wave size) and carried out
by one SQL query per area level, so the database does the filtering over a million donors.
"""

import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, or_, select
from sqlmodel import Session

from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.emergency.compatibility import compatible_donors, donor_preference_rank
from donor_registry.emergency.models import AreaLevel, CallOut, DonorClaim, EmergencyRequest
from donor_registry.sms.audience import contactable_clause
from donor_registry.types import ABO, Rh

LEVELS: tuple[AreaLevel, ...] = tuple(AreaLevel)


@dataclass(frozen=True)
class Area:
    commune_key: str | None
    district_key: str | None
    province_key: str | None


@dataclass(frozen=True)
class Candidate:
    donor_id: int
    full_name: str
    phone: str
    abo: ABO
    rh: Rh


def wave_size(*, units: int, accepted: int, margin: float) -> int:
    """How many donors a wave asks: the units still missing plus the margin, rounded up."""
    missing = max(units - accepted, 0)
    return math.ceil(missing * (1 + margin) - 1e-9)


def area_levels(area: Area) -> list[AreaLevel]:
    """The area levels to search, nearest first; a level the hospital's address lacks is skipped."""
    known = {
        AreaLevel.commune: area.commune_key is not None and area.district_key is not None,
        AreaLevel.district: area.district_key is not None,
        AreaLevel.province: area.province_key is not None,
        AreaLevel.everywhere: True,
    }
    return [level for level in LEVELS if known[level]]


def ranked_groups(abo: ABO, rh: Rh, product: str) -> list[tuple[tuple[ABO, Rh], int]]:
    """Compatible donor groups with their call order (0 first; universal donors last)."""
    recipient = (abo, rh)
    groups = compatible_donors(recipient, product)
    return sorted(((g, donor_preference_rank(g, recipient, product)) for g in groups),
                  key=lambda item: (item[1], item[0][0].value, item[0][1].value))


def candidate_query(
    *, request: EmergencyRequest, now: dt.datetime, on: dt.date, rules: EligibilityRules,
    rotation_days: int, include_recent: bool,
):
    """Every donor who may be called for the request, best first (no area, no limit yet).

    Built once per wave and narrowed per area level: building the expression costs more
    than running the indexed query.
    """
    ranked = ranked_groups(request.abo, request.rh, request.product)
    rank = case(*[(and_(Donor.abo == g[0], Donor.rh == g[1]), r) for g, r in ranked], else_=99)
    query = (
        select(Donor.id, Donor.full_name, Donor.phone_e164, Donor.abo, Donor.rh)
        .where(
            Donor.standby.is_(True),
            Donor.merged_into_id.is_(None),
            # Compatible groups are always every compatible ABO × every compatible Rh, so two
            # IN lists are exact, and they let the partial indexes seek (an OR of pairs does not).
            Donor.abo.in_(sorted({g[0] for g, _ in ranked})),
            Donor.rh.in_(sorted({g[1] for g, _ in ranked})),
            eligible_on_clause(on, rules),
            contactable_clause(),
            ~exists().where(DonorClaim.donor_id == Donor.id),
            ~exists().where(CallOut.request_id == request.id, CallOut.donor_id == Donor.id),
        )
        .order_by(rank, Donor.id)
    )
    if not include_recent and rotation_days > 0:
        since = now - dt.timedelta(days=rotation_days)
        query = query.where(~exists().where(CallOut.donor_id == Donor.id, CallOut.asked_at >= since))
    return query


def find_candidates(
    *, session: Session, query, request: EmergencyRequest, level: AreaLevel, limit: int,
    exclude: Collection[int] = (),
) -> list[Candidate]:
    """Up to `limit` donors of candidate_query within one area level, best first."""
    if limit <= 0:
        return []
    query = query.where(_area_clause(level, _area_of(request))).limit(limit)
    if exclude:
        query = query.where(Donor.id.not_in(list(exclude)))
    return [Candidate(*row) for row in session.execute(query)]


def _area_of(request: EmergencyRequest) -> Area:
    return Area(request.commune_key, request.district_key, request.province_key)


def _area_clause(level: AreaLevel, area: Area):
    # Commune and district names repeat across Vietnam (many a "Châu Thành"), so each level
    # is pinned by the levels above it where both sides know them.
    province_ok = (
        or_(Donor.province_key.is_(None), Donor.province_key == area.province_key)
        if area.province_key else True
    )
    if level == AreaLevel.commune:
        return and_(Donor.commune_key == area.commune_key, Donor.district_key == area.district_key, province_ok)
    if level == AreaLevel.district:
        return and_(Donor.district_key == area.district_key, province_ok)
    if level == AreaLevel.province:
        return Donor.province_key == area.province_key
    return True


def pick(
    *, session: Session, request: EmergencyRequest, want: int, now: dt.datetime, on: dt.date,
    rules: EligibilityRules, rotation_days: int, exclude: Collection[int] = (),
    skip_phones: Collection[str] = (),
) -> tuple[list[Candidate], AreaLevel | None]:
    """Up to `want` donors, nearest level first; recently called donors only when the rest run out.

    Returns the donors and the widest area level they came from. Donors sharing a phone with
    someone already picked (one person registered twice) are skipped.
    """
    picked: list[Candidate] = []
    seen_ids, seen_phones = set(exclude), set(skip_phones)
    widest: AreaLevel | None = None
    for include_recent in (False, True):
        query = candidate_query(request=request, now=now, on=on, rules=rules,
                                rotation_days=rotation_days, include_recent=include_recent)
        for level in area_levels(_area_of(request)):
            exhausted = False
            while len(picked) < want and not exhausted:
                limit = want - len(picked)
                batch = find_candidates(session=session, query=query, request=request, level=level,
                                        limit=limit, exclude=seen_ids)
                exhausted = len(batch) < limit
                for candidate in batch:
                    seen_ids.add(candidate.donor_id)
                    if candidate.phone in seen_phones:
                        continue
                    seen_phones.add(candidate.phone)
                    picked.append(candidate)
                    widest = _wider(widest, level)
            if len(picked) >= want:
                return picked, widest
    return picked, widest


def _wider(a: AreaLevel | None, b: AreaLevel) -> AreaLevel:
    return b if a is None or LEVELS.index(b) > LEVELS.index(a) else a

