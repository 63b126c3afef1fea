"""chapters: hospitals, drives and requests located by official commune (and coordinates);
today's district-based data mapped onto the chapter tree; indexes for the distance rings

Hospitals' and drives' addresses as entered are converted (places.legacy, never guessed); a
province chapter is made for each province present and a commune chapter for each resolved
commune; every donor, drive, hospital, ceremony and campaign joins the nearest chapter
(chapters/mapping.py). The text as entered stays. Down: the chapters made here stay (0017's
downgrade drops them); the location columns go.

Revision ID: 0018_places_and_chapters
Revises: 0017_chapters, 0016_addresses_converted
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from donor_registry.chapters.mapping import map_existing_data

revision = "0018_places_and_chapters"
down_revision = ("0017_chapters", "0016_addresses_converted")
branch_labels = None
depends_on = None

LOCATED = ("hospitals", "drives", "emergency_requests")
_STANDBY = sa.text("standby IS 1 AND merged_into_id IS NULL")
_STANDBY_PG = sa.text("standby IS true AND merged_into_id IS NULL")


def upgrade() -> None:
    for table in LOCATED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("province_code", sa.String(length=2), nullable=True))
            batch.add_column(sa.Column("commune_code", sa.String(length=5), nullable=True))
            batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
            batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
    op.create_index("ix_donors_standby_group_commune_code", "donors", ["abo", "rh", "commune_code"],
                    sqlite_where=_STANDBY, postgresql_where=_STANDBY_PG)
    op.create_index("ix_donors_standby_province_code", "donors", ["province_code", "abo", "rh"],
                    sqlite_where=_STANDBY, postgresql_where=_STANDBY_PG)
    op.create_index("ix_donors_commune_code_merged_into_id", "donors", ["commune_code", "merged_into_id"])
    map_existing_data(op.get_bind(), dt.datetime.now(dt.UTC))


def downgrade() -> None:
    for index in ("ix_donors_commune_code_merged_into_id", "ix_donors_standby_province_code",
                  "ix_donors_standby_group_commune_code"):
        op.drop_index(index, table_name="donors")
    for table in reversed(LOCATED):
        with op.batch_alter_table(table) as batch:
            for column in ("longitude", "latitude", "commune_code", "province_code"):
                batch.drop_column(column)
