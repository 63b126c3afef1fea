"""TwilioGateway with the real twilio client against the spec-checking fake (never the network)."""

import io
import re
import socket
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from donor_registry.sms.gateway import (
    OPTED_OUT_CODE,
    PHONE_NOT_SMS_ABLE_CODES,
    ConsoleGateway,
    SendResult,
    SmsGateway,
    SmsSendError,
    TwilioGateway,
    is_transient,
    validate_twilio_signature,
)

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
from tests.fakes.twilio_server import FakeTwilio, segments

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "fake-auth-token-0123456789"
FROM = "+15005550006"
MG = "MG" + "ab" * 16
TO = "+84912345678"
SM_SID = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture
def fake():
    with FakeTwilio(SID, TOKEN) as server:
        yield server


_gateways: list[TwilioGateway] = []


@pytest.fixture(autouse=True)
def _close_gateways():
    yield
    while _gateways:
        _gateways.pop().close()


def gateway(fake: FakeTwilio, **kwargs) -> TwilioGateway:
    kwargs.setdefault("from_", None if "messaging_service_sid" in kwargs else FROM)
    kwargs.setdefault("timeout", 2.0)
    gw = TwilioGateway(SID, TOKEN, base_url=fake.base_url, **kwargs)
    _gateways.append(gw)
    return gw


_http = httpx.Client(timeout=2.0, trust_env=False)  # one client: building one costs ~50 ms


@pytest.fixture(autouse=True, scope="module")
def _close_http():
    yield
    _http.close()


def post(fake: FakeTwilio, data, *, auth=(SID, TOKEN), url=None, **kwargs) -> httpx.Response:
    return _http.post(url or fake.messages_url, data=data, auth=auth, **kwargs)


# -- success ------------------------------------------------------------------------------


def test_send_records_message_and_parses_spec_shaped_answer(fake):
    gw = gateway(fake)
    result = gw.send(
        to=TO,
        body="Xin chao, cam on ban da hien mau",
        status_callback="https://hoi.example.vn/sms/status",
    )

    assert isinstance(result, SendResult)
    assert SM_SID.match(result.provider_id)
    assert result.status == "queued"
    assert fake.violations == []
    assert len(fake.messages) == 1
    sent = fake.messages[0]
    assert sent["sid"] == result.provider_id
    assert sent["To"] == TO and sent["From"] == FROM
    assert sent["Body"] == "Xin chao, cam on ban da hien mau"
    assert sent["StatusCallback"] == "https://hoi.example.vn/sms/status"
    assert "MessagingServiceSid" not in sent

    # The stored resource is readable back through the client (GET Messages/{Sid}.json).
    fetched = gw.client.api.v2010.accounts(SID).messages(result.provider_id).fetch()
    assert fetched.sid == result.provider_id
    assert fetched.to == TO and fetched.from_ == FROM
    assert isinstance(fetched.date_created, datetime)  # RFC 2822 parsed by the client
    assert fetched.num_segments == "1" and fetched.direction == "outbound-api"
    assert fetched.account_sid == SID and fetched.price is None
    assert fake.violations == []


def test_answer_has_exactly_the_spec_properties(fake):
    answer = post(fake, {"To": TO, "From": FROM, "Body": "Hiến máu nhân đạo"})
    assert answer.status_code == 201, answer.text
    payload = answer.json()
    assert set(payload) == set(fake.spec.message_properties)
    assert SM_SID.match(payload["sid"])
    assert payload["uri"] == f"/2010-04-01/Accounts/{SID}/Messages/{payload['sid']}.json"
    assert payload["num_segments"] == "1" and payload["status"] == "queued"
    assert payload["date_sent"] is None and payload["error_code"] is None
    assert fake.violations == []


def test_num_segments_counts_ucs2_for_vietnamese():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("à è é ì ò ù É" * 10) == 1  # still GSM-7: 130 septets
    assert segments("ế" * 70) == 1 and segments("ế" * 71) == 2 and segments("ế" * 135) == 3
    assert segments("{" * 80) == 1 and segments("{" * 81) == 2  # extension: 2 septets each


