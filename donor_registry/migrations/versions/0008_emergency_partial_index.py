"""emergency: donations.emergency_request_id indexed only where set (most donations have none)

Revision ID: 0008_emergency_partial_index
Revises: 0005_emergency
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_emergency_partial_index"
down_revision = "0005_emergency"
branch_labels = None
depends_on = None

_SET = sa.text("emergency_request_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_donations_emergency_request_id", table_name="donations")
    op.create_index("ix_donations_emergency_request_id", "donations", ["emergency_request_id"],
                    sqlite_where=_SET, postgresql_where=_SET)


def downgrade() -> None:
    op.drop_index("ix_donations_emergency_request_id", table_name="donations")
    op.create_index("ix_donations_emergency_request_id", "donations", ["emergency_request_id"])
