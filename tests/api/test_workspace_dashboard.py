"""The dashboard over HTTP: every card counted for the signed-in user's chapter and below, from a
seeded world of two chapters; the other chapter's drives, donors, requests, messages and imports
are never counted. Expected numbers are worked out by hand in the comments."""

import datetime as dt
import itertools
import re

import pytest
from sqlmodel import delete, select

from donor_registry.accounts.models import Role, User
from donor_registry.api import create_app
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.emergency.models import CallOut, Hospital
from donor_registry.importing.models import ImportRun, ImportStatus
from donor_registry.places.status import AddressStatus
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from tests.api.workspace_support import HASH, add_people, signed_in
from tests.service import emergency_support as make

PLACE = make.HOME
FAR = make.OTHER_PROVINCE
_keys = itertools.count(1)


def _drive(session, now, settings, chapter_id, day, venue, place=PLACE):
    data = DriveCreate(date=day, start_time=dt.time(7), end_time=dt.time(11, 30), venue=venue,
                       chapter_id=chapter_id, **place)
    return add_drive(session=session, settings=settings.campaigns, data=data, now=now, actor="test")[0].id


def _message(session, now, donor_id, status, *, sent_at=None, price=None):
    session.add(OutboxMessage(donor_id=donor_id, to_phone="+84900000001", kind="reminder", body="x",
                              idempotency_key=f"dash-{next(_keys)}", send_after=now, next_attempt_at=now, status=status,
                              created_at=now, updated_at=now, sent_at=sent_at, price_vnd=price))


def _run(session, now, chapter_id, user_id, number, status=ImportStatus.done):
    session.add(ImportRun(token=f"run{number:02d}", kind="donors", file_name=f"danh-sach-{number}.csv",
                          chapter_id=chapter_id, user_id=user_id, login="coordinator", status=status,
                          created_at=now - dt.timedelta(days=10 - number), imported=number, rejected_rows=0))


@pytest.fixture
def world(engine, settings, now):
    # now: Monday 1 June 2026, 10:00 in Vietnam; the week is 01/06 to 07/06.
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="79")
        ward = add(kind="commune", parent_id=home, commune_code="26740")
        other = add(kind="province", parent_id=vn, province_code="80")
        people = add_people(session, now, home, other)
        national = User(login="national", password_hash=HASH, role=Role.coordinator, chapter_id=None,
                        created_at=now, updated_at=now, password_changed_at=now)
        session.add(national)
        session.flush()
        people["national"] = national.id
        donors = {}
        for name, group, chapter, place, extra in (
                ("Trần Thị Lan", "O+", ward, PLACE, {}),
                ("Lê Văn Hùng", "O+", home, PLACE, {}),
                ("Nguyễn Văn An", "A-", ward, PLACE, {}),
                ("Lê Minh Bình", "A-", home, PLACE, {"standby": False}),
                ("Phạm Văn Xa", "O+", other, FAR, {}),
                ("Đỗ Thị Yến", "B+", other, FAR, {})):
            donors[name] = make.donor(session, now, group, name=name, place=place, **extra)
            session.get(Donor, donors[name]).chapter_id = chapter
        session.get(Donor, donors["Lê Văn Hùng"]).eligible_again_on = dt.date(2026, 7, 1)  # not today
        session.get(Donor, donors["Trần Thị Lan"]).donation_count = 5  # tier 5
        session.get(Donor, donors["Nguyễn Văn An"]).donation_count = 12  # tier 10
        session.get(Donor, donors["Phạm Văn Xa"]).donation_count = 5  # the other chapter's
        session.get(Donor, donors["Lê Minh Bình"]).address_status = AddressStatus.ambiguous
        session.get(Donor, donors["Đỗ Thị Yến"]).address_status = AddressStatus.unknown
        drives = {"week": _drive(session, now, settings, ward, dt.date(2026, 6, 3), "Nhà văn hóa phường"),
                  "later": _drive(session, now, settings, ward, dt.date(2026, 6, 14), "Trường THPT Lê Quý Đôn"),
                  "other": _drive(session, now, settings, other, dt.date(2026, 6, 4), "Sân vận động Tân An",
                                  place=FAR)}
        hospital = make.hospital(session, now)[0]
        far = make.hospital(session, now, name="Bệnh viện Long An", place=FAR)[0]
        session.get(Hospital, hospital.id).chapter_id = home
        session.get(Hospital, far.id).chapter_id = other
        session.flush()
        requests = {"home": make.request(session, now, settings, hospital.id, "O+", 2).id,
                    "other": make.request(session, now, settings, far.id, "O+", 1).id}
        session.exec(delete(CallOut))
        session.exec(delete(OutboxMessage))  # the waves' calls: the messages below are the counted ones
        lan, an, xa = donors["Trần Thị Lan"], donors["Nguyễn Văn An"], donors["Phạm Văn Xa"]
        for donor_id, status, sent_at, price in (
                (lan, OutboxStatus.queued, None, None), (an, OutboxStatus.queued, None, None),
                (lan, OutboxStatus.failed, None, None), (an, OutboxStatus.undelivered, None, None),
                (lan, OutboxStatus.sent, now, 500), (an, OutboxStatus.delivered, now, 850),
                (lan, OutboxStatus.delivered, dt.datetime(2026, 5, 20, 3, tzinfo=dt.UTC), 300),  # May
                (xa, OutboxStatus.queued, None, None), (xa, OutboxStatus.sent, now, 1000)):
            _message(session, now, donor_id, status, sent_at=sent_at, price=price)
        for number in range(1, 7):
            _run(session, now, ward if number % 2 else home, people["coordinator"], number)
        _run(session, now, other, people["other"], 9)
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "drives": drives,
            "requests": requests}


