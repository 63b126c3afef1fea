"""emergency: a hospital can be suspended (hospitals.suspended_at, suspended_reason)

Revision ID: 0012_hospital_suspension
Revises: 0008_emergency_partial_index
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012_hospital_suspension"
down_revision = "0008_emergency_partial_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hospitals") as batch:
        batch.add_column(sa.Column("suspended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("suspended_reason", sqlmodel.sql.sqltypes.AutoString(length=300),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hospitals") as batch:
        batch.drop_column("suspended_reason")
        batch.drop_column("suspended_at")
