"""registry: leaner indexes for bulk writes

donations: (donor_id, donated_on) instead of donor_id alone, so a donor's history, the
same-day check and the stats refresh read the index only; drive_id indexed only where set.
donors: merged_into_id indexed only where set.

Revision ID: 0007_lean_indexes
Revises: 0006_name_words
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_lean_indexes"
down_revision = "0006_name_words"
branch_labels = None
depends_on = None


def _where_set(column: str) -> dict:
    condition = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


def upgrade() -> None:
    op.drop_index("ix_donations_donor_id", table_name="donations")
    op.create_index("ix_donations_donor_id_donated_on", "donations", ["donor_id", "donated_on"])
    op.drop_index("ix_donations_drive_id", table_name="donations")
    op.create_index("ix_donations_drive_id", "donations", ["drive_id"], **_where_set("drive_id"))
    op.drop_index("ix_donors_merged_into_id", table_name="donors")
    op.create_index("ix_donors_merged_into_id", "donors", ["merged_into_id"], **_where_set("merged_into_id"))


def downgrade() -> None:
    op.drop_index("ix_donors_merged_into_id", table_name="donors")
    op.create_index("ix_donors_merged_into_id", "donors", ["merged_into_id"])
    op.drop_index("ix_donations_drive_id", table_name="donations")
    op.create_index("ix_donations_drive_id", "donations", ["drive_id"])
    op.drop_index("ix_donations_donor_id_donated_on", table_name="donations")
    op.create_index("ix_donations_donor_id", "donations", ["donor_id"])
