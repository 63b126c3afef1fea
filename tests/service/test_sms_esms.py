"""The eSMS gateway against the local fake: every code it handles, ZNS→SMS fallback,
callbacks (checked, idempotent), RequestId de-duplication through the dispatcher."""

import datetime as dt

import pytest
from sqlmodel import Session, select

from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.sms.dispatcher import Dispatcher, DispatchStopped
from donor_registry.sms.esms_callbacks import apply_callback
from donor_registry.sms.esms_gateway import EsmsGateway, local_phone, request_id_for
from donor_registry.sms.gateway import SmsSendError
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from donor_registry.sms.registrations import template_values, zns_params_reader
from donor_registry.sms.settings import SmsSettings, ZnsTemplate
from tests.fakes.esms_server import FakeEsms
from tests.support.sms import make_donor

KEY, SECRET = "test-api-key", "test-secret-key"
OA = "4097311281936189049"
TEMPLATE = "{to_chuc} cam on ban {ten} da hien mau ngay {ngay}."


def sms_settings(**overrides) -> SmsSettings:
    values = {
        "gateway": "esms", "sender": "HIENMAU", "rate_per_second": 0, "quiet_hours_start": "00:00",
        "quiet_hours_end": "00:00", "templates": {"thank_you": TEMPLATE, "invitation": "Moi {ten} hien mau."},
        "esms": {"oa_id": OA, "zns": {"thank_you": ZnsTemplate(template_id="200607", params=["ten", "ngay"])}},
        "lease_seconds": 60,
    }
    values.update(overrides)
    return SmsSettings(**values)


def gateway(fake: FakeEsms, settings: SmsSettings | None = None, **kw) -> EsmsGateway:
    settings = settings or sms_settings()
    return EsmsGateway(KEY, SECRET, brandname="HIENMAU", base_url=fake.base_url, oa_id=OA,
                       zns_params=zns_params_reader(settings), timeout=kw.pop("timeout", 2.0), **kw)


@pytest.fixture
def fake():
    with FakeEsms(KEY, SECRET, zns_templates={"200607": 2}) as server:
        yield server


# -- the gateway, code by code ---------------------------------------------------------------

CODES = [  # (fault or setup, expected code, transient, action) — bang-ma-loi.md
    ("balance", 103, False, "balance"),
    ("tps", 160, True, None),
    ("locked", 143, False, "stop"),
    ("ip", 140, False, "stop"),
    ("template", 146, False, None),
]


@pytest.mark.parametrize("fault, code, transient, action", CODES)
def test_each_documented_code_is_classed(fake, fault, code, transient, action):
    fake.fail_next(fault)
    with gateway(fake) as g, pytest.raises(SmsSendError) as caught:
        g.send(to="+84912000001", body="Moi Lan hien mau.", request_id="r1")
    assert (caught.value.code, caught.value.transient, caught.value.action) == (code, transient, action)
    assert fake.messages == [] and fake.violations == []


def test_wrong_keys_101_and_unknown_brand_104_stop_everything(fake):
    with (EsmsGateway(KEY, "wrong", brandname="HIENMAU", base_url=fake.base_url) as g,
          pytest.raises(SmsSendError) as caught):
        g.send(to="+84912000001", body="x", request_id="r")
    assert (caught.value.code, caught.value.stops_everything) == (101, True)
    with (EsmsGateway(KEY, SECRET, brandname="NOBODY", base_url=fake.base_url) as g,
          pytest.raises(SmsSendError) as caught):
        g.send(to="+84912000001", body="x", request_id="r")
    assert (caught.value.code, caught.value.stops_everything) == (104, True)


def test_blocked_99_and_bad_phone_108_mark_the_phone(fake):
    fake.blocked.add("0912000001")
    with gateway(fake) as g:
        for to, code in (("+84912000001", 99), ("+8491", 108)):
            with pytest.raises(SmsSendError) as caught:
                g.send(to=to, body="x", request_id=f"r{code}")
            assert (caught.value.code, caught.value.phone_not_sms_able) == (code, True)


def test_5xx_and_timeout_after_acceptance_are_retried_and_the_retry_is_a_duplicate(fake):
    fake.fail_next("500")
    with gateway(fake, timeout=0.3) as g:
        with pytest.raises(SmsSendError) as caught:
            g.send(to="+84912000001", body="Moi Lan hien mau.", request_id="r-500")
        assert (caught.value.http_status, caught.value.transient) == (500, True)
        fake.fail_next("timeout")
        with pytest.raises(SmsSendError) as caught:
            g.send(to="+84912000001", body="Moi Lan hien mau.", request_id="r-t")
        assert caught.value.transient and caught.value.http_status is None
        again = g.send(to="+84912000001", body="Moi Lan hien mau.", request_id="r-t")
    assert again.status == "duplicate" and again.provider_id == "rid:r-t"
    assert [m["request_id"] for m in fake.messages] == ["r-t"]  # accepted once, answered 124
    assert ("POST", "SendMultipleMessage_V4_post_json", "124") in fake.requests
    assert fake.violations == []


