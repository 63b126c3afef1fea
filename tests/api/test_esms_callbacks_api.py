"""eSMS delivery reports: GET to a secret path; a wrong token is 404 and changes nothing."""

import warnings

import pytest
from sqlmodel import Session

from donor_registry.api import create_app
from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.sms.esms_gateway import request_id_for
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from tests.support.sms import make_donor

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SECRET = "s3cret-callback-token-0123456789"


@pytest.fixture
def client(engine, db_url, now, monkeypatch):
    monkeypatch.setenv("ESMS_CALLBACK_TOKEN", SECRET)
    settings = Settings(database={"url": db_url},
                        sms={"gateway": "esms", "public_base_url": "https://hienmau.example.vn"})
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return TestClient(app)


def _sent_row(engine, now) -> int:
    with session_scope(engine) as session:
        donor = make_donor(session, now, 1)
        row = enqueue(session=session, now=now, donor_id=donor.id, to=donor.phone_e164, kind="thank_you",
                      body="Cam on", idempotency_key="k1")
        row.status, row.provider_id, row.channel = OutboxStatus.sent, "smsid-1", "sms"
        session.add(row)
        return row.id


def test_a_report_on_the_secret_path_records_delivery_once(client, engine, now):
    row_id = _sent_row(engine, now)
    report = {"SMSID": "smsid-1", "SendStatus": "5", "SendSuccess": "1", "SendFailed": "0",
              "TotalPrice": "750.0000", "RequestId": request_id_for("k1"), "TypeId": "2"}
    for _ in range(2):  # eSMS retries: the second changes nothing
        assert client.get(f"/sms/esms/status/{SECRET}/{row_id}", params=report).status_code == 204
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        assert (row.status, row.price_vnd) == (OutboxStatus.delivered, 750)


def test_a_wrong_token_is_not_found_and_changes_nothing(client, engine, now):
    row_id = _sent_row(engine, now)
    report = {"SMSID": "smsid-1", "SendStatus": "4", "SendSuccess": "0", "TypeId": "2"}
    assert client.get(f"/sms/esms/status/{'x' * 32}/{row_id}", params=report).status_code == 404
    with Session(engine) as session:
        assert session.get(OutboxMessage, row_id).status == OutboxStatus.sent
