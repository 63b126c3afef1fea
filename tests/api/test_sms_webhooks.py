"""Twilio webhooks: signed over the public URL or refused with 403 and nothing recorded."""

import warnings
from urllib.parse import urlencode

import pytest
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from donor_registry.api import create_app
from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.sms.models import InboundMessage, OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from tests.support.sms import TOKEN, make_donor

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PUBLIC = "https://hienmau.example.vn"
PHONE = "+84912000001"


@pytest.fixture
def client(engine, db_url, now, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    settings = Settings(database={"url": db_url}, sms={"public_base_url": PUBLIC})
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    with session_scope(engine) as session:
        make_donor(session, now, 1)
    return TestClient(app)


def post(client, path: str, form: dict, *, sign_url: str | None = None, signature: str | None = "",
         token: str = TOKEN):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "":
        signature = RequestValidator(token).compute_signature(sign_url or PUBLIC + path, form)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(path, content=urlencode(form), headers=headers)


def inbound_count(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(InboundMessage)).all())


def opted_out(engine) -> bool:
    with Session(engine) as session:
        donor = session.exec(select(Donor).where(Donor.phone_e164 == PHONE)).one()
        return donor.sms_opted_out_at is not None


INBOUND = {"MessageSid": "SM" + "1" * 32, "From": PHONE, "To": "+15005550006", "Body": "STOP"}


def test_a_validly_signed_stop_records_the_opt_out(client, engine):
    response = post(client, "/sms/inbound", INBOUND)
    assert response.status_code == 200 and "<Response>" in response.text
    assert opted_out(engine) and inbound_count(engine) == 1


@pytest.mark.parametrize("case", ["missing", "wrong", "wrong_url", "wrong_token"])
def test_unsigned_or_badly_signed_requests_are_refused_and_change_nothing(client, engine, case):
    kwargs = {
        "missing": {"signature": None},
        "wrong": {"signature": "bm90IGEgc2lnbmF0dXJl"},
        "wrong_url": {"sign_url": "https://other.example.vn/sms/inbound"},
        "wrong_token": {"token": "someone-else"},
    }[case]
    assert post(client, "/sms/inbound", INBOUND, **kwargs).status_code == 403
    assert post(client, "/sms/status", {"MessageSid": "SMx", "MessageStatus": "delivered"},
                **kwargs).status_code == 403
    assert inbound_count(engine) == 0 and not opted_out(engine)


def test_a_tampered_body_is_refused(client, engine):
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/sms/inbound", INBOUND)
    response = post(client, "/sms/inbound", {**INBOUND, "Body": "Hello"}, signature=signature)
    assert response.status_code == 403 and inbound_count(engine) == 0


@pytest.mark.parametrize("word", ["STOP", " stop ", "Hủy", "HUY!", "từ chối", "TU CHOI.",
                                  "unsubscribe", "Quit", "stopall", "OPTOUT", "cancel", "end", "revoke"])
def test_opt_out_words_with_or_without_diacritics(client, engine, word):
    assert post(client, "/sms/inbound", {**INBOUND, "Body": word}).status_code == 200
    assert opted_out(engine)


def test_start_opts_back_in_and_other_replies_go_to_the_handlers(client, engine, monkeypatch):
    post(client, "/sms/inbound", INBOUND)
    post(client, "/sms/inbound", {**INBOUND, "MessageSid": "SM" + "2" * 32, "Body": "Start"})
    assert not opted_out(engine)
    seen = []
    monkeypatch.setattr("donor_registry.sms.inbound.INBOUND_HANDLERS", [
        lambda **kw: seen.append(kw["body"]) or True])
    post(client, "/sms/inbound", {**INBOUND, "MessageSid": "SM" + "3" * 32, "Body": "Stop by later? yes"})
    assert seen == ["Stop by later? yes"] and not opted_out(engine)
    with Session(engine) as session:
        actions = [m.action for m in session.exec(select(InboundMessage).order_by(InboundMessage.id))]
    assert actions == ["opt_out", "opt_in", "handled"]


def test_status_callbacks_record_delivery_and_fill_a_lost_answer(client, engine, now):
    with session_scope(engine) as session:
        message = enqueue(session=session, now=now, donor_id=None, to=PHONE, kind="x",
                          body="hi", idempotency_key="k")
        message.status = OutboxStatus.sending  # claimed; the answer never came back
        session.add(message)
    sid = "SM" + "a" * 32
    path = f"/sms/status?outbox_id={message.id}"
    assert post(client, path, {"MessageSid": sid, "MessageStatus": "sent"}).status_code == 204
    assert post(client, path, {"MessageSid": sid, "MessageStatus": "undelivered",
                               "ErrorCode": "30003"}).status_code == 204
    with Session(engine) as session:
        row = session.get(OutboxMessage, message.id)
    assert (row.provider_id, row.status, row.error_code) == (sid, OutboxStatus.undelivered, 30003)
