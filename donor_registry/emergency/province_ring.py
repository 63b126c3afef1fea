"""A ring of whole provinces (the province, its neighbours) read as bounded work.

One query sorting every compatible standby donor of the provinces read thousands of rows to
keep a few (9–19 ms for a province on SQLite, 47–145 ms for its neighbours at a million
donors). The call order within a ring is (preference rank, donor number), and the first
`limit` donors in that order are among the first `limit` of each (province, group) in donor
number order, which the partial standby index on (province_code, abo, rh, id) gives without
sorting (ix_donors_standby_province_id, 0042). So the statement reads at most `limit` callable
donors per (province, group) and sorts only those: one arm per pair, taken from a small table
of keys, in the form each planner runs once per key row:

* PostgreSQL: `keys JOIN LATERAL (arm ORDER BY id LIMIT n)`: one plan for every key (a UNION
  ALL would plan each of up to 50 arms, each with its four anti-joins). The index needs `id` as
  its last column: equal keys of a PostgreSQL index are in heap order, not id order.
* SQLite (no LATERAL): `keys JOIN donors AS picked ON picked.id IN (arm ORDER BY id LIMIT n)`,
  a correlated list subquery run once per key row, each a SEARCH of the partial index.
"""

from collections.abc import Collection, Sequence

from sqlalchemy import Select, String, literal, select, true, union_all

from donor_registry.donors.models import Donor
from donor_registry.types import ABO, Rh

# The donors table once more, for SQLite's outer read by id: built once (its column collection
# costs milliseconds; an ORM alias more, adapting each column).
_PICKED = Donor.__table__.alias("picked")


def keys(groups: Sequence[tuple[tuple[ABO, Rh], int]], provinces: Sequence[str]):
    """The (province, abo, rh, rank) rows to read, as a common table expression."""
    rows = [select(literal(province, String).label("province"), literal(abo.value, String).label("abo"),
                   literal(rh.value, String).label("rh"), literal(rank).label("rank"))
            for province in provinces for (abo, rh), rank in groups]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("ring_keys")


def statement(
    base: Select, groups: Sequence[tuple[tuple[ABO, Rh], int]], provinces: Sequence[str], *, ring: int,
    limit: int, exclude: Collection[int], dialect: str,
) -> Select:
    """The first `limit` donors of `base` living in `provinces`, in (rank, id) order, each row
    ending with `ring`: base's columns (Donor.id first) then the ring."""
    table = keys(groups, provinces)
    arm = base.where(Donor.province_code == table.c.province, Donor.abo == table.c.abo, Donor.rh == table.c.rh)
    if exclude:
        arm = arm.where(Donor.id.not_in(list(exclude)))
    arm = arm.order_by(Donor.id).limit(limit)
    if dialect == "postgresql":
        picked = arm.lateral("picked")
        return (select(*picked.c, literal(ring)).select_from(table).join(picked, true())
                .order_by(table.c.rank, picked.c.id).limit(limit))
    donor = _PICKED
    columns = [donor.c[column.key] for column in base.selected_columns]
    return (select(*columns, literal(ring)).select_from(table)
            .join(donor, donor.c.id.in_(arm.with_only_columns(Donor.id)))
            .order_by(table.c.rank, donor.c.id).limit(limit))
