"""The [sms] section of config.toml: gateway, sending pace, quiet hours, retries, templates."""

import datetime as dt
import ipaddress
import os
import re
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from donor_registry.errors import UserError
from donor_registry.i18n import _

MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")

# Vietnam: carriers only pass brand-name (alphanumeric sender) traffic whose text matches a
# template registered in advance, so change these only together with the registration.
# invitation and reminder may also use {link}, the donor's personal drive link (slots/links.py;
# empty for a drive without slots). It is left out of them because it makes a text two parts:
# a drive with slots sends invitation_with_link and reminder_with_link instead (sms/templates.py).
DEFAULT_TEMPLATES: dict[str, str] = {
    "invitation": (
        "{to_chuc} mời bạn {ten} hiến máu ngày {ngay} lúc {gio} tại {dia_diem}. "
        "Cảm ơn bạn! Không nhận tin: soạn TU CHOI"
    ),
    "reminder": "{to_chuc} nhắc bạn {ten}: ngày mai {ngay} lúc {gio} hiến máu tại {dia_diem}. Hẹn gặp bạn!",
    "invitation_with_link": (
        "{to_chuc} mời bạn {ten} hiến máu ngày {ngay} tại {dia_diem}. Chọn giờ: {link} "
        "Không nhận tin: soạn TU CHOI"
    ),
    "reminder_with_link": "{to_chuc} nhắc bạn {ten}: ngày mai {ngay} lúc {gio} hiến máu tại {dia_diem}. Đổi, hủy: {link}",
    "thank_you": "{to_chuc} cảm ơn bạn {ten} đã hiến máu ngày {ngay}. Giọt máu của bạn cứu người!",
    "may_give_again": "{to_chuc}: từ ngày {ngay} bạn {ten} có thể hiến máu lại. Mong gặp bạn ở đợt tới!",
    "congratulation": (
        "{to_chuc} chúc mừng bạn {ten} đã hiến máu {so_lan} lần và được tôn vinh. Trân trọng cảm ơn!"
    ),
    "emergency_call": (
        "{to_chuc} CẦN GẤP máu nhóm {nhom_mau} cho {benh_vien}. Bạn {ten} có thể hiến? Trả lời: {link}"
    ),
    "emergency_filled": "{to_chuc}: đã đủ máu nhóm {nhom_mau} cho {benh_vien}. Cảm ơn bạn {ten}!",
    "waitlist_offer": (
        "{to_chuc}: bạn {ten} ơi, đợt hiến máu ngày {ngay} tại {dia_diem} vừa có chỗ trống lúc {gio}. "
        "Chỗ không được giữ, ai đặt trước được trước: {link}"
    ),
    # When a hospital used the donation's unit, or a drive's units were released to it (thanks/).
    "blood_reached": "{to_chuc} cảm ơn bạn {ten}: máu bạn hiến ngày {ngay} đã đến {benh_vien} để cứu người bệnh.",
}

# The texts for donors who chose English on their record page (/me); a kind missing here goes
# in Vietnamese. Brand-name senders must register these too before donors get them.
DEFAULT_TEMPLATES_EN: dict[str, str] = {
    "invitation": (
        "{to_chuc} invites you, {ten}, to give blood on {ngay} at {gio}, {dia_diem}. "
        "Thank you! To stop these texts reply TU CHOI"
    ),
    "reminder": "{to_chuc}: {ten}, tomorrow {ngay} at {gio} you give blood at {dia_diem}. See you!",
    "invitation_with_link": (
        "{to_chuc} invites you, {ten}, to give blood on {ngay} at {dia_diem}. Choose a time: {link} "
        "To stop these texts reply TU CHOI"
    ),
    "reminder_with_link": "{to_chuc}: {ten}, tomorrow {ngay} at {gio} you give blood at {dia_diem}. Move or cancel: {link}",
    "thank_you": "{to_chuc} thanks you, {ten}, for giving blood on {ngay}. Your blood saves lives!",
    "may_give_again": "{to_chuc}: from {ngay} you may give blood again, {ten}. Hope to see you at the next drive!",
    "congratulation": "{to_chuc} congratulates you, {ten}, on giving blood {so_lan} times: you are honoured. Thank you!",
    "emergency_call": "{to_chuc} URGENTLY needs blood group {nhom_mau} for {benh_vien}. {ten}, can you give? Answer: {link}",
    "emergency_filled": "{to_chuc}: there is enough blood group {nhom_mau} for {benh_vien} now. Thank you, {ten}!",
    "blood_reached": "{to_chuc} thanks you, {ten}: the blood you gave on {ngay} reached {benh_vien} to help a patient.",
    "waitlist_offer": (
        "{to_chuc}: {ten}, a place is free at {gio} at the drive on {ngay} at {dia_diem}. "
        "It is not held, first to book gets it: {link}"
    ),
}


class ReminderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invitation_days_before: int = Field(default=5, ge=1, le=60)
    day_before_reminder: bool = True
    thank_you: bool = True
    may_give_again: bool = True
    congratulation: bool = True
    look_back_days: int = Field(default=7, ge=1, le=90)
    send_at: str = "09:00"

    @field_validator("send_at")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        parse_hh_mm(value)
        return value


class ZnsTemplate(BaseModel):
    """A ZNS template as Zalo approved it: its id and its parameters in the registered order."""

    model_config = ConfigDict(extra="forbid")

    template_id: str = Field(min_length=1, max_length=20, pattern=r"^\d+$")
    params: list[str] = Field(min_length=1)


