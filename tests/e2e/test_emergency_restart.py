"""A real `serve` killed with SIGKILL between waves continues from the right wave, asking nobody twice."""

import datetime as dt

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.emergency.models import CallOut, EmergencyRequest
from tests.e2e.emergency_serving import Served, free_port, wait_for
from tests.service import emergency_support as make


def _seed(db_url: str, donors: int) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        _, token = make.hospital(session, now)
        for _ in range(donors):
            make.donor(session, now)
    engine.dispose()
    return token


def _state(engine, request_id: int):
    with session_scope(engine) as session:
        request = session.get(EmergencyRequest, request_id)
        callouts = [(c.donor_id, c.wave) for c in session.exec(select(CallOut).order_by(CallOut.id))]
    return request.wave, callouts


def _time_passes(engine, request_id: int) -> None:
    """While the service is down, the wait for the next wave runs out."""
    with session_scope(engine) as session:
        session.execute(update(EmergencyRequest).where(EmergencyRequest.id == request_id)
                        .values(next_wave_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))


@pytest.mark.slow
def test_serve_killed_between_waves_resumes_at_the_next_wave(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    token = _seed(db_url, donors=20)
    engine = make_engine(db_url)
    log = tmp_path / "serve.log"
    served = Served(db_url, free_port(), log)
    try:
        # Generous timeout: at startup the SMS reminders job may hold SQLite for a while.
        response = httpx.post(f"{served.base_url}/api/v1/emergency-requests", timeout=30,
                              headers={"Authorization": f"Bearer {token}"}, json={"blood_group": "O+", "units": 3})
        assert response.status_code == 201, response.text
        request_id = response.json()["id"]
        assert _state(engine, request_id)[0] == 1
        served.kill()
        for wave in (2, 3):
            _time_passes(engine, request_id)
            served = Served(db_url, free_port(), log)
            wait_for(lambda w=wave: _state(engine, request_id)[0] == w, f"wave {wave}")
            served.kill()
        wave, callouts = _state(engine, request_id)
    finally:
        served.stop()
        engine.dispose()
    assert wave == 3
    donors = [donor for donor, _ in callouts]
    assert len(donors) == 18 and len(set(donors)) == 18, "3 units × (1 + margin 1.0) a wave, nobody twice"
    assert [w for _, w in callouts] == [1] * 6 + [2] * 6 + [3] * 6
