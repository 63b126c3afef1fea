"""A chapter's own settings on both databases: set, reset, audited; and the SMS its donors get
are signed with its organisation name, its drives invite within its ring, so many days before."""

import datetime as dt

import pytest
from sqlmodel import select

from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.models import Drive
from donor_registry.chapter_settings import service
from donor_registry.chapter_settings.models import ChapterSetting
from donor_registry.chapter_settings.rules import Source
from donor_registry.chapters import service as chapters
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.emergency.service import cancel_request
from donor_registry.errors import NotFound
from donor_registry.sms.models import OutboxMessage
from donor_registry.sms.reminders import plan_reminders
from tests.service import emergency_support as emergency
from tests.support.sms import make_donor

pytestmark = pytest.mark.usefixtures("english")

NAME, RING, DAYS = "general.chapter_name", "campaigns.drive_ring", "sms.reminders.invitation_days_before"
TODAY = dt.date(2026, 6, 1)
CONFIG = Settings(general={"chapter_name": "Hội CTĐ Việt Nam"})


@pytest.fixture
def tree(session, now):
    """VN ─ 92 (Cần Thơ) ─ 31507 (a ward of it);  VN ─ 15 (Lào Cai)."""
    add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
    vn = add(kind="national")
    province = add(kind="province", parent_id=vn, province_code="92")
    found = {"vn": vn, "province": province, "ward": add(kind="commune", parent_id=province, commune_code="31507"),
             "other": add(kind="province", parent_id=vn, province_code="15")}
    session.commit()
    return found


def _set(session, now, chapter_id, key, raw, actor="user:admin"):
    return service.set_value(session=session, settings=CONFIG, now=now, actor=actor, chapter_id=chapter_id,
                             key=key, raw=raw)


def test_a_value_set_on_a_province_holds_below_it_until_the_ward_sets_its_own(session, now, tree):
    _set(session, now, tree["province"], NAME, "Hội CTĐ thành phố Cần Thơ")
    ward = service.effective_for(session=session, settings=CONFIG, chapter_id=tree["ward"])
    assert (ward[NAME].value, ward[NAME].source, ward[NAME].from_chapter_id) == \
        ("Hội CTĐ thành phố Cần Thơ", Source.parent, tree["province"])
    assert service.effective_for(session=session, settings=CONFIG, chapter_id=tree["other"])[NAME].value \
        == "Hội CTĐ Việt Nam"
    _set(session, now, tree["province"], RING, "25km")
    assert [service.drive_ring(session=session, settings=CONFIG, chapter_id=c)
            for c in (tree["ward"], tree["other"], None)] == ["25km", "10km", "10km"]
    _set(session, now, tree["ward"], NAME, "Hội CTĐ phường Ninh Kiều")
    assert service.value_for(session=session, settings=CONFIG, key=NAME, chapter_id=tree["ward"]) \
        == "Hội CTĐ phường Ninh Kiều"
    assert service.reset_value(session=session, settings=CONFIG, now=now, actor="user:admin",
                               chapter_id=tree["ward"], key=NAME) is True
    assert service.value_for(session=session, settings=CONFIG, key=NAME, chapter_id=tree["ward"]) \
        == "Hội CTĐ thành phố Cần Thơ"
    assert service.reset_value(session=session, settings=CONFIG, now=now, actor="user:admin",
                               chapter_id=tree["ward"], key=NAME) is False
    session.commit()
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")
                           .order_by(AuditEntry.id)).all()
    assert [(e.actor, e.subject_type, e.subject_id, e.detail) for e in entries if e.detail["key"] == NAME] == [
        ("user:admin", "chapter", tree["province"],
         {"key": NAME, "own_before": None, "own_after": "Hội CTĐ thành phố Cần Thơ",
          "before": "Hội CTĐ Việt Nam", "after": "Hội CTĐ thành phố Cần Thơ"}),
        ("user:admin", "chapter", tree["ward"],
         {"key": NAME, "own_before": None, "own_after": "Hội CTĐ phường Ninh Kiều",
          "before": "Hội CTĐ thành phố Cần Thơ", "after": "Hội CTĐ phường Ninh Kiều"}),
        ("user:admin", "chapter", tree["ward"],
         {"key": NAME, "own_before": "Hội CTĐ phường Ninh Kiều", "own_after": None,
          "before": "Hội CTĐ phường Ninh Kiều", "after": "Hội CTĐ thành phố Cần Thơ"}),
    ]


def test_changing_a_value_keeps_one_row_and_says_who_and_when(session, now, tree):
    _set(session, now, tree["ward"], DAYS, "3")
    later = now + dt.timedelta(hours=1)
    _set(session, later, tree["ward"], DAYS, " 7 ", actor="cli:root")
    session.commit()
    [row] = session.exec(select(ChapterSetting)).all()
    assert (row.chapter_id, row.key, row.value, row.updated_by) == (tree["ward"], DAYS, "7", "cli:root")
    assert row.updated_at.replace(tzinfo=dt.UTC) == later.replace(tzinfo=dt.UTC)


