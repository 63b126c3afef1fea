"""A full drive's waiting list: join and leave, a freed place offered by SMS to the first waiting
donor exactly once, booking takes a donor off the list; on SQLite and PostgreSQL."""

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import is_sqlite, session_scope
from donor_registry.donors.duplicates import merge_donors
from donor_registry.donors.models import Donor
from donor_registry.i18n import use_language
from donor_registry.slots import links, waitlist
from donor_registry.slots import service as slots
from donor_registry.slots.models import SlotWaitlist, WaitStatus
from donor_registry.sms.models import OutboxMessage
from tests.service import emergency_support as make
from tests.service.test_slots import drive_with_slots

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2026, 6, 5)  # `now` is 10:00 on 1 June 2026 in Vietnam
MINUTE = dt.timedelta(minutes=1)
# The default template, its diacritics stripped (sms.strip_diacritics), for Phạm Thị Hoa offered 07:00.
HOA_TEXT = re.compile(
    r"Hoi Chu thap do: ban Hoa oi, dot hien mau ngay 05/06/2026 tai Nha van hoa xa Tan Lap vua co cho trong "
    r"luc 07:00\. Cho khong duoc giu, ai dat truoc duoc truoc: /b/(?P<token>[A-Za-z0-9_-]{20,})")


@pytest.fixture
def full(session, now):
    return full_drive(session, now)


def full_drive(session, now):
    """07:00–10:00, three one-place slots, all booked (by Anh, Bảo, Chi)."""
    data = DriveCreate(date=DAY, start_time=dt.time(7), end_time=dt.time(10), venue="Nhà văn hóa xã Tân Lập",
                       capacity=3)
    drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
    created = slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)
    booked = {}
    for name, slot in zip(("Anh", "Bảo", "Chi"), created):
        donor = make.donor(session, now, name=f"Nguyễn Văn {name}")
        booked[name] = slots.book(session=session, donor_id=donor, slot_id=slot.id, now=now)
    session.commit()
    return drive, created, booked


def _join(session, now, drive, names):
    """Donors joining the list one minute apart, in this order: {name: donor id}."""
    ids = {}
    for i, name in enumerate(names):
        ids[name] = make.donor(session, now, name=name)
        waitlist.join(session=session, donor_id=ids[name], drive_id=drive.id, now=now + i * MINUTE, actor="test")
    session.commit()
    return ids


def _list(session, drive):
    session.expire_all()
    return [(e.donor_id, e.status) for e in session.exec(
        select(SlotWaitlist).where(SlotWaitlist.drive_id == drive.id).order_by(SlotWaitlist.id))]


def _offers(session):
    return [(m.donor_id, m.kind, m.idempotency_key) for m in session.exec(select(OutboxMessage).order_by(
        OutboxMessage.id))]


def test_joining_twice_keeps_one_entry_and_its_place_and_leaving_takes_the_donor_off(session, now, full):
    drive, _, _ = full
    ids = _join(session, now, drive, ["Phạm Thị Hoa"])
    again = waitlist.join(session=session, donor_id=ids["Phạm Thị Hoa"], drive_id=drive.id, now=now + 9 * MINUTE,
                          actor="test")
    assert again.joined_at == now
    assert _list(session, drive) == [(ids["Phạm Thị Hoa"], WaitStatus.waiting)]
    assert waitlist.leave(session=session, donor_id=ids["Phạm Thị Hoa"], drive_id=drive.id, now=now, actor="test")
    assert not waitlist.leave(session=session, donor_id=ids["Phạm Thị Hoa"], drive_id=drive.id, now=now, actor="test")
    assert _list(session, drive) == [(ids["Phạm Thị Hoa"], WaitStatus.left)]
    rejoined = waitlist.join(session=session, donor_id=ids["Phạm Thị Hoa"], drive_id=drive.id, now=now, actor="test")
    assert rejoined.status == WaitStatus.waiting and len(_list(session, drive)) == 2


def test_the_database_keeps_one_entry_on_the_list_per_donor_and_drive(session, now, full):
    drive, _, _ = full
    ids = _join(session, now, drive, ["Phạm Thị Hoa"])
    session.add(SlotWaitlist(drive_id=drive.id, donor_id=ids["Phạm Thị Hoa"], joined_at=now,
                             status=WaitStatus.offered))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_cancel_offers_the_place_to_the_first_waiting_donor_once_and_the_next_cancel_to_the_next(
        session, now, settings, full):
    drive, created, booked = full
    ids = _join(session, now, drive, ["Phạm Thị Hoa", "Lê Văn Bình", "Trần Thị Lan"])
    slots.cancel(session=session, booking_id=booked["Anh"].id, now=now, settings=settings)
    session.commit()
    hoa, binh, lan = ids["Phạm Thị Hoa"], ids["Lê Văn Bình"], ids["Trần Thị Lan"]
    assert _list(session, drive) == [(hoa, WaitStatus.offered), (binh, WaitStatus.waiting),
                                     (lan, WaitStatus.waiting)]
    assert _offers(session) == [(hoa, "waitlist_offer", f"waitlist_offer:drive:{drive.id}:donor:{hoa}")]
    message = session.exec(select(OutboxMessage)).one()
    text = HOA_TEXT.fullmatch(message.body)
    assert text, message.body
    _link, donor, linked_drive = links.open_link(session=session, token=text["token"], now=now)
    assert (donor.id, linked_drive.id) == (hoa, drive.id)

    # The place is not held: Anh books it again, then cancels again; Hoa is not offered twice.
    again = slots.book(session=session, donor_id=booked["Anh"].donor_id, slot_id=created[0].id, now=now)
    slots.cancel(session=session, booking_id=again.id, now=now, settings=settings)
    session.commit()
    assert [donor for donor, _kind, _key in _offers(session)] == [hoa, binh]
    assert _list(session, drive) == [(hoa, WaitStatus.offered), (binh, WaitStatus.offered),
                                     (lan, WaitStatus.waiting)]


