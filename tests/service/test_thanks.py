"""Closing the loop: a hospital marks the donations given for its request used, a coordinator
releases a drive's units, and each donor gets one thank-you naming the hospital (never the
patient), within quiet hours; on SQLite and PostgreSQL."""

import datetime as dt
import threading

import pytest
from sqlalchemy import create_engine
from sqlmodel import select

from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import is_sqlite, session_scope
from donor_registry.donations.corrections import void_donation
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import use_language
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.reminders import withdraw_stale_reminders
from donor_registry.thanks import service as thanks
from donor_registry.thanks.models import DonationUse, UseKind
from tests.fakes.twilio_server import FakeTwilio
from tests.service import emergency_support as make
from tests.support.sms import SID, TOKEN, FakeClock, dispatcher, sms_settings

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 6, 1)  # `now` is 10:00 on 1 June 2026 in Vietnam
# The default template with diacritics stripped (sms.strip_diacritics), for Phạm Thị Lan at Bệnh viện Bình Dân.
LAN_AT_BINH_DAN = ("Hoi Chu thap do cam on ban Lan: mau ban hien ngay 01/06/2026 da den Benh vien Binh Dan "
                   "de cuu nguoi benh.")


def give(session, now, donor_id, *, request_id=None, drive_id=None, certificate=None, outcome=Outcome.donated):
    data = DonationCreate(donated_on=TODAY, emergency_request_id=request_id, drive_id=drive_id,
                          certificate_no=certificate, outcome=outcome,
                          deferral_reason="thiếu máu" if outcome == Outcome.deferred else None)
    return record_donation(session=session, donor_id=donor_id, data=data, rules=EligibilityRules(), now=now).id


@pytest.fixture
def world(session, now, settings):
    """Two hospitals with a request each; Lan and Minh gave for Bình Dân's request, Nga for Chợ Rẫy's;
    a drive where Hòa and Tú gave, Quân was deferred and Vy's donation was voided."""
    binh_dan, _ = make.hospital(session, now)
    cho_ray, _ = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
    own = make.request(session, now, settings, binh_dan.id, units=2)
    other = make.request(session, now, settings, cho_ray.id)
    donors = {name: make.donor(session, now, name=f"Phạm Thị {name}", standby=False)
              for name in ("Lan", "Minh", "Nga", "Hòa", "Tú", "Quân", "Vy")}
    drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), now=now, data=DriveCreate(
        date=TODAY, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa xã Tân Lập"))
    given = {"Lan": give(session, now, donors["Lan"], request_id=own.id, certificate="HM-0001"),
             "Minh": give(session, now, donors["Minh"], request_id=own.id),
             "Nga": give(session, now, donors["Nga"], request_id=other.id),
             "Hòa": give(session, now, donors["Hòa"], drive_id=drive.id),
             "Tú": give(session, now, donors["Tú"], drive_id=drive.id),
             "Quân": give(session, now, donors["Quân"], drive_id=drive.id, outcome=Outcome.deferred),
             "Vy": give(session, now, donors["Vy"], drive_id=drive.id)}
    void_donation(session=session, donation_id=given["Vy"], reason="ghi nhầm", actor="test", now=now,
                  rules=EligibilityRules())
    session.commit()
    return {"binh_dan": binh_dan.id, "cho_ray": cho_ray.id, "own": own.id, "other": other.id,
            "drive": drive.id, "donors": donors, "given": given}


def thank_yous(session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "blood_reached")
                             .order_by(OutboxMessage.id)))


def uses(session) -> dict[int, tuple[int, UseKind, str]]:
    return {u.donation_id: (u.hospital_id, u.how, u.recorded_by) for u in session.exec(select(DonationUse))}


def mark(session, now, settings, world, refs, *, request="own", hospital="binh_dan"):
    return thanks.mark_used(session=session, settings=settings, now=now, request_id=world[request],
                            hospital_id=world[hospital], refs=refs, actor=f"hospital:{world[hospital]}")


def test_a_donation_marked_used_thanks_its_donor_once_naming_the_hospital(session, now, settings, world):
    given = world["given"]
    done = mark(session, now, settings, world, ["HM-0001"])
    assert (done.new, done.already, done.texted) == ([given["Lan"]], [], 1)
    [message] = thank_yous(session)
    assert message.body == LAN_AT_BINH_DAN
    assert message.idempotency_key == f"blood_reached:donation:{given['Lan']}"
    assert (message.donor_id, message.to_phone) == (world["donors"]["Lan"], session.get(Donor, world["donors"]["Lan"]).phone_e164)
    again = mark(session, now + dt.timedelta(hours=1), settings, world, [str(given["Lan"]), str(given["Minh"])])
    assert (again.new, again.already) == ([given["Minh"]], [given["Lan"]])
    assert [m.donor_id for m in thank_yous(session)] == [world["donors"]["Lan"], world["donors"]["Minh"]]
    assert uses(session) == {given["Lan"]: (world["binh_dan"], UseKind.emergency_use, f"hospital:{world['binh_dan']}"),
                             given["Minh"]: (world["binh_dan"], UseKind.emergency_use, f"hospital:{world['binh_dan']}")}


