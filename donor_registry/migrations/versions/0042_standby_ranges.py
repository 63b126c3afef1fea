"""donors: the standby donors of a province and group in donor number order

Emergency matching reads the province and neighbouring-province rings one (province, group) at
a time, the first few standby donors by number (emergency/province_ring.py). PostgreSQL's index
on (province_code, abo, rh) keeps equal keys in heap order, so it sorted every compatible
standby donor of the province; with `id` as the last column each (province, group) is one range
in donor order. SQLite's entries already ended with the rowid; it gets the same index, so that
both engines (and the models) have one definition. The old index is its prefix: nothing that
used it loses it.

Revision ID: 0042_standby_ranges
Revises: 0040_donation_use
"""

import sqlalchemy as sa
from alembic import op

revision = "0042_standby_ranges"
down_revision = "0040_donation_use"
branch_labels = None
depends_on = None

_STANDBY = sa.text("standby IS 1 AND merged_into_id IS NULL")
_STANDBY_PG = sa.text("standby IS true AND merged_into_id IS NULL")


def upgrade() -> None:
    op.create_index("ix_donors_standby_province_id", "donors", ["province_code", "abo", "rh", "id"],
                    sqlite_where=_STANDBY, postgresql_where=_STANDBY_PG)
    op.drop_index("ix_donors_standby_province_code", table_name="donors")


def downgrade() -> None:
    op.create_index("ix_donors_standby_province_code", "donors", ["province_code", "abo", "rh"],
                    sqlite_where=_STANDBY, postgresql_where=_STANDBY_PG)
    op.drop_index("ix_donors_standby_province_id", table_name="donors")
