"""Check-in at a drive: the donor's drive page shows the booking's code and its QR code; a
coordinator types the code on the workspace's drive page and the donor is checked in once, with
the way to the donor's record; unknown, cancelled, other drives' and already used codes change
nothing and say so in Vietnamese; on SQLite and PostgreSQL."""

import datetime as dt
import re

import pytest
import segno
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.slots import links
from donor_registry.slots import service as slots
from donor_registry.slots.models import SlotBooking
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make

DAY = dt.date(2026, 6, 5)  # `now` is 10:00 on 1 June 2026 in Vietnam


def _drive(session, now, settings, chapter_id, venue):
    data = DriveCreate(date=DAY, start_time=dt.time(7), end_time=dt.time(11), venue=venue, capacity=4,
                       chapter_id=chapter_id)
    drive = add_drive(session=session, settings=settings.campaigns, data=data, now=now, actor="test")[0]
    return drive.id, slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="92")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        drive, here = _drive(session, now, settings, home, "Nhà văn hóa phường Sóc Trăng")
        elsewhere, there = _drive(session, now, settings, other, "Sân vận động Lào Cai")
        donors, bookings = {}, {}
        for name, chapter, slot in (("Trần Thị Lan", home, here[0]), ("Lê Văn Bình", home, here[1]),
                                    ("Phạm Văn Xa", other, here[2]), ("Đỗ Thị Hoa", other, there[0])):
            donors[name] = make.donor(session, now, name=name)
            session.get(Donor, donors[name]).chapter_id = chapter
            bookings[name] = slots.book(session=session, donor_id=donors[name], slot_id=slot.id, now=now).id
        slots.cancel(session=session, booking_id=bookings["Lê Văn Bình"], now=now)
        token = links.drive_link(session=session, donor_id=donors["Trần Thị Lan"], drive_id=drive, now=now,
                                 base_url="").removeprefix("/b/")
        codes = {name: session.get(SlotBooking, booking).check_in_code for name, booking in bookings.items()}
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "drive": drive,
            "elsewhere": elsewhere, "donors": donors, "bookings": bookings, "codes": codes, "token": token}


def _checked_in(world) -> dict[str, bool]:
    with session_scope(world["engine"]) as session:
        return {name: session.get(SlotBooking, booking).checked_in_at is not None
                for name, booking in world["bookings"].items()}


def _audit(world):
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == "booking.check_in").order_by(AuditEntry.id))]


def test_the_donors_drive_page_shows_the_code_large_and_its_qr_code_inline(world):
    client = signed_in(world, "viewer")[0]  # any client: the drive page needs no session
    code = world["codes"]["Trần Thị Lan"]
    page = client.get(f"/b/{world['token']}?lang=vi")
    assert page.status_code == 200 and "<script" not in page.text and "<img" not in page.text
    assert "Mã của bạn khi đến buổi hiến máu" in page.text
    assert re.search(rf'id="check-in-code"[^>]*>{code}</p>', page.text)
    qr = page.text[page.text.index('id="check-in-qr"'):]
    drawn = re.search(r'<svg [^>]*class="segno".*?</svg>', qr, re.DOTALL).group(0)
    # segno, asked here on its own, draws exactly this code: the same modules, path for path
    expected_path = re.search(r' d="([^"]+)"', segno.make_qr(code, error="m").svg_inline(scale=8)).group(1)
    assert re.search(r' d="([^"]+)"', drawn).group(1) == expected_path
    other = "ACDEFG" if code != "ACDEFG" else "HJKMNP"
    assert re.search(r' d="([^"]+)"', segno.make_qr(other, error="m").svg_inline(scale=8)).group(1) != expected_path
    # a full QR code of version 1 (21 modules and a border of 4, 8 px each), not a Micro QR (11-17 modules)
    assert 'width="232" height="232"' in drawn


def test_a_coordinator_checks_a_donor_in_by_the_code_once(world):
    client, csrf = signed_in(world, "coordinator")
    drive = world["drive"]
    form = client.get(f"/drives/{drive}").text
    assert f'action="/drives/{drive}/check-in"' in form
    code = world["codes"]["Trần Thị Lan"]
    typed = f" {code[:3].lower()}-{code[3:]} "  # read out, typed in lower case with a dash
    done = client.post(f"/drives/{drive}/check-in", data={"code": typed, "csrftoken": csrf})
    assert done.status_code == 200
    assert "Trần Thị Lan" in done.text and "07:00–08:00" in done.text
    assert f'href="/donors/{world["donors"]["Trần Thị Lan"]}"' in done.text
    assert _checked_in(world) == {"Trần Thị Lan": True, "Lê Văn Bình": False, "Phạm Văn Xa": False,
                                  "Đỗ Thị Hoa": False}
    assert _audit(world) == [("user:coordinator", world["bookings"]["Trần Thị Lan"])]

    again = client.post(f"/drives/{drive}/check-in", data={"code": code, "csrftoken": csrf})
    assert again.status_code == 409
    assert "Người hiến này đã được ghi nhận có mặt lúc 10:00." in again.text
    assert len(_audit(world)) == 1

    donor_page = client.get(f"/b/{world['token']}?lang=en").text  # the donor's page says so, and keeps the booking
    assert "You are checked in." in donor_page and "Cancel my booking" not in donor_page
    assert client.post(f"/b/{world['token']}/cancel?lang=en").status_code == 409
    assert _checked_in(world)["Trần Thị Lan"]


def test_a_donor_of_another_chapter_is_checked_in_without_a_link_to_their_record(world):
    client, csrf = signed_in(world, "coordinator")
    done = client.post(f"/drives/{world['drive']}/check-in",
                       data={"code": world["codes"]["Phạm Văn Xa"], "csrftoken": csrf})
    assert done.status_code == 200 and "Phạm Văn Xa" in done.text
    assert f'href="/donors/{world["donors"]["Phạm Văn Xa"]}"' not in done.text
    assert _checked_in(world)["Phạm Văn Xa"]


@pytest.mark.parametrize(("typed", "status", "message"), [
    ("ZZZZZZ", 404, "Không có lịch đặt nào mang mã này."),
    ("", 404, "Không có lịch đặt nào mang mã này."),
    ("ACD", 404, "Không có lịch đặt nào mang mã này."),
    ("Lê Văn Bình", 409, "Lịch đặt này đã bị hủy"),
    ("Đỗ Thị Hoa", 409, "Mã này thuộc về một lịch đặt ở buổi hiến máu khác"),
])
def test_a_code_that_cannot_be_checked_in_says_why_and_changes_nothing(world, typed, status, message):
    client, csrf = signed_in(world, "coordinator")
    code = world["codes"].get(typed, typed)
    refused = client.post(f"/drives/{world['drive']}/check-in", data={"code": code, "csrftoken": csrf})
    assert refused.status_code == status
    assert message in refused.text
    assert not any(_checked_in(world).values()) and _audit(world) == []


def test_only_a_coordinator_of_the_drives_chapter_checks_in(world):
    code = world["codes"]["Trần Thị Lan"]
    viewer, csrf = signed_in(world, "viewer")
    assert 'id="check-in-form"' not in viewer.get(f"/drives/{world['drive']}").text
    assert viewer.post(f"/drives/{world['drive']}/check-in", data={"code": code, "csrftoken": csrf}).status_code == 403
    other, csrf = signed_in(world, "other")
    assert other.post(f"/drives/{world['drive']}/check-in", data={"code": code, "csrftoken": csrf}).status_code == 404
    assert not any(_checked_in(world).values())
