"""Whom to call for a request: compatible, eligible, standby, contactable donors, nearest first.

The order is decided by pure rules (distance rings, preference rank, wave size) and carried
out in SQL, so the database does the filtering over a million donors: a ring is a list of
commune codes (places/rings.py finds them in memory) or of province codes, read through the
partial standby indexes on (group, commune_code) and (province_code, group, id). Each ring gets
one query (nearby rings of communes may share one, ring_groups), a ring of provinces reading at
most `limit` donors of each (province, group) (province_ring.py); the statements are built once
per shape and run with the pick's values bound (candidate_sql.py). Within a ring, universal
donors (O−) come last.
"""

import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlmodel import Session

from donor_registry.donors.eligibility_sql import eligible_values
from donor_registry.eligibility import EligibilityRules
from donor_registry.emergency import candidate_sql
from donor_registry.emergency.compatibility import compatible_donors, donor_preference_rank
from donor_registry.emergency.models import EmergencyRequest
from donor_registry.places import rings as places_rings
from donor_registry.places.rings import RingArea
from donor_registry.portal.availability_sql import available_clause_bound, available_values
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
    return list(_ring_areas(request.commune_code, request.province_code, request.latitude, request.longitude,
                            tuple(rings), neighbour_km))


@lru_cache(maxsize=4096)
def _ring_areas(commune_code: str | None, province_code: str | None, latitude: float | None,
                longitude: float | None, rings: tuple[str, ...], neighbour_km: float) -> tuple[RingArea, ...]:
    """The rings of one origin and configuration: the same for every request from there."""
    place = places_rings.origin(commune_code=commune_code, province_code=province_code, latitude=latitude,
                                longitude=longitude)
    return tuple(places_rings.ring_areas(place, rings, neighbour_km=neighbour_km))


def ranked_groups(abo: ABO, rh: Rh, product: str) -> list[tuple[tuple[ABO, Rh], int]]:
    """Compatible donor groups with their call order (0 first; universal donors last)."""
    recipient = (abo, rh)
    groups = compatible_donors(recipient, product)
    return sorted(((g, donor_preference_rank(g, recipient, product)) for g in groups),
                  key=lambda item: (item[1], item[0][0].value, item[0][1].value))


@dataclass(frozen=True)
class CandidateQuery:
    """Every donor who may be called, as the parts of a statement built once per shape
    (candidate_sql): the compatible groups with their call order within a ring (`groups`:
    preference rank, then donor number), whether the rotation rule applies, and the values of
    the pick (`values`: the day, the moment, the request, the rotation cut-off)."""

    groups: candidate_sql.Groups
    rotation: bool
    values: dict


def candidate_query(
    *, request: EmergencyRequest, now: dt.datetime, on: dt.date, rules: EligibilityRules,
    rotation_days: int, include_recent: bool,
) -> CandidateQuery:
    """Every donor who may be called for the request, with their order within a ring; narrowed
    per ring by find_candidates."""
    rotation = not include_recent and rotation_days > 0
    values = {**eligible_values(on, rules), **available_values(now), candidate_sql.REQUEST: request.id}
    if rotation:
        values[candidate_sql.SINCE] = now - dt.timedelta(days=rotation_days)
    return CandidateQuery(tuple(ranked_groups(request.abo, request.rh, request.product)), rotation, values)


# Rings of communes share one query while they hold at most this many communes. 0: never, each
# ring is read alone. With the statements built once (candidate_sql) a query more costs less
# than reading every candidate of the km rings when the commune suffices (README Benchmarks).
MERGE_COMMUNES = 0


def ring_groups(areas: Sequence[RingArea], *, merge_communes: int | None = None) -> list[list[tuple[int, RingArea]]]:
    """The rings searched by one query each, as (ring index, area) lists, nearest first.

    Consecutive rings given by commune lists (the commune, the km rings) share one query ordered
    by ring while together they hold at most `merge_communes` communes (MERGE_COMMUNES, none by
    default): it saves a query when the nearest ring runs short, but reads every candidate of the
    merged rings even when it does not (measured in the README's Benchmarks). A ring by province (the province, its neighbours,
    everywhere) holds thousands of candidates, so it is read alone, only when the nearer run out.
    The grouping changes the cost, never the order: a donor belongs to the nearest ring holding it.
    """
    budget = MERGE_COMMUNES if merge_communes is None else merge_communes
    groups: list[list[tuple[int, RingArea]]] = []
    size = 0
    for index, area in enumerate(areas):
        mergeable = area.communes is not None and groups and groups[-1][-1][1].communes is not None
        if mergeable and size + len(area.communes) <= budget:
            groups[-1].append((index, area))
            size += len(area.communes)
        else:
            groups.append([(index, area)])
            size = len(area.communes) if area.communes is not None else 0
    return groups


def find_candidates(
    *, session: Session, query: CandidateQuery, areas: Sequence[tuple[int, RingArea]], limit: int,
    exclude: Collection[int] = (),
) -> list[tuple[Candidate, int]]:
    """Up to `limit` donors of one ring_groups entry, nearest ring first, each with the index of
    its ring (a donor living in two rings' areas belongs to the nearer one)."""
    if limit <= 0:
        return []
    statement = candidate_sql.statement(
        query.groups, query.rotation, candidate_sql.ring_shape(areas), bool(exclude),
        session.get_bind().dialect.name, available_clause_bound)
    values = {**query.values, **candidate_sql.area_values(areas), **candidate_sql.run_values(limit, exclude)}
    return [(Candidate(*row[:-1]), row[-1]) for row in session.execute(statement, values)]


def pick(
    *, session: Session, request: EmergencyRequest, want: int, now: dt.datetime, on: dt.date,
    rules: EligibilityRules, rotation_days: int, rings: Sequence[str] = places_rings.DEFAULT_RINGS,
    neighbour_km: float = 15.0, exclude: Collection[int] = (), skip_phones: Collection[str] = (),
) -> tuple[list[Candidate], str | None]:
    """Up to `want` donors, nearest ring first; recently called donors only when the rest run out.

    Returns the donors and the widest ring they came from. Donors sharing a phone with
    someone already picked (one person registered twice) are skipped. Rings are searched
    again only while they may hold more (a batch as long as asked for).
    """
    picked: list[Candidate] = []
    seen_ids, seen_phones = set(exclude), set(skip_phones)
    widest: str | None = None
    areas = request_rings(request, rings, neighbour_km=neighbour_km)
    for include_recent in (False, True):
        query = candidate_query(request=request, now=now, on=on, rules=rules,
                                rotation_days=rotation_days, include_recent=include_recent)
        for group in ring_groups(areas):
            exhausted = False
            while len(picked) < want and not exhausted:
                limit = want - len(picked)
                batch = find_candidates(session=session, query=query, areas=group, limit=limit, exclude=seen_ids)
                exhausted = len(batch) < limit
                for candidate, index in batch:
                    seen_ids.add(candidate.donor_id)
                    if candidate.phone in seen_phones:
                        continue
                    seen_phones.add(candidate.phone)
                    picked.append(candidate)
                    widest = wider_ring(widest, areas[index].ring, rings)
            if len(picked) >= want:
                return picked, widest
    return picked, widest


def wider_ring(a: str | None, b: str | None, rings: Sequence[str]) -> str | None:
    """The wider of two rings (a ring not configured, such as an old "district", is narrowest)."""
    if a is None or b is None:
        return b if a is None else a
    rank = {ring: i for i, ring in enumerate(rings)}
    return b if rank.get(b, -1) > rank.get(a, -1) else a
