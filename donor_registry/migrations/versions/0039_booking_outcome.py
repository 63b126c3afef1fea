"""slot bookings: the donation (or deferral) recorded for a checked-in booking, and the drive's bookings by status

`donation_id` links a booking to the donation recorded at check-in (slots/outcome.py); a donation
belongs to at most one booking (the partial unique index). `ix_slot_bookings_drive_status` serves
the counts of a drive's bookings and the show rate of past drives (slots/counts.py).

Revision ID: 0039_booking_outcome
Revises: 0042_standby_ranges
"""

import sqlalchemy as sa
from alembic import op

revision = "0039_booking_outcome"
down_revision = "0042_standby_ranges"
branch_labels = None
depends_on = None

_LINKED = sa.text("donation_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("slot_bookings") as batch:
        batch.add_column(sa.Column("donation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_slot_bookings_donation_id", "donations", ["donation_id"], ["id"])
    op.create_index("uq_slot_bookings_donation", "slot_bookings", ["donation_id"], unique=True,
                    sqlite_where=_LINKED, postgresql_where=_LINKED)
    op.create_index("ix_slot_bookings_drive_status", "slot_bookings", ["drive_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_slot_bookings_drive_status", table_name="slot_bookings")
    op.drop_index("uq_slot_bookings_donation", table_name="slot_bookings")
    with op.batch_alter_table("slot_bookings") as batch:
        batch.drop_constraint("fk_slot_bookings_donation_id", type_="foreignkey")
        batch.drop_column("donation_id")
