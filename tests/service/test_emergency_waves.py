"""Waves: first wave at once, later waves from the job, stopping, cancelling, late answers, expiry."""

import datetime as dt

import pytest
from sqlmodel import select

from donor_registry.audit.service import recent
from donor_registry.config import Settings
from donor_registry.emergency import answers, jobs, waves
from donor_registry.emergency.models import Answer, CallOut, DonorClaim, RequestStatus
from donor_registry.emergency.service import cancel_request, status_view
from donor_registry.errors import NotFound, UserError
from donor_registry.sms.inbound import receive
from tests.service import emergency_support as make

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def cfg(db_url) -> Settings:
    """Margin 0.5, 20 minutes between waves."""
    return Settings(database={"url": db_url}, emergency={"wave_margin": 0.5, "wave_wait_minutes": 20})


def _answer(session, now, cfg, request_id, donor_id, accept=True):
    return answers.answer_by_phone(session=session, now=now, settings=cfg, request_id=request_id,
                                   donor_id=donor_id, accept=accept, actor="coordinator")[1]


def test_first_wave_is_queued_with_the_request_as_urgent_sms_with_a_reply_link(session, now, cfg):
    hospital, _ = make.hospital(session, now)
    donors = [make.donor(session, now, "O+") for _ in range(10)]
    request = make.request(session, now, cfg, hospital.id, "O+", units=2)
    assert make.asked(session, request.id) == donors[:3]  # 2 units × 1.5
    assert request.wave == 1 and request.next_wave_at == now + dt.timedelta(minutes=20)
    calls = make.messages(session, "emergency_call")
    assert [m.donor_id for m in calls] == donors[:3]
    assert all(m.urgent and m.send_after == now for m in calls)
    assert all("O+" in m.body and "Binh Dan" in m.body and "/r/" in m.body for m in calls)
    tokens = {make.reply_token(session, m) for m in calls}
    assert len(tokens) == 3 and all(len(t) >= 22 for t in tokens)
    stored = set(session.exec(select(CallOut.reply_token_hash)))
    assert not tokens & stored, "tokens are stored hashed only"
    assert len(recent(session=session, action="emergency.callout")) == 3


def test_later_waves_run_from_the_job_skip_those_asked_and_widen(engine, cfg, now):
    from donor_registry.db import session_scope

    with session_scope(engine) as session:
        hospital, _ = make.hospital(session, now)
        home = [make.donor(session, now) for _ in range(2)]
        district = [make.donor(session, now, place={**make.HOME, "commune": "Phường 9"}) for _ in range(2)]
        request_id = make.request(session, now, cfg, hospital.id, units=2).id
    # Not due yet: nothing happens.
    assert jobs.run_due_waves(engine=engine, settings=cfg, now=now + dt.timedelta(minutes=5)) == 0
    later = now + dt.timedelta(minutes=21)
    assert jobs.run_due_waves(engine=engine, settings=cfg, now=later) == 1
    with session_scope(engine) as session:
        assert make.asked(session, request_id) == home + district[:1] + district[1:]
        request = session.get(waves.EmergencyRequest, request_id)
        assert request.wave == 2 and request.area_level == "10km"  # Phường 9 of old Quận 3
        assert [c.wave for c in session.exec(select(CallOut).order_by(CallOut.id))] == [1, 1, 1, 2]


def test_enough_acceptances_stop_the_waves_and_tell_the_others(session, now, cfg):
    hospital, _ = make.hospital(session, now)
    donors = [make.donor(session, now) for _ in range(8)]
    request = make.request(session, now, cfg, hospital.id, units=2)
    asked = make.asked(session, request.id)
    assert _answer(session, now, cfg, request.id, asked[0]) == answers.Outcome.recorded
    assert _answer(session, now, cfg, request.id, asked[1], accept=False) == answers.Outcome.recorded
    assert _answer(session, now, cfg, request.id, asked[2]) == answers.Outcome.covered
    assert request.status == RequestStatus.covered and request.next_wave_at is None
    filled = make.messages(session, "emergency_filled")
    assert filled == [], "everyone asked answered: nobody to tell"
    assert waves.due_request_ids(session=session, now=now + dt.timedelta(days=1)) == []
    assert session.exec(select(DonorClaim)).all() == []
    view = status_view(session=session, request=request)
    assert view.counts == {"asked": 3, "accepted": 2, "declined": 1, "no_answer": 0, "late": 0,
                           "arrived": 0, "donated": 0}
    assert len(donors) == 8


