"""For any sequence of book / move / cancel (hypothesis), each slot's `booked` equals its active
bookings and never exceeds its capacity, and what is accepted is what a plain model of the
rules accepts (one active booking per donor, no place above capacity)."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, update
from sqlmodel import select

from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.slots import service as slots
from donor_registry.slots.models import BookingStatus, DriveSlot, SlotBooking
from tests.service import emergency_support as make
from tests.service.test_slots import drive_with_slots

DONORS, SLOTS = 5, 3
# 07:00–10:00 in one-hour slots holding 5 places: 2, 2 and 1 (slots/rules.py, by hand).
CAPACITIES = [2, 2, 1]

an_operation = st.one_of(
    st.tuples(st.just("book"), st.integers(0, DONORS - 1), st.integers(0, SLOTS - 1)),
    st.tuples(st.just("move"), st.integers(0, DONORS - 1), st.integers(0, SLOTS - 1)),
    st.tuples(st.just("cancel"), st.integers(0, DONORS - 1), st.just(0)),
)
PROPERTY = settings(derandomize=True, max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _fresh(engine, now):
    """The drive, its slot ids and the donor ids, with no booking left from an earlier example."""
    with session_scope(engine) as session:
        slot_rows = session.exec(select(DriveSlot).order_by(DriveSlot.start_time)).all()
        if not slot_rows:
            _, slot_rows = drive_with_slots(session, now, capacity=5, end=dt.time(10))
            donors = [make.donor(session, now) for _ in range(DONORS)]
        else:
            donors = list(session.exec(select(Donor.id).order_by(Donor.id)))
        session.execute(delete(SlotBooking))
        session.execute(update(DriveSlot).values(booked=0))
        assert [s.capacity for s in slot_rows] == CAPACITIES
        return [s.id for s in slot_rows], donors


def _check(engine, slot_ids, model):
    with session_scope(engine) as session:
        booked = dict(session.exec(select(DriveSlot.id, DriveSlot.booked)).all())
        active = dict(session.exec(select(SlotBooking.slot_id, func.count()).where(
            SlotBooking.status == BookingStatus.active).group_by(SlotBooking.slot_id)).all())
        held = dict(session.exec(select(SlotBooking.donor_id, SlotBooking.slot_id).where(
            SlotBooking.status == BookingStatus.active)).all())
    for slot_id, capacity in zip(slot_ids, CAPACITIES, strict=True):
        assert booked[slot_id] == active.get(slot_id, 0) <= capacity
    assert held == model


@PROPERTY
@given(operations=st.lists(an_operation, max_size=14))
def test_booked_always_equals_the_active_bookings_and_stays_within_capacity(engine, now, operations):
    slot_ids, donors = _fresh(engine, now)
    model: dict[int, int] = {}  # donor id -> slot id of their active booking
    bookings: dict[int, int] = {}  # donor id -> their active booking's id
    for kind, who, which in operations:
        donor, slot = donors[who], slot_ids[which]
        taken = sum(1 for s in model.values() if s == slot)
        room = taken < CAPACITIES[which]
        expected = {"book": donor not in model and room,
                    "move": donor in model and (model.get(donor) == slot or room),
                    "cancel": donor in model}[kind]
        try:
            with session_scope(engine) as session:
                if kind == "book":
                    bookings[donor] = slots.book(session=session, donor_id=donor, slot_id=slot, now=now).id
                elif kind == "move":
                    slots.move(session=session, booking_id=bookings.get(donor, 10**6), slot_id=slot, now=now)
                else:
                    slots.cancel(session=session, booking_id=bookings.get(donor, 10**6), now=now)
            accepted = True
        except UserError:
            accepted = False
        assert accepted == expected, (kind, who, which)
        if accepted:
            if kind == "cancel":
                del model[donor]
            else:
                model[donor] = slot
        _check(engine, slot_ids, model)
