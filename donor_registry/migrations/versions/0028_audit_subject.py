"""audit: an index on (subject_type, subject_id) for a donor's own trail and the audit page's filter

Revision ID: 0028_audit_subject
Revises: 0027_donor_portal
"""

from alembic import op

revision = "0028_audit_subject"
down_revision = "0027_donor_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_subject", "audit_log", ["subject_type", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
