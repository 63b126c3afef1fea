"""The statements matching runs, built once per shape and run again with new values.

Building a SQLAlchemy statement (its expressions, then its cache key) cost more than running
the indexed query it describes (README Benchmarks → Emergency). So every value that changes
between picks is a named bind parameter: the day and the eligibility limits, the moment
(availability), the request, the rotation cut-off, the ring's communes or provinces, the donors
already seen, the limit. What stays is the statement's shape: the request's compatible groups
with their ranks, whether the rotation rule applies, the rings one query reads (index and kind),
whether donors are left out, and the dialect. Each shape is built once per process; a statement
object keeps its cache key, so SQLAlchemy finds the compiled form without walking it again. The
SQL sent is the one a fresh build sends (a literal was a bound parameter there too), with the
values bound by name.
"""

from collections.abc import Callable, Collection, Sequence
from functools import lru_cache

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    literal,
    or_,
    select,
    true,
)

from donor_registry.donors.eligibility_sql import eligible_clause_bound
from donor_registry.donors.models import Donor
from donor_registry.emergency import province_ring
from donor_registry.emergency.models import CallOut, DonorClaim
from donor_registry.places.rings import RingArea
from donor_registry.sms.audience import contactable_clause
from donor_registry.types import ABO, Rh

Groups = tuple[tuple[tuple[ABO, Rh], int], ...]  # compatible (abo, rh) with their call order
REQUEST, SINCE, LIMIT, EXCLUDE = "m_request", "m_since", province_ring.LIMIT, province_ring.EXCLUDE


def area_kind(area: RingArea) -> str:
    """How a ring's area is written: communes, provinces, everywhere, or an empty list of either
    ("no communes", "no provinces": no donor)."""
    if area.everywhere:
        return "everywhere"
    if area.communes is not None:
        return "communes" if area.communes else "no communes"
    return "provinces" if area.provinces else "no provinces"


def area_values(areas: Sequence[tuple[int, RingArea]]) -> dict[str, object]:
    """The bind parameters of the rings' areas: each ring's list, and for a wide ring read
    alone its provinces one by one (province_ring)."""
    values: dict[str, object] = {}
    for index, area in areas:
        if area_kind(area) in ("communes", "provinces"):
            values[f"m_ring_{index}"] = list(area.communes if area.communes is not None else area.provinces)
    if len(areas) > 1 and all(area.communes is not None for _, area in areas):
        values["m_communes"] = [code for _, area in areas for code in area.communes]
    if len(areas) == 1 and areas[0][1].provinces:
        values.update(province_ring.province_values(areas[0][1].provinces))
    return values


def ring_shape(areas: Sequence[tuple[int, RingArea]]) -> tuple[tuple[int, str, int], ...]:
    """The rings' part of a statement's shape: (ring index, kind, provinces read one by one)."""
    wide = len(areas) == 1 and bool(areas[0][1].provinces)
    return tuple((index, area_kind(area), len(area.provinces) if wide else 0) for index, area in areas)


def base_select(groups: Groups, rotation: bool, availability: Callable) -> Select:
    """Every donor who may be called (no group, area, order or limit): the candidate filter.
    `availability` builds the availability clause (availability_sql.available_clause_bound)."""
    base = select(Donor.id, Donor.full_name, Donor.phone_e164, Donor.abo, Donor.rh).where(
        Donor.standby.is_(True),
        Donor.merged_into_id.is_(None),
        eligible_clause_bound(),
        contactable_clause(),
        availability(),  # the donor's own windows and "not until" (portal)
        ~exists().where(DonorClaim.donor_id == Donor.id),
        ~exists().where(CallOut.request_id == bindparam(REQUEST), CallOut.donor_id == Donor.id),
    )
    if rotation:
        base = base.where(~exists().where(CallOut.donor_id == Donor.id, CallOut.asked_at >= bindparam(SINCE)))
    return base


def _area_clause(index: int, kind: str):
    name = f"m_ring_{index}"
    if kind == "everywhere":
        return true()
    if kind == "communes":
        return Donor.commune_code.in_(bindparam(name, expanding=True))
    if kind == "provinces":
        return Donor.province_code.in_(bindparam(name, expanding=True))
    return false()


@lru_cache(maxsize=512)
def statement(groups: Groups, rotation: bool, rings: tuple[tuple[int, str, int], ...], exclude: bool,
              dialect: str, availability: Callable) -> Select:
    """The statement of one shape: up to `m_limit` donors of the rings, nearest ring first,
    then by rank and donor number; each row ends with its ring's index. (`availability` is
    part of the key so that a benchmark may swap it.)"""
    base = base_select(groups, rotation, availability)
    if len(rings) == 1 and rings[0][2]:
        return province_ring.statement(base, groups, rings[0][2], ring=rings[0][0], exclude=exclude,
                                       dialect=dialect)
    # Compatible groups are always every compatible ABO × every compatible Rh, so two IN lists
    # are exact, and they let the partial indexes seek (an OR of pairs does not).
    query = base.where(Donor.abo.in_(sorted({g[0] for g, _ in groups})),
                       Donor.rh.in_(sorted({g[1] for g, _ in groups})))
    rank = case(*[(and_(Donor.abo == g[0], Donor.rh == g[1]), r) for g, r in groups], else_=99)
    if len(rings) == 1:
        ring, where, order = literal(rings[0][0]), _area_clause(*rings[0][:2]), (rank, Donor.id)
    else:
        ring = case(*[(_area_clause(index, kind), index) for index, kind, _ in rings[:-1]], else_=rings[-1][0])
        if all(kind.endswith("communes") for _, kind, _ in rings):  # one IN list: the index seeks each commune
            where = Donor.commune_code.in_(bindparam("m_communes", expanding=True))
        else:
            where = or_(*[_area_clause(index, kind) for index, kind, _ in rings])
        order = (ring, rank, Donor.id)
    found = query.add_columns(ring).where(where).order_by(*order).limit(bindparam(LIMIT, type_=Integer))
    if exclude:
        found = found.where(Donor.id.not_in(bindparam(EXCLUDE, expanding=True)))
    return found


def run_values(limit: int, exclude: Collection[int]) -> dict[str, object]:
    """The limit and the donors left out, as bind parameters."""
    return {LIMIT: limit, EXCLUDE: list(exclude)} if exclude else {LIMIT: limit}
