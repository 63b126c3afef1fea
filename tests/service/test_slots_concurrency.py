"""200 donors book at once for a drive of 50 places on PostgreSQL, each in its own thread,
session and connection: exactly 50 are accepted, 150 refused as full, and the counts agree."""

import datetime as dt
import threading

import pytest
from sqlalchemy import create_engine, func
from sqlmodel import select

from donor_registry.db import is_sqlite, session_scope
from donor_registry.errors import Conflict
from donor_registry.i18n import use_language
from donor_registry.slots import service as slots
from donor_registry.slots.models import BookingStatus, DriveSlot, SlotBooking
from tests.service import emergency_support as make
from tests.service.test_slots import drive_with_slots

BOOKINGS, PLACES = 200, 50
# The PostgreSQL server is shared (max_connections 100): 40 connections at once, the other
# threads queue for one; every booking still runs in its own session on its own connection.
CONNECTIONS = 40


def test_two_hundred_parallel_bookings_for_fifty_places_accept_exactly_fifty(engine, now):
    if is_sqlite(engine):
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE); the property test covers it")
    with session_scope(engine) as session:
        # 07:00–12:00 in one-hour slots: 5 slots of 10 places.
        drive, created = drive_with_slots(session, now, capacity=PLACES, end=dt.time(12))
        slot_ids = [s.id for s in created]
        donors = [make.donor(session, now) for _ in range(BOOKINGS)]
    assert len(slot_ids) == 5
    parallel = create_engine(engine.url, pool_size=CONNECTIONS, max_overflow=0, pool_timeout=120)
    start = threading.Barrier(BOOKINGS)
    accepted, refused, failed = [], [], []

    def book(i: int) -> None:
        start.wait()
        try:
            with use_language("en"), session_scope(parallel) as session:
                booking = slots.book(session=session, donor_id=donors[i], slot_id=slot_ids[i % 5], now=now)
            accepted.append(booking.id)
        except Conflict as exc:
            refused.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test below
            failed.append(repr(exc))

    threads = [threading.Thread(target=book, args=(i,)) for i in range(BOOKINGS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    parallel.dispose()
    assert failed == []
    assert (len(accepted), len(refused)) == (PLACES, BOOKINGS - PLACES)
    assert all("is full (10 places)" in message for message in refused)
    with session_scope(engine) as session:
        booked = dict(session.exec(select(DriveSlot.id, DriveSlot.booked).where(DriveSlot.drive_id == drive.id)).all())
        active = dict(session.exec(select(SlotBooking.slot_id, func.count()).where(
            SlotBooking.drive_id == drive.id, SlotBooking.status == BookingStatus.active)
            .group_by(SlotBooking.slot_id)).all())
    assert booked == active == {slot_id: 10 for slot_id in slot_ids}
