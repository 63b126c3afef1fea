"""Reminders: who is invited, reminded, thanked; never without consent; once per key; weekly cap."""

import datetime as dt

from sqlmodel import select

from donor_registry.campaigns.models import Drive
from donor_registry.config import Settings
from donor_registry.donations.models import Donation
from donor_registry.sms.models import OutboxMessage
from donor_registry.sms.outbox import enqueue
from donor_registry.sms.reminders import plan_reminders
from tests.support.sms import make_donor

TODAY = dt.date(2026, 6, 1)  # `now` is 10:00 in Hà Nội on this day


def make_drive(session, now, *, days_ahead: int = 3, commune_key: str = "ben nghe") -> Drive:
    drive = Drive(date=TODAY + dt.timedelta(days=days_ahead), start_time=dt.time(7, 30),
                  end_time=dt.time(11, 30), venue="Nhà văn hóa phường", venue_key="nha van hoa phuong",
                  commune="Bến Nghé", commune_key=commune_key, district="Quận 1",
                  district_key="quan 1", created_at=now, updated_at=now)
    session.add(drive)
    session.flush()
    return drive


def outbox(session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_invitations_go_only_to_contactable_eligible_donors_in_the_area(session, now):
    ok = make_donor(session, now, 1)
    excluded = [
        make_donor(session, now, 2, consent_at=None),
        make_donor(session, now, 3, sms_opted_out_at=now),
        make_donor(session, now, 4, deceased_on=TODAY),
        make_donor(session, now, 5, phone_e164=None),
        make_donor(session, now, 6, phone_sms_capable=False),
        make_donor(session, now, 7, consent_withdrawn_at=now),
        make_donor(session, now, 8, commune_key="da kao"),
        make_donor(session, now, 9, eligible_again_on=TODAY + dt.timedelta(days=30)),
        make_donor(session, now, 10, birth_year=1950),
    ]
    excluded.append(make_donor(session, now, 11, merged_into_id=ok.id))
    drive = make_drive(session, now)
    report = plan_reminders(session=session, settings=Settings(), now=now)
    [message] = outbox(session)
    assert report.planned["invitation"] == 1 and message.donor_id == ok.id
    assert message.idempotency_key == f"invitation:drive:{drive.id}:donor:{ok.id}"
    assert message.body.startswith("Hoi Chu thap do moi ban So1 hien mau ngay 04/06/2026 luc 07:30")
    assert len(excluded) == 10


def test_planning_again_adds_nothing(session, now):
    for n in range(3):
        make_donor(session, now, n)
    make_drive(session, now)
    first = plan_reminders(session=session, settings=Settings(), now=now)
    again = plan_reminders(session=session, settings=Settings(), now=now + dt.timedelta(hours=1))
    assert first.planned["invitation"] == 3
    assert again.planned["invitation"] == 0 and again.existing["invitation"] == 3
    assert len(outbox(session)) == 3


def test_weekly_cap_per_donor(session, now):
    capped, free = make_donor(session, now, 1), make_donor(session, now, 2)
    enqueue(session=session, now=now, donor_id=capped.id, to=capped.phone_e164, kind="invitation",
            body="earlier", idempotency_key="earlier", send_after=now - dt.timedelta(days=2))
    make_drive(session, now)
    settings = Settings(sms={"weekly_cap_per_donor": 1})
    report = plan_reminders(session=session, settings=settings, now=now)
    assert report.planned["invitation"] == 1 and report.over_cap["invitation"] == 1
    assert {m.donor_id for m in outbox(session) if m.idempotency_key != "earlier"} == {free.id}


def test_day_before_reminder_goes_to_those_invited_earlier(session, now):
    invited, not_invited = make_donor(session, now, 1), make_donor(session, now, 2)
    drive = make_drive(session, now, days_ahead=1)
    enqueue(session=session, now=now - dt.timedelta(days=3), donor_id=invited.id,
            to=invited.phone_e164, kind="invitation", body="moi",
            idempotency_key=f"invitation:drive:{drive.id}:donor:{invited.id}")
    settings = Settings(sms={"reminders": {"invitation_days_before": 1}})
    report = plan_reminders(session=session, settings=settings, now=now)
    reminders = [m for m in outbox(session) if m.kind == "reminder"]
    assert report.planned["reminder"] == 1 and [m.donor_id for m in reminders] == [invited.id]
    assert "ngay mai 02/06/2026" in reminders[0].body
    assert not_invited.id in {m.donor_id for m in outbox(session) if m.kind == "invitation"}


def test_thank_you_after_a_donation_and_may_give_again_once_per_interval(session, now):
    donor = make_donor(session, now, 1)
    old_donor = make_donor(session, now, 2, last_donation_on=TODAY - dt.timedelta(days=90),
                           eligible_again_on=TODAY - dt.timedelta(days=2))
    session.add(Donation(donor_id=donor.id, donated_on=TODAY, created_at=now))
    session.add(Donation(donor_id=donor.id, donated_on=TODAY - dt.timedelta(days=60), created_at=now))
    session.flush()
    report = plan_reminders(session=session, settings=Settings(), now=now)
    assert report.planned["thank_you"] == 1  # the 60-day-old donation is past look_back_days
    assert report.planned["may_give_again"] == 1
    again = [m for m in outbox(session) if m.kind == "may_give_again"]
    assert again[0].donor_id == old_donor.id
    assert again[0].idempotency_key == f"may_give_again:donor:{old_donor.id}:2026-05-30"
    later = plan_reminders(session=session, settings=Settings(), now=now + dt.timedelta(days=1))
    assert later.planned["may_give_again"] == 0 and later.planned["thank_you"] == 0


def test_a_void_cancels_the_queued_thank_you_and_a_may_give_again_no_longer_right(session, now, rules):
    from donor_registry.donations.corrections import void_donation
    from donor_registry.donations.service import refresh_donor_stats
    from donor_registry.sms.models import OutboxStatus
    from donor_registry.sms.reminders import withdraw_stale_reminders

    donor = make_donor(session, now, 1)
    kept = Donation(donor_id=donor.id, donated_on=TODAY - dt.timedelta(days=200), created_at=now)
    wrong = Donation(donor_id=donor.id, donated_on=TODAY - dt.timedelta(days=86), created_at=now)
    today = Donation(donor_id=donor.id, donated_on=TODAY, created_at=now)
    session.add_all([kept, wrong, today])
    session.flush()
    plan_reminders(session=session, settings=Settings(), now=now)
    assert {m.idempotency_key for m in outbox(session)} == {f"thank_you:donation:{today.id}"}
    # Today's donation was a mistake: the thank-you goes; the earlier wrong one sets the next date.
    void_donation(session=session, donation_id=today.id, reason="wrong donor", actor="cli:t", now=now, rules=rules)
    assert withdraw_stale_reminders(session=session, now=now, donor_ids={donor.id},
                                    withdrawn_donation_ids={today.id}) == 1
    planned = plan_reminders(session=session, settings=Settings(), now=now)
    assert planned.planned["may_give_again"] == 1  # eligible again from 2026-05-30
    void_donation(session=session, donation_id=wrong.id, reason="never happened", actor="cli:t", now=now,
                  rules=rules)
    refresh_donor_stats(session=session, donor_ids=[donor.id], rules=rules)
    assert withdraw_stale_reminders(session=session, now=now, donor_ids={donor.id}) == 1
    for message in outbox(session):
        session.refresh(message)
    statuses = {m.idempotency_key: m.status for m in outbox(session)}
    assert statuses == {f"thank_you:donation:{today.id}": OutboxStatus.cancelled,
                        f"may_give_again:donor:{donor.id}:2026-05-30": OutboxStatus.cancelled}
