"""campaigns: campaigns, drives, donations.drive_id → drives.id, donor area indexes

Revision ID: 0002_campaigns
Revises: 0001_registry
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002_campaigns"
down_revision = "0001_registry"
branch_labels = ("campaigns",)
depends_on = None

_STRING = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", _STRING(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("target_units", sa.Integer(), nullable=False),
        sa.Column("notes", _STRING(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_key", _STRING(length=64), nullable=True),
        sa.Column("status", sa.Enum("planned", "cancelled", name="campaignstatus", native_enum=False),
                  nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("template_key", "year", name="uq_campaigns_template_year"),
    )
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.create_index("ix_campaigns_year", ["year"], unique=False)

    op.create_table(
        "drives",
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("venue", _STRING(length=200), nullable=False),
        sa.Column("commune", _STRING(length=100), nullable=True),
        sa.Column("district", _STRING(length=100), nullable=True),
        sa.Column("province", _STRING(length=100), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("target_units", sa.Integer(), nullable=True),
        sa.Column("notes", _STRING(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_key", _STRING(length=200), nullable=False),
        sa.Column("commune_key", _STRING(length=100), nullable=True),
        sa.Column("district_key", _STRING(length=100), nullable=True),
        sa.Column("province_key", _STRING(length=100), nullable=True),
        sa.Column("status", sa.Enum("planned", "closed", "cancelled", name="drivestatus", native_enum=False),
                  nullable=False),
        sa.Column("registered", sa.Integer(), nullable=True),
        sa.Column("donated", sa.Integer(), nullable=True),
        sa.Column("deferred", sa.Integer(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("drives") as batch_op:
        batch_op.create_index("ix_drives_campaign_id", ["campaign_id"], unique=False)
        batch_op.create_index("ix_drives_date", ["date"], unique=False)

    with op.batch_alter_table("donations") as batch_op:
        batch_op.create_foreign_key("fk_donations_drive_id_drives", "drives", ["drive_id"], ["id"])

    with op.batch_alter_table("donors") as batch_op:
        batch_op.create_index("ix_donors_commune_key_merged_into_id", ["commune_key", "merged_into_id"])
        batch_op.create_index("ix_donors_district_key_merged_into_id", ["district_key", "merged_into_id"])


def downgrade() -> None:
    with op.batch_alter_table("donors") as batch_op:
        batch_op.drop_index("ix_donors_district_key_merged_into_id")
        batch_op.drop_index("ix_donors_commune_key_merged_into_id")
    with op.batch_alter_table("donations") as batch_op:
        batch_op.drop_constraint("fk_donations_drive_id_drives", type_="foreignkey")
    op.drop_table("drives")
    op.drop_table("campaigns")
