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

from collections.abc import Sequence

from sqlalchemy import Integer, Select, String, bindparam, literal, select, true, union_all

from donor_registry.donors.models import Donor
from donor_registry.types import ABO, Rh

# The donors table once more, for SQLite's outer read by id: built once (its column collection
# costs milliseconds; an ORM alias more, adapting each column).
_PICKED = Donor.__table__.alias("picked")
# The statement's values are bind parameters (it is built once per shape, emergency/candidate_sql.py):
# the provinces (province_values), the limit and the donors left out.
LIMIT, EXCLUDE = "m_limit", "m_exclude"


def province_values(provinces: Sequence[str]) -> dict[str, str]:
    """The bind parameters naming the ring's provinces, for a statement built for len(provinces)."""
    return {f"m_province_{i}": code for i, code in enumerate(provinces)}


def keys(groups: Sequence[tuple[tuple[ABO, Rh], int]], provinces: int):
    """The (province, abo, rh, rank) rows to read, as a common table expression: `provinces`
    provinces by bind parameter (province_values) times the groups."""
    rows = [select(bindparam(f"m_province_{i}", type_=String).label("province"),
                   literal(abo.value, String).label("abo"), literal(rh.value, String).label("rh"),
                   literal(rank).label("rank"))
            for i in range(provinces) for (abo, rh), rank in groups]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("ring_keys")


def statement(
    base: Select, groups: Sequence[tuple[tuple[ABO, Rh], int]], provinces: int, *, ring: int, exclude: bool,
    dialect: str,
) -> Select:
    """The first `m_limit` donors of `base` living in the provinces, in (rank, id) order, each
    row ending with `ring`: base's columns (Donor.id first) then the ring; without the donors
    of `m_exclude` when `exclude`."""
    table = keys(groups, provinces)
    limit = bindparam(LIMIT, type_=Integer)
    arm = base.where(Donor.province_code == table.c.province, Donor.abo == table.c.abo, Donor.rh == table.c.rh)
    if exclude:
        arm = arm.where(Donor.id.not_in(bindparam(EXCLUDE, expanding=True)))
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
