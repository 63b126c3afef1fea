"""portal: donors' record links, one-time codes by phone, and standby availability

Revision ID: 0027_donor_portal
Revises: 0025_import_runs
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0027_donor_portal"
down_revision = "0025_import_runs"
branch_labels = None
depends_on = None

_UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "portal_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("donor_id", sa.Integer(), sa.ForeignKey("donors.id"), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("expires_at", _UTC(), nullable=False),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_portal_links_donor_id", "portal_links", ["donor_id"])
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("donor_id", sa.Integer(), sa.ForeignKey("donors.id"), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("expires_at", _UTC(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", _UTC(), nullable=True),
    )
    for column in ("phone_e164", "client_ip", "created_at"):
        op.create_index(f"ix_portal_codes_{column}", "portal_codes", [column])
    op.create_table(
        "donor_availability",
        sa.Column("donor_id", sa.Integer(), sa.ForeignKey("donors.id"), primary_key=True),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("from_minute", sa.Integer(), nullable=True),
        sa.Column("until_minute", sa.Integer(), nullable=True),
        sa.Column("not_until", sa.Date(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("updated_at", _UTC(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("donor_availability")
    op.drop_table("portal_codes")
    op.drop_table("portal_links")
