"""registry: consent per purpose (donor_consents), donors.erased_at

The consent to be contacted held in donors.consent_* becomes a `contact_sms` row (the columns
stay, as the SMS audience's copy of that row); `health_data` has no grant yet: it must be asked.

Revision ID: 0013_privacy
Revises: 0010_donation_corrections
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_privacy"
down_revision = "0010_donation_corrections"
branch_labels = None
depends_on = None

_CHANNEL = sa.Enum("paper", "sms", "web", "verbal", "import", name="consentchannel", native_enum=False)


def upgrade() -> None:
    op.create_table(
        "donor_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Enum("contact_sms", "health_data", name="purpose", native_enum=False), nullable=False),
        sa.Column("given_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("channel", _CHANNEL, nullable=False),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_channel", _CHANNEL, nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_donor_consents_donor_id", "donor_consents", ["donor_id"], unique=False)
    op.add_column("donors", sa.Column("erased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "INSERT INTO donor_consents (donor_id, purpose, given_at, channel, withdrawn_at, recorded_by)"
        " SELECT id, 'contact_sms', consent_at, COALESCE(consent_channel, 'paper'), consent_withdrawn_at,"
        " 'migration' FROM donors WHERE consent_at IS NOT NULL AND merged_into_id IS NULL"
    )


def downgrade() -> None:
    op.drop_column("donors", "erased_at")
    op.drop_index("ix_donor_consents_donor_id", table_name="donor_consents")
    op.drop_table("donor_consents")