def _card(page: str, name: str) -> str:
    found = re.search(rf'<section class="card" id="card-{name}">(.*?)</section>', page, re.DOTALL)
    return found.group(1) if found else ""


def _cell(html: str, selector: str) -> str:
    return re.search(selector, html, re.DOTALL).group(1).strip()


def test_the_coordinator_sees_the_numbers_of_the_chapter_and_below(world):
    client, _ = signed_in(world, "coordinator")
    page = client.get("/")
    assert page.status_code == 200
    assert "This part of the dashboard is coming" not in page.text and "sắp có" not in page.text
    drives = _card(page.text, "drives")
    week, later, other = world["drives"]["week"], world["drives"]["later"], world["drives"]["other"]
    assert f'href="/drives/{week}"' in drives and f"/drives/{later}" not in drives and f"/drives/{other}" not in drives
    assert "01/06/2026" in drives and "07/06/2026" in drives
    # Eligible on 03/06 around the venue: Lan, An, Bình (Hùng waits until 01/07; Xa, Yến are in Long An).
    assert _cell(drives, rf'data-drive="{week}">.*?class="num expected">(.*?)</td>') == "3"
    reserve = _card(page.text, "reserve")
    # Standby of the chapter: O+ Lan, Hùng (Lan eligible today); A- An (eligible); Bình is not standby.
    rows = {g: (s, e) for g, s, e in re.findall(
        r'data-group="([^"]+)"><td>[^<]*</td><td class="num standby">(\d+)</td><td class="num eligible">(\d+)</td>',
        reserve)}
    assert rows == {"O+": ("2", "1"), "A-": ("1", "1")}
    assert re.search(r'id="reserve-total">.*?standby">3<.*?eligible">2<', reserve, re.DOTALL)
    emergency = _card(page.text, "emergency")
    assert _cell(emergency, r'id="open-requests">(.*?)<') == "1"
    assert f'href="/emergency/{world["requests"]["home"]}"' in emergency
    assert f'/emergency/{world["requests"]["other"]}"' not in emergency
    sms = _card(page.text, "sms")
    # Queued 2, failed 1 + undelivered 1; sent in June 500 + 850 đồng (May's 300 and Xa's 1.000 left out).
    assert [_cell(sms, rf'id="sms-{k}">(.*?)<') for k in ("queued", "failed", "sent", "cost")] == \
        ["2", "2", "2", "1.350\xa0₫"]
    honours = _card(page.text, "honours")
    assert _cell(honours, r'id="honours-total">(.*?)<') == "2"
    assert re.findall(r'data-tier="(\d+)"', honours) == ["5", "10"]
    assert 'href="/honours"' in honours
    addresses = _card(page.text, "addresses")
    assert _cell(addresses, r'id="addresses-flagged">(.*?)<') == "1" and 'href="/addresses"' in addresses
    imports = _card(page.text, "imports")
    # The chapter's six runs, newest first, five shown; the other chapter's run 9 is not.
    assert re.findall(r'data-import="(run\d+)"', imports) == ["run06", "run05", "run04", "run03", "run02"]


