"""A fake Twilio Messages API on 127.0.0.1, checked against Twilio's published OpenAPI spec.

Stdlib only. Every request is checked against ``twilio_api_v2010.json`` (the POST and GET (list: To /
From filters, pages) operations of ``/2010-04-01/Accounts/{AccountSid}/Messages.json`` and the
GET of ``.../Messages/{Sid}.json``):
path and AccountSid, HTTP Basic auth, Content-Type, form field names, types, formats, enums,
required fields, plus the rules Twilio documents in prose (a sender: From or
MessagingServiceSid; content: Body, MediaUrl or ContentSid; Body at most 1,600 characters).
A request that breaks them gets Twilio's error JSON (400/401/404/405) and lands in
``fake.violations``: tests should assert it stays empty.

    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        gw = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_="+15005550006", base_url=fake.base_url)
        gw.send(to="+84912345678", body="...")
        assert fake.violations == [] and len(fake.messages) == 1

Fault injection (applied only to requests that passed the checks, in this order):
``fail_next(n, status=429|500|503|..., code=None)`` or ``fail_next(n, status="disconnect")``,
``reject_numbers({"+84...": 21211})`` (permanent, per number), ``fail_ratio(p, seed)``
(random 429 / 500 / slow answers), ``slow(seconds)`` (delay every answer).
A slow answer still creates the message, as Twilio would after the client gave up:
``fake.duplicates()`` shows (To, Body) pairs sent more than once.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import math
import os
import random
import re
import secrets
import socket
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["DEFAULT_SPEC_PATH", "FakeTwilio", "TwilioSpec", "segments"]

DEFAULT_SPEC_PATH = Path(
    os.environ.get(
        "TWILIO_OPENAPI_SPEC",
        Path(__file__).resolve().parents[3] / "shared" / "twilio" / "twilio_api_v2010.json",
    )
)
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
FORM = "application/x-www-form-urlencoded"

# Twilio error codes (twilio.com/docs/errors) and their usual messages.
ERROR_MESSAGES = {
    20001: "Unknown parameter",
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21212: "Invalid 'From' Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21609: "Invalid StatusCallback url",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}
DEFAULT_CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
# Which error code a bad value of a field gets (others: 20001).
FIELD_ERROR_CODES = {"To": 21211, "From": 21212, "FallbackFrom": 21212, "StatusCallback": 21609}

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
CHANNEL_ADDRESS = re.compile(r"^[a-z][a-z0-9_-]*:\+?[\w.@+-]+$")  # whatsapp:+1..., messenger:123
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
SHORT_CODE = re.compile(r"^\d{3,8}$")
BODY_MAX_CHARS = 1600  # from Body's description: "Can be up to 1,600 characters in length"

# GSM 03.38: the basic set (1 septet) and the extension table (2 septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def segments(body: str) -> int:
    """SMS parts for ``body``: GSM-7 160 (153 a part), else UCS-2 70 (67 a part)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in body):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return math.ceil(units / part)


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC)).replace("-0000", "+0000")


