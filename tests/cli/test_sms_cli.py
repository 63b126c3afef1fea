"""The sms and reminders commands on a fresh database with the console gateway."""

import datetime as dt

from donor_registry.db import make_engine, session_scope
from donor_registry.sms.outbox import enqueue
from tests.support.sms import make_donor

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def queue_two(sqlite_url):
    with session_scope(make_engine(sqlite_url)) as session:
        donor = make_donor(session, NOW, 1)
        for n in range(2):
            enqueue(session=session, now=NOW, donor_id=donor.id, to=donor.phone_e164, kind="thank_you",
                    body=f"Cam on {n}", idempotency_key=f"k{n}")


def test_outbox_list_show_cancel_retry_and_dispatch(cli, sqlite_url):
    queue_two(sqlite_url)
    listed = cli("sms", "outbox", "list", "--json").json()
    assert [m["status"] for m in listed] == ["queued", "queued"]
    assert listed[0]["to"] != "+84912000001"  # masked
    assert cli("sms", "outbox", "show", "1", "--json").json()["body"] == "Cam on 0"
    assert cli("sms", "outbox", "cancel", "2").exit_code == 0
    refused = cli("sms", "outbox", "cancel", "2")
    assert refused.exit_code == 1 and "only queued messages" in refused.stderr
    sent = cli("sms", "dispatch", "--once", "--json")
    assert sent.exit_code == 0 and "SMS to +84912000001 : Cam on 0" in sent.stdout
    assert cli("sms", "outbox", "retry", "2").exit_code == 0
    stats = cli("sms", "stats", "--json").json()
    assert stats == {"thank_you": {"sent": 1, "queued": 1}}
    assert "no SMS with id 9" in cli("sms", "outbox", "show", "9").stderr


def test_preview_shows_encoding_and_refuses_over_the_cap(cli, monkeypatch):
    shown = cli("sms", "preview", "invitation", "--json").json()
    assert shown["encoding"] == "GSM-7" and shown["segments"] == 1 and shown["recipients"] == 0
    monkeypatch.setenv("DONOR_REGISTRY_SMS__STRIP_DIACRITICS", "false")
    monkeypatch.setenv("DONOR_REGISTRY_SMS__MAX_SEGMENTS", "1")
    refused = cli("sms", "preview", "invitation")
    assert refused.exit_code == 1 and "UCS-2" in refused.stderr and "max_segments" in refused.stderr


def test_reminders_plan_dry_run_queues_nothing(cli, sqlite_url):
    with session_scope(make_engine(sqlite_url)) as session:
        make_donor(session, NOW, 1, last_donation_on=dt.date(2026, 3, 1),
                   eligible_again_on=dt.date(2026, 5, 30))
    dry = cli("reminders", "plan", "--dry-run", "--json").json()
    assert dry["kinds"] == [{"kind": "may_give_again", "new": 1, "over_weekly_cap": 0,
                             "already_planned": 0}]
    assert cli("sms", "outbox", "list", "--json").json() == []
    assert cli("reminders", "plan", "--json").json()["kinds"][0]["new"] == 1
    assert len(cli("sms", "outbox", "list", "--json").json()) == 1
