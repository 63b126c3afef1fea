"""campaigns: drop the single-column commune_key and district_key indexes of donors

The (commune_key, merged_into_id) and (district_key, merged_into_id) indexes this branch
added in 0002 serve every lookup the single-column ones did; two fewer indexes to write.

Revision ID: 0009_campaigns_area_indexes
Revises: 0002_campaigns
"""

from alembic import op

revision = "0009_campaigns_area_indexes"
down_revision = "0002_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_donors_commune_key", table_name="donors")
    op.drop_index("ix_donors_district_key", table_name="donors")


def downgrade() -> None:
    op.create_index("ix_donors_district_key", "donors", ["district_key"])
    op.create_index("ix_donors_commune_key", "donors", ["commune_key"])
