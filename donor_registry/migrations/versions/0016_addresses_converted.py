"""registry: every donor's address as entered converted to the units since 2025-07-01

Each distinct (province, district, commune) is converted once (places.legacy.convert: certain
or flagged with its candidates, never guessed); one UPDATE joins the results to the donors.
The text as entered stays in province / district / commune. Down: the codes are dropped by
0015's downgrade; this step only empties them.

Revision ID: 0016_addresses_converted
Revises: 0015_addresses_by_code
"""

import sqlalchemy as sa
from alembic import op

from donor_registry.places.legacy import convert
from donor_registry.places.units import UNITS_DATE

revision = "0016_addresses_converted"
down_revision = "0015_addresses_by_code"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    conn = op.get_bind()
    conversions = sa.Table(
        "tmp_address_conversions", sa.MetaData(),
        sa.Column("province", sa.Text, nullable=False), sa.Column("district", sa.Text, nullable=False),
        sa.Column("commune", sa.Text, nullable=False), sa.Column("status", sa.String(9), nullable=False),
        sa.Column("province_code", sa.String(2)), sa.Column("commune_code", sa.String(5)),
        sa.Column("candidates", sa.Text),
        prefixes=["TEMPORARY"],
    )
    conversions.create(conn)
    sa.Index("ix_tmp_address_conversions", conversions.c.province, conversions.c.district,
             conversions.c.commune).create(conn)
    distinct = conn.execute(sa.text(
        "SELECT DISTINCT coalesce(province, ''), coalesce(district, ''), coalesce(commune, '') FROM donors"))
    rows = []
    for province, district, commune in distinct:
        found = convert(province, district, commune)
        rows.append({"province": province, "district": district, "commune": commune,
                     "status": found.status.value, "province_code": found.province_code,
                     "commune_code": found.commune_code,
                     "candidates": " ".join(found.candidates) or None})
        if len(rows) >= _BATCH:
            conn.execute(conversions.insert(), rows)
            rows = []
    if rows:
        conn.execute(conversions.insert(), rows)
    conn.execute(sa.text(
        "UPDATE donors SET address_status = c.status, province_code = c.province_code,"
        " commune_code = c.commune_code, address_candidates = c.candidates,"
        " units_date = CASE WHEN c.status = 'empty' THEN NULL ELSE :units_date END"
        " FROM tmp_address_conversions AS c"
        " WHERE coalesce(donors.province, '') = c.province AND coalesce(donors.district, '') = c.district"
        " AND coalesce(donors.commune, '') = c.commune").bindparams(sa.bindparam("units_date", type_=sa.Date)),
        {"units_date": UNITS_DATE})
    conversions.drop(conn)


def downgrade() -> None:
    op.execute("UPDATE donors SET province_code = NULL, commune_code = NULL, units_date = NULL,"
               " address_status = 'empty', address_candidates = NULL")
