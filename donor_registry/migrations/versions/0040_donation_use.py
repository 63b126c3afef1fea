"""thanks: donation_uses, where a donation's unit went (used for an emergency request, or a drive's
units released to a hospital), one row a donation

Revision ID: 0040_donation_use
Revises: 0038_questionnaire
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0040_donation_use"
down_revision = "0038_questionnaire"
branch_labels = None
depends_on = None

_UTC = sqlmodel.sql.sqltypes.UTCDateTime
_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "donation_uses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("donation_id", sa.Integer(), sa.ForeignKey("donations.id"), nullable=False),
        sa.Column("hospital_id", sa.Integer(), sa.ForeignKey("hospitals.id"), nullable=False),
        sa.Column("how", sa.String(length=13), nullable=False),
        sa.Column("used_at", _UTC(), nullable=False),
        sa.Column("recorded_by", _TEXT(length=100), nullable=False),
        sa.UniqueConstraint("donation_id"),
    )
    op.create_index("ix_donation_uses_hospital_id", "donation_uses", ["hospital_id"])


def downgrade() -> None:
    op.drop_table("donation_uses")
