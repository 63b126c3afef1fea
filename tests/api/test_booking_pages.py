"""The donor's drive page over HTTP (/b/{token}): book, move, cancel, full slots refused, an
ineligible donor kept from booking, expired and unknown links, and one donor's link never
touching another's booking; on SQLite and PostgreSQL."""

import datetime as dt
import warnings

import pytest
from sqlalchemy import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import session_scope
from donor_registry.donations.models import Donation
from donor_registry.portal.models import RecordLink
from donor_registry.slots import links
from donor_registry.slots import service as slots
from donor_registry.slots.models import DriveSlot, SlotBooking
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2026, 6, 5)  # `now` is 10:00 on 1 June 2026 in Vietnam


def _drive(session, now, venue="Nhà văn hóa xã Tân Lập", day=DAY):
    """07:00–11:00 with 4 places: four one-hour slots of one place each."""
    data = DriveCreate(date=day, start_time=dt.time(7), end_time=dt.time(11), venue=venue, capacity=4)
    drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
    return drive, slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)


@pytest.fixture
def site(engine, settings, now):
    with session_scope(engine) as session:
        drive, created = _drive(session, now)
        lan = make.donor(session, now, name="Trần Thị Lan")
        binh = make.donor(session, now, name="Lê Văn Bình")
        tokens = {who: links.drive_link(session=session, donor_id=donor, drive_id=drive.id, now=now, base_url="")
                  .removeprefix("/b/") for who, donor in (("lan", lan), ("binh", binh))}
        slot_ids = {f"{s.start_time:%H:%M}": s.id for s in created}
        drive_id = drive.id
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"client": TestClient(app, follow_redirects=False), "app": app, "engine": engine, "drive_id": drive_id,
            "lan": lan, "binh": binh, "tokens": tokens, "slots": slot_ids}


def _state(engine, drive_id):
    """[(slot start, booked)] and [(donor id, slot start, status)] of the drive."""
    with session_scope(engine) as session:
        starts = {s.id: f"{s.start_time:%H:%M}" for s in session.execute(
            select(DriveSlot).where(DriveSlot.drive_id == drive_id)).scalars()}
        counts = [(f"{s.start_time:%H:%M}", s.booked) for s in session.execute(
            select(DriveSlot).where(DriveSlot.drive_id == drive_id).order_by(DriveSlot.start_time)).scalars()]
        bookings = [(b.donor_id, starts[b.slot_id], b.status.value) for b in session.execute(
            select(SlotBooking).where(SlotBooking.drive_id == drive_id).order_by(SlotBooking.id)).scalars()]
        return counts, bookings


def test_the_donor_books_moves_and_cancels(site):
    client, token, ids = site["client"], site["tokens"]["lan"], site["slots"]
    page = client.get(f"/b/{token}?lang=en")
    assert page.status_code == 200 and "<script" not in page.text
    assert "05/06/2026" in page.text and "07:00–11:00" in page.text and "Nhà văn hóa xã Tân Lập" in page.text
    assert "T. T. Lan" in page.text and "Trần Thị Lan" not in page.text
    assert page.text.count('name="slot_id"') == 4 and "Your booking" not in page.text

    booked = client.post(f"/b/{token}/book?lang=en", data={"slot_id": ids["07:00"]})
    assert booked.status_code == 303 and booked.headers["location"] == f"/b/{token}?lang=en"
    page = client.get(f"/b/{token}?lang=en")
    assert "Your booking" in page.text and "07:00–08:00 on 05/06/2026" in page.text
    assert page.text.count('name="slot_id"') == 3  # the other times, to move to

    assert client.post(f"/b/{token}/move", data={"slot_id": ids["09:00"]}).status_code == 303
    assert _state(site["engine"], site["drive_id"]) == (
        [("07:00", 0), ("08:00", 0), ("09:00", 1), ("10:00", 0)], [(site["lan"], "09:00", "active")])
    assert client.post(f"/b/{token}/cancel").status_code == 303
    assert _state(site["engine"], site["drive_id"]) == (
        [("07:00", 0), ("08:00", 0), ("09:00", 0), ("10:00", 0)], [(site["lan"], "09:00", "cancelled")])
    with session_scope(site["engine"]) as session:
        actions = session.execute(select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.action.like("bookings.%")).order_by(AuditEntry.id)).all()
        link_id = session.execute(select(links.DriveLink.id).where(
            links.DriveLink.donor_id == site["lan"])).scalar()
    assert [tuple(a) for a in actions] == [("bookings.book", f"drive-link:{link_id}"),
                                           ("bookings.move", f"drive-link:{link_id}"),
                                           ("bookings.cancel", f"drive-link:{link_id}")]


def test_a_full_slot_is_refused_in_plain_words_and_nothing_changes(site, now):
    client, ids = site["client"], site["slots"]
    assert client.post(f"/b/{site['tokens']['binh']}/book", data={"slot_id": ids["07:00"]}).status_code == 303
    lan = site["tokens"]["lan"]
    assert f'value="{ids["07:00"]}"' not in client.get(f"/b/{lan}").text  # not offered
    refused = client.post(f"/b/{lan}/book?lang=en", data={"slot_id": ids["07:00"]})
    assert refused.status_code == 409
    assert "This time is full" in refused.text and "Nothing was changed" in refused.text
    assert "Mọi chỗ" in client.post(f"/b/{lan}/book", data={"slot_id": ids["07:00"]}).text  # Vietnamese by default
    assert client.post(f"/b/{lan}/book", data={"slot_id": ids["08:00"]}).status_code == 303
    assert client.post(f"/b/{lan}/move?lang=en", data={"slot_id": ids["07:00"]}).status_code == 409
    assert _state(site["engine"], site["drive_id"]) == (
        [("07:00", 1), ("08:00", 1), ("09:00", 0), ("10:00", 0)],
        [(site["binh"], "07:00", "active"), (site["lan"], "08:00", "active")])


