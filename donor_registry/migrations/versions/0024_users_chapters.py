"""accounts: a user's chapter is a chapter of the tree (users.chapter_id -> chapters.id)

Revision ID: 0024_users_chapters
Revises: 0023_accounts, 0017_chapters (joins the two lines: a dependency on a branch head
would hide that head in alembic_version)
"""

from alembic import op

revision = "0024_users_chapters"
down_revision = ("0023_accounts", "0017_chapters")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.create_foreign_key("fk_users_chapter_id_chapters", "chapters", ["chapter_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_chapter_id_chapters", type_="foreignkey")