def test_messaging_service_sid_instead_of_from(fake):
    result = gateway(fake, messaging_service_sid=MG).send(to=TO, body="Nhac lich hien mau")
    assert fake.violations == []
    sent = fake.messages[0]
    assert sent["MessagingServiceSid"] == MG and "From" not in sent
    assert sent["sid"] == result.provider_id


@pytest.mark.parametrize("senders", [{}, {"from_": FROM, "messaging_service_sid": MG}])
def test_exactly_one_sender(senders):
    with pytest.raises(ValueError):
        TwilioGateway(SID, TOKEN, base_url="http://127.0.0.1:9", **senders)


def test_alphanumeric_sender_id_is_accepted(fake):
    gateway(fake, from_="HoiChuThap").send(to=TO, body="Cam on")
    assert fake.violations == [] and fake.messages[0]["From"] == "HoiChuThap"


# -- transient errors ---------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_rate_limit_and_server_errors_are_transient(fake, status, code):
    gw = gateway(fake)
    fake.fail_next(1, status=status)
    with pytest.raises(SmsSendError) as err:
        gw.send(to=TO, body="retry me")
    assert err.value.transient is True
    assert err.value.http_status == status and err.value.code == code
    assert fake.messages == []
    assert gw.send(to=TO, body="retry me").status == "queued"  # only the next one failed
    assert len(fake.messages) == 1 and fake.violations == []


def test_timeout_is_transient(fake):
    gw = gateway(fake, timeout=0.05)
    fake.slow(0.3)
    started = time.monotonic()
    with pytest.raises(SmsSendError) as err:
        gw.send(to=TO, body="slow")
    assert time.monotonic() - started < 0.25
    assert err.value.transient is True and err.value.http_status is None
    assert "timed out" in str(err.value)


def test_dropped_connection_is_transient(fake):
    fake.fail_next(1, status="disconnect")
    with pytest.raises(SmsSendError) as err:
        gateway(fake).send(to=TO, body="x")
    assert err.value.transient is True and err.value.code is None


def test_connection_refused_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gw = TwilioGateway(SID, TOKEN, from_=FROM, base_url=f"http://127.0.0.1:{port}", timeout=1)
    with gw, pytest.raises(SmsSendError) as err:
        gw.send(to=TO, body="x")
    assert err.value.transient is True


def test_fail_ratio_is_seeded_and_only_transient(fake):
    gw = gateway(fake)

    def run() -> list[bool]:
        outcome = []
        for i in range(30):
            try:
                gw.send(to=TO, body=f"n{i}")
                outcome.append(True)
            except SmsSendError as exc:
                assert exc.transient and exc.http_status in (429, 500)
                outcome.append(False)
        return outcome

    fake.fail_ratio(0.5, seed=7, kinds=(429, 500))
    first = run()
    fake.fail_ratio(0.5, seed=7, kinds=(429, 500))
    assert run() == first
    assert 3 <= first.count(False) <= 27
    assert len(fake.messages) == 2 * first.count(True)
    assert fake.violations == []


# -- permanent errors ---------------------------------------------------------------------


@pytest.mark.parametrize("code", [21211, 21614, 21610])
def test_rejected_numbers_are_permanent(fake, code):
    gw = gateway(fake)
    fake.reject_numbers({TO: code})
    with pytest.raises(SmsSendError) as err:
        gw.send(to=TO, body="x")
    exc = err.value
    assert exc.transient is False and exc.code == code and exc.http_status == 400
    assert exc.phone_not_sms_able is (code in PHONE_NOT_SMS_ABLE_CODES)
    assert exc.opted_out is (code == OPTED_OUT_CODE)
    assert "\x1b[" not in str(exc)  # a plain message, no terminal colours
    assert fake.messages == [] and fake.violations == []
    gw.send(to="+84987654321", body="x")  # other numbers still go
    assert len(fake.messages) == 1


def test_classification_table():
    assert is_transient(429, 20429) and is_transient(None, 20429) and is_transient(400, 20429)
    assert is_transient(500, 20500) and is_transient(502, None) and is_transient(None, None)
    assert not is_transient(400, 21211) and not is_transient(401, 20003)
    assert not is_transient(404, 20404) and not is_transient(400, 21610)
    assert SmsSendError("x", code=21614, http_status=400).transient is False
    assert SmsSendError("x", http_status=504).transient is True


