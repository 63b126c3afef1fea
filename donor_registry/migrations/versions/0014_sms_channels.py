"""sms: a channel per donor (Zalo ZNS / SMS / none), and each message's channel and price

Revision ID: 0014_sms_channels
Revises: 0011_sms_reply_tokens_hidden
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_sms_channels"
down_revision = "0011_sms_reply_tokens_hidden"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("donors") as batch:
        batch.add_column(sa.Column("message_channel", sa.String(length=8), nullable=False,
                                   server_default="zalo"))
        batch.add_column(sa.Column("zalo_opted_out_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("zalo_unavailable_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("sms_outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("price_vnd", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox") as batch:
        batch.drop_column("price_vnd")
        batch.drop_column("channel")
    with op.batch_alter_table("donors") as batch:
        batch.drop_column("zalo_unavailable_at")
        batch.drop_column("zalo_opted_out_at")
        batch.drop_column("message_channel")
