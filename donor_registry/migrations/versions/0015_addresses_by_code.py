"""registry: donors' addresses by official unit code (province, commune, unit list date, status)

Revision ID: 0015_addresses_by_code
Revises: 0013_privacy
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_addresses_by_code"
down_revision = "0013_privacy"
branch_labels = None
depends_on = None

_FLAGGED = sa.text("address_status IN ('split', 'ambiguous', 'unknown')")


def upgrade() -> None:
    with op.batch_alter_table("donors") as batch:
        batch.add_column(sa.Column("province_code", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("commune_code", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("units_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("address_status", sa.Enum(
            "new", "converted", "picked", "split", "ambiguous", "unknown", "empty",
            name="addressstatus", native_enum=False, create_constraint=False, length=9),
            nullable=False, server_default="empty"))
        batch.add_column(sa.Column("address_candidates", sa.Text(), nullable=True))
    op.create_index("ix_donors_address_flagged", "donors", ["id", "address_status"],
                    sqlite_where=_FLAGGED, postgresql_where=_FLAGGED)


def downgrade() -> None:
    op.drop_index("ix_donors_address_flagged", table_name="donors")
    with op.batch_alter_table("donors") as batch:
        for column in ("address_candidates", "address_status", "units_date", "commune_code", "province_code"):
            batch.drop_column(column)
