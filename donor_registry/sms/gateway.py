"""The outbound SMS port: a small gateway protocol, a console gateway and a Twilio gateway.

The dispatcher (outbox) only sees ``SmsGateway.send`` returning a ``SendResult`` or raising
``SmsSendError``; ``SmsSendError.transient`` tells it whether to retry with backoff or to give
up on the row (and, for ``opted_out`` / ``phone_not_sms_able``, to mark the donor's phone).

A timeout is classed as transient, but the provider may still have accepted the message: a
retry after a timeout can send twice. Twilio's Messages API has no idempotency key, so before
resending a message whose answer was lost the dispatcher asks ``find_sent``: the provider's
list of messages to that number, matched by body and creation time.
"""

import ipaddress
import itertools
import sys
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self, TextIO
from urllib.parse import urlparse

from donor_registry.emergency.tokens import mask_reply_links

__all__ = [
    "OPTED_OUT_CODE",
    "PHONE_NOT_SMS_ABLE_CODES",
    "RATE_LIMIT_CODE",
    "ConsoleGateway",
    "SendResult",
    "SmsGateway",
    "SmsSendError",
    "TwilioGateway",
    "is_transient",
    "validate_twilio_signature",
]

#: 21211 invalid 'To' number, 21614 'To' is not a mobile number: the phone cannot get SMS.
PHONE_NOT_SMS_ABLE_CODES: frozenset[int] = frozenset({21211, 21614})
#: 21610: the recipient replied STOP (unsubscribed): stop sending to this number.
OPTED_OUT_CODE = 21610
#: 20429: Twilio's "Too Many Requests".
RATE_LIMIT_CODE = 20429


@dataclass(frozen=True)
class SendResult:
    provider_id: str | None
    status: str  # provider status, e.g. "queued" / "sent"
    channel: str | None = None  # esms: "sms", "zns" or "zns_sms" (the others only send SMS)


def is_transient(http_status: int | None, code: int | None) -> bool:
    """Retry (True) or give up (False) for an error with this HTTP status and provider code.

    429 / 20429, any 5xx, and no HTTP answer at all (timeout, connection error) are transient;
    every other 4xx (21211, 21614, 21610, 401, ...) is permanent.
    """
    if http_status == 429 or code == RATE_LIMIT_CODE:
        return True
    return http_status is None or http_status >= 500