# -- the fake really checks requests against the spec --------------------------------------


@pytest.mark.parametrize(
    ("data", "kwargs", "status", "code"),
    [
        ({"To": "0912345678", "From": FROM, "Body": "x"}, {}, 400, 21211),  # not E.164
        ({"To": "+84 912 345 678", "From": FROM, "Body": "x"}, {}, 400, 21211),
        ({"From": FROM, "Body": "x"}, {}, 400, 21604),  # To is required
        ({"To": TO, "Body": "x"}, {}, 400, 21603),  # no From / MessagingServiceSid
        ({"To": TO, "From": FROM}, {}, 400, 21602),  # no Body / MediaUrl / ContentSid
        ({"To": TO, "From": FROM, "Body": "x" * 1601}, {}, 400, 21617),
        ({"To": TO, "From": FROM, "Body": "x", "Tags": "a"}, {}, 400, 20001),  # unknown field
        ({"To": TO, "MessagingServiceSid": "MG123", "Body": "x"}, {}, 400, 20001),  # pattern
        ({"To": TO, "From": FROM, "Body": "x", "RiskCheck": "maybe"}, {}, 400, 20001),  # enum
        ({"To": TO, "From": FROM, "Body": "x", "SmartEncoded": "yes"}, {}, 400, 20001),  # bool
        ({"To": TO, "From": FROM, "Body": "x", "ValidityPeriod": "1.5"}, {}, 400, 20001),
        ({"To": TO, "From": FROM, "Body": "x", "StatusCallback": "not a url"}, {}, 400, 21609),
        (
            {"To": TO, "From": FROM, "Body": "x", "StatusCallback": "http://my_host/cb"},
            {},
            400,
            21609,
        ),
        ({"To": [TO, "+84987654321"], "From": FROM, "Body": "x"}, {}, 400, 21211),  # repeated
        ({"To": TO, "From": FROM, "Body": "x"}, {"auth": None}, 401, 20003),
        ({"To": TO, "From": FROM, "Body": "x"}, {"auth": (SID, "wrong")}, 401, 20003),
    ],
    ids=[
        "local-to",
        "spaced-to",
        "no-to",
        "no-sender",
        "no-content",
        "long-body",
        "unknown",
        "mg-pattern",
        "enum",
        "boolean",
        "integer",
        "callback-uri",
        "callback-underscore",
        "repeated-to",
        "no-auth",
        "wrong-token",
    ],
)
def test_fake_rejects_requests_that_break_the_spec(fake, data, kwargs, status, code):
    answer = post(fake, data, **kwargs)
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert error["code"] == code and error["status"] == status
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert len(fake.violations) == 1 and fake.violations[0]["code"] == code
    assert fake.messages == []


def test_fake_rejects_wrong_content_type_and_path(fake):
    assert post(fake, None, json={"To": TO, "From": FROM, "Body": "x"}).status_code == 400
    other = "AC" + "f" * 32
    wrong_account = fake.messages_url.replace(SID, other)
    assert post(fake, {"To": TO, "From": FROM, "Body": "x"}, url=wrong_account).status_code == 401
    bad_path = f"{fake.base_url}/2010-04-01/Accounts/{SID}/Message.json"
    assert post(fake, {"To": TO, "From": FROM, "Body": "x"}, url=bad_path).status_code == 404
    assert len(fake.violations) == 3 and fake.messages == []


def test_gateway_does_not_hide_an_unnormalised_number(fake):
    with pytest.raises(SmsSendError) as err:
        gateway(fake).send(to="0912345678", body="x")
    assert err.value.code == 21211 and err.value.transient is False
    assert len(fake.violations) == 1  # the fake saw the off-spec To the client sent


def test_fetch_unknown_message_is_404_but_not_a_violation(fake):
    url = fake.messages_url.replace(".json", f"/SM{'0' * 32}.json")
    answer = _http.get(url, auth=(SID, TOKEN))
    assert answer.status_code == 404 and answer.json()["code"] == 20404
    assert fake.violations == []


