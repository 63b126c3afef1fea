"""The eSMS.vn gateway: brand-name customer-care SMS, Zalo ZNS, and ZNS with SMS fallback.

Pages followed (../shared/esms/esms-api/): ham-gui-tin/tin-nhan-sms-otp-cskh.md
(SendMultipleMessage_V4_post_json), ham-gui-tin/tin-nhan-zalo.md (SendZaloMessage_V6),
ham-gui-tin/tin-mutichanel-zalo-greater-than-sms-otp-cskh.md (MultiChannelMessage),
ham-truy-xuat-va-dang-ky/ham-kiem-tra-tin-nhan-theo-smsid.md (GetSendStatus) and
ham-kiem-tra-trang-thai-tin-nhan-theo-khoang-thoi-gian.md (GetSmsSentData_V2).

Every send carries ``RequestId`` = a digest of the outbox row's idempotency key; eSMS refuses
a second request with the same id for 24 hours (code 124), so a message whose answer was
lost is simply sent again: if the first try went, the answer is "duplicate" and nothing is
sent twice. The look-up by phone and text (``find_sent``) is the fallback for rows older
than that window.
"""

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any, Self

import requests

from donor_registry.sms.esms_codes import DUPLICATE_REQUEST, verdict
from donor_registry.sms.gateway import SendResult, SmsSendError, _is_loopback

__all__ = ["CHANNELS", "DEDUP_WINDOW", "EsmsGateway", "local_phone", "request_id_for"]

#: eSMS blocks a repeated RequestId for 24 h; rows older than this (less a margin) are
#: looked up before they are sent again.
DEDUP_WINDOW = dt.timedelta(hours=23)
#: sms: brand-name SMS; zns: Zalo only; zns_sms: ZNS, and SMS when ZNS fails.
CHANNELS = ("sms", "zns", "zns_sms")
SMS_TYPE_CUSTOMER_CARE = "2"
VIETNAM_TZ = dt.timezone(dt.timedelta(hours=7))


def request_id_for(idempotency_key: str, part: str = "") -> str:
    """A RequestId (≤ 50 characters, as the pages require) that only this key gives."""
    return hashlib.sha256(f"{idempotency_key}|{part}".encode()).hexdigest()[:40] + (
        f"-{part}" if part else ""
    )


def local_phone(e164: str) -> str:
    """+84912345678 → 0912345678 (eSMS's examples); other countries keep their digits."""
    return "0" + e164[3:] if e164.startswith("+84") else e164.lstrip("+")


