"""Personal drive links (slots/links.py) and the texts that carry them: the invitation's {link}
for a drive with slots, and the day-before reminder naming the booked time; on both engines."""

import datetime as dt
import hashlib

import pytest
from sqlmodel import select

from donor_registry.campaigns.models import Drive
from donor_registry.config import Settings
from donor_registry.errors import NotFound
from donor_registry.portal.service import upcoming_bookings
from donor_registry.slots import links
from donor_registry.slots import service as slots
from donor_registry.slots.models import DriveLink
from donor_registry.slots.rules import link_expires_at
from donor_registry.sms.models import OutboxMessage
from donor_registry.sms.outbox import enqueue
from donor_registry.sms.preview import preview
from donor_registry.sms.reminders import plan_reminders
from donor_registry.sms.settings import DEFAULT_TEMPLATES
from tests.support.sms import make_donor

TODAY = dt.date(2026, 6, 1)  # `now` is 10:00 in Vietnam on this day
BASE = "https://hienmau.example.vn"
TZ = "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(("drive_day", "moment", "usable"), [
    (dt.date(2026, 6, 5), dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC), True),  # days before
    (dt.date(2026, 6, 5), dt.datetime(2026, 6, 5, 4, 0, tzinfo=dt.UTC), True),  # the drive's day
    (dt.date(2026, 6, 5), dt.datetime(2026, 6, 6, 16, 59, tzinfo=dt.UTC), True),  # 23:59 the day after
    (dt.date(2026, 6, 5), dt.datetime(2026, 6, 6, 17, 0, tzinfo=dt.UTC), False),  # 00:00 two days after
    (dt.date(2026, 12, 31), dt.datetime(2027, 1, 1, 16, 59, tzinfo=dt.UTC), True),  # over the year's end
    (dt.date(2026, 12, 31), dt.datetime(2027, 1, 1, 17, 0, tzinfo=dt.UTC), False),
])
def test_a_link_works_until_the_end_of_the_day_after_the_drive(drive_day, moment, usable):
    assert (moment < link_expires_at(drive_day, TZ)) is usable


def make_drive(session, now, *, days_ahead=3, capacity=None, slot_minutes=None) -> Drive:
    drive = Drive(date=TODAY + dt.timedelta(days=days_ahead), start_time=dt.time(7, 30), end_time=dt.time(11, 30),
                  venue="Nhà văn hóa phường", venue_key="nha van hoa phuong", commune="Bến Nghé",
                  commune_key="ben nghe", district="Quận 1", district_key="quan 1", capacity=capacity,
                  created_at=now, updated_at=now)
    session.add(drive)
    session.flush()
    if slot_minutes:
        slots.create_slots(session=session, drive=drive, slot_minutes=slot_minutes, now=now)
    return drive


def _token(url: str) -> str:
    assert url.startswith(f"{BASE}/b/")
    return url.removeprefix(f"{BASE}/b/")


def test_a_drive_link_keeps_only_its_hash_and_every_link_opens_the_same_journey(session, now):
    donor = make_donor(session, now, 1)
    drive = make_drive(session, now, capacity=4, slot_minutes=60)
    first = _token(links.drive_link(session=session, donor_id=donor.id, drive_id=drive.id, now=now, base_url=BASE))
    second = _token(links.drive_link(session=session, donor_id=donor.id, drive_id=drive.id, now=now,
                                     base_url=BASE + "/"))
    assert first != second and len(first) == 22
    rows = session.exec(select(DriveLink).order_by(DriveLink.id)).all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(t.encode()).hexdigest() for t in (first, second)]
    assert not any(first in str(value) for row in rows for value in row.model_dump().values())
    for token in (first, second):
        _link, who, where = links.open_link(session=session, token=token, now=now)
        assert (who.id, where.id) == (donor.id, drive.id)
    with pytest.raises(links.LinkProblem):
        links.open_link(session=session, token=first, now=dt.datetime(2026, 6, 5, 17, 0, tzinfo=dt.UTC))
    with pytest.raises(NotFound):
        links.drive_link(session=session, donor_id=donor.id, drive_id=999, now=now, base_url=BASE)


def _outbox(session, kind):
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def test_an_invitation_carries_a_personal_link_only_for_a_drive_with_slots(session, now):
    donor = make_donor(session, now, 1)
    with_slots = make_drive(session, now, days_ahead=3, capacity=4, slot_minutes=60)
    make_drive(session, now, days_ahead=4)  # walk-ins only: no slots
    settings = Settings(sms={"public_base_url": BASE, "weekly_cap_per_donor": 5})  # the shipped texts
    assert plan_reminders(session=session, settings=settings, now=now).planned["invitation"] == 2
    booked_text, walk_in_text = (m.body for m in _outbox(session, "invitation"))
    head = "Hoi Chu thap do moi ban So1 hien mau ngay 04/06/2026 tai Nha van hoa phuong. Chon gio: "
    tail = " Khong nhan tin: soan TU CHOI"
    assert booked_text.startswith(head) and booked_text.endswith(tail)
    token = _token(booked_text.removeprefix(head).removesuffix(tail))
    _, who, where = links.open_link(session=session, token=token, now=now)
    assert (who.id, where.id) == (donor.id, with_slots.id)
    assert walk_in_text == ("Hoi Chu thap do moi ban So1 hien mau ngay 05/06/2026 luc 07:30 tai Nha van hoa phuong. "
                            "Cam on ban! Khong nhan tin: soan TU CHOI")
    assert session.exec(select(DriveLink.drive_id)).all() == [with_slots.id]