def test_a_viewer_sees_numbers_without_the_work_cards(world):
    client, _ = signed_in(world, "viewer")
    page = client.get("/").text
    assert _cell(_card(page, "emergency"), r'id="open-requests">(.*?)<') == "1"
    assert 'href="/emergency/new"' not in page and 'href="/drives/new"' not in page
    assert _card(page, "imports") == "" and "+84" not in page


def test_the_other_chapter_sees_only_its_own(world):
    client, _ = signed_in(world, "other")
    page = client.get("/").text
    drives = _card(page, "drives")
    assert f'/drives/{world["drives"]["other"]}"' in drives and f'/drives/{world["drives"]["week"]}"' not in drives
    rows = re.findall(r'data-group="([^"]+)"', _card(page, "reserve"))
    assert rows == ["B+", "O+"]
    assert [_cell(_card(page, "sms"), rf'id="sms-{k}">(.*?)<') for k in ("queued", "cost")] == ["1", "1.000\xa0₫"]
    assert _cell(_card(page, "honours"), r'id="honours-total">(.*?)<') == "1"
    assert _cell(_card(page, "addresses"), r'id="addresses-flagged">(.*?)<') == "1"
    assert re.findall(r'data-import="(run\d+)"', _card(page, "imports")) == ["run09"]


def test_the_whole_registry_counts_everything_but_the_honours(world):
    client, _ = signed_in(world, "national")
    page = client.get("/").text
    assert _cell(_card(page, "emergency"), r'id="open-requests">(.*?)<') == "2"
    assert _cell(_card(page, "addresses"), r'id="addresses-flagged">(.*?)<') == "2"
    honours = _card(page, "honours")  # one pass over every donor: left to the honours page
    assert 'id="honours-total"' not in honours and 'href="/honours"' in honours


def test_the_slow_cards_are_kept_a_few_minutes_and_say_when_they_were_counted(world):
    """[web] dashboard_cache_seconds (300 by default): reserve, SMS and honours are counted once
    per chapter and kept; drives, requests and addresses stay live."""
    client, _ = signed_in(world, "coordinator")
    first = client.get("/").text
    assert "counted-at" in first and "10:00" in _cell(first, r'id="counted-at">(.*?)<')  # 03:00 UTC
    with session_scope(world["engine"]) as session:
        for donor in session.exec(select(Donor).where(Donor.standby.is_(True))):
            donor.standby = False
            session.add(donor)
    kept = client.get("/").text
    assert re.search(r'id="reserve-total">.*?standby">3<', _card(kept, "reserve"), re.DOTALL)
    later = world["now"] + dt.timedelta(seconds=world["settings"].web.dashboard_cache_seconds)
    world["app"].state.clock = lambda: later
    recounted = client.get("/").text
    assert "reserve-total" not in _card(recounted, "reserve")  # nobody is standby any more
    assert "10:05" in _cell(recounted, r'id="counted-at">(.*?)<')