class EsmsGateway:
    """Talks JSON to rest.esms.vn (or ``base_url``, e.g. the local fake) with requests."""

    takes_request_id = True  # the dispatcher passes request_id, kind and channel to send()
    dedup_window = DEDUP_WINDOW

    def __init__(
        self, api_key: str, secret_key: str, *, brandname: str, base_url: str,
        oa_id: str = "", unicode: bool = False, sandbox: bool = False, timeout: float = 10.0,
        zns_params: Callable[[str, str], tuple[str, list[str], list[str]] | None] | None = None,
    ) -> None:
        if not api_key or not secret_key:
            raise ValueError("api_key and secret_key are required")
        if not brandname:
            raise ValueError("a registered brand name is required")
        self.api_key, self.secret_key = api_key, secret_key
        self.brandname, self.oa_id = brandname, oa_id
        self.unicode, self.sandbox, self.timeout = unicode, sandbox, float(timeout)
        self.base_url = base_url.rstrip("/")
        # (kind, text) → (ZNS template id, values, names in the registered order), None: no
        # registered ZNS template (registrations.py).
        self.zns_params = zns_params or (lambda kind, text: None)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            if _is_loopback(self.base_url):
                session.trust_env = False  # a local fake's traffic never goes through a proxy
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/{name}"
        auth = {"ApiKey": self.api_key, "SecretKey": self.secret_key}
        try:
            if method == "GET":
                response = self._session().get(url, params={**payload, **auth}, timeout=self.timeout)
            else:
                response = self._session().post(url, json={**auth, **payload}, timeout=self.timeout)
        except requests.exceptions.Timeout as exc:
            raise SmsSendError(
                f"eSMS did not answer within {self.timeout:g} s (the message may have been "
                "accepted; it is sent again with the same RequestId)", transient=True,
            ) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise SmsSendError(f"cannot reach eSMS: {type(exc).__name__}", transient=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise SmsSendError(f"eSMS HTTP {response.status_code}", http_status=response.status_code)
        try:
            answer = response.json()
        except ValueError as exc:
            raise SmsSendError(f"eSMS HTTP {response.status_code}: not a JSON answer",
                               http_status=response.status_code, transient=False) from exc
        if not isinstance(answer, dict):
            raise SmsSendError("eSMS answered something that is not a JSON object", transient=False)
        return answer

    # -- sending ----------------------------------------------------------------------------

    def send(
        self, *, to: str, body: str, status_callback: str | None = None,
        request_id: str | None = None, kind: str = "", channel: str = "sms",
    ) -> SendResult:
        """Send by ``channel``; 100 and 124 are accepted, every other code raises SmsSendError."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        zns = self.zns_params(kind, body) if channel != "sms" and self.oa_id else None
        if zns is None:
            channel = "sms"
        if channel == "sms":
            name, payload = "SendMultipleMessage_V4_post_json/", self._sms_part(to, body, status_callback, request_id)
        elif channel == "zns":
            name, payload = "SendZaloMessage_V6/", self._zns_single(to, zns, status_callback, request_id)
        else:
            name, payload = "MultiChannelMessage/", self._multi(to, body, zns, status_callback, request_id)
        answer = self._call("POST", name, payload)
        code = str(answer.get("CodeResult", answer.get("CodeResponse", ""))).strip()
        if not code and "error" in answer:  # {"error": "Invalid request"}: a malformed request
            raise SmsSendError(f"eSMS refused the request: {answer['error']}", transient=False,
                               action="stop")
        judged = verdict(code)
        if judged.action == "accepted":
            smsid = answer.get("SMSID") or None
            if code == DUPLICATE_REQUEST or not smsid:
                # The first request went; its SMSID comes with its callback (RequestId is in it).
                return SendResult(f"rid:{request_id}" if request_id else None, "duplicate", channel)
            return SendResult(str(smsid), "accepted", channel)
        detail = answer.get("ErrorMessage") or ""
        raise SmsSendError(
            f"eSMS code {code}: {judged.text}" + (f" ({detail})" if detail else ""),
            code=int(code) if code.isdigit() else None, transient=judged.action == "retry",
            action=judged.action if judged.action in ("stop", "balance", "mark_phone") else None,
        )

    def _common(self, status_callback: str | None, request_id: str | None) -> dict[str, str]:
        extra = {"Sandbox": "1" if self.sandbox else "0"}
        if request_id:
            extra["RequestId"] = request_id
        if status_callback:
            extra["CallbackUrl"] = status_callback
        return extra

    def _sms_part(self, to, body, status_callback, request_id, *, with_phone=True) -> dict[str, str]:
        part = {"Content": body, "Brandname": self.brandname, "SmsType": SMS_TYPE_CUSTOMER_CARE,
                "IsUnicode": "1" if self.unicode else "0", **self._common(status_callback, request_id)}
        return {"Phone": local_phone(to), **part} if with_phone else part

    def _zns_single(self, to, zns, status_callback, request_id) -> dict[str, Any]:
        template_id, params, names = zns
        data = dict(zip(names, params, strict=True))
        return {"Phone": local_phone(to), "OAID": self.oa_id, "TempID": template_id, "TempData": data,
                "SendingMode": "1", **self._common(status_callback, request_id)}

    def _multi(self, to, body, zns, status_callback, request_id) -> dict[str, Any]:
        zalo = {"TempID": zns[0], "Params": list(zns[1]), "OAID": self.oa_id, "SendingMode": "1",
                **self._common(status_callback, request_id and request_id + "z")}
        sms = self._sms_part(to, body, status_callback, request_id, with_phone=False)
        return {"Phone": local_phone(to), "Channels": ["zalo", "sms"], "Data": [zalo, sms]}

    # -- asking -----------------------------------------------------------------------------

    def status(self, provider_id: str) -> dict[str, Any] | None:
        """GetSendStatus for one SMSID: its SendStatus / SendSuccess / TotalPrice, or None (105)."""
        answer = self._call("GET", "GetSendStatus", {"RefId": provider_id})
        code = str(answer.get("CodeResponse", answer.get("CodeResult", ""))).strip()
        if code == "100":
            return answer
        if code == "105":  # not found (yet)
            return None
        judged = verdict(code)
        raise SmsSendError(f"eSMS status query, code {code}: {judged.text}",
                           code=int(code) if code.isdigit() else None,
                           transient=judged.action == "retry",
                           action=judged.action if judged.action in ("stop", "balance") else None)

    def find_sent(
        self, *, to: str, body: str, since: dt.datetime, exclude: Collection[str] = (),
        matches: Callable[[str], bool] | None = None, page_size: int = 500, max_pages: int = 20,
    ) -> SendResult | None:
        """Fallback look-up (GetSmsSentData_V2): a customer-care SMS to ``to`` with this text."""
        same = matches or body.__eq__
        phone = local_phone(to)
        start = since.astimezone(VIETNAM_TZ).strftime("%Y-%m-%d %H:%M:%S")
        end = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).astimezone(VIETNAM_TZ)
        for page in range(1, max_pages + 1):
            answer = self._call("POST", "GetSmsSentData_V2", {
                "SmsType": SMS_TYPE_CUSTOMER_CARE, "From": start,
                "To": end.strftime("%Y-%m-%d %H:%M:%S"), "Page": page, "PageSize": page_size,
            })
            code = str(answer.get("CodeResult", "")).strip()
            if code == "105":
                return None
            if code != "100":
                judged = verdict(code)
                raise SmsSendError(f"eSMS sent-messages query, code {code}: {judged.text}",
                                   transient=judged.action == "retry")
            rows = answer.get("SentData") or []
            for row in rows:
                ref = str(row.get("ReferenceId") or "")
                if row.get("Phone") == phone and same(str(row.get("Content") or "")) and ref not in exclude:
                    return SendResult(ref, "sent", "sms")
            if len(rows) < page_size:
                return None
        return None
