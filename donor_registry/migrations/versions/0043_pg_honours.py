"""donors, PostgreSQL only: a covering index of the active donors by chapter and donation count

Honour candidates of a province as of today read the province's donors with the first tier's
count (Donor.donation_count >= 5): 299,000 of 5 M donors for Hồ Chí Minh in the benchmark,
scattered over the whole table, so PostgreSQL read all of it (a parallel scan of 710 MB). This
index holds every column the query reads from donors, so that read is one index range
(index-only, 0.2 s there). SQLite keeps its single pass over the table (one file, its pages
the OS cache's; tests/service/test_query_plans.py).

Revision ID: 0043_pg_honours
Revises: 0041_pg_national
"""

from alembic import op

revision = "0043_pg_honours"
down_revision = "0041_pg_national"
branch_labels = None
depends_on = None

# What honours.service.candidates reads from donors besides the key.
HONOURS_COLUMNS = ("id", "deceased_on", "full_name", "district")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_donors_honours", "donors", ["chapter_id", "donation_count"],
                    postgresql_include=list(HONOURS_COLUMNS), postgresql_where="merged_into_id IS NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_donors_honours", table_name="donors")
