"""booking check-in: each booking's check-in code (unique among its drive's active bookings) and when it was checked in

Revision ID: 0035_booking_check_in
Revises: 0033_drive_links

Every booking already there gets a code here, drawn as slots/codes.py draws them (its alphabet copied here) (cancelled ones
too: a cancelled code is then told apart from an unknown one at the drive).
"""

import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0035_booking_check_in"
down_revision = "0033_drive_links"
branch_labels = None
depends_on = None

_UTC = sqlmodel.sql.sqltypes.UTCDateTime
_ACTIVE = sa.text("status = 'active'")
_ALPHABET = "ACDEFGHJKMNPRTWXY34679"  # slots/codes.ALPHABET when this was written (a migration stays as it was)


def _draw(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(6))
        if code not in taken:
            return code


def upgrade() -> None:
    op.add_column("slot_bookings", sa.Column("check_in_code", sa.String(length=6), nullable=True))
    op.add_column("slot_bookings", sa.Column("checked_in_at", _UTC(), nullable=True))
    conn = op.get_bind()
    taken: dict[int, set[str]] = {}
    for booking_id, drive_id in conn.execute(sa.text("SELECT id, drive_id FROM slot_bookings ORDER BY id")).all():
        code = _draw(taken.setdefault(drive_id, set()))
        taken[drive_id].add(code)
        conn.execute(sa.text("UPDATE slot_bookings SET check_in_code = :code WHERE id = :id"),
                     {"code": code, "id": booking_id})
    op.create_index("uq_slot_bookings_active_drive_code", "slot_bookings", ["drive_id", "check_in_code"],
                    unique=True, sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)
    op.create_index("ix_slot_bookings_check_in_code", "slot_bookings", ["check_in_code"])


def downgrade() -> None:
    op.drop_index("ix_slot_bookings_check_in_code", table_name="slot_bookings")
    op.drop_index("uq_slot_bookings_active_drive_code", table_name="slot_bookings")
    op.drop_column("slot_bookings", "checked_in_at")
    op.drop_column("slot_bookings", "check_in_code")