def test_zns_unknown_template_789_and_wrong_parameters_790(fake):
    with gateway(fake) as g:
        fake.fail_next("template")
        with pytest.raises(SmsSendError) as caught:
            g.send(to="+84912000001", body="HM cam on ban Lan da hien mau ngay 1/6.",
                   request_id="z1", kind="thank_you", channel="zns")
        assert caught.value.code == 789 and not caught.value.transient
    fake.zns_templates["200607"] = 3
    with gateway(fake) as g, pytest.raises(SmsSendError) as caught:
        g.send(to="+84912000001", body="HM cam on ban Lan da hien mau ngay 1/6.",
               request_id="z2", kind="thank_you", channel="zns")
    assert caught.value.code == 790 and fake.violations == []


def test_zns_sends_the_registered_parameters_in_order(fake):
    with gateway(fake) as g:
        result = g.send(to="+84912000001", body="HM cam on ban Lan da hien mau ngay 1/6.",
                        request_id="z3", kind="thank_you", channel="zns_sms")
    assert result.channel == "zns_sms"
    assert fake.messages[0]["channel"] == "zns" and fake.messages[0]["content"] == '["Lan", "1/6"]'
    assert fake.violations == []


def test_a_kind_without_zns_registration_goes_as_sms(fake):
    with gateway(fake) as g:
        result = g.send(to="+84912000001", body="Moi Lan hien mau.", request_id="s", kind="invitation",
                        channel="zns_sms")
    assert result.channel == "sms" and fake.messages[0]["channel"] == "sms"


def test_template_values_read_back_what_was_filled_in():
    assert template_values("{a} x {b}!", "Hoa x 1/6!") == {"a": "Hoa", "b": "1/6"}
    assert template_values("{a} x {a}", "Hoa x Lan") is None
    assert template_values("Moi {ten}.", "Khac") is None


def test_request_ids_are_short_and_distinct():
    ids = {request_id_for(f"key:{n}") for n in range(1000)}
    assert len(ids) == 1000 and max(map(len, ids)) <= 50
    assert local_phone("+84912000001") == "0912000001"


# -- through the dispatcher and the callbacks ------------------------------------------------

def _queue(engine, now, n: int, *, kind="thank_you", **donor):
    with session_scope(engine) as session:
        d = make_donor(session, now, n, **donor)
        body = TEMPLATE.format(to_chuc="HM", ten=f"Lan{n}", ngay="1/6") if kind == "thank_you" else f"Moi Lan{n} hien mau."
        enqueue(session=session, now=now, donor_id=d.id, to=d.phone_e164, kind=kind, body=body,
                idempotency_key=f"k:{n}")
        return d.id


def _callback_into(engine, now):
    def get(url, params):
        outbox_id = int(url.rstrip("/").rsplit("/", 1)[1])
        with session_scope(engine) as session:
            return 204 if apply_callback(session=session, now=now, outbox_id=outbox_id, params=params) else 404
    return get


def test_zns_falls_back_to_sms_and_the_donor_gets_sms_from_then_on(engine, fake, now):
    settings = sms_settings(public_base_url="https://hienmau.example.vn")
    with_zalo, without = _queue(engine, now, 1), _queue(engine, now, 2)
    fake.no_zalo.add("0912000002")
    import os
    os.environ["ESMS_CALLBACK_TOKEN"] = "t" * 32
    try:
        with gateway(fake, settings) as g:
            report = Dispatcher(engine=engine, settings=settings, gateway=g, clock=lambda: now).run_once()
            assert report.sent == 2
            answers = fake.deliver_callbacks(repeat=2, get=_callback_into(engine, now))
    finally:
        del os.environ["ESMS_CALLBACK_TOKEN"]
    assert set(answers) == {204}
    with Session(engine) as session:
        rows = {r.donor_id: r for r in session.exec(select(OutboxMessage))}
        gone = session.get(Donor, without).zalo_unavailable_at
        kept = session.get(Donor, with_zalo).zalo_unavailable_at
    assert rows[with_zalo].status == OutboxStatus.delivered and rows[with_zalo].channel == "zns"
    assert rows[without].status == OutboxStatus.delivered and rows[without].channel == "sms"
    assert (rows[with_zalo].price_vnd, rows[without].price_vnd) == (fake.zns_price, fake.sms_price)
    assert gone is not None and kept is None
    assert fake.violations == []


