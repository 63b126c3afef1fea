"""slot waitlist: donors waiting for a place at a drive whose slots are all full

Revision ID: 0036_slot_waitlist
Revises: 0035_booking_check_in
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0036_slot_waitlist"
down_revision = "0035_booking_check_in"
branch_labels = None
depends_on = None

_UTC = sqlmodel.sql.sqltypes.UTCDateTime
_ON_LIST = sa.text("status IN ('waiting', 'offered')")


def upgrade() -> None:
    op.create_table(
        "slot_waitlist",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("drive_id", sa.Integer(), sa.ForeignKey("drives.id"), nullable=False),
        sa.Column("donor_id", sa.Integer(), sa.ForeignKey("donors.id"), nullable=False),
        sa.Column("joined_at", _UTC(), nullable=False),
        sa.Column("offered_at", _UTC(), nullable=True),
        sa.Column("status", sa.String(length=7), nullable=False),
    )
    op.create_index("ix_slot_waitlist_donor_id", "slot_waitlist", ["donor_id"])
    op.create_index("ix_slot_waitlist_drive_status_joined", "slot_waitlist", ["drive_id", "status", "joined_at"])
    op.create_index("uq_slot_waitlist_active_donor_drive", "slot_waitlist", ["donor_id", "drive_id"], unique=True,
                    sqlite_where=_ON_LIST, postgresql_where=_ON_LIST)


def downgrade() -> None:
    op.drop_table("slot_waitlist")
