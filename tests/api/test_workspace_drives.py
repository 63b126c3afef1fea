"""The drive pages over HTTP: the month calendar, plan / reschedule / cancel / close, the call list
(XLSX and the sign-in sheet) with phones masked for a viewer, and another chapter refused."""

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import Drive, DriveCreate, DriveStatus
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make

PLACE = {"commune": "Phường Võ Thị Sáu", "district": "Quận 3", "province": "TP Hồ Chí Minh"}


def _drive(session, now, settings, chapter_id, day, venue="Nhà văn hóa phường Võ Thị Sáu"):
    data = DriveCreate(date=day, start_time=dt.time(7), end_time=dt.time(11, 30), venue=venue, chapter_id=chapter_id,
                       **PLACE)
    return add_drive(session=session, settings=settings.campaigns, data=data, now=now, actor="test")[0].id


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="92")
        ward = add(kind="commune", parent_id=home, commune_code="31507")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        donors = {}
        for name, chapter, extra in (("Trần Thị Lan", ward, {}), ("Nguyễn Văn An", ward, {}),
                                     ("Lê Minh Bình", home, {}), ("Phạm Văn Xa", other, {}),
                                     ("Võ Thị Không", ward, {"consent": False})):
            donors[name] = make.donor(session, now, "O+" if "Thị" in name else "A-", name=name, place=PLACE, **extra)
            session.get(Donor, donors[name]).chapter_id = chapter
        lan = session.get(Donor, donors["Trần Thị Lan"])
        lan.last_donation_on, lan.donation_count = dt.date(2026, 1, 12), 3  # 20 weeks ago: may give again
        drives = {"june": _drive(session, now, settings, ward, dt.date(2026, 6, 14)),
                  "past": _drive(session, now, settings, ward, dt.date(2026, 5, 30), venue="Trường THPT Lê Quý Đôn"),
                  "other": _drive(session, now, settings, other, dt.date(2026, 6, 20), venue="Sân vận động Lào Cai")}
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "drives": drives,
            "donors": donors, "home": home}


def _audit(world, action):
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def _drive_row(world, drive_id) -> Drive:
    with session_scope(world["engine"]) as session:
        return session.get(Drive, drive_id)


def test_the_calendar_shows_the_chapters_drives_of_the_month_with_their_expected_turnout(world):
    client, _ = signed_in(world, "viewer")
    june = client.get("/drives")  # this month: June 2026 in Vietnam
    assert june.status_code == 200
    assert "Tháng 06/2026" in june.text or "06/2026" in june.text
    table = june.text[june.text.index('id="drives"'):]
    assert "CN 14/06/2026" in table and "07:00–11:30" in table and "Nhà văn hóa phường Võ Thị Sáu" in table
    assert "đã lên lịch" in table
    assert re.search(r"đã lên lịch</td>\s*<td>5</td>", table)  # five donors of the ring may give that day
    assert "Sân vận động Lào Cai" not in june.text  # another chapter's drive
    assert 'href="/drives?month=2026-05"' in june.text and 'href="/drives?month=2026-07"' in june.text
    may = client.get("/drives?month=2026-05").text
    assert "Trường THPT Lê Quý Đôn" in may and "30/05/2026" in may and "Nhà văn hóa" not in may
    assert 'id="plan-drive"' not in may  # a viewer plans nothing


def test_a_coordinator_plans_a_drive_and_the_form_says_what_is_wrong_next_to_each_field(world):
    client, csrf = signed_in(world, "coordinator")
    assert 'href="/drives/new?date=21/06/2026"' in client.get("/drives").text
    assert 'value="21/06/2026"' in client.get("/drives/new?date=21/06/2026").text
    form = {"csrftoken": csrf, "date": "21/06/2026", "start_time": "7h30", "end_time": "11:00",
            "venue": "Chùa Vĩnh Nghiêm", "capacity": "nhiều", **PLACE}
    refused = client.post("/drives", data=form)
    assert refused.status_code == 422
    assert re.search(r'id="capacity-error">phải là số nguyên<', refused.text)
    assert 'value="Chùa Vĩnh Nghiêm"' in refused.text  # what was typed stays
    backwards = client.post("/drives", data={**form, "capacity": "120", "end_time": "06:00"})
    assert backwards.status_code == 422 and 'id="problem"' in backwards.text
    added = client.post("/drives", data={**form, "capacity": "120"})
    assert added.status_code == 303
    drive_id = int(added.headers["location"].rsplit("/", 1)[1])
    drive = _drive_row(world, drive_id)
    assert (drive.date, drive.start_time, drive.venue, drive.capacity) == \
        (dt.date(2026, 6, 21), dt.time(7, 30), "Chùa Vĩnh Nghiêm", 120)
    assert drive.chapter_id == world["home"]  # its place has no chapter of its own: the coordinator's
    assert _audit(world, "drives.add")[-1] == ("user:coordinator", drive_id)
    page = client.get(f"/drives/{drive_id}").text
    assert "CN 21/06/2026" in page and "07:30–11:00" in page and 'id="turnout-total">5 ' in page


