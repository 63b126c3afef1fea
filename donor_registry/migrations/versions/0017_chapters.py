"""chapters: the Red Cross chapter tree, and chapter_id on donors, drives, campaigns,
ceremonies and hospitals

Revision ID: 0017_chapters
Revises: 0003_honours (depends on 0002_campaigns, 0005_emergency)
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017_chapters"
down_revision = "0003_honours"
branch_labels = ("chapters",)
# On the honours line (a dependency on a branch head would hide that head in alembic_version).
depends_on = ("0002_campaigns", "0005_emergency")

KINDS = ("national", "province", "commune", "school", "agency", "company", "hospital")
# (table, index name): every table that belongs to a chapter.
BELONGING = [("drives", "ix_drives_chapter_id"), ("campaigns", "ix_campaigns_chapter_id"),
             ("honour_ceremonies", "ix_honour_ceremonies_chapter_id"), ("hospitals", "ix_hospitals_chapter_id")]


def upgrade() -> None:
    op.create_table(
        "chapters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="chapterkind", native_enum=False, length=8), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("province_code", sa.String(length=8), nullable=True),
        sa.Column("commune_code", sa.String(length=8), nullable=True),
        sa.Column("path", sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql"),
                  nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["chapters.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("path"),
    )
    op.create_index("ix_chapters_name_folded", "chapters", ["name_folded"])
    op.create_index("ix_chapters_parent_id", "chapters", ["parent_id"])
    op.create_index("uq_chapters_province_code", "chapters", ["province_code"], unique=True,
                    sqlite_where=sa.text("kind = 'province'"), postgresql_where=sa.text("kind = 'province'"))
    op.create_index("uq_chapters_commune_code", "chapters", ["commune_code"], unique=True,
                    sqlite_where=sa.text("kind = 'commune'"), postgresql_where=sa.text("kind = 'commune'"))
    for table, index in [("donors", None), *BELONGING]:
        # ADD COLUMN … REFERENCES on SQLite too: no table rebuild (a rebuild of campaigns would
        # drop a table the drives point to, which foreign keys refuse once rows exist).
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} ADD COLUMN chapter_id INTEGER REFERENCES chapters (id)")
        else:
            op.add_column(table, sa.Column("chapter_id", sa.Integer(), nullable=True))
            op.create_foreign_key(f"fk_{table}_chapter_id", table, "chapters", ["chapter_id"], ["id"])
        if index:
            op.create_index(index, table, ["chapter_id"])
    op.create_index("ix_donors_chapter_id_merged_into_id", "donors", ["chapter_id", "merged_into_id"])


def downgrade() -> None:
    op.drop_index("ix_donors_chapter_id_merged_into_id", table_name="donors")
    for table, index in [("donors", None), *BELONGING]:
        if index:
            op.drop_index(index, table_name=table)
        if op.get_bind().dialect.name == "sqlite":
            # SQLite cannot drop a column its foreign key names: the table is rebuilt (which its
            # foreign keys allow only while no other table's rows point at it).
            with op.batch_alter_table(table) as batch:
                batch.drop_column("chapter_id")
        else:
            op.drop_constraint(f"fk_{table}_chapter_id", table, type_="foreignkey")
            op.drop_column(table, "chapter_id")
    for index in ("uq_chapters_commune_code", "uq_chapters_province_code", "ix_chapters_parent_id",
                  "ix_chapters_name_folded"):
        op.drop_index(index, table_name="chapters")
    op.drop_table("chapters")