@pytest.mark.parametrize("refs", [["Nga"], ["Hòa"], ["Quân"], ["Vy"], ["999999"], ["HM-9999"], ["Lan", "Nga"]])
def test_a_number_not_given_for_the_request_refuses_the_whole_call(session, now, settings, world, refs):
    """Another hospital's donation, a drive's, a deferral, a voided one, unknown numbers; with a good one too."""
    typed = [str(world["given"].get(ref, ref)) for ref in refs]
    with pytest.raises(thanks.NotUsable) as refused:
        mark(session, now, settings, world, typed)
    assert refused.value.refs == [t for t in typed if t != str(world["given"]["Lan"])]
    assert uses(session) == {} and thank_yous(session) == []


def test_a_hospital_cannot_mark_through_another_hospitals_request(session, now, settings, world):
    with pytest.raises(NotFound):
        mark(session, now, settings, world, [str(world["given"]["Lan"])], hospital="cho_ray")
    with pytest.raises(thanks.NotUsable):  # its own request, another's donation
        mark(session, now, settings, world, [str(world["given"]["Lan"])], request="other", hospital="cho_ray")
    with pytest.raises(UserError):
        mark(session, now, settings, world, [])
    assert uses(session) == {} and thank_yous(session) == []


def test_a_donor_who_may_not_be_texted_is_recorded_but_not_texted(session, now, settings, world):
    lan = session.get(Donor, world["donors"]["Lan"])
    lan.sms_opted_out_at = now
    session.add(lan)
    done = mark(session, now, settings, world, ["HM-0001", str(world["given"]["Minh"])])
    assert (len(done.new), done.texted) == (2, 1)
    assert [m.donor_id for m in thank_yous(session)] == [world["donors"]["Minh"]]


def test_releasing_a_drive_takes_its_given_units_once(session, now, settings, world):
    given = world["given"]
    assert thanks.releasable_ids(session=session, drive_id=world["drive"]) == [given["Hòa"], given["Tú"]]
    done = thanks.release_drive(session=session, settings=settings, now=now, drive_id=world["drive"],
                                hospital_id=world["cho_ray"], actor="user:coord")
    assert (done.new, done.texted, done.hospital_name) == ([given["Hòa"], given["Tú"]], 2, "Bệnh viện Chợ Rẫy")
    assert [m.body for m in thank_yous(session)] == [
        "Hoi Chu thap do cam on ban Hoa: mau ban hien ngay 01/06/2026 da den Benh vien Cho Ray de cuu nguoi benh.",
        "Hoi Chu thap do cam on ban Tu: mau ban hien ngay 01/06/2026 da den Benh vien Cho Ray de cuu nguoi benh."]
    again = thanks.release_drive(session=session, settings=settings, now=now, drive_id=world["drive"],
                                 hospital_id=world["binh_dan"], actor="user:coord")
    assert (again.new, again.texted) == ([], 0)
    assert uses(session)[given["Tú"]] == (world["cho_ray"], UseKind.drive_release, "user:coord")
    assert len(thank_yous(session)) == 2
    with pytest.raises(NotFound):
        thanks.release_drive(session=session, settings=settings, now=now, drive_id=world["drive"],
                             hospital_id=999999, actor="user:coord")


def test_the_donors_record_knows_where_each_unit_went(session, now, settings, world):
    given = world["given"]
    mark(session, now, settings, world, ["HM-0001"])
    thanks.release_drive(session=session, settings=settings, now=now, drive_id=world["drive"],
                         hospital_id=world["cho_ray"], actor="user:coord")
    assert thanks.destinations(session=session, donation_ids=list(given.values())) == {
        given["Lan"]: "Bệnh viện Bình Dân", given["Hòa"]: "Bệnh viện Chợ Rẫy", given["Tú"]: "Bệnh viện Chợ Rẫy"}


def test_a_void_withdraws_the_queued_thank_you(session, now, settings, world):
    mark(session, now, settings, world, ["HM-0001"])
    assert withdraw_stale_reminders(session=session, now=now, donor_ids=[],
                                    withdrawn_donation_ids=[world["given"]["Lan"]]) == 1
    assert [m.status for m in thank_yous(session)] == [OutboxStatus.cancelled]