# -- the fake stays the target whatever the environment says ------------------------------


def test_region_and_edge_env_do_not_redirect_the_client(fake, monkeypatch):
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "9" * 32)
    url = fake.messages_url
    # Control: a client built the naive way (environment={} falls back to os.environ)
    # would send to a rewritten host, so this test can fail.
    naive = Client(SID, TOKEN, environment={})
    assert naive.region == "au1" and naive.get_hostname(url) != url

    gw = gateway(fake)
    assert gw.client.region is None and gw.client.edge is None
    assert gw.client.get_hostname(url) == url
    gw.send(to=TO, body="x")
    assert len(fake.messages) == 1 and fake.violations == []


def test_proxy_env_does_not_capture_the_local_fake(fake, monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    gateway(fake).send(to=TO, body="x")
    assert len(fake.messages) == 1


# -- console gateway ----------------------------------------------------------------------


def test_console_gateway_prints_and_remembers():
    out = io.StringIO()
    console = ConsoleGateway(stream=out)
    port: SmsGateway = console  # satisfies the protocol (checked by type checkers)
    assert port is console
    first = console.send(to=TO, body="Xin chào")
    second = console.send(to="+84987654321", body="Hẹn gặp", status_callback="https://x.vn/cb")
    assert first == SendResult("console-1", "sent") and second.provider_id == "console-2"
    assert out.getvalue() == f"SMS to {TO} : Xin chào\nSMS to +84987654321 : Hẹn gặp\n"
    assert [m["to"] for m in console.sent] == [TO, "+84987654321"]
    assert console.sent[1]["status_callback"] == "https://x.vn/cb"


# -- webhook signatures -------------------------------------------------------------------

HOOK_URL = "https://hoi.example.vn/sms/status?chapter=hcm"
HOOK_PARAMS = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "To": TO}


def _signature(url=HOOK_URL, params=HOOK_PARAMS, token=TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def test_valid_signature():
    assert validate_twilio_signature(TOKEN, HOOK_URL, HOOK_PARAMS, _signature()) is True


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature(signature):
    assert validate_twilio_signature(TOKEN, HOOK_URL, HOOK_PARAMS, signature) is False


def test_wrong_signature_token_url_or_params():
    good = _signature()
    assert validate_twilio_signature(TOKEN, HOOK_URL, HOOK_PARAMS, good[:-2] + "xx") is False
    assert (
        validate_twilio_signature(TOKEN, HOOK_URL, HOOK_PARAMS, _signature(token="other")) is False
    )
    other_url = "https://hoi.example.vn/sms/status?chapter=hn"
    assert validate_twilio_signature(TOKEN, other_url, HOOK_PARAMS, good) is False
    tampered = {**HOOK_PARAMS, "MessageStatus": "undelivered"}
    assert validate_twilio_signature(TOKEN, HOOK_URL, tampered, good) is False


def test_slow_answer_times_out_but_twilio_still_sends(fake):
    """A timeout is retried, yet the provider may have taken the message: a duplicate."""
    gw = gateway(fake, timeout=0.05)
    fake.fail_ratio(1.0, seed=1, kinds=("slow",), slow_seconds=0.15)
    with pytest.raises(SmsSendError) as err:
        gw.send(to=TO, body="Khan cap: can nhom mau O")
    assert err.value.transient is True
    fake.fail_ratio(0)
    gw.send(to=TO, body="Khan cap: can nhom mau O")  # the dispatcher's retry
    deadline = time.monotonic() + 1.0
    while len(fake.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake.duplicates() == [(TO, "Khan cap: can nhom mau O")]
    assert fake.violations == []


def test_status_moves_on_and_is_fetched(fake):
    gw = gateway(fake)
    sid = gw.send(to=TO, body="x").provider_id
    fake.set_status(sid, "undelivered", error_code=30003)
    fetched = gw.client.api.v2010.accounts(SID).messages(sid).fetch()
    assert fetched.status == "undelivered" and fetched.error_code == 30003
    with pytest.raises(ValueError):
        fake.set_status(sid, "bounced")  # not in the spec's status enum
