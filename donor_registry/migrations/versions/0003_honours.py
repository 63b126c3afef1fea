"""honours: ceremonies and awards

Revision ID: 0003_honours
Revises: 0001_registry
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003_honours"
down_revision = "0001_registry"
branch_labels = ("honours",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "honour_ceremonies",
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("level", sa.Enum("district", "province", "national", name="honourlevel", native_enum=False),
                  nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("district_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "honour_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("ceremony_id", sa.Integer(), nullable=False),
        sa.Column("donation_count", sa.Integer(), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(["ceremony_id"], ["honour_ceremonies.id"]),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("honour_awards", schema=None) as batch_op:
        batch_op.create_index("ix_honour_awards_donor_id_tier", ["donor_id", "tier"], unique=False)
        batch_op.create_index(batch_op.f("ix_honour_awards_ceremony_id"), ["ceremony_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("honour_awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_honour_awards_ceremony_id"))
        batch_op.drop_index("ix_honour_awards_donor_id_tier")
    op.drop_table("honour_awards")
    op.drop_table("honour_ceremonies")
