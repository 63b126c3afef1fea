"""The outcome at check-in on the workspace's drive page: once a donor is checked in, the page offers
the outcome form; donated or deferred is recorded as a donation of the drive with the records
checks (a violation shown in Vietnamese, recorded only with a reason), once; the drive page counts
its bookings by slot and shows the chapter's show rate and the turnout forecast; on SQLite and
PostgreSQL."""

import datetime as dt
import re

import pytest
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donations.models import Donation, DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import Donor
from donor_registry.slots import check_in
from donor_registry.slots import service as slots
from donor_registry.slots.models import SlotBooking
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make

TODAY = dt.date(2026, 6, 1)  # `now` is 10:00 on 1 June 2026 in Vietnam: the 07-08, 08-09 and 09-10 slots are over
EARLIER = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(engine, settings, now, rules):
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="92")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        data = DriveCreate(date=TODAY, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa phường",
                           capacity=8, chapter_id=home)
        drive = add_drive(session=session, settings=settings.campaigns, data=data, now=EARLIER, actor="test")[0]
        made = slots.create_slots(session=session, drive=drive, slot_minutes=60, now=EARLIER)
        donors, bookings = {}, {}
        for name, chapter, slot in (("Trần Thị Lan", home, 0), ("Lê Văn Bình", home, 0), ("Phạm Văn Xa", other, 1),
                                    ("Ngô Thị Mai", home, 2)):
            donors[name] = make.donor(session, EARLIER, name=name)
            session.get(Donor, donors[name]).chapter_id = chapter
            bookings[name] = slots.book(session=session, donor_id=donors[name], slot_id=made[slot].id, now=EARLIER)
        for name in ("Lê Văn Bình", "Phạm Văn Xa"):
            check_in.check_in(session=session, drive=drive, typed=bookings[name].check_in_code, now=now, actor="t")
        # Mai gave on 1 May: a donation today would be 31 days later (84 are needed)
        record_donation(session=session, donor_id=donors["Ngô Thị Mai"], rules=rules, now=now,
                        data=DonationCreate(donated_on=dt.date(2026, 5, 1)))
        check_in.check_in(session=session, drive=drive, typed=bookings["Ngô Thị Mai"].check_in_code, now=now,
                          actor="t")
        codes = {name: b.check_in_code for name, b in bookings.items()}
        ids = {name: b.id for name, b in bookings.items()}
        slot_ids = [s.id for s in made]
        drive_id = drive.id
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "drive": drive_id,
            "donors": donors, "bookings": ids, "codes": codes, "slots": slot_ids}


def _post(client, csrf, world, name, **form):
    return client.post(f"/drives/{world['drive']}/bookings/{world['bookings'][name]}/outcome",
                       data={"csrftoken": csrf, **form})


def _linked(world, name):
    with session_scope(world["engine"]) as session:
        booking = session.get(SlotBooking, world["bookings"][name])
        donation = session.get(Donation, booking.donation_id) if booking.donation_id else None
        return None if donation is None else (donation.outcome.value, donation.type.value, donation.volume_ml,
                                              donation.drive_id, donation.donated_on, donation.deferral_reason,
                                              donation.deferral_until, donation.override_reason)


def _donations(world):
    with session_scope(world["engine"]) as session:
        return len(session.exec(select(Donation)).all())


def test_the_check_in_result_offers_the_outcome_form_and_records_a_donation(world):
    client, csrf = signed_in(world, "coordinator")
    done = client.post(f"/drives/{world['drive']}/check-in",
                       data={"code": world["codes"]["Trần Thị Lan"], "csrftoken": csrf})
    assert done.status_code == 200
    action = f'action="/drives/{world["drive"]}/bookings/{world["bookings"]["Trần Thị Lan"]}/outcome"'
    assert action in done.text
    for element in ("outcome-donated", "outcome-deferred", "donation-type", "volume-ml", "deferral-reason",
                    "deferral-until", "save-outcome"):
        assert f'id="{element}"' in done.text
    saved = _post(client, csrf, world, "Trần Thị Lan", outcome="donated", type="whole_blood", volume_ml="350")
    assert saved.status_code == 200
    assert "Đã ghi cho Trần Thị Lan: đã hiến: máu toàn phần, 350 ml." in saved.text
    assert _linked(world, "Trần Thị Lan") == ("donated", "whole_blood", 350, world["drive"], TODAY, None, None, None)
    with session_scope(world["engine"]) as session:
        audited = [(e.actor, e.subject_id) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == "booking.outcome"))]
    assert audited == [("user:coordinator", world["bookings"]["Trần Thị Lan"])]

    count = _donations(world)
    again = _post(client, csrf, world, "Trần Thị Lan", outcome="deferred", deferral_reason="mệt")
    assert again.status_code == 409 and "Lượt đặt này đã được ghi kết quả." in again.text
    assert _donations(world) == count


def test_a_deferral_from_the_checked_in_list(world):
    client, csrf = signed_in(world, "coordinator")
    page = client.get(f"/drives/{world['drive']}").text
    booking = world["bookings"]["Lê Văn Bình"]
    assert f'id="open-outcome-{booking}"' in page
    form = client.get(f"/drives/{world['drive']}?outcome={booking}").text
    assert 'id="outcome-form"' in form and "Lê Văn Bình" in form
    saved = _post(client, csrf, world, "Lê Văn Bình", outcome="deferred", volume_ml="350",
                  deferral_reason="huyết áp cao", deferral_until="2026-06-15")
    assert saved.status_code == 200
    assert _linked(world, "Lê Văn Bình") == ("deferred", "whole_blood", None, world["drive"], TODAY, "huyết áp cao",
                                             dt.date(2026, 6, 15), None)
    assert f'id="open-outcome-{booking}"' not in saved.text
    assert re.search(rf'id="outcome-of-{booking}">\s*tạm hoãn', saved.text)


