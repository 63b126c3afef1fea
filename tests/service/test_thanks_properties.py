"""For any sequence of mark-used and release calls (hypothesis), each donation has at most one use
and at most one thank-you, a donation is thanked exactly when it was recorded and its donor may
be texted, and a refused call changes nothing; on SQLite and PostgreSQL."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func
from sqlmodel import select

from donor_registry.campaigns import drives
from donor_registry.campaigns.models import Drive, DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import session_scope
from donor_registry.donations.models import Donation
from donor_registry.donors.models import Donor
from donor_registry.emergency.models import EmergencyRequest, Hospital
from donor_registry.errors import UserError
from donor_registry.sms.models import OutboxMessage
from donor_registry.thanks import service as thanks
from donor_registry.thanks.models import DonationUse
from tests.service import emergency_support as make
from tests.service.test_thanks import TODAY, give

# Donations 0-2 are given for request A (of hospital A), 3 for request B (of hospital B), 4-5 at the
# drive, 6 at the drive for request A too; donor 2 has opted out of messages.
FOR_A, FOR_B, AT_DRIVE = (0, 1, 2, 6), (3,), (4, 5, 6)
OPTED_OUT = 2
an_operation = st.one_of(
    # (hospital marking, request, donation indexes); hospital B on A's request is refused (not found).
    st.tuples(st.just("mark"), st.sampled_from("AB"), st.sampled_from("AB"),
              st.lists(st.integers(0, 6), min_size=1, max_size=3)),
    st.tuples(st.just("release"), st.sampled_from("AB"), st.just("-"), st.just([])),
)
PROPERTY = settings(derandomize=True, max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _fresh(engine, now, config):
    """{hospital letter: id}, {request letter: id}, drive id, donation ids; no use or thank-you left."""
    with session_scope(engine) as session:
        if session.exec(select(func.count()).select_from(Hospital)).one() == 0:
            a, _ = make.hospital(session, now)
            b, _ = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
            request_a = make.request(session, now, config, a.id)
            request_b = make.request(session, now, config, b.id)
            drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), now=now, data=DriveCreate(
                date=TODAY, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa xã Tân Lập"))
            places = [{"request_id": request_a.id}] * 3 + [{"request_id": request_b.id}] + \
                [{"drive_id": drive.id}] * 2 + [{"request_id": request_a.id, "drive_id": drive.id}]
            for n, place in enumerate(places):
                donor = make.donor(session, now, name=f"Phạm Thị Lan{n}", standby=False)
                give(session, now, donor, **place)
                if n == OPTED_OUT:
                    session.get(Donor, donor).sms_opted_out_at = now
        session.execute(delete(DonationUse))
        session.execute(delete(OutboxMessage))
        hospitals = list(session.exec(select(Hospital.id).order_by(Hospital.id)))
        requests = list(session.exec(select(EmergencyRequest.id).order_by(EmergencyRequest.id)))
        drive_id = session.exec(select(Drive.id)).one()
        donations = list(session.exec(select(Donation.id).order_by(Donation.id)))
    return dict(zip("AB", hospitals)), dict(zip("AB", requests)), drive_id, donations


@PROPERTY
@given(operations=st.lists(an_operation, max_size=8))
def test_any_sequence_thanks_each_donation_at_most_once(engine, now, settings, operations):
    hospitals, requests, drive_id, donations = _fresh(engine, now, settings)
    model: dict[int, str] = {}  # donation index -> the hospital its unit went to
    for n, (kind, who, which, picked) in enumerate(operations):
        at = now + dt.timedelta(minutes=n)
        if kind == "mark":
            allowed = who == which and all(i in (FOR_A if which == "A" else FOR_B) for i in picked)
        else:
            allowed = True
        try:
            with session_scope(engine) as session:
                if kind == "mark":
                    thanks.mark_used(session=session, settings=settings, now=at, request_id=requests[which],
                                     hospital_id=hospitals[who], refs=[str(donations[i]) for i in picked],
                                     actor=f"hospital:{who}")
                else:
                    thanks.release_drive(session=session, settings=settings, now=at, drive_id=drive_id,
                                         hospital_id=hospitals[who], actor="user:coord")
        except UserError:
            assert not allowed, (kind, who, which, picked)
            continue
        assert allowed, (kind, who, which, picked)
        for i in (picked if kind == "mark" else AT_DRIVE):
            model.setdefault(i, who)
    with session_scope(engine) as session:
        used = dict(session.exec(select(DonationUse.donation_id, DonationUse.hospital_id)).all())
        keys = list(session.exec(select(OutboxMessage.idempotency_key).where(OutboxMessage.kind == "blood_reached")))
    assert used == {donations[i]: hospitals[h] for i, h in model.items()}
    assert len(keys) == len(set(keys))  # at most one thank-you a donation
    assert sorted(keys) == sorted(f"blood_reached:donation:{donations[i]}" for i in model if i != OPTED_OUT)
