"""Pure SMS rules: quiet hours, backoff, the rate limiter on a fake clock, templates, settings."""

import datetime as dt

import pytest

from donor_registry.config import Settings
from donor_registry.errors import UserError
from donor_registry.sms.encoding import analyse
from donor_registry.sms.inbound import is_opt_in, is_opt_out
from donor_registry.sms.rules import TokenBucket, backoff_seconds, quiet_until
from donor_registry.sms.service import gateway_from_settings
from donor_registry.sms.settings import SmsSettings
from donor_registry.sms.templates import render

pytestmark = pytest.mark.usefixtures("english")

TZ = "Asia/Ho_Chi_Minh"
NIGHT = {"start": dt.time(21), "end": dt.time(7), "tz": TZ}


def utc(local_hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
    """A UTC moment given as a Hà Nội wall-clock time on June `day`, 2026."""
    return dt.datetime(2026, 6, day, local_hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.mark.parametrize(("moment", "until"), [
    (utc(20, 59), None),
    (utc(21, 0), utc(7, day=2)),
    (utc(23, 30), utc(7, day=2)),
    (utc(3, 0, day=2), utc(7, day=2)),
    (utc(6, 59, day=2), utc(7, day=2)),
    (utc(7, 0, day=2), None),
    (utc(12, 0), None),
])
def test_quiet_hours_span_midnight(moment, until):
    assert quiet_until(moment, **NIGHT) == until


def test_quiet_hours_within_a_day_and_off():
    lunch = {"start": dt.time(12), "end": dt.time(13), "tz": TZ}
    assert quiet_until(utc(12, 30), **lunch) == utc(13)
    assert quiet_until(utc(11, 59), **lunch) is None
    assert quiet_until(utc(23), start=dt.time(0), end=dt.time(0), tz=TZ) is None


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_seconds(n, base=30, cap=200) for n in range(1, 6)] == [30, 60, 120, 200, 200]
    assert backoff_seconds(500, base=30, cap=3600) == 3600


def test_token_bucket_spaces_acquisitions_on_a_fake_clock():
    clock = {"t": 0.0}
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock["t"] += seconds

    bucket = TokenBucket(10, clock=lambda: clock["t"], sleep=sleep)
    for _ in range(21):
        bucket.acquire()
    assert clock["t"] == pytest.approx(2.0)  # first token free, then one every 0.1 s
    assert TokenBucket(0, clock=lambda: 0.0, sleep=sleep).acquire() is None


@pytest.mark.parametrize("word", ["STOP", "stop.", " Hủy ", "HỦY", "huy", "Từ chối", "TU CHOI!",
                                  "tuchoi", "STOPALL", "Unsubscribe", "(cancel)"])
def test_opt_out_words(word):
    assert is_opt_out(word)


@pytest.mark.parametrize("text", ["stop by at 5", "Có, tôi hiến", "YES", "OK", ""])
def test_not_opt_out(text):
    assert not is_opt_out(text)


def test_start_is_opt_in_but_yes_is_not():
    assert is_opt_in(" Start ") and not is_opt_in("YES")


def test_templates_render_with_and_without_diacritics():
    fields = {"ten": "Đức", "ngay": "01/06/2026"}
    plain = render("thank_you", Settings(), **fields)
    assert plain == "Hoi Chu thap do cam on ban Duc da hien mau ngay 01/06/2026. Giot mau cua ban cuu nguoi!"
    assert analyse(plain).encoding == "GSM-7"
    marked = render("thank_you", Settings(sms={"strip_diacritics": False}), **fields)
    assert "Đức" in marked and analyse(marked).encoding == "UCS-2"
    with pytest.raises(UserError, match="needs ngay"):
        render("thank_you", Settings(), ten="An")
    with pytest.raises(UserError, match="no SMS template 'nope'"):
        render("nope", Settings())


def test_twilio_gateway_needs_credentials_from_the_environment(monkeypatch):
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x")
    with pytest.raises(UserError, match="TWILIO_ACCOUNT_SID is not set"):
        gateway_from_settings(SmsSettings(gateway="twilio"))
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    gateway = gateway_from_settings(SmsSettings(gateway="twilio", sender="MG" + "a" * 32))
    assert gateway.messaging_service_sid == "MG" + "a" * 32
