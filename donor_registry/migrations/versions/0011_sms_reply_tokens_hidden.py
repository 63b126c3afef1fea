"""sms: reply tokens no longer kept in clear in sms_outbox.body (link_token_hash instead)

Revision ID: 0011_sms_reply_tokens_hidden
Revises: 0004_sms

Rows written before this revision carry their token in the body: it is replaced by the
placeholder and its hash kept, so those messages still go (with a fresh token) and their
call-outs' links keep working once they do.
"""

import hashlib
import re

import sqlalchemy as sa
from alembic import op

revision = "0011_sms_reply_tokens_hidden"
down_revision = "0004_sms"
branch_labels = None
depends_on = None

PLACEHOLDER = "(reply-token-not-kept)"  # emergency.tokens.REPLY_TOKEN_PLACEHOLDER
_TOKEN = re.compile(r"/r/([A-Za-z0-9_-]{16,})")


def upgrade() -> None:
    op.add_column("sms_outbox", sa.Column("link_token_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    outbox = sa.table("sms_outbox", sa.column("id", sa.Integer), sa.column("body", sa.Text),
                      sa.column("link_token_hash", sa.String))
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.body)
                              .where(outbox.c.body.like("%/r/%"))).all()
    for row_id, body in rows:
        tokens = _TOKEN.findall(body)
        if len(tokens) != 1:
            continue
        connection.execute(
            outbox.update().where(outbox.c.id == row_id).values(
                body=body.replace(tokens[0], PLACEHOLDER),
                link_token_hash=hashlib.sha256(tokens[0].encode()).hexdigest(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox") as batch:
        batch.drop_column("link_token_hash")