def test_a_move_away_from_a_slot_offers_the_place_it_left(session, now, settings, full):
    drive, created, booked = full
    ids = _join(session, now, drive, ["Phạm Thị Hoa", "Lê Văn Bình"])
    slots.cancel(session=session, booking_id=booked["Anh"].id, now=now, settings=settings)  # 07:00 to Hoa
    slots.move(session=session, booking_id=booked["Bảo"].id, slot_id=created[0].id, now=now, settings=settings)
    session.commit()
    offered = session.exec(select(OutboxMessage).where(OutboxMessage.donor_id == ids["Lê Văn Bình"])).one()
    assert "luc 08:00." in offered.body  # the place Bảo left


def test_a_donor_who_books_leaves_the_list(session, now, settings, full):
    drive, created, booked = full
    ids = _join(session, now, drive, ["Phạm Thị Hoa", "Lê Văn Bình"])
    slots.cancel(session=session, booking_id=booked["Chi"].id, now=now, settings=settings)
    slots.book(session=session, donor_id=ids["Phạm Thị Hoa"], slot_id=created[2].id, now=now)
    session.commit()
    assert _list(session, drive) == [(ids["Phạm Thị Hoa"], WaitStatus.booked), (ids["Lê Văn Bình"], WaitStatus.waiting)]
    assert waitlist.entry_of(session=session, donor_id=ids["Phạm Thị Hoa"], drive_id=drive.id) is None


def test_no_offer_to_a_donor_who_may_not_be_texted_nor_for_a_slot_begun_nor_without_settings(
        session, now, settings, full):
    drive, created, booked = full
    ids = _join(session, now, drive, ["Phạm Thị Hoa", "Lê Văn Bình"])
    donor = session.get(Donor, ids["Phạm Thị Hoa"])
    donor.sms_opted_out_at = now
    session.add(donor)
    slots.cancel(session=session, booking_id=booked["Anh"].id, now=now)  # no settings: no offer
    assert _offers(session) == []
    at_seven = dt.datetime(2026, 6, 5, 0, 0, tzinfo=dt.UTC)  # 07:00 in Vietnam: the slot has begun
    assert waitlist.offer_freed_place(session=session, settings=settings, slot_id=created[0].id, now=at_seven,
                                      actor="test") is None
    entry = waitlist.offer_freed_place(session=session, settings=settings, slot_id=created[0].id, now=now,
                                       actor="test")
    assert entry.donor_id == ids["Lê Văn Bình"]  # Hoa opted out: skipped, still waiting
    assert _list(session, drive) == [(ids["Phạm Thị Hoa"], WaitStatus.waiting),
                                     (ids["Lê Văn Bình"], WaitStatus.offered)]
    assert waitlist.offer_freed_place(session=session, settings=settings, slot_id=created[0].id, now=now,
                                      actor="test") is None


def test_merging_two_waiting_records_keeps_one_entry(session, now, rules, full):
    drive, _, _ = full
    ids = _join(session, now, drive, ["Phạm Thị Hoa", "Phạm T. Hoa"])
    merge_donors(session=session, keep_id=ids["Phạm Thị Hoa"], duplicate_id=ids["Phạm T. Hoa"], rules=rules,
                 now=now, command="test")
    session.commit()
    assert _list(session, drive) == [(ids["Phạm Thị Hoa"], WaitStatus.waiting),
                                     (ids["Phạm Thị Hoa"], WaitStatus.left)]


def test_parallel_cancels_offer_their_places_to_as_many_different_donors(engine, now, settings):
    """On PostgreSQL, 10 cancels at once (each in its own session) text the 10 waiting donors once each."""
    if is_sqlite(engine):
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE)")
    with session_scope(engine) as session:
        drive, created = drive_with_slots(session, now, capacity=10, end=dt.time(8))
        bookings = [slots.book(session=session, donor_id=make.donor(session, now), slot_id=created[0].id,
                               now=now).id for _ in range(10)]
        waiting = list(_join(session, now, drive, [f"Vũ Thị Mai{i}" for i in range(10)]).values())
    parallel = create_engine(engine.url, pool_size=10, max_overflow=0)
    start, failed = threading.Barrier(10), []

    def cancel(booking_id: int) -> None:
        start.wait()
        try:
            with use_language("en"), session_scope(parallel) as session:
                slots.cancel(session=session, booking_id=booking_id, now=now, settings=settings)
        except Exception as exc:  # noqa: BLE001 - any failure fails the test below
            failed.append(repr(exc))

    threads = [threading.Thread(target=cancel, args=(b,)) for b in bookings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    parallel.dispose()
    assert failed == []
    with session_scope(engine) as session:
        texted = [m.donor_id for m in session.exec(select(OutboxMessage))]
        assert sorted(texted) == sorted(waiting)
        assert _list(session, drive) == [(donor, WaitStatus.offered) for donor in waiting]
