"""imports: the workspace's import runs (the job's state, then the chapter's import history)

Revision ID: 0025_import_runs
Revises: 0024_users_chapters
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0025_import_runs"
down_revision = "0024_users_chapters"
branch_labels = None
depends_on = None

_STRING = sqlmodel.sql.sqltypes.AutoString
_UTC = sqlmodel.sql.sqltypes.UTCDateTime
STATUSES = ("checking", "checked", "importing", "done", "failed", "cancelled")


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token", _STRING(length=64), nullable=False),
        sa.Column("kind", _STRING(length=16), nullable=False),
        sa.Column("file_name", _STRING(length=200), nullable=False),
        sa.Column("chapter_id", sa.Integer(), sa.ForeignKey("chapters.id"), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("login", _STRING(length=40), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="importstatus", native_enum=False, create_constraint=False,
                                    length=9), nullable=False),
        sa.Column("skip_invalid", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("finished_at", _UTC(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=True)
          for name in ("rows_read", "imported", "matched", "created", "rejected_rows", "repeated_rows")),
        sa.Column("written", sa.Boolean(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", _STRING(length=1000), nullable=True),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_import_runs_chapter_id", "import_runs", ["chapter_id"])
    op.create_index("ix_import_runs_created_at", "import_runs", ["created_at"])


def downgrade() -> None:
    op.drop_table("import_runs")