def test_a_refused_value_or_chapter_changes_nothing(session, now, tree):
    with pytest.raises(ValueError, match="must be at most 60"):
        _set(session, now, tree["ward"], DAYS, "90")
    with pytest.raises(ValueError, match="campaigns.drive_ring must be"):
        _set(session, now, tree["ward"], RING, "neighbours")
    with pytest.raises(NotFound):
        _set(session, now, 999_999, DAYS, "3")
    session.commit()
    assert session.exec(select(ChapterSetting)).all() == []
    assert session.exec(select(AuditEntry)).all() == []


def _drive(session, now, chapter_id, days_ahead=3) -> Drive:
    drive = Drive(date=TODAY + dt.timedelta(days=days_ahead), start_time=dt.time(7, 30), end_time=dt.time(11, 30),
                  venue="Nhà văn hóa", venue_key="nha van hoa", commune="Bến Nghé", commune_key="ben nghe",
                  district="Quận 1", district_key="quan 1", chapter_id=chapter_id, created_at=now, updated_at=now)
    session.add(drive)
    session.flush()
    return drive


def _bodies(session) -> dict[int, str]:
    return {m.donor_id: m.body for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))}


def test_an_invitation_is_signed_by_the_donors_chapter_else_by_config(session, now, tree):
    _set(session, now, tree["province"], NAME, "Hội CTĐ Cần Thơ")
    ward_donor = make_donor(session, now, 1, chapter_id=tree["ward"]).id
    other_donor = make_donor(session, now, 2, chapter_id=tree["other"]).id
    nobodys = make_donor(session, now, 3).id
    _drive(session, now, tree["ward"])
    report = plan_reminders(session=session, settings=CONFIG, now=now)
    assert report.planned["invitation"] == 3
    bodies = _bodies(session)
    assert bodies[ward_donor].startswith("Hoi CTD Can Tho moi ban So1 hien mau ngay 04/06/2026")
    assert bodies[other_donor].startswith("Hoi CTD Viet Nam moi ban So2 hien mau")
    assert bodies[nobodys].startswith("Hoi CTD Viet Nam moi ban So3 hien mau")


def test_a_chapters_drives_invite_as_many_days_before_as_it_says(session, now, tree):
    _set(session, now, tree["ward"], DAYS, "10")
    make_donor(session, now, 1)
    near_ours = _drive(session, now, tree["ward"], days_ahead=8)  # within the ward's 10 days
    far_theirs = _drive(session, now, tree["other"], days_ahead=8)  # beyond config's 5
    near_theirs = _drive(session, now, tree["other"], days_ahead=4)
    plan_reminders(session=session, settings=CONFIG, now=now)
    keys = {m.idempotency_key.split(":donor:")[0] for m in session.exec(select(OutboxMessage))}
    assert keys == {f"invitation:drive:{near_ours.id}", f"invitation:drive:{near_theirs.id}"}
    assert far_theirs.id not in {int(k.split(":")[2]) for k in keys}


def test_an_emergency_call_is_signed_by_the_donors_chapter(session, now, tree, settings):
    own = Settings(database=settings.database.model_dump(), general={"chapter_name": "Hội CTĐ Việt Nam"})
    service.set_value(session=session, settings=own, now=now, actor="user:admin", chapter_id=tree["ward"],
                      key=NAME, raw="Hội CTĐ phường An Hòa")
    ours = emergency.donor(session, now, name="Lê Thị Hoa")
    theirs = emergency.donor(session, now, name="Trần Văn Bình")
    session.get(Donor, ours).chapter_id, session.get(Donor, theirs).chapter_id = tree["ward"], tree["other"]
    hospital, _token = emergency.hospital(session, now)
    emergency.request(session, now, own, hospital.id, units=1)
    bodies = {m.donor_id: m.body for m in emergency.messages(session, "emergency_call")}
    assert bodies[ours].startswith("Hoi CTD phuong An Hoa CAN GAP mau nhom O+")
    assert bodies[theirs].startswith("Hoi CTD Viet Nam CAN GAP mau nhom O+")


def test_the_notes_of_a_cancelled_request_are_signed_by_each_donors_chapter(session, now, tree, settings):
    own = Settings(database=settings.database.model_dump(), general={"chapter_name": "Hội CTĐ Việt Nam"})
    service.set_value(session=session, settings=own, now=now, actor="user:admin", chapter_id=tree["ward"],
                      key=NAME, raw="Hội CTĐ phường An Hòa")
    ours = emergency.donor(session, now, name="Lê Thị Hoa")
    theirs = emergency.donor(session, now, name="Trần Văn Bình")
    session.get(Donor, ours).chapter_id, session.get(Donor, theirs).chapter_id = tree["ward"], tree["other"]
    hospital, _token = emergency.hospital(session, now)
    request = emergency.request(session, now, own, hospital.id, units=2)
    emergency.mark_sent(session, now)  # sent, so cancelling tells them rather than withdrawing
    cancel_request(session=session, now=now + dt.timedelta(minutes=5), settings=own, request_id=request.id,
                   actor="test")
    notes = [m for m in emergency.messages(session) if m.kind in ("emergency_cancelled", "emergency_filled")]
    bodies = {m.donor_id: m.body for m in notes}
    assert set(bodies) == {ours, theirs}
    assert bodies[ours].startswith("Hoi CTD phuong An Hoa")
    assert bodies[theirs].startswith("Hoi CTD Viet Nam")
