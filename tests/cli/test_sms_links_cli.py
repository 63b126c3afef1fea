"""Links in SMS. Dead links refused: with Twilio, `serve`, `reminders plan` and any call-out
wave stop with one line when sms.public_base_url is empty or this machine; the console gateway
may. Reply tokens never shown: `sms outbox show` and the console print them hidden."""

import os
import re

import pytest
from sqlmodel import Session, func, select

from donor_registry.db import make_engine
from donor_registry.emergency.models import EmergencyRequest
from donor_registry.sms.models import OutboxMessage
from donor_registry.sms.settings import SmsSettings, dead_link_reason

DEAD = ["", "http://127.0.0.1:8000", "http://localhost:8000/", "https://[::1]/",
        "http://0.0.0.0:8000", "http://app.localhost", "hienmau.example.vn"]
LIVE = ["https://hienmau.example.vn", "http://203.113.1.7:8000", "https://hienmau.example.vn/app/"]


@pytest.mark.parametrize("url", DEAD)
def test_addresses_donors_cannot_open_are_dead_with_twilio(url):
    assert dead_link_reason(SmsSettings(gateway="twilio", public_base_url=url)) is not None


@pytest.mark.parametrize("url", LIVE)
def test_public_addresses_are_live(url):
    assert dead_link_reason(SmsSettings(gateway="twilio", public_base_url=url)) is None


@pytest.mark.parametrize("url", DEAD)
def test_the_console_gateway_may_print_any_link(url):
    assert dead_link_reason(SmsSettings(gateway="console", public_base_url=url)) is None


@pytest.fixture
def twilio(monkeypatch):
    monkeypatch.setenv("DONOR_REGISTRY_SMS__GATEWAY", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x" * 32)


def _one_line(result, *words):
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def _count(model) -> int:
    engine = make_engine(os.environ["DONOR_REGISTRY_DATABASE__URL"])
    with Session(engine) as session:
        n = session.exec(select(func.count()).select_from(model)).one()
    engine.dispose()
    return n


@pytest.mark.parametrize("url", ["", "http://127.0.0.1:8000"])
def test_serve_refuses_to_start(cli, twilio, monkeypatch, url):
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PUBLIC_BASE_URL", url)
    _one_line(cli("serve", "--port", "0"), "serve will not start", "sms.public_base_url")


def test_reminders_plan_refuses_but_a_dry_run_may_count(cli, twilio):
    _one_line(cli("reminders", "plan"), "reminders plan", "sms.public_base_url is empty")
    assert cli("reminders", "plan", "--dry-run").exit_code == 0


def test_a_call_out_with_a_dead_link_is_refused_and_nothing_is_written(cli, twilio, monkeypatch):
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PUBLIC_BASE_URL", "http://localhost:8000")
    cli("hospitals", "add", "Bệnh viện Bình Dân", "--district", "Quận 3")
    added = cli("donors", "add", "Lê Thị Lan", "--birth-year", "1995", "--weight", "52",
                "--group", "A+", "--phone", "0912000001", "--commune", "Phường 9",
                "--district", "Quận 3", "--province", "TP Hồ Chí Minh", "--consent", "paper",
                "--standby")
    assert added.exit_code == 0, added.stderr
    filed = cli("emergency", "request", "--hospital", "Bệnh viện Bình Dân", "--group", "A+",
                "--units", "1")
    _one_line(filed, "no call-out was sent", "this machine")
    assert (_count(EmergencyRequest), _count(OutboxMessage)) == (0, 0)
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PUBLIC_BASE_URL", "https://hienmau.example.vn")
    assert cli("emergency", "request", "--hospital", "Bệnh viện Bình Dân", "--group", "A+",
               "--units", "1").exit_code == 0
    assert _count(OutboxMessage) == 1


TOKEN_LINK = re.compile(r"/r/[A-Za-z0-9_-]{16,}")


def test_outbox_show_and_the_console_never_print_a_reply_token(cli, monkeypatch):
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PUBLIC_BASE_URL", "https://hienmau.example.vn")
    cli("hospitals", "add", "Bệnh viện Bình Dân", "--district", "Quận 3")
    assert cli("donors", "add", "Lê Thị Lan", "--birth-year", "1995", "--weight", "52",
               "--group", "A+", "--phone", "0912000001", "--commune", "Phường 9",
               "--district", "Quận 3", "--province", "TP Hồ Chí Minh", "--consent", "paper",
               "--standby").exit_code == 0
    assert cli("emergency", "request", "--hospital", "Bệnh viện Bình Dân", "--group", "A+",
               "--units", "1").exit_code == 0
    shown = cli("sms", "outbox", "show", "1", "--json")
    assert "https://hienmau.example.vn/r/(reply-token-not-kept)" in shown.json()["body"]
    dispatched = cli("sms", "dispatch", "--once")
    assert dispatched.exit_code == 0, dispatched.stderr
    assert "https://hienmau.example.vn/r/…" in dispatched.stdout
    assert not TOKEN_LINK.search(dispatched.stdout + shown.stdout + cli("sms", "outbox", "show", "1").stdout)


def test_emergency_waves_refuse_in_one_line_when_a_wave_is_due(cli, monkeypatch):
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PUBLIC_BASE_URL", "https://hienmau.example.vn")
    cli("hospitals", "add", "Bệnh viện Bình Dân", "--district", "Quận 3")
    assert cli("emergency", "request", "--hospital", "Bệnh viện Bình Dân", "--group", "A+",
               "--units", "1").exit_code == 0
    monkeypatch.setenv("DONOR_REGISTRY_NOW", "2026-06-01T05:00:00+00:00")  # next wave due
    monkeypatch.setenv("DONOR_REGISTRY_SMS__GATEWAY", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x" * 32)
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PUBLIC_BASE_URL", "")
    _one_line(cli("emergency", "waves", "--once"), "no wave was run", "sms.public_base_url is empty")


def test_send_link_queues_one_record_link_a_day_and_refuses_a_dead_one(cli, twilio, monkeypatch):
    added = cli("donors", "add", "Lê Thị Lan", "--birth-year", "1995", "--weight", "52", "--group", "A+",
                "--phone", "0912000001", "--consent", "paper")
    assert added.exit_code == 0, added.stderr
    _one_line(cli("donors", "send-link", "1"), "no record link was sent", "sms.public_base_url is empty")
    assert _count(OutboxMessage) == 0
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PUBLIC_BASE_URL", "https://hienmau.example.vn")
    sent = cli("donors", "send-link", "1", "--json")
    assert sent.exit_code == 0, sent.stderr
    assert '"queued": true' in sent.stdout and "/me/" not in sent.stdout  # the link is for the donor only
    _one_line(cli("donors", "send-link", "1"), "already sent to donor #1 today")
    _one_line(cli("donors", "send-link", "99"), "There is no donor #99")
    assert _count(OutboxMessage) == 1