def test_a_deferral_without_a_reason_is_refused_in_plain_words(world):
    client, csrf = signed_in(world, "coordinator")
    refused = _post(client, csrf, world, "Lê Văn Bình", outcome="deferred")
    assert refused.status_code == 422 and "Tạm hoãn cần có lý do." in refused.text
    assert _linked(world, "Lê Văn Bình") is None


def test_a_donation_too_soon_is_shown_and_recorded_only_with_a_reason(world):
    client, csrf = signed_in(world, "coordinator")
    count = _donations(world)
    warned = _post(client, csrf, world, "Ngô Thị Mai", outcome="donated", type="whole_blood", volume_ml="350")
    assert warned.status_code == 409
    assert "Quá sớm sau lần hiến trước; được hiến từ 24/07/2026." in warned.text
    assert 'id="outcome-override"' in warned.text and 'id="outcome-anyway"' in warned.text
    assert _donations(world) == count
    no_reason = _post(client, csrf, world, "Ngô Thị Mai", outcome="donated", volume_ml="350", anyway="1")
    assert no_reason.status_code == 409 and 'id="outcome-override-error"' in no_reason.text
    assert _donations(world) == count
    saved = _post(client, csrf, world, "Ngô Thị Mai", outcome="donated", volume_ml="350", anyway="1",
                  override="bác sĩ cho phép")
    assert saved.status_code == 200
    assert _linked(world, "Ngô Thị Mai")[-1] == "bác sĩ cho phép"


def test_a_booking_not_checked_in_or_of_another_chapters_donor_gets_no_outcome(world):
    client, csrf = signed_in(world, "coordinator")
    early = _post(client, csrf, world, "Trần Thị Lan", outcome="donated")
    assert early.status_code == 409 and "Người hiến chưa được ghi nhận có mặt" in early.text
    opened = client.get(f"/drives/{world['drive']}?outcome={world['bookings']['Trần Thị Lan']}").text
    assert 'id="outcome-problem"' in opened and 'id="save-outcome"' not in opened
    assert _post(client, csrf, world, "Phạm Văn Xa", outcome="donated").status_code == 404
    page = client.get(f"/drives/{world['drive']}").text
    assert f'id="open-outcome-{world["bookings"]["Phạm Văn Xa"]}"' not in page
    viewer, csrf = signed_in(world, "viewer")
    assert _post(viewer, csrf, world, "Lê Văn Bình", outcome="donated").status_code == 403
    assert _linked(world, "Lê Văn Bình") is None and _linked(world, "Phạm Văn Xa") is None


def test_the_drive_page_counts_its_bookings_by_slot(world):
    client, csrf = signed_in(world, "coordinator")
    _post(client, csrf, world, "Lê Văn Bình", outcome="deferred", deferral_reason="mệt")
    page = signed_in(world, "viewer")[0].get(f"/drives/{world['drive']}").text
    cells = lambda key: [re.search(rf'id="{key}-{name}">(\d+)<', page).group(1)
                         for name in ("booked", "checked-in", "donated", "deferred", "no-show")]
    first, second, third, fourth = world["slots"]
    # 07:00 Lan (not checked in, over: a no-show) and Bình (deferred); 08:00 Xa (checked in);
    # 09:00 Mai (checked in); 10:00 nobody
    assert cells(f"slot-{first}") == ["2", "1", "0", "1", "1"]
    assert cells(f"slot-{second}") == ["1", "1", "0", "0", "0"]
    assert cells(f"slot-{third}") == ["1", "1", "0", "0", "0"]
    assert cells(f"slot-{fourth}") == ["0", "0", "0", "0", "0"]
    assert cells("total") == ["4", "3", "0", "1", "1"]
    # No finished drive of the chapter yet: 4 booked × 80 % = 3.2 → 3, no walk-ins
    assert ('id="turnout-forecast">Dự kiến 3 người hiến: 4 người đã đặt lịch × tỷ lệ có mặt 80 % + 0 người đến '
            'không đặt lịch.</p>') in page


def test_the_drive_page_shows_the_chapters_show_rate_by_month_and_forecasts_from_it(world):
    with session_scope(world["engine"]) as session:
        home = session.get(Donor, world["donors"]["Trần Thị Lan"]).chapter_id
        data = DriveCreate(date=dt.date(2026, 5, 20), start_time=dt.time(7), end_time=dt.time(11),
                           venue="Trường THPT", capacity=4, chapter_id=home)
        past = add_drive(session=session, settings=world["settings"].campaigns, data=data, now=EARLIER)[0]
        (slot,) = slots.create_slots(session=session, drive=past, slot_minutes=240, now=EARLIER)
        booked = [slots.book(session=session, donor_id=make.donor(session, EARLIER), slot_id=slot.id, now=EARLIER)
                  for _ in range(4)]
        check_in.check_in(session=session, drive=past, typed=booked[0].check_in_code, now=world["now"], actor="t")
    page = signed_in(world, "viewer")[0].get(f"/drives/{world['drive']}").text
    # 20/05: 4 booked, 1 checked in = 25 %; today's drive: 4 booked × 25 % = 1, no walk-ins
    assert re.search(r'id="show-rate-2026-05"><td>05/2026</td><td>1</td><td>4</td><td>1</td><td class="rate">25 %</td>',
                     page)
    assert 'id="turnout-forecast">Dự kiến 1 người hiến: 4 người đã đặt lịch × tỷ lệ có mặt 25 %' in page