def test_a_donor_who_may_not_give_that_day_sees_why_and_from_when_and_cannot_book(site, now):
    with session_scope(site["engine"]) as session:
        session.add(Donation(donor_id=site["lan"], donated_on=dt.date(2026, 5, 1), created_at=now))
    client, token = site["client"], site["tokens"]["lan"]
    page = client.get(f"/b/{token}?lang=en")
    assert page.status_code == 200
    assert "You cannot give blood on that day" in page.text
    assert "You may give again from 24/07/2026." in page.text  # 84 days after 1 May (whole blood)
    assert 'name="slot_id"' not in page.text
    refused = client.post(f"/b/{token}/book?lang=en", data={"slot_id": site["slots"]["07:00"]})
    assert refused.status_code == 409 and "You cannot book this drive" in refused.text
    assert _state(site["engine"], site["drive_id"])[1] == []


def test_an_expired_or_unknown_link_is_a_404_that_names_nobody(site, now):
    client, token = site["client"], site["tokens"]["lan"]
    last_moment = dt.datetime(2026, 6, 6, 16, 59, tzinfo=dt.UTC)  # 23:59 the day after the drive, in Vietnam
    site["app"].state.clock = lambda: last_moment
    assert client.get(f"/b/{token}").status_code == 200
    site["app"].state.clock = lambda: last_moment + dt.timedelta(minutes=1)
    expired = client.get(f"/b/{token}")
    unknown = client.get("/b/AAAAAAAAAAAAAAAAAAAAAA")
    assert expired.status_code == unknown.status_code == 404
    assert expired.text.replace(token, "AAAAAAAAAAAAAAAAAAAAAA") == unknown.text  # the same page for both
    assert "Liên kết" in expired.text and "Lan" not in expired.text and "Tân Lập" not in expired.text
    assert client.post(f"/b/{token}/book", data={"slot_id": site["slots"]["09:00"]}).status_code == 404
    assert _state(site["engine"], site["drive_id"])[1] == []


def test_one_donors_link_never_touches_another_donors_booking(site, now):
    client, ids = site["client"], site["slots"]
    lan, binh = site["tokens"]["lan"], site["tokens"]["binh"]
    assert client.post(f"/b/{lan}/book", data={"slot_id": ids["07:00"]}).status_code == 303
    assert client.post(f"/b/{binh}/cancel?lang=en").status_code == 409
    assert client.post(f"/b/{binh}/move?lang=en", data={"slot_id": ids["10:00"]}).status_code == 409
    assert "Your booking" not in client.get(f"/b/{binh}?lang=en").text
    with session_scope(site["engine"]) as session:  # a slot of another drive is not offered to this link
        _, (other_slot, *_rest) = _drive(session, now, venue="Trường THPT Đan Phượng")
        other_id = other_slot.id
    refused = client.post(f"/b/{lan}/move?lang=en", data={"slot_id": other_id})
    assert refused.status_code == 409 and "Please choose one of the times" in refused.text
    assert _state(site["engine"], site["drive_id"]) == (
        [("07:00", 1), ("08:00", 0), ("09:00", 0), ("10:00", 0)], [(site["lan"], "07:00", "active")])


def test_a_parallel_booking_of_the_same_donor_is_told_already_booked_not_full(site, monkeypatch):
    """The page's check saw no booking, but a request of the same donor booked first (the
    database's one-active-booking index says so): the donor reads 'already booked'."""
    from donor_registry.slots import journey

    client, token, ids = site["client"], site["tokens"]["lan"], site["slots"]
    assert client.post(f"/b/{token}/book?lang=en", data={"slot_id": ids["07:00"]}).status_code == 303
    monkeypatch.setattr(journey, "_active_booking", lambda *args, **kwargs: None)  # as if not seen yet
    refused = client.post(f"/b/{token}/book?lang=en", data={"slot_id": ids["08:00"]})
    assert refused.status_code == 409 and "You already have a booking" in refused.text
    assert "full" not in refused.text.lower()
    assert _state(site["engine"], site["drive_id"])[1] == [(site["lan"], "07:00", "active")]


def test_the_drive_page_opens_the_donors_own_record_with_a_fresh_short_link(site, now):
    client, engine, token = site["client"], site["engine"], site["tokens"]["lan"]
    opened = client.post(f"/b/{token}/record?lang=en")
    assert opened.status_code == 303
    record_path = opened.headers["location"].split("?")[0]
    assert record_path.startswith("/me/") and record_path != f"/me/{token}"
    record = client.get(record_path + "?lang=en")
    assert record.status_code == 200 and "T. T. Lan" in record.text
    with session_scope(engine) as session:
        link = session.execute(select(RecordLink)).scalar_one()
        assert (link.donor_id, link.via) == (site["lan"], "drive-page")
        assert link.expires_at - link.created_at == dt.timedelta(days=1)
        opened_by = session.execute(select(AuditEntry.actor, AuditEntry.subject_id)
                                    .where(AuditEntry.action == "portal.link_opened")).all()
        assert [(actor.split(":")[0], subject) for actor, subject in opened_by] == [("drive-link", site["lan"])]


def test_an_expired_drive_link_opens_no_record(site, now):
    app, token = site["app"], site["tokens"]["lan"]
    app.state.clock = lambda: now + dt.timedelta(days=30)
    refused = site["client"].post(f"/b/{token}/record")
    assert refused.status_code == 404
    with session_scope(site["engine"]) as session:
        assert session.execute(select(RecordLink)).first() is None