def test_reschedule_cancel_and_close_go_through_the_services_and_are_audited(world):
    client, csrf = signed_in(world, "coordinator")
    june, past = world["drives"]["june"], world["drives"]["past"]
    moved = client.post(f"/drives/{june}/reschedule", data={"csrftoken": csrf, "date": "2026-06-28",
                                                           "start_time": "13:00", "end_time": "16:30",
                                                           "venue": "Nhà thiếu nhi Quận 3"})
    assert moved.status_code == 303
    drive = _drive_row(world, june)
    assert (drive.date, drive.start_time, drive.end_time, drive.venue, drive.sequence) == \
        (dt.date(2026, 6, 28), dt.time(13), dt.time(16, 30), "Nhà thiếu nhi Quận 3", 1)
    bad = client.post(f"/drives/{june}/reschedule", data={"csrftoken": csrf, "date": "ngày mai",
                                                         "start_time": "13:00", "end_time": "16:30", "venue": "x"})
    assert bad.status_code == 422 and 'id="date-error"' in bad.text
    assert _drive_row(world, june).venue == "Nhà thiếu nhi Quận 3"  # nothing half changed
    early = client.post(f"/drives/{june}/close", data={"csrftoken": csrf})
    assert early.status_code == 422 and 'id="problem"' in early.text  # still to come
    assert client.post(f"/drives/{june}/cancel", data={"csrftoken": csrf}).status_code == 303
    assert _drive_row(world, june).status == DriveStatus.cancelled
    again = client.post(f"/drives/{june}/cancel", data={"csrftoken": csrf})
    assert again.status_code == 422 and 'id="problem"' in again.text
    negative = client.post(f"/drives/{past}/close", data={"csrftoken": csrf, "units": "-1"})
    assert negative.status_code == 422 and 'id="units-error"' in negative.text
    closed = client.post(f"/drives/{past}/close", data={"csrftoken": csrf, "registered": "40", "donated": "35",
                                                        "deferred": "5", "units": "35"})
    assert closed.status_code == 303
    drive = _drive_row(world, past)
    assert (drive.status, drive.registered, drive.donated, drive.deferred, drive.units) == \
        (DriveStatus.closed, 40, 35, 5, 35)
    assert "35 đơn vị" in client.get(f"/drives/{past}").text or "35" in client.get(f"/drives/{past}").text
    for action in ("drives.reschedule", "drives.cancel", "drives.close"):
        assert _audit(world, action) == [("user:coordinator", june if action != "drives.close" else past)]


def test_the_details_are_edited_with_each_error_next_to_its_field(world):
    client, csrf = signed_in(world, "coordinator")
    june = world["drives"]["june"]
    page = client.get(f"/drives/{june}").text
    assert 'id="details-form"' in page
    bad = client.post(f"/drives/{june}/edit", data={"csrftoken": csrf, "capacity": "-5", "target_units": "40"})
    assert bad.status_code == 422 and re.search(r'id="capacity-error">[^<]+0<', bad.text)
    assert 'value="40"' in bad.text  # what was typed stays
    foreign = client.post(f"/drives/{june}/edit", data={"csrftoken": csrf, "campaign_id": "999"})
    assert foreign.status_code == 422 and 'id="campaign_id-error"' in foreign.text
    saved = client.post(f"/drives/{june}/edit", data={"csrftoken": csrf, "capacity": "150", "target_units": "",
                                                      "notes": "Mang thêm ghế"})
    assert saved.status_code == 303
    drive = _drive_row(world, june)
    assert (drive.capacity, drive.target_units, drive.notes, drive.sequence) == (150, None, "Mang thêm ghế", 1)
    assert _audit(world, "drives.edit") == [("user:coordinator", june)]
    viewer, viewer_csrf = signed_in(world, "viewer")
    assert 'id="details-form"' not in viewer.get(f"/drives/{june}").text
    assert viewer.post(f"/drives/{june}/edit", data={"csrftoken": viewer_csrf, "capacity": "1"}).status_code == 403


