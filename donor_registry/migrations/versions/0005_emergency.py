"""emergency: hospitals, emergency requests, call-outs, donor claims; donations.emergency_request_id

Revision ID: 0005_emergency
Revises: 0001_registry
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_emergency"
down_revision = "0001_registry"
branch_labels = ("emergency",)
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
Text = sqlmodel.sql.sqltypes.AutoString
STANDBY_SQLITE = sa.text("standby IS 1 AND merged_into_id IS NULL")
STANDBY_PG = sa.text("standby IS true AND merged_into_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "hospitals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", Text(length=200), nullable=False),
        sa.Column("commune", Text(length=100), nullable=True),
        sa.Column("district", Text(length=100), nullable=False),
        sa.Column("province", Text(length=100), nullable=True),
        sa.Column("commune_key", Text(length=100), nullable=True),
        sa.Column("district_key", Text(length=100), nullable=False),
        sa.Column("province_key", Text(length=100), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_prefix", Text(length=12), nullable=True),
        sa.Column("token_issued_at", UTC(), nullable=True),
        sa.Column("token_revoked_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "emergency_requests",
        sa.Column("abo", sa.Enum("O", "A", "B", "AB", name="abo", native_enum=False), nullable=False),
        sa.Column("rh", sa.Enum("+", "-", name="rh", native_enum=False), nullable=False),
        sa.Column("product", sa.Enum("red_cells", "plasma", "platelets", "whole_blood", name="product",
                                     native_enum=False), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("needed_by", UTC(), nullable=False),
        sa.Column("note", Text(length=500), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("open", "covered", "cancelled", "expired", name="requeststatus",
                                    native_enum=False), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", Text(length=100), nullable=False),
        sa.Column("commune_key", Text(length=100), nullable=True),
        sa.Column("district_key", Text(length=100), nullable=True),
        sa.Column("province_key", Text(length=100), nullable=True),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("area_level", sa.Enum("commune", "district", "province", "everywhere", name="arealevel",
                                        native_enum=False), nullable=False),
        sa.Column("next_wave_at", UTC(), nullable=True),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("close_reason", Text(length=300), nullable=True),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_emergency_requests_hospital_id", "emergency_requests", ["hospital_id"])
    op.create_index("ix_emergency_requests_next_wave_at", "emergency_requests", ["next_wave_at"])
    op.create_index("ix_emergency_requests_status", "emergency_requests", ["status"])
    op.create_table(
        "emergency_callouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTC(), nullable=False),
        sa.Column("answer", sa.Enum("none", "accepted", "declined", "too_late", name="answer",
                                    native_enum=False), nullable=False),
        sa.Column("answered_at", UTC(), nullable=True),
        sa.Column("answer_channel", sa.Enum("link", "sms", "phone", name="answerchannel",
                                            native_enum=False), nullable=True),
        sa.Column("expected_arrival_at", UTC(), nullable=True),
        sa.Column("arrived_at", UTC(), nullable=True),
        sa.Column("donated", sa.Boolean(), nullable=False),
        sa.Column("reply_token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_expires_at", UTC(), nullable=False),
        sa.Column("token_used_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["emergency_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reply_token_hash"),
        sa.UniqueConstraint("request_id", "donor_id"),
    )
    op.create_index("ix_emergency_callouts_asked_at", "emergency_callouts", ["asked_at"])
    op.create_index("ix_emergency_callouts_donor_id", "emergency_callouts", ["donor_id"])
    op.create_index("ix_emergency_callouts_request_id", "emergency_callouts", ["request_id"])
    op.create_table(
        "emergency_claims",
        sa.Column("donor_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["emergency_requests.id"]),
        sa.PrimaryKeyConstraint("donor_id"),
    )
    op.create_index("ix_emergency_claims_request_id", "emergency_claims", ["request_id"])
    with op.batch_alter_table("donations") as batch_op:
        batch_op.add_column(sa.Column("emergency_request_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_donations_emergency_request_id", ["emergency_request_id"])
        batch_op.create_foreign_key("fk_donations_emergency_request_id", "emergency_requests",
                                    ["emergency_request_id"], ["id"])
    op.create_index("ix_donors_standby_group_area", "donors", ["abo", "rh", "district_key", "commune_key"],
                    sqlite_where=STANDBY_SQLITE, postgresql_where=STANDBY_PG)
    op.create_index("ix_donors_standby_province", "donors", ["province_key", "abo", "rh"],
                    sqlite_where=STANDBY_SQLITE, postgresql_where=STANDBY_PG)


def downgrade() -> None:
    op.drop_index("ix_donors_standby_province", table_name="donors")
    op.drop_index("ix_donors_standby_group_area", table_name="donors")
    with op.batch_alter_table("donations") as batch_op:
        batch_op.drop_constraint("fk_donations_emergency_request_id", type_="foreignkey")
        batch_op.drop_index("ix_donations_emergency_request_id")
        batch_op.drop_column("emergency_request_id")
    op.drop_table("emergency_claims")
    op.drop_table("emergency_callouts")
    op.drop_table("emergency_requests")
    op.drop_table("hospitals")
