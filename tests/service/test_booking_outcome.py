"""The outcome of a checked-in booking (slots/outcome.py), the counts of a drive's bookings by slot
and the chapter's show rate and turnout forecast (slots/counts.py, campaigns/turnout.py); every
expected number worked out by hand below; on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate, DriveStatus
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.campaigns.turnout import expected_turnout
from donor_registry.chapters import service as chapters
from donor_registry.chapters.models import Chapter, ChapterKind
from donor_registry.donations.corrections import void_donation
from donor_registry.donations.models import Donation, DonationCreate, Outcome
from donor_registry.donations.service import record_donation
from donor_registry.errors import UserError
from donor_registry.slots import check_in, counts, outcome
from donor_registry.slots import service as slots
from donor_registry.slots.models import SlotBooking
from donor_registry.types import DonationType
from tests.service import emergency_support as make

TODAY = dt.date(2026, 6, 1)  # `now` is 10:00 on 1 June 2026 in Vietnam
EARLIER = dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)  # when the bookings were made
GIVEN = DonationCreate(donated_on=TODAY, type=DonationType.whole_blood, volume_ml=350)
DEFERRED = DonationCreate(donated_on=TODAY, outcome=Outcome.deferred, deferral_reason="huyết áp cao",
                          deferral_until=dt.date(2026, 6, 15))


def _chapter(session, now, province):
    parent = session.exec(select(Chapter.id).where(Chapter.kind == ChapterKind.national)).first() \
        or chapters.create_chapter(session=session, now=now, kind="national").id
    return chapters.create_chapter(session=session, now=now, kind="province", parent_id=parent,
                                   province_code=province).id


def _drive(session, now, day, chapter_id, *, slot_minutes=60, capacity=8):
    data = DriveCreate(date=day, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa xã Tân Lập",
                       capacity=capacity, chapter_id=chapter_id)
    drive = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)[0]
    return drive, slots.create_slots(session=session, drive=drive, slot_minutes=slot_minutes, now=now)


def _book(session, slot, name=None):
    return slots.book(session=session, donor_id=make.donor(session, EARLIER, name=name), slot_id=slot.id,
                      now=EARLIER)


def _in(session, drive, booking, now):
    return check_in.check_in(session=session, drive=drive, typed=booking.check_in_code, now=now, actor="user:a")


def _record(session, drive, booking, now, rules, data=GIVEN, **extra):
    return outcome.record_outcome(session=session, drive=drive, booking_id=booking.id, data=data, rules=rules,
                                  now=now, actor="user:coordinator", **extra)


@pytest.fixture
def today_drive(session, now, rules):
    """Today's drive of 4 one-hour slots (07-11) of 2 places; at 10:00 the first three are over.

    07:00 A checked in and donated, B not checked in (a no-show)
    08:00 C checked in and deferred, D booked then cancelled (not counted)
    09:00 E checked in, no outcome yet
    10:00 F not checked in (the slot is not over: not a no-show yet), G checked in, donated, voided"""
    chapter = _chapter(session, now, "92")
    drive, made = _drive(session, now, TODAY, chapter)
    placed = {"A": 0, "B": 0, "C": 1, "D": 1, "E": 2, "F": 3, "G": 3}
    booked = {name: _book(session, made[slot]) for name, slot in placed.items()}
    slots.cancel(session=session, booking_id=booked["D"].id, now=EARLIER)
    for name in "ACEG":
        _in(session, drive, booked[name], now)
    _record(session, drive, booked["A"], now, rules)
    _record(session, drive, booked["C"], now, rules, data=DEFERRED)
    voided = _record(session, drive, booked["G"], now, rules).donation
    void_donation(session=session, donation_id=voided.id, reason="nhầm", actor="user:a", now=now, rules=rules)
    session.commit()
    return drive, made, booked


def _tallies(found):
    return [(f"{s.start:%H:%M}", s.tally.booked, s.tally.checked_in, s.tally.donated, s.tally.deferred,
             s.tally.no_show) for s in found.slots]


def test_the_counts_by_slot_and_their_totals(session, now, today_drive):
    drive, _made, _booked = today_drive
    found = counts.drive_counts(session=session, drive=drive, now=now)
    assert _tallies(found) == [("07:00", 2, 1, 1, 0, 1), ("08:00", 1, 1, 0, 1, 0), ("09:00", 1, 1, 0, 0, 0),
                               ("10:00", 2, 1, 0, 0, 0)]
    assert found.total == counts.Tally(booked=6, checked_in=4, donated=1, deferred=1, no_show=1)
    after = counts.drive_counts(session=session, drive=drive, now=dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC))
    assert [t[-1] for t in _tallies(after)] == [1, 0, 0, 1]  # at 11:00 F's slot is over too
    before = counts.drive_counts(session=session, drive=drive, now=dt.datetime(2026, 6, 1, 0, 59, tzinfo=dt.UTC))
    assert before.total.no_show == 0  # 07:59: no slot over yet


def test_an_outcome_is_a_donation_of_the_drive_linked_to_the_booking_and_audited(session, now, rules,
                                                                                today_drive):
    drive, _made, booked = today_drive
    _in(session, drive, booked["B"], now)
    done = _record(session, drive, booked["B"], now, rules, data=GIVEN)
    session.commit()
    donation = session.get(Donation, done.donation.id)
    assert (donation.donor_id, donation.drive_id, donation.donated_on, donation.outcome, donation.volume_ml,
            donation.source) == (booked["B"].donor_id, drive.id, TODAY, Outcome.donated, 350, "web")
    assert session.get(SlotBooking, booked["B"].id).donation_id == donation.id
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "booking.outcome",
                                                    AuditEntry.subject_id == booked["B"].id)).all()
    assert [(e.actor, e.detail["donation_id"], e.detail["outcome"]) for e in entries] == [
        ("user:coordinator", donation.id, "donated")]


@pytest.mark.parametrize(("who", "why"), [("A", "already"), ("C", "already"), ("B", "not_checked_in"),
                                          ("D", "cancelled")])
def test_an_outcome_that_cannot_be_recorded_says_why_and_changes_nothing(session, now, rules, today_drive,
                                                                         who, why):
    drive, _made, booked = today_drive
    before = len(session.exec(select(Donation)).all())
    with pytest.raises(outcome.Refused) as refused:
        _record(session, drive, booked[who], now, rules, data=DEFERRED)
    assert refused.value.why == why
    session.commit()
    assert len(session.exec(select(Donation)).all()) == before


def test_another_drives_booking_is_unknown_here(session, now, rules, today_drive):
    drive, _made, booked = today_drive
    other, _slots = _drive(session, now, TODAY, drive.chapter_id)
    with pytest.raises(outcome.Refused) as refused:
        _record(session, other, booked["E"], now, rules)
    assert refused.value.why == "unknown"


def test_the_records_checks_refuse_a_donation_too_soon_unless_overridden(session, now, rules, today_drive):
    drive, _made, booked = today_drive
    record_donation(session=session, donor_id=booked["E"].donor_id, rules=rules, now=now,
                    data=DonationCreate(donated_on=dt.date(2026, 5, 1)))  # 31 days before: 84 are needed
    verdict = outcome.check_outcome(session=session, drive=drive, booking_id=booked["E"].id, data=GIVEN, rules=rules)
    assert [v.code for v in verdict.violations] == ["interval"] and verdict.allowed_from == dt.date(2026, 7, 24)
    with pytest.raises(UserError):
        _record(session, drive, booked["E"], now, rules)
    assert session.get(SlotBooking, booked["E"].id).donation_id is None
    done = _record(session, drive, booked["E"], now, rules, override="bác sĩ đồng ý")
    assert done.donation.violations and done.donation.override_reason == "bác sĩ đồng ý"
    # a deferral passes the checks whatever the interval
    _in(session, drive, booked["F"], now)
    record_donation(session=session, donor_id=booked["F"].donor_id, rules=rules, now=now,
                    data=DonationCreate(donated_on=dt.date(2026, 5, 1)))
    judge = lambda data: outcome.check_outcome(session=session, drive=drive, booking_id=booked["F"].id,
                                               data=data, rules=rules).violations
    assert judge(GIVEN) and not judge(DEFERRED)


def test_a_voided_outcome_shows_as_voided_and_may_be_recorded_again(session, now, rules, today_drive):
    drive, _made, booked = today_drive
    rows = {row.booking_id: row.outcome for row in outcome.checked_in(session=session, drive_id=drive.id)}
    assert rows == {booked["A"].id: "donated", booked["C"].id: "deferred", booked["E"].id: None,
                    booked["G"].id: "voided"}
    old = session.get(SlotBooking, booked["G"].id).donation_id
    again = _record(session, drive, booked["G"], now, rules, data=DEFERRED)
    assert again.replaced == old and session.get(SlotBooking, booked["G"].id).donation_id == again.donation.id
    assert counts.drive_counts(session=session, drive=drive, now=now).total.deferred == 2


def test_a_stale_read_cannot_record_a_second_outcome(session, now, rules, today_drive, monkeypatch):
    """Two phones: both read the booking as open; the one that links second is refused, its donation undone."""
    drive, _made, booked = today_drive
    stale = session.get(SlotBooking, booked["A"].id)
    monkeypatch.setattr(outcome, "open_booking", lambda **_kw: (stale, None))
    before = len(session.exec(select(Donation)).all())
    with pytest.raises(outcome.Refused) as refused:
        _record(session, drive, booked["A"], now, rules, data=DEFERRED)
    assert refused.value.why == "already"
    session.commit()
    assert len(session.exec(select(Donation)).all()) == before


def test_the_database_links_a_donation_to_one_booking_only(session, now, today_drive):
    _drive, _made, booked = today_drive
    taken = session.get(SlotBooking, booked["A"].id).donation_id
    with pytest.raises(IntegrityError):
        session.execute(update(SlotBooking).where(SlotBooking.id == booked["E"].id).values(donation_id=taken))
        session.flush()
    session.rollback()


@pytest.fixture
def history(session, now, rules):
    """The chapter's finished drives with bookings, and others that do not count:

    10/05 4 booked, 3 checked in; 2 walk-ins (donations without a booking) and a booked donor's donation
    20/04 6 booked (and 1 cancelled), 3 checked in; 1 walk-in
    15/04 cancelled, 2 booked: not counted; another chapter's drive of 03/05: not counted
    10/06 (to come): 5 booked, the drive forecast"""
    chapter = _chapter(session, now, "92")
    other = _chapter(session, now, "15")
    made = {}
    for key, day, chapter_id, booked, checked in (("may", dt.date(2026, 5, 10), chapter, 4, 3),
                                                   ("april", dt.date(2026, 4, 20), chapter, 6, 3),
                                                   ("cancelled", dt.date(2026, 4, 15), chapter, 2, 2),
                                                   ("elsewhere", dt.date(2026, 5, 3), other, 3, 0),
                                                   ("coming", dt.date(2026, 6, 10), chapter, 5, 0)):
        drive, (slot,) = _drive(session, EARLIER, day, chapter_id, slot_minutes=240)
        bookings = [_book(session, slot) for _ in range(booked)]
        for booking in bookings[:checked]:
            _in(session, drive, booking, now)
        made[key] = (drive, bookings)
    april_slot = slots.list_slots(session=session, drive_id=made["april"][0].id)[0]
    slots.cancel(session=session, booking_id=_book(session, april_slot).id, now=EARLIER)
    give = lambda donor, drive: record_donation(session=session, donor_id=donor, rules=rules, now=now,
                                                data=DonationCreate(donated_on=drive.date, drive_id=drive.id))
    may, april = made["may"][0], made["april"][0]
    give(make.donor(session, now), may)
    give(make.donor(session, now), may)
    give(made["may"][1][0].donor_id, may)  # booked: not a walk-in
    give(make.donor(session, now), april)
    made["cancelled"][0].status = DriveStatus.cancelled
    session.add(made["cancelled"][0])
    session.commit()
    return chapter, made


def test_the_show_rate_of_past_drives_by_drive_and_by_month(session, history):
    chapter, _made = history
    past = counts.past_drives(session=session, chapter_id=chapter, before=TODAY)
    assert [(d.date, d.booked, d.checked_in, d.walk_ins) for d in past.drives] == [
        (dt.date(2026, 5, 10), 4, 3, 2), (dt.date(2026, 4, 20), 6, 3, 1)]
    assert past.show_rate == 0.6 and past.walk_ins_per_drive == 1.5
    assert [(m.month, m.drives, m.booked, m.checked_in, m.show_rate) for m in counts.by_month(past)] == [
        (dt.date(2026, 5, 1), 1, 4, 3, 0.75), (dt.date(2026, 4, 1), 1, 6, 3, 0.5)]
    assert counts.past_drives(session=session, chapter_id=chapter, before=dt.date(2026, 5, 10)).show_rate == 0.5


def test_the_expected_turnout_of_a_drive_with_bookings(session, rules, history):
    _chapter_id, made = history
    coming = made["coming"][0]
    turnout = expected_turnout(session=session, drive=coming, rules=rules, today=TODAY)
    # 5 booked × 0.6 = 3, + 1.5 walk-ins a drive rounded half up = 2
    assert (turnout.booked, turnout.show_rate, turnout.expected_walk_ins, turnout.total) == (5, 0.6, 2, 5)
    assert turnout.forecast.from_history == 2


def test_without_history_the_default_show_rate_and_no_walk_ins(session, now, rules):
    drive, (slot,) = _drive(session, EARLIER, dt.date(2026, 6, 10), _chapter(session, now, "92"), slot_minutes=240)
    for _ in range(7):
        _book(session, slot)
    turnout = expected_turnout(session=session, drive=drive, rules=rules, today=TODAY)
    # 7 × 0.8 = 5.6 → 6
    assert (turnout.booked, turnout.show_rate, turnout.expected_walk_ins, turnout.total) == (7, 0.8, 0, 6)
    assert turnout.forecast.from_history == 0


def test_a_drive_without_bookings_keeps_the_donors_who_may_give(session, now, rules):
    drive, _slots = _drive(session, now, dt.date(2026, 6, 10), None)
    turnout = expected_turnout(session=session, drive=drive, rules=rules, today=TODAY)
    assert turnout.forecast is None and turnout.booked is None and turnout.total == turnout.eligible


def _recorded_with_drive(session, now, rules, drive, booking, day=TODAY, override=None):
    donation = record_donation(session=session, donor_id=booking.donor_id, rules=rules, now=now, actor="cli:a",
                               override=override,
                               data=GIVEN.model_copy(update={"drive_id": drive.id, "donated_on": day}))
    return donation, outcome.link_recorded(session=session, donation=donation, now=now, actor="cli:a")


def test_a_donation_recorded_with_its_drive_is_the_checked_in_bookings_outcome(session, now, rules, today_drive):
    drive, _made, booked = today_drive
    donation, booking = _recorded_with_drive(session, now, rules, drive, booked["E"])
    session.commit()
    assert booking.id == booked["E"].id and session.get(SlotBooking, booked["E"].id).donation_id == donation.id
    assert counts.drive_counts(session=session, drive=drive, now=now).total.donated == 2  # A and now E
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "booking.outcome",
                                                  AuditEntry.subject_id == booked["E"].id)).one()
    assert (entry.actor, entry.detail["donation_id"], entry.detail["via"]) == ("cli:a", donation.id, "cli")


def test_a_voided_outcome_is_replaced_by_a_donation_recorded_with_its_drive(session, now, rules, today_drive):
    drive, _made, booked = today_drive
    voided = session.get(SlotBooking, booked["G"].id).donation_id
    donation, booking = _recorded_with_drive(session, now, rules, drive, booked["G"])
    session.commit()
    assert booking is not None and session.get(SlotBooking, booked["G"].id).donation_id == donation.id != voided


@pytest.mark.parametrize("who", ["B", "D"])  # not checked in; cancelled
def test_a_booking_not_checked_in_or_cancelled_is_left_alone(session, now, rules, today_drive, who):
    drive, _made, booked = today_drive
    _donation, booking = _recorded_with_drive(session, now, rules, drive, booked[who])
    session.commit()
    assert booking is None and session.get(SlotBooking, booked[who].id).donation_id is None


def test_a_booking_with_an_outcome_or_a_donation_of_another_day_is_left_alone(session, now, rules, today_drive):
    drive, _made, booked = today_drive
    first = session.get(SlotBooking, booked["A"].id).donation_id
    _donation, booking = _recorded_with_drive(session, now, rules, drive, booked["A"], override="nhập hai lần")
    assert booking is None and session.get(SlotBooking, booked["A"].id).donation_id == first
    _donation, booking = _recorded_with_drive(session, now, rules, drive, booked["E"], day=TODAY - dt.timedelta(days=1))
    assert booking is None and session.get(SlotBooking, booked["E"].id).donation_id is None
