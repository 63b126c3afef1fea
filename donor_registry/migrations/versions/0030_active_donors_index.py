"""donors: indexes for `merged_into_id IS NULL` as written, on both planners

The find and honours queries said `coalesce(merged_into_id, 0) = 0` to steer SQLite, which
PostgreSQL cannot estimate (2,083 donors estimated for 333,000 at 1 M donors: a parallel
merge join over every donation for honours --as-of). They now say `merged_into_id IS NULL`.

ix_donors_merged_into_id is only where set (0007), so it was never what SQLite took for
that: it was the (x, merged_into_id) indexes. After ANALYZE their statistics average the
NULLs of merged_into_id with the rest, so `chapter_id … AND merged_into_id IS NULL` looked
like ~1,000 rows and SQLite skip-scanned ix_donors_chapter_id_merged_into_id for every
active donor (200 k donors, ANALYZEd: find's walk in name order 25 → 120 ms, honours 340 →
530 ms; with this revision 22 ms through ix_donors_active_name and 280 ms in one table scan).
No lookup needs merged_into_id inside those indexes any more (merged donors are under 1 %,
filtered from the row), so the four become single-column indexes: chapter_id, commune_key,
district_key, commune_code.

ix_donors_active_name: (name_folded, id) where merged_into_id IS NULL, the order `donors
find` and lists read active donors in; both engines take it when the query says IS NULL.

PostgreSQL only: pg_trgm (a trusted extension: the database owner may create it) and a GIN
trigram index on ' ' || name_folded, the exact expression of find's word-prefix LIKE.

Revision ID: 0030_active_donors_index
Revises: 0031_search_index, 0009_campaigns_area_indexes, 0018_places_and_chapters
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_active_donors_index"
# Also a merge: the area indexes it rebuilds come from the campaigns (0009) and places (0018)
# heads, which must run first (depends_on would leave them out of alembic_version).
down_revision = ("0031_search_index", "0009_campaigns_area_indexes", "0018_places_and_chapters")
branch_labels = None
depends_on = None

_ACTIVE = sa.text("merged_into_id IS NULL")
_AREAS = ("chapter_id", "commune_key", "district_key", "commune_code")


def upgrade() -> None:
    for column in _AREAS:
        op.drop_index(f"ix_donors_{column}_merged_into_id", table_name="donors")
        op.create_index(f"ix_donors_{column}", "donors", [column])
    op.create_index("ix_donors_active_name", "donors", ["name_folded", "id"],
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_donors_name_trigrams ON donors USING gin ((' ' || name_folded) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_donors_name_trigrams")  # the extension stays: others may use it
    op.drop_index("ix_donors_active_name", table_name="donors")
    for column in reversed(_AREAS):
        op.drop_index(f"ix_donors_{column}", table_name="donors")
        op.create_index(f"ix_donors_{column}_merged_into_id", "donors", [column, "merged_into_id"])
