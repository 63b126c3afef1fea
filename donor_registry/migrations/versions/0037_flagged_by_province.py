"""donors: the flagged addresses indexed by province, for `addresses review --province`

Without it a province with few or no flagged donors is answered by walking every flagged
address (250,000 in the benchmark: 162–242 ms on SQLite, 127–193 ms on PostgreSQL); with it, one
range of the province's flagged rows in id order (under 1 ms).

Revision ID: 0037_flagged_by_province
Revises: 0036_slot_waitlist
"""

import sqlalchemy as sa
from alembic import op

revision = "0037_flagged_by_province"
down_revision = "0036_slot_waitlist"
branch_labels = None
depends_on = None

_FLAGGED = sa.text("address_status IN ('split', 'ambiguous', 'unknown')")


def upgrade() -> None:
    op.create_index("ix_donors_flagged_province", "donors", ["province_code", "id", "address_status"],
                    sqlite_where=_FLAGGED, postgresql_where=_FLAGGED)


def downgrade() -> None:
    op.drop_index("ix_donors_flagged_province", table_name="donors")
