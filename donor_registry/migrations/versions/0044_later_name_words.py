"""donor_name_words: one more entry per word after the first of a name, marked (name_words.LATER)

`donors find` reads one range of the names index when a query word is no active donor's word
but as the first of the name (a family name): the marked entries say so in one probe. Filled
here for the active donors, as donors.name_words.words_of makes them.

Revision ID: 0044_later_name_words
Revises: 0043_pg_honours
"""

import sqlalchemy as sa
from alembic import op

revision = "0044_later_name_words"
down_revision = "0043_pg_honours"
branch_labels = None
depends_on = None

LATER = "\x1f"  # donors.name_words.LATER, as of this revision
_LENGTH = 50
_BATCH = 10_000
_WORDS = sa.table("donor_name_words", sa.column("word"), sa.column("donor_id"))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # name_folded is its words joined by single spaces (text.fold), so this is str.split().
        conn.execute(sa.text(
            "INSERT INTO donor_name_words (word, donor_id)"
            " SELECT DISTINCT left(chr(31) || w, :length), d.id FROM donors d,"
            " unnest((string_to_array(d.name_folded, ' '))[2:]) w WHERE d.merged_into_id IS NULL AND w <> ''"
            " ON CONFLICT DO NOTHING"), {"length": _LENGTH})
        return
    page = sa.text("SELECT id, name_folded FROM donors WHERE merged_into_id IS NULL AND id > :after"
                   " ORDER BY id LIMIT :size")
    after = 0
    while donors := conn.execute(page, {"after": after, "size": _BATCH}).all():
        rows = [{"word": word, "donor_id": donor_id} for donor_id, name_folded in donors
                for word in sorted({(LATER + w)[:_LENGTH] for w in name_folded.split()[1:]})]
        if rows:
            conn.execute(_WORDS.insert(), rows)
        after = donors[-1][0]


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM donor_name_words WHERE word >= :later AND word < :after"),
                          {"later": LATER, "after": chr(ord(LATER) + 1)})
