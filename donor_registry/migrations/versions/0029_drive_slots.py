"""slots: a drive's time slots with their capacity and booked count, and the donors' bookings

Revision ID: 0029_drive_slots
Revises: 0028_audit_subject
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0029_drive_slots"
down_revision = "0028_audit_subject"
branch_labels = None
depends_on = None

_UTC = sqlmodel.sql.sqltypes.UTCDateTime
_ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "drive_slots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("drive_id", sa.Integer(), sa.ForeignKey("drives.id"), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.UniqueConstraint("drive_id", "start_time", name="uq_drive_slots_drive_start"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_drive_slots_booked_within_capacity"),
        sa.CheckConstraint("capacity >= 0", name="ck_drive_slots_capacity"),
    )
    op.create_index("ix_drive_slots_drive_id", "drive_slots", ["drive_id"])
    op.create_table(
        "slot_bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("drive_id", sa.Integer(), sa.ForeignKey("drives.id"), nullable=False),
        sa.Column("slot_id", sa.Integer(), sa.ForeignKey("drive_slots.id"), nullable=False),
        sa.Column("donor_id", sa.Integer(), sa.ForeignKey("donors.id"), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.Column("cancelled_at", _UTC(), nullable=True),
    )
    op.create_index("ix_slot_bookings_slot_id", "slot_bookings", ["slot_id"])
    op.create_index("ix_slot_bookings_donor_id", "slot_bookings", ["donor_id"])
    op.create_index("uq_slot_bookings_active_donor_drive", "slot_bookings", ["donor_id", "drive_id"], unique=True,
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)


def downgrade() -> None:
    op.drop_table("slot_bookings")
    op.drop_table("drive_slots")