def test_covering_tells_the_unanswered_and_a_late_accept_is_thanked(session, now, cfg):
    hospital, _ = make.hospital(session, now)
    for _ in range(5):
        make.donor(session, now)
    request = make.request(session, now, cfg, hospital.id, units=1)  # asks 2
    first, second = make.asked(session, request.id)
    assert _answer(session, now, cfg, request.id, first) == answers.Outcome.covered
    assert [m.donor_id for m in make.messages(session, "emergency_filled")] == [second]
    donor = session.get(waves.Donor, second)
    handled = receive(session=session, settings=cfg, now=now + dt.timedelta(minutes=3), from_phone=donor.phone_e164, body="CÓ")
    assert handled.action == "handled"
    callout = answers.get_callout(session=session, request_id=request.id, donor_id=second)
    assert callout.answer == Answer.too_late
    assert [m.idempotency_key for m in make.messages(session, "emergency_filled")][-1].endswith(":late")
    assert status_view(session=session, request=request).counts["accepted"] == 1


def test_sms_answers_1_co_2_khong_but_not_yes(session, now, cfg):
    hospital, _ = make.hospital(session, now)
    for _ in range(8):
        make.donor(session, now)
    request = make.request(session, now, cfg, hospital.id, units=3)  # asks 5
    asked = make.asked(session, request.id)
    phones = {d: session.get(waves.Donor, d).phone_e164 for d in asked}
    assert receive(session=session, settings=cfg, now=now, from_phone=phones[asked[0]], body="YES").action == "stored"
    assert receive(session=session, settings=cfg, now=now, from_phone=phones[asked[0]], body=" 1 ").action == "handled"
    assert receive(session=session, settings=cfg, now=now, from_phone=phones[asked[1]], body="không").action == "handled"
    assert receive(session=session, settings=cfg, now=now, from_phone=phones[asked[2]], body="2").action == "handled"
    assert receive(session=session, settings=cfg, now=now, from_phone=phones[asked[3]], body="co").action == "handled"
    got = {c.donor_id: c.answer for c in session.exec(select(CallOut))}
    assert [got[d] for d in asked] == [Answer.accepted, Answer.declined, Answer.declined,
                                        Answer.accepted, Answer.none]
    assert all(c.answer_channel.value == "sms" for c in session.exec(select(CallOut)) if c.answer != Answer.none)
    # The decliners are free for another request; the accepted ones are still held.
    claimed = set(session.exec(select(DonorClaim.donor_id)))
    assert claimed == {asked[0], asked[3], asked[4]}


def test_cancel_tells_everyone_who_has_not_declined(session, now, cfg):
    hospital, _ = make.hospital(session, now)
    for _ in range(5):
        make.donor(session, now)
    request = make.request(session, now, cfg, hospital.id, units=2)  # asks 3
    a, b, c = make.asked(session, request.id)
    _answer(session, now, cfg, request.id, a)
    _answer(session, now, cfg, request.id, b, accept=False)
    make.mark_sent(session, now)
    cancel_request(session=session, now=now, settings=cfg, request_id=request.id, actor="hospital:1",
                   hospital_id=hospital.id, reason="patient transferred")
    assert request.status == RequestStatus.cancelled
    assert sorted(m.donor_id for m in make.messages(session, "emergency_filled")) == sorted([a, c])
    with pytest.raises(UserError, match="already cancelled"):
        cancel_request(session=session, now=now, settings=cfg, request_id=request.id, actor="x")
    assert _answer(session, now, cfg, request.id, c) == answers.Outcome.too_late


def test_another_hospitals_request_is_not_found(session, now, cfg):
    mine, _ = make.hospital(session, now)
    theirs, _ = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
    make.donor(session, now)
    request = make.request(session, now, cfg, mine.id)
    with pytest.raises(NotFound):
        cancel_request(session=session, now=now, settings=cfg, request_id=request.id, actor="x",
                       hospital_id=theirs.id)
    assert request.status == RequestStatus.open