def test_a_callback_for_another_row_or_a_forged_request_id_changes_nothing(engine, now):
    _queue(engine, now, 1, kind="invitation")
    with session_scope(engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        row.status, row.provider_id = OutboxStatus.sent, "abc"
        session.add(row)
    with session_scope(engine) as session:
        forged = {"SMSID": "abc", "RequestId": "nope", "SendStatus": "5", "SendSuccess": "1", "TypeId": "2"}
        assert apply_callback(session=session, now=now, outbox_id=row.id, params=forged) is None
        assert apply_callback(session=session, now=now, outbox_id=row.id + 99, params=forged) is None
        ok = {**forged, "RequestId": request_id_for("k:1"), "SendStatus": "4", "SendSuccess": "0"}
        assert apply_callback(session=session, now=now, outbox_id=row.id, params=ok).status == OutboxStatus.undelivered
        late = {**ok, "SendStatus": "5", "SendSuccess": "1"}  # a final state is not undone
        assert apply_callback(session=session, now=now, outbox_id=row.id, params=late).status == OutboxStatus.undelivered


def test_a_message_in_flight_is_resent_with_its_request_id_and_not_sent_twice(engine, fake, now):
    settings = sms_settings()
    _queue(engine, now, 1, kind="invitation")
    with gateway(fake, settings, timeout=0.3) as g:
        fake.fail_next("timeout")
        d = Dispatcher(engine=engine, settings=settings, gateway=g, clock=lambda: now)
        assert d.run_once().retried == 1
        later = now + dt.timedelta(minutes=5)
        report = Dispatcher(engine=engine, settings=settings, gateway=g, clock=lambda: later).run_once()
    assert report.recovered == 1 and len(fake.messages) == 1
    assert not any(name == "GetSmsSentData_V2" for _, name, _ in fake.requests)  # no look-up needed
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage.status)).one() == OutboxStatus.sent


def test_out_of_balance_stops_everything_and_says_so(engine, fake, now):
    settings = sms_settings()
    for n in range(3):
        _queue(engine, now, n, kind="invitation")
    fake.balance = 0
    with gateway(fake, settings) as g, pytest.raises(DispatchStopped, match="out of balance"):
        Dispatcher(engine=engine, settings=settings, gateway=g, clock=lambda: now).run_once()
    from donor_registry.audit.models import AuditEntry

    with Session(engine) as session:
        assert set(session.exec(select(OutboxMessage.status))) <= {OutboxStatus.queued, OutboxStatus.sending}
        assert session.exec(select(AuditEntry.action)).all() == ["sms.out_of_balance"]


def test_donors_who_chose_sms_or_none(engine, fake, now):
    settings = sms_settings()
    _queue(engine, now, 1, message_channel="sms")
    _queue(engine, now, 2, message_channel="none")
    with gateway(fake, settings) as g:
        report = Dispatcher(engine=engine, settings=settings, gateway=g, clock=lambda: now).run_once()
    assert (report.sent, report.cancelled) == (1, 1)
    assert [m["channel"] for m in fake.messages] == ["sms"]


def test_messages_without_a_report_are_settled_by_the_status_query(engine, fake, now):
    settings = sms_settings()  # no public URL: no callbacks asked for
    _queue(engine, now, 1, kind="invitation")
    _queue(engine, now, 2, kind="invitation")
    from donor_registry.sms.esms_callbacks import poll_statuses

    with gateway(fake, settings) as g:
        Dispatcher(engine=engine, settings=settings, gateway=g, clock=lambda: now).run_once()
        later = now + dt.timedelta(hours=1)
        with session_scope(engine) as session:  # eSMS has not finished yet: still pending
            assert poll_statuses(session=session, gateway=g, now=later) == {"asked": 2, "settled": 0, "pending": 2}
        fake.deliver_callbacks()  # marks them finished (no callback URL was given)
        with session_scope(engine) as session:
            assert poll_statuses(session=session, gateway=g, now=later) == {"asked": 2, "settled": 2, "pending": 0}
        with session_scope(engine) as session:
            assert poll_statuses(session=session, gateway=g, now=later)["asked"] == 0
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {(r.status, r.price_vnd) for r in rows} == {(OutboxStatus.delivered, fake.sms_price)}
