"""donors, PostgreSQL only: covering area indexes for expected turnout

A drive's area is a few thousand donors scattered over the whole table (donors are numbered as
they register, not by where they live), so counting its eligible donors read one heap page per
donor: a district of 5,000 donors at 1 M donors read 5,000 pages, 177 ms when they were not in
shared_buffers (the turnout benchmark's cold p95 was 328 ms at load 10). These indexes hold the
active donors of an area with every column expected_turnout filters and groups on, so the count
is an index-only scan (1.6 ms for the same district, after VACUUM). One for the place code the
rings use (commune_code IN (…)), one each for the old text keys (commune, district) of drives
without a code. SQLite keeps its single-column area indexes: its pages are the OS cache's, and
the benchmark meets its target there.

Revision ID: 0041_pg_national
Revises: 0039_booking_outcome
"""

from alembic import op

revision = "0041_pg_national"
down_revision = "0039_booking_outcome"
branch_labels = None
depends_on = None

# The columns of donors.eligibility_sql's clauses and of the count's GROUP BY.
TURNOUT_COLUMNS = ("abo", "rh", "sex", "date_of_birth", "birth_year", "weight_kg", "eligible_again_on",
                   "deferred_until", "deceased_on")
INDEXES = {"ix_donors_turnout_commune_code": ("commune_code", ()),
           "ix_donors_turnout_commune_key": ("commune_key", ("district_key",)),
           "ix_donors_turnout_district_key": ("district_key", ())}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (column, extra) in INDEXES.items():
        op.create_index(name, "donors", [column], postgresql_include=[*extra, *TURNOUT_COLUMNS],
                        postgresql_where="merged_into_id IS NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="donors")