def test_reply_tokens_work_once_and_expire(session, now, cfg):
    hospital, _ = make.hospital(session, now)
    for _ in range(6):
        make.donor(session, now)
    request = make.request(session, now, cfg, hospital.id, units=3)
    first, second, third = [make.reply_token(session, m) for m in make.messages(session, "emergency_call")][:3]
    callout, outcome = answers.answer_by_token(session=session, now=now, settings=cfg, token=first,
                                               accept=True, arrive_in_minutes=30)
    assert outcome == answers.Outcome.recorded
    assert callout.expected_arrival_at == now + dt.timedelta(minutes=30)
    with pytest.raises(answers.TokenProblem) as used:
        answers.answer_by_token(session=session, now=now, settings=cfg, token=first, accept=False)
    assert used.value.kind == "used"
    expired_at = now + dt.timedelta(hours=cfg.emergency.reply_token_hours)
    with pytest.raises(answers.TokenProblem) as expired:
        answers.answer_by_token(session=session, now=expired_at, settings=cfg, token=second, accept=True)
    assert expired.value.kind == "expired"
    with pytest.raises(answers.TokenProblem) as unknown:
        answers.answer_by_token(session=session, now=now, settings=cfg, token=third[:-1] + "x", accept=True)
    assert unknown.value.kind == "unknown"
    assert request.status == RequestStatus.open


def test_overdue_requests_expire_and_the_unanswered_are_told(engine, cfg, now):
    from donor_registry.db import session_scope

    with session_scope(engine) as session:
        hospital, _ = make.hospital(session, now)
        for _ in range(3):
            make.donor(session, now)
        request_id = make.request(session, now, cfg, hospital.id, units=1,
                                  needed_by=now + dt.timedelta(minutes=10)).id
    assert jobs.run_due_waves(engine=engine, settings=cfg, now=now + dt.timedelta(minutes=30)) == 0
    with session_scope(engine) as session:
        request = session.get(waves.EmergencyRequest, request_id)
        assert request.status == RequestStatus.expired
        assert len(make.messages(session, "emergency_filled")) == 2
        assert session.exec(select(DonorClaim)).all() == []


def test_arrival_and_donation_close_the_loop(session, now, cfg, rules):
    from donor_registry.donations.models import DonationCreate
    from donor_registry.donations.service import record_donation

    hospital, _ = make.hospital(session, now)
    make.donor(session, now, name="Trần Thị Mai")
    request = make.request(session, now, cfg, hospital.id, units=1)
    (donor_id,) = make.asked(session, request.id)
    _answer(session, now, cfg, request.id, donor_id)
    answers.mark_arrived(session=session, now=now + dt.timedelta(minutes=40), request_id=request.id,
                         donor_id=donor_id, actor="coordinator")
    donation = record_donation(session=session, donor_id=donor_id, rules=rules, now=now,
                               data=DonationCreate(donated_on=now.date(), emergency_request_id=request.id))
    answers.link_donation(session=session, now=now, request_id=request.id, donor_id=donor_id, actor="cli")
    view = status_view(session=session, request=request)
    assert view.counts["arrived"] == 1 and view.counts["donated"] == 1
    assert view.coming == [{"given_name": "Mai", "expected_arrival_at": now + dt.timedelta(minutes=60),
                            "arrived": True, "donated": True}]
    assert donation.emergency_request_id == request.id


def test_a_voided_emergency_donation_no_longer_counts_as_donated(session, now, cfg, rules):
    from donor_registry.donations.corrections import void_donation
    from donor_registry.donations.models import DonationCreate
    from donor_registry.donations.service import record_donation

    hospital, _ = make.hospital(session, now)
    make.donor(session, now, name="Trần Thị Mai")
    request = make.request(session, now, cfg, hospital.id, units=1)
    (donor_id,) = make.asked(session, request.id)
    _answer(session, now, cfg, request.id, donor_id)
    donation = record_donation(session=session, donor_id=donor_id, rules=rules, now=now,
                               data=DonationCreate(donated_on=now.date(), emergency_request_id=request.id))
    answers.link_donation(session=session, now=now, request_id=request.id, donor_id=donor_id, actor="cli")
    void_donation(session=session, donation_id=donation.id, reason="recorded for the wrong request", actor="cli:t",
                  now=now, rules=rules)
    answers.unlink_voided_donation(session=session, now=now, donation=donation, actor="cli:t")
    view = status_view(session=session, request=request)
    assert view.counts["arrived"] == 1 and view.counts["donated"] == 0
    assert [entry.action for entry in recent(session=session, limit=2)] == [
        "emergency.donation_voided", "donations.void"]
