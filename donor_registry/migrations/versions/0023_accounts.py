"""accounts: users, their sessions (token hashes) and sign-in attempts (throttling)

Revision ID: 0023_accounts
Revises: 0001_registry
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0023_accounts"
down_revision = "0001_registry"
branch_labels = ("accounts",)
depends_on = None

_STRING = sqlmodel.sql.sqltypes.AutoString
_UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("login", _STRING(length=40), nullable=False),
        sa.Column("password_hash", _STRING(length=200), nullable=False),
        sa.Column("role", sa.Enum("admin", "coordinator", "viewer", name="role", native_enum=False,
                                  create_constraint=False, length=11), nullable=False),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.Column("password_changed_at", _UTC(), nullable=False),
        sa.UniqueConstraint("login"),
    )
    op.create_index("ix_users_chapter_id", "users", ["chapter_id"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", _STRING(length=64), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("expires_at", _UTC(), nullable=False),
        sa.Column("last_seen_at", _UTC(), nullable=False),
        sa.Column("revoked_at", _UTC(), nullable=True),
        sa.Column("address", _STRING(length=64), nullable=True),
        sa.Column("user_agent", _STRING(length=300), nullable=True),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", _UTC(), nullable=False),
        sa.Column("login", _STRING(length=40), nullable=False),
        sa.Column("address", _STRING(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    for column in ("at", "login", "address"):
        op.create_index(f"ix_login_attempts_{column}", "login_attempts", [column])


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.drop_table("user_sessions")
    op.drop_table("users")