def _phone(world, name):
    with session_scope(world["engine"]) as session:
        return session.get(Donor, world["donors"][name]).phone_e164


def _sheet_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    rows = [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[0] == "STT")
    return rows[:start + 1] + [row[:8] for row in rows[start + 1:]]


def test_the_call_list_xlsx_lists_the_chapters_donors_who_may_give_in_vietnamese_order(world):
    client, _ = signed_in(world, "coordinator")
    june = world["drives"]["june"]
    response = client.get(f"/drives/{june}/call-list.xlsx")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in response.headers["content-disposition"]
    rows = _sheet_rows(response.content)
    assert rows[1][0] == ("đã lên lịch; người hiến cần gọi (sống ở Phường Xuân Hòa ≤ 10 km, có thể hiến ngày đó, "
                          "đã đồng ý được liên hệ): 3")
    assert rows[3][:10] == ("STT", "Họ và tên", "Năm sinh", "Nhóm máu", "Điện thoại", "Địa chỉ", "Lần hiến gần nhất",
                            "Số lần hiến", "Đã gọi", "Trả lời")
    assert rows[0][0].startswith(f"Danh sách gọi điện: buổi hiến máu #{june} tại Nhà văn hóa phường Võ Thị Sáu ngày 14/06/2026")
    address = "Phường Võ Thị Sáu, Quận 3, TP Hồ Chí Minh"
    # Not Phạm Văn Xa (another chapter's donor) nor Võ Thị Không (no consent to be contacted).
    assert rows[-3:] == [
        (1, "Nguyễn Văn An", 1996, "A-", _phone(world, "Nguyễn Văn An"), address, None, 0),
        (2, "Lê Minh Bình", 1996, "A-", _phone(world, "Lê Minh Bình"), address, None, 0),
        (3, "Trần Thị Lan", 1996, "O+", _phone(world, "Trần Thị Lan"), address, "12/01/2026", 3),
    ]
    assert _audit(world, "drives.call_list") == [("user:coordinator", june)]


def test_the_sign_in_sheet_prints_the_same_donors_with_a_column_to_sign(world):
    client, _ = signed_in(world, "coordinator")
    june = world["drives"]["june"]
    sheet = client.get(f"/drives/{june}/sign-in-sheet")
    assert sheet.status_code == 200
    names = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", sheet.text)
    assert names == ["Nguyễn Văn An", "Lê Minh Bình", "Trần Thị Lan"]
    assert _phone(world, "Trần Thị Lan") in sheet.text and 'class="signature"' in sheet.text
    assert sheet.text.count('class="walk-in"') == 10
    css = client.get("/static/workspace.css").text
    assert "@page{size:A4" in css and "@media print" in css
    assert _audit(world, "drives.call_list") == [("user:coordinator", june)]


def test_a_viewer_gets_masked_phones_and_nothing_is_audited(world):
    client, _ = signed_in(world, "viewer")
    june = world["drives"]["june"]
    phones = [_phone(world, name) for name in ("Nguyễn Văn An", "Lê Minh Bình", "Trần Thị Lan")]
    rows = _sheet_rows(client.get(f"/drives/{june}/call-list.xlsx").content)
    shown = [row[4] for row in rows[-3:]]
    assert all(phone not in shown for phone in phones)
    assert shown == [f"+84 90x xxx {phone[-3:]}" for phone in phones]
    sheet = client.get(f"/drives/{june}/sign-in-sheet").text
    assert all(phone not in sheet for phone in phones) and f"+84 90x xxx {phones[0][-3:]}" in sheet
    assert _audit(world, "drives.call_list") == []


def test_a_coordinator_of_another_chapter_is_refused_the_drive_and_its_call_list(world):
    client, csrf = signed_in(world, "other")
    june = world["drives"]["june"]
    for path in (f"/drives/{june}", f"/drives/{june}/call-list.xlsx", f"/drives/{june}/sign-in-sheet"):
        response = client.get(path)
        assert response.status_code == 404 and "Trần Thị Lan" not in response.text, path
    for action in ("cancel", "close", "reschedule", "edit"):
        assert client.post(f"/drives/{june}/{action}", data={"csrftoken": csrf}).status_code == 404
    assert _drive_row(world, june).status == DriveStatus.planned
    own = client.get(f"/drives/{world['drives']['other']}/call-list.xlsx")
    assert own.status_code == 200
    assert [row[1] for row in _sheet_rows(own.content)[-1:]] == ["Phạm Văn Xa"]
    assert _audit(world, "drives.call_list") == [("user:other", world["drives"]["other"])]
