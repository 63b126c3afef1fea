"""The hospital API and pages: tokens (401), other hospitals (404), bad input (422), privacy, replies."""

import datetime as dt
import re
import warnings

import pytest

from donor_registry.api import create_app
from donor_registry.audit.service import recent
from donor_registry.db import session_scope
from donor_registry.emergency.hospitals import revoke_token, rotate_token
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def world(engine, settings, now):
    """Two hospitals with tokens, ten O+ donors near the first, a client with the clock pinned."""
    with session_scope(engine) as session:
        first, first_token = make.hospital(session, now)
        second, second_token = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
        donors = [make.donor(session, now, name=f"Phạm Thị Lan{i}", national_id=f"0790960000{i:02d}")
                  for i in range(10)]
    app = create_app(settings, engine)
    clock = {"now": now}
    app.state.clock = lambda: clock["now"]
    return {"client": TestClient(app), "engine": engine, "clock": clock, "donors": donors,
            "first": (first.id, first_token), "second": (second.id, second_token)}


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _file(world, token=None, **body):
    token = token or world["first"][1]
    return world["client"].post("/api/v1/emergency-requests", headers=_auth(token),
                                json={"blood_group": "O+", "units": 2, **body})


def test_a_hospital_files_a_request_and_the_first_wave_is_queued(world, now):
    response = _file(world, note="mổ cấp cứu", product="red_cells")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "open" and body["wave"] == 1 and body["blood_group"] == "O+"
    assert body["counts"] == {"asked": 4, "accepted": 0, "declined": 0, "no_answer": 4, "late": 0,
                              "arrived": 0, "donated": 0}
    with session_scope(world["engine"]) as session:
        assert len(make.messages(session, "emergency_call")) == 4


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer hsp_" + "x" * 43, "Basic abc"])
def test_missing_or_unknown_token_is_401(world, header):
    headers = {"Authorization": header} if header else {}
    response = world["client"].post("/api/v1/emergency-requests", headers=headers,
                                    json={"blood_group": "O+", "units": 1})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_revoked_and_rotated_tokens_stop_working_at_once(world, now):
    hospital_id, token = world["first"]
    with session_scope(world["engine"]) as session:
        revoke_token(session=session, now=now, hospital_id=hospital_id)
    assert _file(world, token=token).status_code == 401
    with session_scope(world["engine"]) as session:
        _, new_token = rotate_token(session=session, now=now, hospital_id=hospital_id)
    assert _file(world, token=token).status_code == 401
    assert _file(world, token=new_token).status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"blood_group": "X+"}, "blood_group"),
    ({"blood_group": "A"}, "blood_group"),
    ({"units": 0}, "units"),
    ({"units": 51}, "units"),
    ({"product": "liver"}, "product"),
    ({"needed_by": "2026-05-01T10:00:00+07:00"}, "needed_by"),
    ({"needed_by": "2026-06-01T18:00:00"}, "needed_by"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_422_naming_the_field(world, body, field):
    response = _file(world, **body)
    assert response.status_code == 422, response.text
    assert field in [error["loc"][-1] for error in response.json()["detail"]]


def test_another_hospital_sees_and_cancels_nothing(world):
    request_id = _file(world).json()["id"]
    other = _auth(world["second"][1])
    client = world["client"]
    assert client.get(f"/api/v1/emergency-requests/{request_id}", headers=other).status_code == 404
    assert client.post(f"/api/v1/emergency-requests/{request_id}/cancel", headers=other).status_code == 404
    assert client.get("/api/v1/emergency-requests", headers=other).json() == []
    mine = _auth(world["first"][1])
    assert client.get(f"/api/v1/emergency-requests/{request_id}", headers=mine).json()["status"] == "open"
    cancelled = client.post(f"/api/v1/emergency-requests/{request_id}/cancel", headers=mine,
                            json={"reason": "đã đủ máu trong kho"})
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/emergency-requests/{request_id}/cancel", headers=mine).status_code == 409


def test_the_hospital_sees_only_given_names_of_donors_who_accepted(world):
    client, mine = world["client"], _auth(world["first"][1])
    request_id = _file(world, units=1).json()["id"]
    before = client.get(f"/api/v1/emergency-requests/{request_id}", headers=mine)
    assert before.json()["coming"] == []
    with session_scope(world["engine"]) as session:
        token = make.reply_token(session, make.messages(session, "emergency_call")[0])
    page = client.get(f"/r/{token}")
    assert page.status_code == 200 and "Tôi sẽ đến" in page.text and "Lan0" in page.text
    answered = client.post(f"/r/{token}", data={"answer": "accept", "arrive_in": "30"})
    assert answered.status_code == 200 and "Cảm ơn bạn" in answered.text
    after = client.get(f"/api/v1/emergency-requests/{request_id}", headers=mine)
    text = after.text
    assert after.json()["status"] == "covered"
    assert after.json()["coming"][0]["given_name"] == "Lan0"
    assert "Phạm" not in text and "090" not in text and "0790960000" not in text
    with session_scope(world["engine"]) as session:
        views = recent(session=session, action="emergency.view")
        assert {v.actor for v in views} == {f"hospital:{world['first'][0]}"}


def test_reply_page_tells_used_expired_and_unknown_links_apart(world, settings):
    client = world["client"]
    _file(world, units=1)
    with session_scope(world["engine"]) as session:
        first, second = [make.reply_token(session, m) for m in make.messages(session, "emergency_call")]
    assert client.post(f"/r/{first}", data={"answer": "decline"}).status_code == 200
    used = client.get(f"/r/{first}")
    assert used.status_code == 410 and "đã trả lời" in used.text
    assert client.post(f"/r/{first}", data={"answer": "accept"}).status_code == 410
    world["clock"]["now"] += dt.timedelta(hours=settings.emergency.reply_token_hours, seconds=1)
    expired = client.get(f"/r/{second}")
    assert expired.status_code == 410 and "hết hạn" in expired.text
    assert client.get("/r/abcdefghijklmnopqrstuv").status_code == 404


def test_pages_load_nothing_from_outside_and_fit_a_phone(world):
    client = world["client"]
    _file(world)
    with session_scope(world["engine"]) as session:
        token = make.reply_token(session, make.messages(session, "emergency_call")[0])
    for path in ["/docs", f"/r/{token}", "/h"]:
        page = client.get(path)
        assert page.status_code == 200
        assert 'name="viewport"' in page.text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text), path
    assert client.get("/openapi.json").json()["paths"]["/api/v1/emergency-requests"]["post"]


def test_hospital_pages_sign_in_file_watch_and_cancel(world):
    client = world["client"]
    assert client.post("/h/login", data={"token": "hsp_wrong"}).status_code == 401
    signed = client.post("/h/login", data={"token": world["first"][1]}, follow_redirects=False)
    assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    form = client.get("/h/new")
    assert "Nhóm máu" in form.text
    filed = client.post("/h/requests", data={"blood_group": "O+", "units": "1", "product": "red_cells",
                                             "needed_by": "2026-06-01T20:00", "note": ""},
                        follow_redirects=False)
    assert filed.status_code == 303
    status = client.get(filed.headers["location"])
    assert "Đang gọi người hiến" in status.text and 'http-equiv="refresh"' in status.text
    bad = client.post("/h/requests", data={"blood_group": "O+", "units": "0"})
    assert bad.status_code == 422 and "units" in bad.text
    client.post(filed.headers["location"] + "/cancel")
    assert "Đã hủy" in client.get(filed.headers["location"]).text
    client.cookies.clear()
    client.post("/h/login", data={"token": world["second"][1]})
    assert client.get(filed.headers["location"]).status_code == 404