class EsmsSettings(BaseModel):
    """[sms.esms]: the eSMS.vn account's Zalo OA and ZNS templates (keys: environment only)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://rest.esms.vn/MainService.svc/json"
    oa_id: str = Field(default="", pattern=r"^\d*$")  # empty: brand-name SMS only
    timeout_seconds: float = Field(default=10.0, gt=0)
    sandbox: bool = False  # eSMS "Sandbox": accepted and checked, never delivered nor billed
    zns: dict[str, ZnsTemplate] = Field(default_factory=dict)


class PriceTable(BaseModel):
    """[sms.prices]: what one message costs in đồng, from the chapter's contract."""

    model_config = ConfigDict(extra="forbid")

    sms_segment_vnd: int = Field(default=750, ge=0)  # one brand-name SMS part (CSKH)
    zns_vnd: int = Field(default=300, ge=0)  # one ZNS message delivered
    twilio_segment_vnd: int = Field(default=2_100, ge=0)


class SmsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gateway: Literal["console", "twilio", "esms"] = "console"
    sender: str = "HIENMAU"
    twilio_base_url: str = ""
    twilio_timeout_seconds: float = Field(default=10.0, gt=0)
    public_base_url: str = ""
    console_shows_links: bool = False  # the console gateway prints reply tokens (one-machine trials)
    status_callbacks: bool = True
    rate_per_second: float = Field(default=10.0, ge=0)
    batch_size: int = Field(default=100, ge=1, le=10_000)
    concurrency: int = Field(default=4, ge=1, le=64)
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "07:00"
    urgent_kinds: list[str] = ["emergency_call", "emergency_filled"]
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=30.0, gt=0)
    backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    lease_seconds: float = Field(default=120.0, gt=0)
    dispatch_every_seconds: float = Field(default=5.0, gt=0)  # how often `serve` sends what is due
    strip_diacritics: bool = True
    max_segments: int = Field(default=3, ge=1, le=10)
    weekly_cap_per_donor: int = Field(default=3, ge=0)
    reminders: ReminderSettings = ReminderSettings()
    templates: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    templates_en: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TEMPLATES_EN))
    esms: EsmsSettings = EsmsSettings()
    prices: PriceTable = PriceTable()

    @field_validator("quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _quiet_hh_mm(cls, value: str) -> str:
        parse_hh_mm(value)
        return value

    @model_validator(mode="after")
    def _backoff_order(self):
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise ValueError(_("backoff_cap_seconds is smaller than backoff_base_seconds"))
        return self

    @property
    def uses_messaging_service(self) -> bool:
        return bool(MESSAGING_SERVICE_SID.match(self.sender))

    def status_callback_url(self) -> str | None:
        """Where Twilio posts delivery reports (None: no public URL configured)."""
        if not (self.status_callbacks and self.public_base_url):
            return None
        if self.gateway == "esms":  # GET callbacks carry no signature: a secret path instead
            return self.public_base_url.rstrip("/") + f"/sms/esms/status/{esms_callback_token()}"
        return self.public_base_url.rstrip("/") + "/sms/status"


def dead_link_reason(settings: SmsSettings) -> str | None:
    """Why links in our SMS would not open on a donor's phone (None: they would, or the
    console gateway only prints them on this machine)."""
    if settings.gateway == "console":
        return None
    base = settings.public_base_url.strip()
    if not base:
        return _("sms.public_base_url is empty")
    parsed = urlparse(base)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return _("sms.public_base_url '{url}' is not an http(s) address").format(url=base)
    if _is_local_host(parsed.hostname):
        return _("sms.public_base_url '{url}' is this machine, which donors' phones cannot reach").format(url=base)
    return None


def require_live_links(settings: SmsSettings, *, refusing: str) -> None:
    """Stop (one line, exit 1) before anything queues or sends SMS whose links would be dead."""
    reason = dead_link_reason(settings)
    if reason is not None:
        raise UserError(_(
            "{refusing}: {reason}; set it to the address donors can reach "
            "(e.g. https://hienmau.example.vn), or use sms.gateway = \"console\" to try things out"
        ).format(refusing=refusing, reason=reason))


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def parse_hh_mm(value: str) -> dt.time:
    """'21:00' → time(21, 0); a plain error otherwise."""
    try:
        hour, minute = value.split(":")
        return dt.time(int(hour), int(minute))
    except ValueError:
        raise ValueError(_("'{value}' is not a time of day like 21:00").format(value=value)) from None


def twilio_credentials() -> tuple[str, str]:
    """TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the environment (never from a file)."""
    return _credentials("twilio", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def esms_credentials() -> tuple[str, str]:
    """ESMS_API_KEY and ESMS_SECRET_KEY from the environment (never from a file)."""
    return _credentials("esms", "ESMS_API_KEY", "ESMS_SECRET_KEY")


def _credentials(gateway: str, *names: str) -> tuple[str, ...]:
    values = tuple(os.environ.get(name, "").strip() for name in names)
    missing = [name for name, value in zip(names, values) if not value]
    if missing:
        raise UserError(_(
            "sms.gateway is '{gateway}' but {variables} is not set in the environment "
            "(credentials never go in config.toml)"
        ).format(gateway=gateway, variables=missing[0] if len(missing) == 1 else _("{first} and {last}").format(
            first=", ".join(missing[:-1]), last=missing[-1])))
    return values


def esms_callback_token() -> str:
    """ESMS_CALLBACK_TOKEN: the secret path part of the delivery-report URL (≥ 24 characters)."""
    token = os.environ.get("ESMS_CALLBACK_TOKEN", "").strip()
    if len(token) < 24 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise UserError(_(
            "sms.gateway is 'esms' with status callbacks but ESMS_CALLBACK_TOKEN is not set to a "
            "secret of at least 24 letters, digits, '-' or '_' (e.g. from `openssl rand -hex 16`)"
        ))
    return token
