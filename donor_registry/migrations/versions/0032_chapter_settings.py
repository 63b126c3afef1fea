"""chapter_settings: the few settings a chapter owns (organisation name, drive ring, invitation days)

Revision ID: 0032_chapter_settings
Revises: 0030_active_donors_index
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0032_chapter_settings"
down_revision = "0030_active_donors_index"
branch_labels = None
depends_on = None

_STRING = sqlmodel.sql.sqltypes.AutoString
_UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "chapter_settings",
        sa.Column("chapter_id", sa.Integer(), sa.ForeignKey("chapters.id"), primary_key=True),
        sa.Column("key", sa.String(length=60), primary_key=True),
        sa.Column("value", _STRING(length=200), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.Column("updated_by", _STRING(length=100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chapter_settings")