def test_a_chapter_without_the_template_still_records_the_use(session, now, world):
    from donor_registry.config import Settings

    bare = Settings(sms={"templates": {"invitation": "Moi {ten}"}})
    done = mark(session, now, bare, world, ["HM-0001"])
    assert (len(done.new), done.texted) == (1, 0) and thank_yous(session) == []


@pytest.fixture
def fake():
    with FakeTwilio(SID, TOKEN) as server:
        yield server
    assert server.violations == []


def test_the_thank_you_waits_out_quiet_hours(engine, now, settings, fake):
    night = dt.datetime(2026, 6, 1, 15, 0, tzinfo=dt.UTC)  # 22:00 in Vietnam
    with session_scope(engine) as session:
        hospital, _ = make.hospital(session, now)
        request = make.request(session, now, settings, hospital.id)
        donation = give(session, now, make.donor(session, now, name="Phạm Thị Lan", standby=False),
                        request_id=request.id)
        session.execute(OutboxMessage.__table__.delete())  # the call-outs of the request: not under test
        thanks.mark_used(session=session, settings=settings, now=night, request_id=request.id,
                         hospital_id=hospital.id, refs=[str(donation)], actor="hospital:1")
    clock = FakeClock(night)
    quiet = sms_settings(quiet_hours_start="21:00", quiet_hours_end="07:00")
    assert "blood_reached" not in quiet.urgent_kinds
    assert dispatcher(engine, fake, clock, quiet).run_once().sent == 0
    clock.now = dt.datetime(2026, 6, 1, 23, 59, tzinfo=dt.UTC)  # 06:59
    assert dispatcher(engine, fake, clock, quiet).run_once().sent == 0
    clock.now = dt.datetime(2026, 6, 2, 0, 0, tzinfo=dt.UTC)  # 07:00
    assert dispatcher(engine, fake, clock, quiet).run_once().sent == 1
    assert [m["Body"] for m in fake.messages] == [LAN_AT_BINH_DAN]


def test_parallel_marks_and_releases_record_and_thank_a_unit_once(engine, now, settings):
    """On PostgreSQL, 4 marks and 4 releases of the same unit at once (each in its own session):
    one use, one thank-you, no error."""
    if is_sqlite(engine):
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE)")
    with session_scope(engine) as session:
        hospital, _ = make.hospital(session, now)
        request = make.request(session, now, settings, hospital.id)
        drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), now=now, data=DriveCreate(
            date=TODAY, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa xã Tân Lập"))
        donation = give(session, now, make.donor(session, now, name="Phạm Thị Lan", standby=False),
                        request_id=request.id, drive_id=drive.id)
        hospital_id, request_id, drive_id = hospital.id, request.id, drive.id
    parallel = create_engine(engine.url, pool_size=8, max_overflow=0)
    start, failed = threading.Barrier(8), []

    def call(kind: str) -> None:
        start.wait()
        try:
            with use_language("en"), session_scope(parallel) as session:
                if kind == "mark":
                    thanks.mark_used(session=session, settings=settings, now=now, request_id=request_id,
                                     hospital_id=hospital_id, refs=[str(donation)], actor="hospital:1")
                else:
                    thanks.release_drive(session=session, settings=settings, now=now, drive_id=drive_id,
                                         hospital_id=hospital_id, actor="user:coord")
        except Exception as exc:  # noqa: BLE001 - any failure fails the test below
            failed.append(repr(exc))

    threads = [threading.Thread(target=call, args=(kind,)) for kind in ["mark", "release"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    parallel.dispose()
    assert failed == []
    with session_scope(engine) as session:
        assert list(uses(session)) == [donation]
        assert [m.idempotency_key for m in thank_yous(session)] == [f"blood_reached:donation:{donation}"]


def test_a_donor_who_chose_english_is_thanked_in_english(session, now, settings, world):
    from donor_registry.portal.models import DonorAvailability

    session.add(DonorAvailability(donor_id=world["donors"]["Minh"], language="en", updated_at=now))
    session.flush()
    mark(session, now, settings, world, [str(world["given"]["Lan"]), str(world["given"]["Minh"])])
    bodies = {m.donor_id: m.body for m in thank_yous(session)}
    assert bodies[world["donors"]["Lan"]] == LAN_AT_BINH_DAN
    assert bodies[world["donors"]["Minh"]] == ("Hoi Chu thap do thanks you, Minh: the blood you gave on 01/06/2026 "
                                               "reached Benh vien Binh Dan to help a patient.")
