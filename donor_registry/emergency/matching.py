"""Whom to call for a request: compatible, eligible, standby, contactable donors, nearest first.

The order is decided by pure rules (distance rings, preference rank, wave size) and carried
out by one SQL query per ring, so the database does the filtering over a million donors: a
ring is a list of commune codes (places/rings.py finds them in memory) or of province codes,
read through the partial standby indexes on (group, commune_code) and (province_code, group).
Within a ring, universal donors (O−) come last.
"""

import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, false, select, true
from sqlmodel import Session

from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.emergency.compatibility import compatible_donors, donor_preference_rank
from donor_registry.emergency.models import CallOut, DonorClaim, EmergencyRequest
from donor_registry.places import rings as places_rings
from donor_registry.places.rings import RingArea
from donor_registry.portal.availability_sql import available_clause
from donor_registry.sms.audience import contactable_clause
from donor_registry.types import ABO, Rh


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


def request_rings(request: EmergencyRequest, rings: Sequence[str], *, neighbour_km: float = 15.0) -> list[RingArea]:
    """The rings to search around the request's hospital, nearest first (pure but for the units data)."""
    place = places_rings.origin(commune_code=request.commune_code, province_code=request.province_code,
                                latitude=request.latitude, longitude=request.longitude)
    return places_rings.ring_areas(place, rings, neighbour_km=neighbour_km)


def ring_clause(area: RingArea):
    """The donors living in one ring's area."""
    if area.everywhere:
        return true()
    if area.communes is not None:
        return Donor.commune_code.in_(area.communes) if area.communes else false()
    return Donor.province_code.in_(area.provinces) if area.provinces else false()


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
            available_clause(now),  # the donor's own windows and "not until" (portal)
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
    *, session: Session, query, area: RingArea, limit: int, exclude: Collection[int] = (),
) -> list[Candidate]:
    """Up to `limit` donors of candidate_query within one ring, best first."""
    if limit <= 0:
        return []
    query = query.where(ring_clause(area)).limit(limit)
    if exclude:
        query = query.where(Donor.id.not_in(list(exclude)))
    return [Candidate(*row) for row in session.execute(query)]


def pick(
    *, session: Session, request: EmergencyRequest, want: int, now: dt.datetime, on: dt.date,
    rules: EligibilityRules, rotation_days: int, rings: Sequence[str] = places_rings.DEFAULT_RINGS,
    neighbour_km: float = 15.0, exclude: Collection[int] = (), skip_phones: Collection[str] = (),
) -> tuple[list[Candidate], str | None]:
    """Up to `want` donors, nearest ring first; recently called donors only when the rest run out.

    Returns the donors and the widest ring they came from. Donors sharing a phone with
    someone already picked (one person registered twice) are skipped. A ring is searched
    again only while it may hold more (a batch as long as asked for).
    """
    picked: list[Candidate] = []
    seen_ids, seen_phones = set(exclude), set(skip_phones)
    widest: str | None = None
    areas = request_rings(request, rings, neighbour_km=neighbour_km)
    for include_recent in (False, True):
        query = candidate_query(request=request, now=now, on=on, rules=rules,
                                rotation_days=rotation_days, include_recent=include_recent)
        for area in areas:
            exhausted = False
            while len(picked) < want and not exhausted:
                limit = want - len(picked)
                batch = find_candidates(session=session, query=query, area=area, limit=limit, exclude=seen_ids)
                exhausted = len(batch) < limit
                for candidate in batch:
                    seen_ids.add(candidate.donor_id)
                    if candidate.phone in seen_phones:
                        continue
                    seen_phones.add(candidate.phone)
                    picked.append(candidate)
                    widest = wider_ring(widest, area.ring, rings)
            if len(picked) >= want:
                return picked, widest
    return picked, widest


def wider_ring(a: str | None, b: str | None, rings: Sequence[str]) -> str | None:
    """The wider of two rings (a ring not configured, such as an old "district", is narrowest)."""
    if a is None or b is None:
        return b if a is None else a
    rank = {ring: i for i, ring in enumerate(rings)}
    return b if rank.get(b, -1) > rank.get(a, -1) else a
