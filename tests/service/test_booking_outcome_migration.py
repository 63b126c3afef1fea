"""Migration 0039 (a booking's outcome): down and up again on both databases, keeping the bookings,
and the schema is the models' again."""

import datetime as dt

from alembic import command
from sqlalchemy import inspect, text

from donor_registry.db import _alembic_config, session_scope, upgrade
from donor_registry.slots import service as slots
from tests.service import emergency_support as make
from tests.service.test_migrations import (
    test_migrated_schema_matches_the_models as schema_matches_the_models,
)
from tests.service.test_slots import drive_with_slots

EARLIER = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)


def _columns(engine):
    with engine.connect() as conn:
        found = inspect(conn)
        return ({c["name"] for c in found.get_columns("slot_bookings")},
                {i["name"] for i in found.get_indexes("slot_bookings")})


def test_the_booking_outcome_migration_goes_down_and_up_keeping_the_bookings(engine):
    with session_scope(engine) as session:
        _drive, made = drive_with_slots(session, EARLIER)
        booking = slots.book(session=session, donor_id=make.donor(session, EARLIER), slot_id=made[0].id,
                             now=EARLIER).id
    columns, indexes = _columns(engine)
    assert "donation_id" in columns and {"ix_slot_bookings_drive_status", "uq_slot_bookings_donation"} <= indexes
    command.downgrade(_alembic_config(engine), "0042_standby_ranges")  # the revision before 0039
    columns, indexes = _columns(engine)
    assert "donation_id" not in columns and not {"ix_slot_bookings_drive_status", "uq_slot_bookings_donation"} & indexes
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, donation_id, status FROM slot_bookings")).all() == [
            (booking, None, "active")]
    schema_matches_the_models(engine)
