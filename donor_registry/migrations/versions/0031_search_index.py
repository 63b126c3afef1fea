"""donors: an index on (chapter_id, name_folded, id), so a search within a chapter reads that
chapter's names in order and stops at a page

Revision ID: 0031_search_index
Revises: 0034_flagged_by_chapter
"""

from alembic import op

revision = "0031_search_index"
down_revision = "0034_flagged_by_chapter"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_donors_chapter_id_name_folded", "donors", ["chapter_id", "name_folded", "id"])


def downgrade() -> None:
    op.drop_index("ix_donors_chapter_id_name_folded", table_name="donors")
