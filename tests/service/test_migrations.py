"""The migrations build exactly the schema the models describe, on both databases."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from donor_registry.db import _alembic_config, current_revisions, head_revisions, upgrade


def test_migrated_schema_matches_the_models(engine):
    assert current_revisions(engine) == head_revisions(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_index_migrations_go_down_and_up_again(engine):
    """0007-0009 only change indexes: down to the revisions before them, then up, and the
    schema is the models' again (the down steps rebuild what the up steps dropped)."""
    config = _alembic_config(engine)
    # 0012 (hospital suspension) sits above 0008 on the emergency branch: it goes down first.
    for revision in ("0007_lean_indexes", "0012_hospital_suspension", "0008_emergency_partial_index",
                     "0009_campaigns_area_indexes"):
        command.downgrade(config, f"{revision}@-1")
    assert current_revisions(engine) == {"0002_campaigns", "0003_honours", "0004_sms", "0005_emergency",
                                         "0006_name_words"}
    with engine.connect() as conn:
        index_names = {index["name"] for index in inspect(conn).get_indexes("donations")}
    assert {"ix_donations_donor_id", "ix_donations_drive_id"} <= index_names
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)
