"""The waiting list on the donor's drive page (/b/{token}/wait, /unwait): offered only when every
time is full, a cancel over the page texts the first waiting donor; on SQLite and PostgreSQL."""

import datetime as dt
import warnings

import pytest
from sqlalchemy import select

from donor_registry.api import create_app
from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import session_scope
from donor_registry.slots import links
from donor_registry.slots import service as slots
from donor_registry.slots.models import SlotWaitlist
from donor_registry.sms.models import OutboxMessage
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2026, 6, 5)  # `now` is 10:00 on 1 June 2026 in Vietnam


@pytest.fixture
def site(engine, settings, now):
    """07:00–09:00, two one-place slots: Bình booked 07:00, An 08:00; Lan and Hoa have links."""
    with session_scope(engine) as session:
        data = DriveCreate(date=DAY, start_time=dt.time(7), end_time=dt.time(9), venue="Nhà văn hóa xã Tân Lập",
                           capacity=2)
        drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
        created = slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)
        donors = {who: make.donor(session, now, name=name) for who, name in (
            ("binh", "Lê Văn Bình"), ("an", "Đỗ Văn An"), ("lan", "Trần Thị Lan"), ("hoa", "Phạm Thị Hoa"))}
        tokens = {who: links.drive_link(session=session, donor_id=donor, drive_id=drive.id, now=now, base_url="")
                  .removeprefix("/b/") for who, donor in donors.items()}
        bookings = {who: slots.book(session=session, donor_id=donors[who], slot_id=slot.id, now=now).id
                    for who, slot in (("binh", created[0]), ("an", created[1]))}
        drive_id, slot_ids = drive.id, [s.id for s in created]
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"client": TestClient(app, follow_redirects=False), "engine": engine, "drive_id": drive_id,
            "donors": donors, "tokens": tokens, "bookings": bookings, "slots": slot_ids}


def _list(engine, drive_id):
    with session_scope(engine) as session:
        return [(e.donor_id, e.status.value) for e in session.execute(
            select(SlotWaitlist).where(SlotWaitlist.drive_id == drive_id).order_by(SlotWaitlist.id)).scalars()]


def test_a_full_drive_offers_the_waiting_list_and_a_cancel_texts_the_first_waiting_donor(site):
    client, tokens, donors = site["client"], site["tokens"], site["donors"]
    page = client.get(f"/b/{tokens['lan']}?lang=en")
    assert "Every time is full" in page.text and f'action="/b/{tokens["lan"]}/wait' in page.text
    assert "whoever books first gets it" in page.text
    assert client.post(f"/b/{tokens['lan']}/wait").status_code == 303
    assert client.post(f"/b/{tokens['lan']}/wait").status_code == 303  # already on it: nothing new
    assert client.post(f"/b/{tokens['hoa']}/wait").status_code == 303
    page = client.get(f"/b/{tokens['lan']}?lang=en")
    assert "You are on the waiting list" in page.text and "Join the waiting list" not in page.text
    assert _list(site["engine"], site["drive_id"]) == [(donors["lan"], "waiting"), (donors["hoa"], "waiting")]

    assert client.post(f"/b/{tokens['binh']}/cancel").status_code == 303
    with session_scope(site["engine"]) as session:
        sent = [(m.donor_id, m.kind) for m in session.execute(select(OutboxMessage)).scalars()]
    assert sent == [(donors["lan"], "waitlist_offer")]
    assert _list(site["engine"], site["drive_id"]) == [(donors["lan"], "offered"), (donors["hoa"], "waiting")]

    # A time is free now: Hoa is told to book it rather than wait; Lan books and leaves the list.
    refused = client.post(f"/b/{tokens['hoa']}/unwait")
    assert refused.status_code == 303
    again = client.post(f"/b/{tokens['hoa']}/wait?lang=en")
    assert again.status_code == 409 and "A time is free" in again.text
    assert client.post(f"/b/{tokens['lan']}/book", data={"slot_id": site["slots"][0]}).status_code == 303
    assert _list(site["engine"], site["drive_id"]) == [(donors["lan"], "booked"), (donors["hoa"], "left")]


def test_leaving_a_list_one_is_not_on_and_waiting_with_a_booking_are_refused(site):
    client, tokens = site["client"], site["tokens"]
    refused = client.post(f"/b/{tokens['lan']}/unwait?lang=en")
    assert refused.status_code == 409 and "Not on the waiting list" in refused.text
    booked = client.post(f"/b/{tokens['binh']}/wait?lang=en")
    assert booked.status_code == 409 and "You already have a booking" in booked.text
    assert "Không có trong danh sách chờ" in client.post(f"/b/{tokens['lan']}/unwait").text  # Vietnamese by default
    assert _list(site["engine"], site["drive_id"]) == []