class TwilioSpec:
    """The parts of Twilio's OpenAPI document the fake enforces."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        create = doc["paths"][MESSAGES_PATH]["post"]
        fetch = doc["paths"][MESSAGE_PATH]["get"]
        listing = doc["paths"][MESSAGES_PATH]["get"]
        self.list_path_params = {
            p["name"]: self.resolve(p["schema"]) for p in listing["parameters"] if p["in"] == "path"
        }
        self.list_query_params = {
            p["name"]: self.resolve(p["schema"]) for p in listing["parameters"] if p["in"] == "query"
        }
        self.list_status = int(next(iter(listing["responses"])))
        self.list_properties = frozenset(
            listing["responses"][str(self.list_status)]["content"]["application/json"]["schema"][
                "properties"
            ]
        )
        self.create_path_params = {
            p["name"]: self.resolve(p["schema"]) for p in create["parameters"] if p["in"] == "path"
        }
        self.fetch_path_params = {
            p["name"]: self.resolve(p["schema"]) for p in fetch["parameters"] if p["in"] == "path"
        }
        content = create["requestBody"]["content"]
        if list(content) != [FORM]:
            raise ValueError(f"spec: unexpected request content types {list(content)}")
        form = self.resolve(content[FORM]["schema"])
        self.form_required: frozenset[str] = frozenset(form.get("required", ()))
        self.form_properties: dict[str, dict] = {
            name: self.resolve(schema) for name, schema in form["properties"].items()
        }
        self.create_status = int(next(iter(create["responses"])))
        self.fetch_status = int(next(iter(fetch["responses"])))
        self.message_schema = self.resolve(
            create["responses"][str(self.create_status)]["content"]["application/json"]["schema"]
        )
        self.message_properties: dict[str, dict] = {
            name: self.resolve(schema) for name, schema in self.message_schema["properties"].items()
        }
        schemes = doc.get("components", {}).get("securitySchemes", {})
        security = create.get("security") or doc.get("security") or []
        names = [name for req in security for name in req]
        self.basic_auth = any(
            schemes.get(n, {}).get("type") == "http" and schemes[n].get("scheme") == "basic"
            for n in names
        )

    @classmethod
    @functools.lru_cache(maxsize=4)
    def load(cls, path: str | os.PathLike = DEFAULT_SPEC_PATH) -> TwilioSpec:
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    def resolve(self, schema: Mapping[str, Any]) -> dict:
        """Inline ``$ref``s (one level is all this spec uses for these operations)."""
        schema = dict(schema)
        while "$ref" in schema:
            ref = schema.pop("$ref")
            if not ref.startswith("#/"):
                raise ValueError(f"spec: external $ref {ref}")
            target: Any = self.doc
            for part in ref[2:].split("/"):
                target = target[part]
            schema = {**target, **schema}
        for key in ("items",):
            if key in schema:
                schema[key] = self.resolve(schema[key])
        return schema

    # -- checks ---------------------------------------------------------------------------

    def check_string(self, name: str, schema: Mapping[str, Any], value: str) -> str | None:
        if "minLength" in schema and len(value) < schema["minLength"]:
            return f"{name}: shorter than {schema['minLength']}"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{name}: longer than {schema['maxLength']}"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"{name}: {value!r} does not match {schema['pattern']}"
        if "enum" in schema and value not in schema["enum"]:
            return f"{name}: {value!r} not one of {schema['enum']}"
        fmt = schema.get("format")
        if fmt and not schema.get("x-twilio", {}).get("ignoreFormat"):
            return self.check_format(name, fmt, value)
        return None

    def check_format(self, name: str, fmt: str, value: str) -> str | None:
        if fmt == "phone-number":
            if E164.match(value) or (
                CHANNEL_ADDRESS.match(value) and not value.lower().startswith(("sms:", "tel:"))
            ):
                return None
            # From's description also allows alphanumeric sender IDs and short codes
            # (Vietnam's brand names are alphanumeric); To's only E.164 or a channel address.
            if name in ("From", "FallbackFrom") and (
                ALPHANUMERIC_SENDER.match(value) or SHORT_CODE.match(value)
            ):
                return None
            return f"{name}: {value!r} is not an E.164 phone number"
        if fmt == "uri":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return f"{name}: {value!r} is not an absolute http(s) URI"
            if "_" in parts.hostname:  # StatusCallback: "underscores are not allowed"
                return f"{name}: {value!r} has an underscore in the host name"
            return None
        if fmt == "date-time":
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return f"{name}: {value!r} is not an ISO 8601 date-time"
            return None
        return None  # formats this fake does not know are not checked

    def check_scalar(self, name: str, schema: Mapping[str, Any], value: str) -> str | None:
        kind = schema.get("type", "string")
        if kind == "string":
            return self.check_string(name, schema, value)
        if kind == "integer":
            return None if re.fullmatch(r"-?\d+", value) else f"{name}: {value!r} not an integer"
        if kind == "number":
            try:
                float(value)
            except ValueError:
                return f"{name}: {value!r} not a number"
            return None
        if kind == "boolean":
            return None if value in ("true", "false") else f"{name}: {value!r} not true/false"
        return f"{name}: type {kind} cannot be sent in a form"

    def check_form(self, pairs: list[tuple[str, str]]) -> list[tuple[int, str]]:
        """Problems with a create-message form, each as (Twilio error code, text)."""
        problems: list[tuple[int, str]] = []
        fields: dict[str, list[str]] = {}
        for key, value in pairs:
            fields.setdefault(key, []).append(value)
        for key, values in fields.items():
            schema = self.form_properties.get(key)
            if schema is None:
                problems.append((20001, f"unknown parameter {key!r}"))
                continue
            code = FIELD_ERROR_CODES.get(key, 20001)
            if schema.get("type") == "array":
                items = schema.get("items", {})
                for value in values:
                    if (error := self.check_scalar(key, items, value)) is not None:
                        problems.append((code, error))
                continue
            if len(values) > 1:
                problems.append((code, f"{key}: given {len(values)} times"))
                continue
            if (error := self.check_scalar(key, schema, values[0])) is not None:
                problems.append((code, error))
        for key in sorted(self.form_required - fields.keys()):
            problems.append((21604 if key == "To" else 20001, f"missing required {key}"))
        # Rules from the descriptions, not expressible in the schema.
        if not fields.keys() & {"From", "MessagingServiceSid"}:
            problems.append((21603, "need From or MessagingServiceSid"))
        if not fields.keys() & {"Body", "MediaUrl", "ContentSid"}:
            problems.append((21602, "need Body, MediaUrl or ContentSid"))
        if any(len(body) > BODY_MAX_CHARS for body in fields.get("Body", ())):
            problems.append((21617, f"Body longer than {BODY_MAX_CHARS} characters"))
        return problems

    def check_query(self, pairs: list[tuple[str, str]]) -> list[str]:
        """Problems with the query string of a list-messages request."""
        problems: list[str] = []
        seen: set[str] = set()
        for key, value in pairs:
            schema = self.list_query_params.get(key)
            if schema is None:
                problems.append(f"unknown query parameter {key!r}")
                continue
            if key in seen:
                problems.append(f"{key}: given more than once")
            seen.add(key)
            if (error := self.check_scalar(key, schema, value)) is not None:
                problems.append(error)
            elif schema.get("type") == "integer":
                number = int(value)
                if "minimum" in schema and number < schema["minimum"]:
                    problems.append(f"{key}: {number} below {schema['minimum']}")
                if "maximum" in schema and number > schema["maximum"]:
                    problems.append(f"{key}: {number} above {schema['maximum']}")
        return problems

    def check_message(self, resource: Mapping[str, Any]) -> list[str]:
        """Check a message resource the fake is about to answer against the response schema."""
        problems = [f"extra property {k}" for k in resource if k not in self.message_properties]
        for name, schema in self.message_properties.items():
            if name not in resource:
                problems.append(f"missing property {name}")
                continue
            value = resource[name]
            if value is None:
                if not schema.get("nullable"):
                    problems.append(f"{name}: null but not nullable")
                continue
            kind = schema.get("type", "string")
            expected = {"string": str, "integer": int, "object": dict, "number": (int, float)}
            if kind in expected and not isinstance(value, expected[kind]):
                problems.append(f"{name}: {value!r} is not {kind}")
            elif kind == "string":
                fmt = schema.get("format")
                if fmt == "date-time-rfc-2822":
                    try:
                        from email.utils import parsedate_to_datetime

                        parsedate_to_datetime(value)
                    except (TypeError, ValueError):
                        problems.append(f"{name}: {value!r} not RFC 2822")
                elif fmt != "phone-number" and (
                    error := self.check_string(name, {**schema, "format": None}, value)
                ):
                    problems.append(error)
        return problems


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeTwilio

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Hang up on kept-alive clients so their handler threads end."""
        with self.connections_lock:
            remaining = list(self.connections)
        for conn in remaining:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):  # quiet on clients that hung up
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK
        # add ~40 ms to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")

    def do_PUT(self) -> None:
        self.server.fake._handle(self, "PUT")

    def do_DELETE(self) -> None:
        self.server.fake._handle(self, "DELETE")

    def do_PATCH(self) -> None:
        self.server.fake._handle(self, "PATCH")


