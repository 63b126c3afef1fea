"""registry: recording-check overrides, voided donations, donation revisions

donations: violations and override_reason (recorded although a check refused it), voided_at,
voided_by, void_reason (a voided donation stays, never counts). donation_revisions: the
values of a donation before and after each correction, who, when, why.

Revision ID: 0010_donation_corrections
Revises: 0007_lean_indexes
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_donation_corrections"
down_revision = "0007_lean_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("donations") as batch_op:
        batch_op.add_column(sa.Column("violations", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("override_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column("voided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("voided_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
    op.create_table(
        "donation_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("revised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revised_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("old_values", sa.JSON(), nullable=False),
        sa.Column("new_values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["donation_id"], ["donations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_donation_revisions_donation_id", "donation_revisions", ["donation_id"])


def downgrade() -> None:
    op.drop_index("ix_donation_revisions_donation_id", table_name="donation_revisions")
    op.drop_table("donation_revisions")
    with op.batch_alter_table("donations") as batch_op:
        for column in ("void_reason", "voided_by", "voided_at", "override_reason", "violations"):
            batch_op.drop_column(column)
