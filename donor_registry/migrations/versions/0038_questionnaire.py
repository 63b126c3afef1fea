"""questionnaire: the pre-donation answers a donor gave for a drive (under the health-data consent)

One current row per donor and drive (a partial unique index); a later submission supersedes the
earlier one, which stays as history.

Revision ID: 0038_questionnaire
Revises: 0037_flagged_by_province
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0038_questionnaire"
down_revision = "0037_flagged_by_province"
branch_labels = None
depends_on = None

_UTC = sqlmodel.sql.sqltypes.UTCDateTime
_CURRENT = sa.text("superseded_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("donor_id", sa.Integer(), sa.ForeignKey("donors.id"), nullable=False),
        sa.Column("drive_id", sa.Integer(), sa.ForeignKey("drives.id"), nullable=False),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("slot_bookings.id"), nullable=True),
        sa.Column("form_version", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.Column("may_give_from", sa.Date(), nullable=True),
        sa.Column("submitted_at", _UTC(), nullable=False),
        sa.Column("superseded_at", _UTC(), nullable=True),
        sa.Column("erased_at", _UTC(), nullable=True),
    )
    op.create_index("ix_questionnaire_answers_donor_id", "questionnaire_answers", ["donor_id"])
    op.create_index("ix_questionnaire_answers_drive_id", "questionnaire_answers", ["drive_id"])
    op.create_index("uq_questionnaire_answers_current", "questionnaire_answers", ["donor_id", "drive_id"],
                    unique=True, sqlite_where=_CURRENT, postgresql_where=_CURRENT)


def downgrade() -> None:
    op.drop_table("questionnaire_answers")
