"""drive links: a donor's personal link to one drive's booking page (only the token's hash)

Revision ID: 0033_drive_links
Revises: 0032_chapter_settings
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0033_drive_links"
down_revision = "0032_chapter_settings"
branch_labels = None
depends_on = None

_UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "drive_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("donor_id", sa.Integer(), sa.ForeignKey("donors.id"), nullable=False),
        sa.Column("drive_id", sa.Integer(), sa.ForeignKey("drives.id"), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_drive_links_donor_id", "drive_links", ["donor_id"])
    op.create_index("ix_drive_links_drive_id", "drive_links", ["drive_id"])


def downgrade() -> None:
    op.drop_table("drive_links")
