"""sms: outbox and inbound messages

Revision ID: 0004_sms
Revises: 0001_registry
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_sms"
down_revision = "0001_registry"
branch_labels = ("sms",)
depends_on = None

_STRING = sqlmodel.sql.sqltypes.AutoString
_UTC = sqlmodel.sql.sqltypes.UTCDateTime
_STATUS = sa.Enum(
    "queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled",
    name="outboxstatus", native_enum=False, length=11,
)


def upgrade() -> None:
    op.create_table(
        "sms_outbox",
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("to_phone", sa.String(length=20), nullable=False),
        sa.Column("kind", _STRING(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("send_after", _UTC(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _UTC(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_message", _STRING(length=500), nullable=True),
        sa.Column("claimed_at", _UTC(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("sent_at", _UTC(), nullable=True),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sms_outbox_donor_id", ["donor_id"], unique=False)
        batch_op.create_index("ix_sms_outbox_kind", ["kind"], unique=False)
        batch_op.create_index("ix_sms_outbox_provider_id", ["provider_id"], unique=False)
        batch_op.create_index("ix_sms_outbox_status_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("from_phone", sa.String(length=40), nullable=False),
        sa.Column("to_phone", sa.String(length=40), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("action", _STRING(length=20), nullable=False),
        sa.Column("received_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id"),
    )
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.create_index("ix_sms_inbound_donor_id", ["donor_id"], unique=False)
        batch_op.create_index("ix_sms_inbound_from_phone", ["from_phone"], unique=False)


def downgrade() -> None:
    op.drop_table("sms_inbound")
    op.drop_table("sms_outbox")