def test_without_the_texts_with_a_link_an_invitation_has_none_and_mints_none(session, now):
    make_donor(session, now, 1)
    make_drive(session, now, capacity=4, slot_minutes=60)
    plain = {kind: text for kind, text in DEFAULT_TEMPLATES.items() if not kind.endswith("_with_link")}
    plan_reminders(session=session, settings=Settings(sms={"templates": plain}), now=now)
    [message] = _outbox(session, "invitation")
    assert "/b/" not in message.body
    assert session.exec(select(DriveLink)).all() == []


def test_the_day_before_reminder_names_the_booked_time(session, now):
    invited, booked, booked_not_invited = (make_donor(session, now, n) for n in (1, 2, 3))
    drive = make_drive(session, now, days_ahead=1, capacity=4, slot_minutes=60)  # 07:30 08:30 09:30 10:30
    for donor in (invited, booked):
        enqueue(session=session, now=now - dt.timedelta(days=3), donor_id=donor.id, to=donor.phone_e164,
                kind="invitation", body="moi", idempotency_key=f"invitation:drive:{drive.id}:donor:{donor.id}")
    nine_thirty, ten_thirty = slots.list_slots(session=session, drive_id=drive.id)[2:]
    slots.book(session=session, donor_id=booked.id, slot_id=nine_thirty.id, now=now)
    slots.book(session=session, donor_id=booked_not_invited.id, slot_id=ten_thirty.id, now=now)
    plain = {kind: text for kind, text in DEFAULT_TEMPLATES.items() if not kind.endswith("_with_link")}
    settings = Settings(sms={"reminders": {"invitation_days_before": 1}, "templates": plain})
    plan_reminders(session=session, settings=settings, now=now)
    texts = {m.donor_id: m.body for m in _outbox(session, "reminder")}
    assert texts == {
        invited.id: "Hoi Chu thap do nhac ban So1: ngay mai 02/06/2026 luc 07:30 hien mau tai Nha van hoa phuong. "
                    "Hen gap ban!",
        booked.id: "Hoi Chu thap do nhac ban So2: ngay mai 02/06/2026 luc 09:30 hien mau tai Nha van hoa phuong. "
                   "Hen gap ban!",
        booked_not_invited.id: "Hoi Chu thap do nhac ban So3: ngay mai 02/06/2026 luc 10:30 hien mau tai "
                               "Nha van hoa phuong. Hen gap ban!",
    }
    assert [(d.id, f"{s.start_time:%H:%M}") for d, s in upcoming_bookings(
        session=session, donor_id=booked.id, now=now)] == [(drive.id, "09:30")]


def test_a_preview_measures_the_link_at_its_real_length(session, now):
    make_donor(session, now, 1)
    drive = make_drive(session, now, capacity=4, slot_minutes=60)
    template = "{to_chuc} mời bạn {ten} hiến máu ngày {ngay} tại {dia_diem}. Chọn giờ: {link}"
    settings = Settings(sms={"public_base_url": BASE,
                             "templates": {**DEFAULT_TEMPLATES, "invitation_with_link": template}})
    shown = preview(session=session, settings=settings, now=now, kind="invitation", drive_id=drive.id)
    assert shown.text == ("Hoi Chu thap do moi ban So1 hien mau ngay 04/06/2026 tai Nha van hoa phuong. "
                          f"Chon gio: {BASE}/b/{'x' * 22}")
    assert (shown.characters, shown.segments) == (138, 1)
    assert session.exec(select(DriveLink)).all() == []  # a preview mints nothing


def test_the_day_before_reminder_of_a_booked_donor_carries_the_link_to_move_or_cancel(session, now):
    booked = make_donor(session, now, 1)
    drive = make_drive(session, now, days_ahead=1, capacity=4, slot_minutes=60)  # 07:30 08:30 09:30 10:30
    slots.book(session=session, donor_id=booked.id, slot_id=slots.list_slots(session=session, drive_id=drive.id)[2].id,
               now=now)
    settings = Settings(sms={"public_base_url": BASE, "reminders": {"invitation_days_before": 1}})
    plan_reminders(session=session, settings=settings, now=now)
    [text] = [m.body for m in _outbox(session, "reminder")]
    head = "Hoi Chu thap do nhac ban So1: ngay mai 02/06/2026 luc 09:30 hien mau tai Nha van hoa phuong. Doi, huy: "
    assert text.startswith(head)
    _, who, where = links.open_link(session=session, token=_token(text.removeprefix(head)), now=now)
    assert (who.id, where.id) == (booked.id, drive.id)
