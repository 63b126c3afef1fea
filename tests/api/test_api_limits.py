"""Limits on urgent traffic, driven through the hospital API (issue 11, item 2).

Each test reproduces one finding: ten create+cancel cycles flooding donors, far-off needed-by
times, a schema that promised more units than the server takes, and no way to stop a hospital.
"""

import datetime as dt
import warnings
from collections import Counter

import pytest
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.emergency.hospitals import resume, suspend
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from tests.service import emergency_support as make

pytestmark = pytest.mark.usefixtures("english")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

URL = "/api/v1/emergency-requests"


def _world(engine, db_url, now, donors=10, **limits):
    settings = Settings(database={"url": db_url}, emergency=limits)
    with session_scope(engine) as session:
        hospital, token = make.hospital(session, now)
        ids = [make.donor(session, now) for _ in range(donors)]
    app = create_app(settings, engine)
    clock = {"now": now}
    app.state.clock = lambda: clock["now"]
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return {"client": client, "clock": clock, "hospital_id": hospital.id, "donors": ids, "settings": settings}


def _file(world, **body):
    return world["client"].post(URL, json={"blood_group": "O+", "units": 2, **body})


def _cancel(world, request_id):
    return world["client"].post(f"{URL}/{request_id}/cancel")


def _urgent_per_donor(engine) -> Counter:
    """Urgent SMS that will reach or reached each donor (withdrawn ones do not)."""
    with session_scope(engine) as session:
        rows = session.exec(select(OutboxMessage).where(
            OutboxMessage.urgent.is_(True), OutboxMessage.status != OutboxStatus.cancelled)).all()
        return Counter(m.donor_id for m in rows)


def test_ten_quick_create_cancel_cycles_send_nobody_anything(engine, db_url, now):
    """Finding: 10 create+cancel cycles in under a second queued 20 urgent SMS per donor."""
    world = _world(engine, db_url, now)
    for _ in range(10):
        filed = _file(world)
        assert filed.status_code == 201, filed.text
        assert _cancel(world, filed.json()["id"]).status_code == 200
    assert _urgent_per_donor(engine) == Counter()
    with session_scope(engine) as session:
        withdrawn = [m for m in make.messages(session, "emergency_call")]
        assert withdrawn and {m.status for m in withdrawn} == {OutboxStatus.cancelled}
        assert make.messages(session, "emergency_filled") == []


def test_a_donor_gets_at_most_k_urgent_sms_a_day_even_when_the_calls_go_out(engine, db_url, now):
    world = _world(engine, db_url, now, max_urgent_sms_per_donor_day=4)
    asked = []
    for _ in range(10):
        filed = _file(world)
        assert filed.status_code == 201
        asked.append(filed.json()["counts"]["asked"])
        with session_scope(engine) as session:
            make.mark_sent(session, now)  # the dispatcher sent the calls before the cancel
        assert _cancel(world, filed.json()["id"]).status_code == 200
    per_donor = _urgent_per_donor(engine)
    # 10 donors, 4 asked a cycle, 2 calls (each with its follow-up) per donor a day: 5 cycles.
    assert set(per_donor.values()) == {4} and len(per_donor) == 10
    assert asked == [4, 4, 4, 4, 4, 0, 0, 0, 0, 0]
    world["clock"]["now"] = now + dt.timedelta(hours=24, seconds=1)
    assert _file(world).json()["counts"]["asked"] == 4  # a day later they may be called again


def test_the_hourly_quota_answers_429_with_the_seconds_until_a_request_leaves_the_hour(engine, db_url, now):
    world = _world(engine, db_url, now, max_requests_per_hour=3)
    for minutes in (0, 10, 20):
        world["clock"]["now"] = now + dt.timedelta(minutes=minutes)
        filed = _file(world)
        assert filed.status_code == 201
        _cancel(world, filed.json()["id"])
    world["clock"]["now"] = now + dt.timedelta(minutes=30)
    refused = _file(world)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(30 * 60)  # the 10:00 request leaves at 11:00
    assert "3 requests an hour" in refused.json()["detail"] and "30 minutes" in refused.json()["detail"]
    world["clock"]["now"] = now + dt.timedelta(minutes=60, seconds=1)
    assert _file(world).status_code == 201


def test_open_requests_are_limited_and_cancelling_one_frees_a_place(engine, db_url, now):
    world = _world(engine, db_url, now, donors=20, max_open_requests=2)
    first = _file(world, needed_by=(now + dt.timedelta(hours=5)).isoformat()).json()
    _file(world, needed_by=(now + dt.timedelta(hours=3)).isoformat())
    refused = _file(world)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(3 * 3600)  # the sooner one expires by then
    assert "cancel one" in refused.json()["detail"]
    _cancel(world, first["id"])
    assert _file(world).status_code == 201


@pytest.mark.parametrize("ahead, status", [
    (dt.timedelta(hours=72), 201),
    (dt.timedelta(hours=72, minutes=1), 422),
    (None, 422),  # 9999-12-31 held donors for ever
])
def test_needed_by_is_at_most_the_horizon_ahead(engine, db_url, now, ahead, status):
    world = _world(engine, db_url, now, donors=2)
    needed_by = (now + ahead).isoformat() if ahead else "9999-12-31T23:59:59+07:00"
    response = _file(world, needed_by=needed_by)
    assert response.status_code == status, response.text
    if status == 422:
        assert response.json()["detail"][0]["loc"] == ["body", "needed_by"]
        assert "72 hours" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("max_units", [50, 12])
def test_the_schema_states_the_units_limit_the_server_applies(engine, db_url, now, max_units):
    world = _world(engine, db_url, now, donors=1, max_units=max_units)
    schema = world["client"].get("/openapi.json").json()["components"]["schemas"]["RequestCreate"]
    assert schema["properties"]["units"]["maximum"] == max_units
    assert _file(world, units=max_units).status_code == 201
    too_many = _file(world, units=max_units + 1)
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"][-1] == "units"


def test_a_suspended_hospital_is_refused_with_403_but_may_still_follow_and_cancel(engine, db_url, now):
    world = _world(engine, db_url, now)
    request_id = _file(world).json()["id"]
    with session_scope(engine) as session:
        suspend(session=session, now=now, hospital_id=world["hospital_id"], reason="flooding donors")
    refused = _file(world)
    assert refused.status_code == 403
    assert "suspended by the Red Cross chapter" in refused.json()["detail"]
    assert world["client"].get(f"{URL}/{request_id}").status_code == 200
    assert _cancel(world, request_id).status_code == 200
    with session_scope(engine) as session:
        resume(session=session, now=now, hospital_id=world["hospital_id"])
    assert _file(world).status_code == 201


def test_the_hospital_pages_say_so_when_a_limit_refuses(engine, db_url, now):
    world = _world(engine, db_url, now, max_open_requests=1)
    client = world["client"]
    token = client.headers.pop("Authorization").split()[1]
    client.post("/h/login", data={"token": token})
    form = {"blood_group": "O+", "units": "1", "product": "red_cells", "needed_by": "", "note": ""}
    assert client.post("/h/requests", data=form, follow_redirects=False).status_code == 303
    refused = client.post("/h/requests", data=form)
    assert refused.status_code == 429 and "giới hạn" in refused.text and refused.headers["retry-after"]
    far = client.post("/h/requests", data={**form, "needed_by": "9999-12-31T23:59"})
    assert far.status_code == 422 and "tối đa 72 giờ tới" in far.text