class SmsSendError(Exception):
    """Sending failed. ``transient``: retry later; otherwise the message will never go."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        transient: bool | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.transient = is_transient(http_status, code) if transient is None else transient
        # Set by gateways whose codes are not Twilio's (esms_codes.py): "stop", "balance"
        # (out of money: stop) or "mark_phone"; None: judged by code / HTTP status.
        self.action = action

    @property
    def stops_everything(self) -> bool:
        return self.action in ("stop", "balance")

    @property
    def out_of_balance(self) -> bool:
        return self.action == "balance"

    @property
    def opted_out(self) -> bool:
        return self.code == OPTED_OUT_CODE

    @property
    def phone_not_sms_able(self) -> bool:
        return self.code in PHONE_NOT_SMS_ABLE_CODES or self.action == "mark_phone"

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"SmsSendError({self.message!r}, code={self.code!r}, "
            f"http_status={self.http_status!r}, transient={self.transient!r})"
        )


class SmsGateway(Protocol):
    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult: ...

    def find_sent(
        self, *, to: str, body: str, since: datetime, exclude: Collection[str] = (),
        matches: Callable[[str], bool] | None = None,
    ) -> SendResult | None:
        """A message to ``to`` with exactly ``body`` (or a body ``matches`` accepts) accepted
        at or after ``since`` (sids in ``exclude`` belong to other messages), or None."""
        ...


class ConsoleGateway:
    """Embedded default: prints each SMS and remembers it in ``.sent``.

    Reply links are printed with their token hidden unless ``show_links`` (a trial on one
    machine, where someone wants to open them).
    """

    def __init__(self, stream: TextIO | None = None, *, show_links: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.show_links = show_links
        self.sent: list[dict[str, Any]] = []
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        with self._lock:
            provider_id = f"console-{next(self._counter)}"
            shown = body if self.show_links else mask_reply_links(body)
            print(f"SMS to {to} : {shown}", file=self.stream, flush=True)
            self.sent.append(
                {
                    "to": to,
                    "body": body,
                    "status_callback": status_callback,
                    "provider_id": provider_id,
                }
            )
        return SendResult(provider_id, "sent")

    def find_sent(
        self, *, to: str, body: str, since: datetime, exclude: Collection[str] = (),
        matches: Callable[[str], bool] | None = None,
    ) -> SendResult | None:
        """Only what this process printed: a console has no memory across restarts."""
        same = matches or body.__eq__
        with self._lock:
            for item in reversed(self.sent):
                if item["to"] == to and same(item["body"]) and item["provider_id"] not in exclude:
                    return SendResult(item["provider_id"], "sent")
        return None


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TwilioGateway:
    """Sends through Twilio's Messages API with the real ``twilio.rest.Client``.

    ``base_url`` (e.g. ``http://127.0.0.1:PORT``) points the client at a local fake:
    twilio-python has no base-URL argument, so it is set on the ``api`` domain
    (``client.api.base_url``), which every v2010 URL is built from.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        if bool(from_) == bool(messaging_service_sid):
            raise ValueError("give exactly one of from_ or messaging_service_sid")
        if not account_sid or not auth_token:
            raise ValueError("account_sid and auth_token are required")
        if timeout is None or timeout <= 0:
            raise ValueError("timeout must be > 0 seconds")
        self.account_sid = account_sid
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid
        self.timeout = float(timeout)

        http_client = TwilioHttpClient(timeout=self.timeout)
        if base_url is not None and http_client.session is not None and _is_loopback(base_url):
            # Never send a loopback fake's traffic through HTTP(S)_PROXY from the environment.
            http_client.session.trust_env = False
        # A non-empty environment: with {} (falsy) the client reads os.environ, where
        # TWILIO_EDGE / TWILIO_REGION would rewrite the host of every request.
        environment = {"DONOR_REGISTRY_TWILIO_ENV": "explicit"}
        self._client = Client(
            account_sid,
            auth_token,
            account_sid=account_sid,
            http_client=http_client,
            environment=environment,
        )
        if base_url is not None:
            self._client.api.base_url = base_url.rstrip("/")
        self._messages = self._client.api.v2010.accounts(account_sid).messages

    @property
    def client(self):  # the twilio.rest.Client, for diagnostics and tests
        return self._client

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        session = getattr(self._client.http_client, "session", None)
        if session is not None:
            session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def find_sent(
        self,
        *,
        to: str,
        body: str,
        since: datetime,
        exclude: Collection[str] = (),
        matches: Callable[[str], bool] | None = None,
        max_scan: int = 1000,
    ) -> SendResult | None:
        """Look the message up in Twilio's list of messages to ``to`` (newest first)."""
        same = matches or body.__eq__
        with _twilio_errors(self.timeout):
            for message in self._messages.stream(to=to, limit=max_scan, page_size=50):
                if message.date_created is not None and message.date_created < since:
                    return None
                if message.body is not None and same(message.body) and message.sid not in exclude:
                    return SendResult(message.sid, str(message.status or ""))
        return None

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self.from_:
            kwargs["from_"] = self.from_
        else:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        if status_callback:
            kwargs["status_callback"] = status_callback
        with _twilio_errors(self.timeout):
            message = self._messages.create(**kwargs)
        return SendResult(message.sid, str(message.status) if message.status is not None else "")


@contextmanager
def _twilio_errors(timeout: float) -> Iterator[None]:
    """Turn the twilio client's and requests' exceptions into SmsSendError."""
    import requests
    from twilio.base.exceptions import (
        TwilioException,
        TwilioRestException,
        TwilioServiceException,
    )

    try:
        yield
    except TwilioRestException as exc:
        code = _int_or_none(exc.code)
        # exc.msg, not str(exc): __str__ adds ANSI colours when stderr is a terminal.
        raise SmsSendError(
            f"Twilio HTTP {exc.status}" + (f" error {code}" if code else "") + f": {exc.msg}",
            code=code,
            http_status=_int_or_none(exc.status),
        ) from exc
    except TwilioServiceException as exc:  # RFC 9457 problem answers
        code = _int_or_none(getattr(exc, "code", None))
        status = _int_or_none(getattr(exc, "status", None))
        detail = getattr(exc, "detail", None) or getattr(exc, "title", "")
        raise SmsSendError(
            f"Twilio HTTP {status} error {code}: {detail}", code=code, http_status=status
        ) from exc
    except TwilioException as exc:  # a page of a list that did not load ("Unable to fetch page")
        response = exc.args[1] if len(exc.args) > 1 else None
        status = _int_or_none(getattr(response, "status_code", None))
        raise SmsSendError(f"Twilio HTTP {status}: {exc.args[0] if exc.args else exc}",
                           http_status=status) from exc
    except requests.exceptions.Timeout as exc:
        raise SmsSendError(
            f"Twilio request timed out after {timeout:g} s "
            "(the message may still have been accepted)",
            transient=True,
        ) from exc
    except (
        requests.exceptions.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
    ) as exc:
        raise SmsSendError(
            f"cannot reach Twilio: {type(exc).__name__}", transient=True
        ) from exc


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def validate_twilio_signature(
    auth_token: str,
    url: str,
    params: Mapping[str, Any] | None,
    signature: str | None,
    *,
    signature_settings: str | None = None,
) -> bool:
    """True when ``signature`` (the X-Twilio-Signature header) signs ``url`` + ``params``.

    ``url`` is the full URL Twilio requested (scheme, host, path and query string, as seen by
    Twilio, not as rewritten by a reverse proxy); ``params`` the POST form fields.
    ``signature_settings`` is the X-Twilio-Webhooks-Signature-Settings header, if any
    (it selects HMAC-SHA256; ``auth_token`` must then be the SharedKey secret).
    """
    if not signature or not auth_token:
        return False
    from twilio import request_validator as rv

    kwargs: dict[str, Any] = {}
    if signature_settings and hasattr(rv, "get_signature_algorithm"):
        kwargs["algorithm"] = rv.get_signature_algorithm(signature_settings)
    return bool(rv.RequestValidator(auth_token).validate(url, params or {}, signature, **kwargs))
