"""Check-in codes: their format, unique among a drive's active bookings (drawn so, and the
database's unique index refusing a duplicate), kept by a move, free again after a cancel; and
the check-in itself marking a booking once; on SQLite and PostgreSQL."""

import random
import re

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from donor_registry.slots import check_in, codes
from donor_registry.slots import service as slots
from donor_registry.slots.models import SlotBooking
from tests.service import emergency_support as make
from tests.service.test_slots import drive_with_slots

#: Written out by hand: what is left of A-Z and 0-9 without 0 O Q, 1 I L, 2 Z, 5 S, 8 B, U V.
CODE = re.compile("[ACDEFGHJKMNPRTWXY34679]{6}")


def test_the_alphabet_leaves_out_the_look_alikes():
    assert sorted(codes.ALPHABET) == sorted("ACDEFGHJKMNPRTWXY34679")
    assert not set("0OQ1IL2Z5S8BUV") & set(codes.ALPHABET)


@pytest.mark.parametrize(("typed", "code"), [
    ("ACD349", "ACD349"), (" acd-349 ", "ACD349"), ("acd 349", "ACD349"),
    ("ACD34", None), ("ACD3490", None), ("ACD3O9", None), ("ACD359", None), ("", None), ("ĐCD349", None),
])
def test_a_typed_code_is_read_forgivingly_but_only_from_the_alphabet(typed, code):
    assert codes.normalise(typed) == code


def test_a_drawn_code_is_never_one_already_taken():
    first = codes.draw(rng=random.Random(7))
    again = codes.draw(taken={first}, rng=random.Random(7))  # the same draws: the first is skipped
    assert CODE.fullmatch(first) and CODE.fullmatch(again) and again != first


def test_every_booking_gets_its_own_code_at_booking_time_kept_by_a_move(session, now):
    _, created = drive_with_slots(session, now, capacity=12)  # 4 slots of 3 places
    booked = [slots.book(session=session, donor_id=make.donor(session, now, name=f"Nguyễn Văn {n}"),
                         slot_id=created[n % 4].id, now=now) for n in range(8)]
    given = [b.check_in_code for b in booked]
    assert all(CODE.fullmatch(code) for code in given) and len(set(given)) == 8
    assert all(b.checked_in_at is None for b in booked)
    moved = slots.move(session=session, booking_id=booked[0].id, slot_id=created[3].id, now=now)
    assert moved.check_in_code == given[0]


def test_the_database_refuses_two_active_bookings_of_a_drive_with_one_code(session, now):
    _, created = drive_with_slots(session, now)
    _, other_slots = drive_with_slots(session, now)
    a = slots.book(session=session, donor_id=make.donor(session, now, name="Trần Thị Lan"), slot_id=created[0].id,
                   now=now)
    b = slots.book(session=session, donor_id=make.donor(session, now, name="Lê Văn Bình"), slot_id=created[1].id,
                   now=now)
    c = slots.book(session=session, donor_id=make.donor(session, now, name="Phạm Văn Xa"), slot_id=other_slots[0].id,
                   now=now)
    session.commit()
    ids = (a.id, b.id, c.id)
    session.execute(update(SlotBooking).where(SlotBooking.id == c.id).values(check_in_code=a.check_in_code))
    session.commit()  # the same code at another drive is allowed
    with pytest.raises(IntegrityError):
        session.execute(update(SlotBooking).where(SlotBooking.id == b.id).values(check_in_code=a.check_in_code))
        session.flush()
    session.rollback()
    slots.cancel(session=session, booking_id=a.id, now=now)
    session.execute(update(SlotBooking).where(SlotBooking.id == b.id).values(check_in_code=a.check_in_code))
    session.commit()  # a cancelled booking's code may be given again
    assert len(session.execute(select(SlotBooking.id).where(SlotBooking.id.in_(ids))).all()) == 3


def test_a_booking_is_checked_in_once(session, now):
    drive, created = drive_with_slots(session, now)
    booking = slots.book(session=session, donor_id=make.donor(session, now, name="Trần Thị Lan"),
                         slot_id=created[0].id, now=now)
    done = check_in.check_in(session=session, drive=drive, typed=booking.check_in_code.lower(), now=now,
                             actor="user:coordinator")
    assert done.booking.id == booking.id and done.booking.checked_in_at is not None
    with pytest.raises(check_in.Refused) as refused:
        check_in.check_in(session=session, drive=drive, typed=booking.check_in_code, now=now, actor="user:x")
    assert refused.value.why == "already"
