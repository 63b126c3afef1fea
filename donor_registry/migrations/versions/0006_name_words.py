"""registry: donor_name_words, the word index of donor names (filled for existing donors)

Revision ID: 0006_name_words
Revises: 0001_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_name_words"
down_revision = "0001_registry"
branch_labels = None
depends_on = None

_BATCH = 10_000


def upgrade() -> None:
    words = op.create_table(
        "donor_name_words",
        sa.Column("word", sa.String(length=50).with_variant(sa.String(length=50, collation="C"), "postgresql"),
                  nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"]),
        sa.PrimaryKeyConstraint("word", "donor_id"),
    )
    op.create_index("ix_donor_name_words_donor_id", "donor_name_words", ["donor_id"], unique=False)
    _fill(words)


def _fill(words: sa.Table) -> None:
    """Words of every active donor's folded name, as donors.name_words.words_of splits them."""
    conn = op.get_bind()
    page = sa.text("SELECT id, name_folded FROM donors WHERE merged_into_id IS NULL AND id > :after"
                   " ORDER BY id LIMIT :size")
    after = 0
    while donors := conn.execute(page, {"after": after, "size": _BATCH}).all():
        rows = [{"word": word, "donor_id": donor_id}
                for donor_id, name_folded in donors for word in sorted({w[:50] for w in name_folded.split()})]
        if rows:
            conn.execute(words.insert(), rows)
        after = donors[-1][0]


def downgrade() -> None:
    op.drop_index("ix_donor_name_words_donor_id", table_name="donor_name_words")
    op.drop_table("donor_name_words")
