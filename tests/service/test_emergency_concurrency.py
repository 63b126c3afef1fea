"""Two requests at once never call one donor twice; waves survive a restart; merges keep history."""

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import select

from donor_registry.config import Settings
from donor_registry.db import is_sqlite, make_engine, session_scope
from donor_registry.donors.duplicates import merge_donors
from donor_registry.donors.models import Donor
from donor_registry.emergency import jobs, notify
from donor_registry.emergency.models import CallOut, EmergencyRequest
from tests.service import emergency_support as make


@pytest.fixture
def cfg(db_url) -> Settings:
    return Settings(database={"url": db_url}, emergency={"wave_margin": 0.5, "wave_wait_minutes": 20})


def _setup(engine, now, donors=6):
    with session_scope(engine) as session:
        first, _ = make.hospital(session, now)
        second, _ = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
        ids = [make.donor(session, now) for _ in range(donors)]
    return first.id, second.id, ids


def _all_callouts(engine):
    with session_scope(engine) as session:
        return [(c.request_id, c.donor_id, c.wave) for c in session.exec(select(CallOut).order_by(CallOut.id))]


def test_two_requests_one_after_the_other_ask_different_donors(engine, cfg, now):
    first, second, donors = _setup(engine, now)
    with session_scope(engine) as session:
        make.request(session, now, cfg, first, units=2)
    with session_scope(engine) as session:
        make.request(session, now, cfg, second, units=2)
    callouts = _all_callouts(engine)
    assert [d for _, d, _ in callouts] == donors
    assert len({d for _, d, _ in callouts}) == 6


def test_two_concurrent_transactions_never_claim_the_same_donor(engine, cfg, now):
    if is_sqlite(engine):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); covered by the sequential test")
    first, second, _ = _setup(engine, now, donors=8)
    outcome: dict = {}

    def second_request():
        try:
            with session_scope(engine) as other:
                outcome["request"] = make.request(other, now, cfg, second, units=2).id
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    with session_scope(engine) as session:
        make.request(session, now, cfg, first, units=2)  # claims 3 donors, not yet committed
        worker = threading.Thread(target=second_request)
        worker.start()
        _wait_until_blocked(engine)
        # Leaving the block commits the first request; the second then skips its donors.
    worker.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    callouts = _all_callouts(engine)
    by_request: dict[int, set[int]] = {}
    for request_id, donor_id, _ in callouts:
        by_request.setdefault(request_id, set()).add(donor_id)
    assert len(by_request) == 2 and all(len(d) == 3 for d in by_request.values())
    one, two = by_request.values()
    assert not one & two


def _wait_until_blocked(engine, timeout: float = 20.0) -> None:
    """Wait until another connection waits on a row lock (the competing claim)."""
    watcher = make_engine(engine.url.render_as_string(hide_password=False))
    deadline = time.monotonic() + timeout
    try:
        with watcher.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(text(
                    "select count(*) from pg_stat_activity where datname = current_database() "
                    "and wait_event_type = 'Lock'")).scalar()
                if waiting:
                    return
                conn.rollback()  # pg_stat_activity is a snapshot per transaction: take a new one
                time.sleep(0.02)
    finally:
        watcher.dispose()
    raise AssertionError("the second transaction never waited for the first one's claims")


def test_a_restart_between_waves_continues_from_the_right_wave(db_url, cfg, now):
    engine = make_engine(db_url)
    hospital, _, donors = _setup(engine, now, donors=12)
    with session_scope(engine) as session:
        request_id = make.request(session, now, cfg, hospital, units=2).id
    engine.dispose()  # the process dies after wave 1

    for minutes, expected_waves in [(21, 2), (21, 2), (30, 2), (42, 3), (42, 3)]:
        engine = make_engine(db_url)  # a fresh process: nothing but the database survives
        jobs.run_due_waves(engine=engine, settings=cfg, now=now + dt.timedelta(minutes=minutes))
        with session_scope(engine) as session:
            assert session.get(EmergencyRequest, request_id).wave == expected_waves
        engine.dispose()

    engine = make_engine(db_url)
    callouts = _all_callouts(engine)
    engine.dispose()
    assert [d for _, d, _ in callouts] == donors[:9]
    assert [w for _, _, w in callouts] == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_a_wave_killed_half_way_is_rolled_back_and_run_whole_later(engine, cfg, now, monkeypatch):
    hospital, _, donors = _setup(engine, now, donors=8)
    with session_scope(engine) as session:
        make.request(session, now, cfg, hospital, units=2)
    real_send, sent = notify.send_call, []

    def dies_on_the_second(**kwargs):
        if len(sent) == 1:
            raise RuntimeError("killed")
        sent.append(kwargs["donor_id"])
        real_send(**kwargs)

    monkeypatch.setattr(notify, "send_call", dies_on_the_second)
    later = now + dt.timedelta(minutes=21)
    assert jobs.run_due_waves(engine=engine, settings=cfg, now=later) == 0
    assert len(_all_callouts(engine)) == 3
    monkeypatch.setattr(notify, "send_call", real_send)
    assert jobs.run_due_waves(engine=engine, settings=cfg, now=later) == 1
    callouts = _all_callouts(engine)
    assert [d for _, d, _ in callouts] == donors[:6] and [w for _, _, w in callouts][-3:] == [2, 2, 2]
    with session_scope(engine) as session:
        assert len(make.messages(session, "emergency_call")) == 6


def test_one_person_registered_twice_is_asked_once(session, now, settings):
    hospital, _ = make.hospital(session, now)
    make.donor(session, now, name="Lê Văn Tám", phone_e164="0900000999")
    make.donor(session, now, name="Lê Văn Tám", phone_e164="0900000999")
    make.donor(session, now)
    request = make.request(session, now, settings, hospital.id, units=2)
    phones = [session.get(Donor, d).phone_e164 for d in make.asked(session, request.id)]
    assert len(phones) == 2 and len(set(phones)) == 2


def test_a_merge_moves_the_duplicates_call_outs_to_the_donor_kept(session, now, settings, rules):
    first, _ = make.hospital(session, now)
    second, _ = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
    kept = make.donor(session, now, name="Lê Văn Tám")
    one = make.request(session, now, settings, first.id, units=1)
    duplicate = make.donor(session, now, name="Lê Văn Tám")
    two = make.request(session, now, settings, second.id, units=1)
    assert make.asked(session, one.id) == [kept] and make.asked(session, two.id) == [duplicate]
    merge_donors(session=session, keep_id=kept, duplicate_id=duplicate, rules=rules, now=now, command="test")
    assert make.asked(session, two.id) == [kept]


def test_two_concurrent_requests_of_one_hospital_respect_its_open_limit(engine, db_url, now):
    """The hospital row is locked first: the second transaction waits, then sees the first."""
    if is_sqlite(engine):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE)")
    limited = Settings(database={"url": db_url}, emergency={"max_open_requests": 1})
    first, _, _ = _setup(engine, now, donors=4)
    outcome: dict = {}

    def same_hospital_again():
        try:
            with session_scope(engine) as other:
                make.request(other, now, limited, first, units=1)
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            outcome["error"] = exc

    with session_scope(engine) as session:
        make.request(session, now, limited, first, units=1)
        worker = threading.Thread(target=same_hospital_again)
        worker.start()
        _wait_until_blocked(engine)
    worker.join(timeout=30)
    assert type(outcome.get("error")).__name__ == "RateLimited"
    with session_scope(engine) as session:
        assert len(session.exec(select(EmergencyRequest)).all()) == 1