class _Reject(Exception):
    def __init__(self, status: int, code: int | None, message: str, violation: bool = True):
        super().__init__(message)
        self.status, self.code, self.message, self.violation = status, code, message, violation


class FakeTwilio:
    """The fake server. ``messages``: accepted messages (form fields + ``sid``), in order;
    ``violations``: requests that broke the spec; ``requests``: (method, path, HTTP status)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        spec_path: str | os.PathLike = DEFAULT_SPEC_PATH,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.spec = TwilioSpec.load(str(spec_path))
        self.host, self.port = host, port
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.messages: list[dict[str, Any]] = []
        self.violations: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, int]] = []
        self._resources: dict[str, dict[str, Any]] = {}
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stop.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"FakeTwilio:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes delayed answers
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeTwilio is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    # -- fault injection ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget injected faults (not messages or violations)."""
        with self._lock:
            self._fail_queue: deque[tuple[int | str, int | None, str | None]] = deque()
            self._rejections: dict[str, int] = {}
            self._ratio = 0.0
            self._rng = random.Random(0)
            self._ratio_kinds: tuple[int | str, ...] = ()
            self._ratio_slow = 0.0
            self._delay = 0.0
            self._lookup_failures: deque[int] = deque()

    def fail_lookups(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` valid list requests (GET Messages.json) answer ``status``."""
        with self._lock:
            self._lookup_failures.extend([status] * n)

    def forget_messages(self) -> None:
        """Start again with no accepted messages (a fresh account, same server)."""
        with self._lock:
            self.messages.clear()
            self._resources.clear()
            self.requests.clear()

    def fail_next(
        self,
        n: int = 1,
        status: int | str = 429,
        code: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``n`` valid requests answer ``status`` with Twilio's error JSON
        (``code`` defaults to 20429 / 20500 / 20503 ...), or with ``status="disconnect"``
        the connection is closed without an answer."""
        if code is None and isinstance(status, int):
            code = DEFAULT_CODE_FOR_STATUS.get(status)
        with self._lock:
            self._fail_queue.extend([(status, code, message)] * n)

    def fail_ratio(
        self,
        p: float,
        seed: int | None = 0,
        *,
        kinds: Iterable[int | str] = (429, 500, "slow"),
        slow_seconds: float = 0.2,
    ) -> None:
        """Each valid request fails with probability ``p``: a 429, a 500, or ("slow") an
        answer delayed by ``slow_seconds`` (a timeout if the client's is shorter; the message
        is still created). ``p=0`` turns it off."""
        if not 0.0 <= p <= 1.0:
            raise ValueError("p must be in [0, 1]")
        with self._lock:
            self._ratio = p
            self._rng = random.Random(seed)
            self._ratio_kinds = tuple(kinds)
            self._ratio_slow = slow_seconds

    def reject_numbers(self, codes: Mapping[str, int]) -> None:
        """Permanent per-number errors, e.g. ``{"+84912345678": 21610}`` (HTTP 400)."""
        with self._lock:
            self._rejections.update(codes)

    def slow(self, seconds: float) -> None:
        """Delay every answer by ``seconds`` (0 to stop)."""
        with self._lock:
            self._delay = max(0.0, seconds)

    def set_status(self, sid: str, status: str, error_code: int | None = None) -> None:
        """Move a stored message on (e.g. "delivered", or "undelivered" with 30003)."""
        enum = self.spec.message_properties["status"].get("enum", ())
        if status not in enum:
            raise ValueError(f"{status!r} is not a message status in the spec")
        with self._lock:
            resource = self._resources[sid]
            resource["status"] = status
            resource["error_code"] = error_code
            resource["date_updated"] = rfc2822(datetime.now(UTC))

    def duplicates(self) -> list[tuple[str, str]]:
        """(To, Body) pairs accepted more than once."""
        with self._lock:
            counts = Counter((m.get("To"), m.get("Body")) for m in self.messages)
        return [key for key, n in counts.items() if n > 1]

    # -- request handling -----------------------------------------------------------------

    def _error_body(self, status: int, code: int | None, message: str) -> dict[str, Any]:
        return {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
            "status": status,
        }

    def _send_json(self, handler: _Handler, status: int, payload: Any, extra=()) -> None:
        data = json.dumps(payload).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        for name, value in extra:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def _handle(self, handler: _Handler, method: str) -> None:
        path = urlsplit(handler.path).path
        try:
            raw = self._read_body(handler)
            self._check_auth(handler)
            status, payload = self._dispatch(handler, method, path, raw)
        except _Reject as rej:
            if rej.violation:
                with self._lock:
                    self.violations.append(
                        {
                            "method": method,
                            "path": path,
                            "status": rej.status,
                            "code": rej.code,
                            "problem": rej.message,
                        }
                    )
            extra = [("WWW-Authenticate", 'Basic realm="Twilio API"')] if rej.status == 401 else []
            self._record(method, path, rej.status)
            if rej.status == 0:  # disconnect
                handler.close_connection = True
                return
            self._send_json(
                handler, rej.status, self._error_body(rej.status, rej.code, rej.message), extra
            )
            return
        self._record(method, path, status)
        self._send_json(handler, status, payload)

    def _read_body(self, handler: _Handler) -> bytes:
        length = handler.headers.get("Content-Length")
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            handler.close_connection = True
            raise _Reject(400, 20001, "chunked request bodies are not supported by this fake")
        try:
            n = int(length) if length is not None else 0
        except ValueError:
            handler.close_connection = True
            raise _Reject(400, 20001, f"bad Content-Length {length!r}") from None
        data = handler.rfile.read(n) if n > 0 else b""
        if len(data) < n:  # the client hung up mid-request (e.g. it was killed): no request
            handler.close_connection = True
            raise _Reject(0, None, "disconnect", violation=False)
        return data

    def _check_auth(self, handler: _Handler) -> None:
        header = handler.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic" or not token:
            raise _Reject(401, 20003, "Authenticate: no HTTP Basic credentials")
        try:
            user, sep, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _Reject(401, 20003, "Authenticate: malformed Basic credentials") from None
        if not sep or user != self.account_sid or password != self.auth_token:
            raise _Reject(401, 20003, "Authenticate: wrong account SID or auth token")

    def _match(self, path: str) -> tuple[str, dict[str, str]] | None:
        for template in (MESSAGES_PATH, MESSAGE_PATH):
            regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            if m := re.match(regex, path):
                return template, m.groupdict()
        return None

    def _check_path_params(self, params: dict[str, str], schemas: dict[str, dict]) -> None:
        for name, schema in schemas.items():
            if (error := self.spec.check_string(name, schema, params.get(name, ""))) is not None:
                raise _Reject(404, 20404, f"path parameter {error}")
        if params.get("AccountSid") != self.account_sid:
            raise _Reject(401, 20003, "Authenticate: AccountSid in the path is not yours")

    def _dispatch(self, handler: _Handler, method: str, path: str, raw: bytes):
        matched = self._match(path)
        if matched is None:
            raise _Reject(404, 20404, f"The requested resource {path} was not found")
        template, params = matched
        if template == MESSAGES_PATH and method == "POST":
            self._check_path_params(params, self.spec.create_path_params)
            return self._create(handler, path, raw)
        if template == MESSAGES_PATH and method == "GET":
            self._check_path_params(params, self.spec.list_path_params)
            self._inject_delay_only()
            with self._lock:
                failing = self._lookup_failures.popleft() if self._lookup_failures else None
            if failing is not None:
                raise _Reject(failing, DEFAULT_CODE_FOR_STATUS.get(failing), "injected", False)
            return self.spec.list_status, self._list(path, urlsplit(handler.path).query)
        if template == MESSAGE_PATH and method == "GET":
            self._check_path_params(params, self.spec.fetch_path_params)
            self._inject_delay_only()
            with self._lock:
                resource = self._resources.get(params["Sid"])
                resource = copy.deepcopy(resource) if resource else None
            if resource is None:  # a well-formed sid we do not know: not a violation
                raise _Reject(404, 20404, f"The requested resource {path} was not found", False)
            return self.spec.fetch_status, resource
        raise _Reject(405, 20004, f"{method} {template} is not supported by this fake")

    def _create(self, handler: _Handler, path: str, raw: bytes):
        ctype = handler.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != FORM:
            raise _Reject(400, 20001, f"Content-Type must be {FORM}, not {ctype!r}")
        try:
            pairs = parse_qsl(
                raw.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=bool(raw),
                errors="strict",
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Reject(400, 20001, f"unparsable form body: {exc}") from None
        problems = self.spec.check_form(pairs)
        if problems:
            code = problems[0][0]
            raise _Reject(400, code, "; ".join(text for _, text in problems))
        form: dict[str, Any] = {}
        for key, value in pairs:
            if self.spec.form_properties[key].get("type") == "array":
                form.setdefault(key, []).append(value)
            else:
                form[key] = value
        self._inject_faults(form["To"])
        resource = self._new_message(form)
        if errors := self.spec.check_message(resource):  # the fake's own bug
            raise _Reject(500, 20500, "fake built an off-spec answer: " + "; ".join(errors))
        with self._lock:
            self._resources[resource["sid"]] = resource
            self.messages.append({**form, "sid": resource["sid"]})
        return self.spec.create_status, copy.deepcopy(resource)

    def _list(self, path: str, query: str) -> dict[str, Any]:
        """A page of messages, newest first, filtered by To / From (DateSent* match only
        messages with a date_sent, which this fake never sets: Twilio's are sent later)."""
        pairs = parse_qsl(query, keep_blank_values=True)
        if problems := self.spec.check_query(pairs):
            raise _Reject(400, 20001, "; ".join(problems))
        args = dict(pairs)
        size = int(args.get("PageSize", 50))
        page = int(args.get("Page", 0))
        with self._lock:
            found = [
                copy.deepcopy(r)
                for r in reversed(self._resources.values())
                if args.get("To", r["to"]) == r["to"]
                and args.get("From", r["from"]) == r["from"]
                and (r["date_sent"] is not None or not args.keys() & {"DateSent", "DateSent<", "DateSent>"})
            ]
        chunk = found[page * size : (page + 1) * size]
        filters = [(k, v) for k, v in pairs if k not in ("Page", "PageSize", "PageToken")]

        def page_uri(number: int) -> str:
            extra = [("PageSize", str(size)), ("Page", str(number))]
            if number:
                extra.append(("PageToken", f"PT{number}"))
            return f"{path}?{urlencode(filters + extra)}"

        answer = {
            "end": page * size + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if (page + 1) * size < len(found) else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": page * size,
            "uri": page_uri(page),
            "messages": chunk,
        }
        if set(answer) != self.spec.list_properties:  # the fake's own bug
            raise _Reject(500, 20500, "fake built an off-spec list answer")
        return answer

    def _inject_delay_only(self) -> None:
        with self._lock:
            delay = self._delay
        if delay:
            self._stop.wait(delay)

    def _inject_faults(self, to: str) -> None:
        with self._lock:
            queued = self._fail_queue.popleft() if self._fail_queue else None
            rejection = self._rejections.get(to)
            kind = None
            if (
                queued is None
                and rejection is None
                and self._ratio
                and self._ratio_kinds
                and self._rng.random() < self._ratio
            ):
                kind = self._rng.choice(self._ratio_kinds)
            delay = self._delay + (self._ratio_slow if kind == "slow" else 0.0)
        if delay:
            self._stop.wait(delay)
        if queued is not None:
            status, code, message = queued
            if status == "disconnect":
                raise _Reject(0, None, "disconnect", violation=False)
            assert isinstance(status, int)
            text = message or ERROR_MESSAGES.get(code or 0, "Injected failure")
            raise _Reject(status, code, text, violation=False)
        if rejection is not None:
            text = ERROR_MESSAGES.get(rejection, "Rejected")
            raise _Reject(400, rejection, f"{text}: {to}", violation=False)
        if isinstance(kind, int):
            code = DEFAULT_CODE_FOR_STATUS.get(kind)
            raise _Reject(kind, code, ERROR_MESSAGES.get(code or 0, "Injected failure"), False)

    def _new_message(self, form: Mapping[str, Any]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = rfc2822(datetime.now(UTC))
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        body = form.get("Body", "")
        known: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": str(len(form.get("MediaUrl", []))),
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": form["To"],
            "uri": f"{base}.json",
        }
        return {name: known.get(name) for name in self.spec.message_properties}
