"""The service layer's messages speak the current language: a few errors raised under vi and en,
against sentences written out by hand (not read back from the catalogs)."""

import datetime as dt

import pytest
from pydantic import ValidationError

from donor_registry.campaigns import drives
from donor_registry.campaigns import service as campaigns
from donor_registry.campaigns.models import CampaignCreate
from donor_registry.emergency import hospitals, limits
from donor_registry.errors import NotFound, UserError
from donor_registry.honours.settings import HonoursSettings
from donor_registry.i18n import _, use_language
from donor_registry.sms.settings import SmsSettings, require_live_links


def _message(language: str, action) -> str:
    with use_language(language), pytest.raises((UserError, ValueError)) as raised:
        action()
    return str(raised.value)


@pytest.mark.parametrize("language, expected", [
    ("vi", "không có buổi hiến máu #999"),
    ("en", "there is no drive #999"),
])
def test_a_missing_drive(session, language, expected):
    assert _message(language, lambda: drives.get_drive(session=session, drive_id=999)) == expected


@pytest.mark.parametrize("language, expected", [
    ("vi", "không có bệnh viện #7"),
    ("en", "no hospital #7"),
])
def test_a_missing_hospital(session, language, expected):
    with use_language(language), pytest.raises(NotFound) as raised:
        hospitals.get_hospital(session=session, hospital_id=7)
    assert str(raised.value) == expected


@pytest.mark.parametrize("language, expected", [
    ("vi", "đợt vận động kết thúc (01/05/2027) trước khi bắt đầu (02/05/2027)"),
    ("en", "the campaign ends (01/05/2027) before it starts (02/05/2027)"),
])
def test_dates_in_a_message_are_day_month_year(session, now, language, expected):
    backwards = CampaignCreate(name="Nhà máy", year=2027, start=dt.date(2027, 5, 2), end=dt.date(2027, 5, 1))
    assert _message(language, lambda: campaigns.add_campaign(session=session, now=now, data=backwards)) == expected


def test_a_campaign_cancelled_twice(session, now):
    campaign = campaigns.add_campaign(session=session, now=now, data=CampaignCreate(
        name="Trường THPT Chu Văn An", year=2027, start=dt.date(2027, 10, 1), end=dt.date(2027, 10, 31)))
    campaigns.cancel_campaign(session=session, campaign_id=campaign.id, now=now)
    again = lambda: campaigns.cancel_campaign(session=session, campaign_id=campaign.id, now=now)
    assert _message("vi", again) == f"đợt vận động #{campaign.id} đã bị huỷ rồi"
    assert _message("en", again) == f"campaign #{campaign.id} is already cancelled"


def test_a_dead_link_refusal_is_one_sentence_in_each_language():
    dead = SmsSettings(gateway="twilio", public_base_url="")

    def refuse():
        require_live_links(dead, refusing=_("no call-out was sent"))

    assert _message("vi", refuse) == (
        "không gửi lời gọi nào: sms.public_base_url đang để trống; xin đặt thành địa chỉ mà người hiến "
        "truy cập được (ví dụ https://hienmau.example.vn), hoặc dùng sms.gateway = \"console\" để thử")
    assert _message("en", refuse) == (
        "no call-out was sent: sms.public_base_url is empty; set it to the address donors can reach "
        "(e.g. https://hienmau.example.vn), or use sms.gateway = \"console\" to try things out")


@pytest.mark.parametrize("language, expected", [
    ("vi", "ký tự thứ 2 là ký tự điều khiển (U+0000)"),
    ("en", "character 2 is a control character (U+0000)"),
])
def test_a_text_problem_names_the_character(language, expected):
    with use_language(language):
        assert limits.text_problem("a\x00b") == expected


@pytest.mark.parametrize("language, expected", [
    ("vi", "honours.tiers phải là một danh sách không rỗng gồm các số dương"),
    ("en", "honours.tiers must be a non-empty list of positive counts"),
])
def test_a_settings_mistake(language, expected):
    with use_language(language), pytest.raises(ValidationError) as raised:
        HonoursSettings(tiers=[])
    assert expected in str(raised.value)
