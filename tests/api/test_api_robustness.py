"""No 500s from the hospital API and pages (issue 11, item 3): ids, text, body size, echoes."""

import json
import warnings

import pytest

from donor_registry.api import create_app
from donor_registry.api.guards import ECHO_CHARS
from donor_registry.config import Settings
from donor_registry.db import session_scope
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

URL = "/api/v1/emergency-requests"


@pytest.fixture
def client(engine, db_url, now):
    settings = Settings(database={"url": db_url})
    with session_scope(engine) as session:
        _, token = make.hospital(session, now)
        make.donor(session, now)
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"
    client.token = token
    return client


def _raw(client, text: str, path: str = URL):
    """POST a JSON text as given (json= would refuse to encode a lone surrogate)."""
    return client.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("request_id", [str(2**63), str(2**64), "99999999999999999999999", "0", "-1", "abc"])
def test_a_path_id_outside_1_to_2_63_is_404(client, request_id):
    """Finding: a path id above 2^63 was a 500 (API and /h/requests/{id})."""
    assert client.get(f"{URL}/{request_id}").status_code == 404
    assert client.post(f"{URL}/{request_id}/cancel").status_code == 404
    client.post("/h/login", data={"token": client.token})
    page = client.get(f"/h/requests/{request_id}")
    assert page.status_code == 404 and "Không tìm thấy" in page.text
    assert client.post(f"/h/requests/{request_id}/cancel").status_code == 404


def test_the_largest_id_is_simply_not_found(client):
    assert client.get(f"{URL}/{2**63 - 1}").status_code == 404


@pytest.mark.parametrize("note, what", [
    ("\\ud800", "valid"),  # a lone surrogate, as JSON allows it to be written
    ("a\\udfffb", "valid"),
    ("\\u0000", "U+0000"),  # a NUL: PostgreSQL cannot store it
    ("bell\\u0007", "U+0007"),
    ("\\u009b", "U+009B"),
])
def test_text_with_a_lone_surrogate_or_control_character_is_422_naming_the_field(client, note, what):
    """Finding: a lone surrogate in a note, and a NUL on PostgreSQL, were 500s."""
    response = _raw(client, '{"blood_group": "O+", "units": 1, "note": "' + note + '"}')
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "note"] and what in error["msg"]


def test_a_cancel_reason_with_a_nul_is_422(client):
    request_id = client.post(URL, json={"blood_group": "O+", "units": 1}).json()["id"]
    response = _raw(client, '{"reason": "x\\u0000"}', path=f"{URL}/{request_id}/cancel")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "reason"]


def test_line_breaks_and_vietnamese_are_ordinary_text(client):
    response = client.post(URL, json={"blood_group": "O+", "units": 1, "note": "Mổ cấp cứu\r\n\tphòng 3"})
    assert response.status_code == 201 and response.json()["note"] == "Mổ cấp cứu\r\n\tphòng 3"


def test_the_hospital_form_refuses_a_nul_in_the_note(client):
    client.post("/h/login", data={"token": client.token})
    page = client.post("/h/requests", data={"blood_group": "O+", "units": "1", "note": "a\x00b"})
    assert page.status_code == 422 and "U+0000" in page.text


def test_a_body_over_the_limit_is_413_before_it_is_parsed(client):
    """Finding: a 10 MB note was read, parsed and echoed back whole in the 422."""
    note = "x" * 10_000_000
    response = client.post(URL, json={"blood_group": "O+", "units": 1, "note": note})
    assert response.status_code == 413 and len(response.content) < 200
    chunked = client.post(URL, content=iter([b'{"note": "' + b"x" * 40_000] * 3),
                          headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    small_chunks = client.post(URL, content=iter([b'{"blood_group": ', b'"O+", "units": 1}']),
                               headers={"Content-Type": "application/json"})
    assert small_chunks.status_code == 201, small_chunks.text


def test_a_422_quotes_at_most_a_short_prefix_of_what_was_sent(client):
    long_note = "ghi chú " * 3000  # 24,000 characters, twice: under the body limit, over max_length
    response = client.post(URL, json={"blood_group": "O+", "units": 1, "note": long_note, long_note: 1})
    assert response.status_code == 422
    assert len(response.content) < 1500
    errors = response.json()["detail"]
    assert [e["loc"][-1] for e in errors] == ["note", long_note[:ECHO_CHARS] + "…"]
    for error in errors:
        for part in [*error["loc"], error.get("input", "")]:
            assert len(str(part)) <= ECHO_CHARS + 1


def test_a_422_never_fails_to_encode_what_it_quotes(client):
    response = _raw(client, '{"blood_group": "\\ud800", "units": "\\udfff", "\\ud83d": 1}')
    assert response.status_code == 422
    assert json.loads(response.content)["detail"]
