"""A local fake of the eSMS.vn REST API, written from its published pages (../shared/esms).

Checked against the pages, quoted by file (all under esms-api/):
- ham-gui-tin/tin-nhan-sms-otp-cskh.md: SendMultipleMessage_V4_post_json, JSON body; ApiKey,
  Content, Phone, SecretKey, Brandname, SmsType are required strings; IsUnicode, Sandbox,
  RequestId ("Độ dài tối đa 50 ký tự", blocked for 24 h), SendDate, campaignid, CallbackUrl
  optional strings. Answers 100 (SMSID), 101, 104, 124 ("Request exist 1", SendStatus 5), 146.
- ham-gui-tin/tin-nhan-zalo.md: SendZaloMessage_V6; Phone, ApiKey, SecretKey, OAID, TempID
  strings and TempData a JSON object, required; SendDate, campaignid (≤ 254), RequestId,
  Sandbox, CallbackUrl, SendingMode ("1" or "3") optional. Answers 100, 101, 789.
- ham-gui-tin/tin-mutichanel-zalo-greater-than-sms-otp-cskh.md: MultiChannelMessage; Phone,
  Channels (exactly ["zalo", "sms"]: "Không thay đổi thứ tự, không bỏ bớt kênh"), Data (an
  array: [0] TempID, Params (array), OAID required; [1] Content, SmsType, Brandname required).
- ham-truy-xuat-va-dang-ky/ham-kiem-tra-tin-nhan-theo-smsid.md: GET GetSendStatus?RefId=…
  (CodeResponse, SendStatus, SendSuccess, SendFailed, TotalPrice); 105 when unknown.
- ham-truy-xuat-va-dang-ky/ham-kiem-tra-trang-thai-tin-nhan-theo-khoang-thoi-gian.md:
  GetSmsSentData_V2 (From, To "yyyy-MM-dd HH:mm:ss", Page, PageSize ≤ 500, SmsType).
- bang-ma-loi.md: 99 phone blocked, 103 out of balance, 108 bad phone, 124 duplicate
  RequestId, 140 IP not whitelisted, 143 account locked, 160 TPS, 790 wrong ZNS template.
- callback-url.md: callbacks are GET with SMSID, SendFailed, SendStatus, SendSuccess,
  TotalPrice, TotalReceiver, TotalSent, RequestId, TypeId (2 SMS, 25 Zalo), telcoid,
  phonenumber, and for Zalo error_info, oaid, tempid.
A request the pages forbid is recorded in ``violations`` (tests assert it stays empty).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import requests

BASE_PATH = "/MainService.svc/json"
PHONE = re.compile(r"^0\d{9,10}$")  # the pages' examples: 0901888484
STRING_FIELDS_SMS = {"ApiKey", "Content", "Phone", "SecretKey", "Brandname", "SmsType"}
OPTIONAL_SMS = {"IsUnicode", "Sandbox", "RequestId", "SendDate", "campaignid", "CallbackUrl"}
REQUIRED_ZNS = {"Phone", "ApiKey", "SecretKey", "OAID", "TempID", "TempData"}
OPTIONAL_ZNS = {"SendDate", "campaignid", "RequestId", "Sandbox", "CallbackUrl", "SendingMode"}
ZNS_PART_REQUIRED = {"TempID", "Params", "OAID"}
ZNS_PART_OPTIONAL = {"campaignid", "CallbackUrl", "RequestId", "Sandbox", "SendingMode"}
SMS_PART_REQUIRED = {"Content", "SmsType", "Brandname"}
SMS_PART_OPTIONAL = {"IsUnicode", "CallbackUrl", "RequestId", "Sandbox"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add
    # ~40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")  # type: ignore[attr-defined]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):  # quiet on clients that hung up
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class FakeEsms:
    """Start with ``with FakeEsms(...) as fake``; point the gateway at ``fake.base_url``."""

    def __init__(
        self, api_key: str = "test-api-key", secret_key: str = "test-secret-key", *,
        brandnames: tuple[str, ...] = ("HIENMAU",), oa_id: str = "4097311281936189049",
        zns_templates: dict[str, int] | None = None, sms_templates: list[str] | None = None,
        balance: int = 10**12, sms_price: int = 750, zns_price: int = 300,
        send_callbacks: bool = True,
    ) -> None:
        self.api_key, self.secret_key = api_key, secret_key
        self.brandnames, self.oa_id = set(brandnames), oa_id
        self.zns_templates = dict(zns_templates or {})  # TempID → number of parameters
        # Registered customer-care texts as regular expressions (None: every text is registered).
        self.sms_templates = [re.compile(t, re.DOTALL) for t in sms_templates] if sms_templates else None
        self.balance, self.sms_price, self.zns_price = balance, sms_price, zns_price
        self.send_callbacks = send_callbacks
        self.messages: list[dict[str, Any]] = []  # every message accepted (one per RequestId)
        self.requests: list[tuple[str, str, str]] = []  # (method, endpoint, CodeResult)
        self.violations: list[str] = []
        self.no_zalo: set[str] = set()  # local phones without Zalo: ZNS fails with -114
        self.blocked: set[str] = set()  # answered 99
        self.callbacks: deque[tuple[str, dict[str, str]]] = deque()
        self._faults: deque[str] = deque()
        self._request_ids: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self.accept_timeout_seconds = 1.0

    # -- life -------------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{BASE_PATH}"

    # -- faults -----------------------------------------------------------------------------

    def fail_next(self, fault: str, n: int = 1) -> None:
        """The next n sends: "timeout" (accepted, then no answer in time), "500", "balance"
        (103), "template" (146 / 789), "tps" (160), "locked" (143), "ip" (140)."""
        assert fault in ("timeout", "500", "balance", "template", "tps", "locked", "ip")
        with self._lock:
            self._faults.extend([fault] * n)

    def duplicates(self) -> list[str]:
        seen: dict[tuple[str, str], int] = {}
        for m in self.messages:
            seen[(m["phone"], m["request_id"] or m["smsid"])] = seen.get((m["phone"], m["request_id"] or m["smsid"]), 0) + 1
        return [k[1] for k, n in seen.items() if n > 1]

    # -- HTTP -------------------------------------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        url = urlsplit(handler.path)
        name = url.path.removeprefix(BASE_PATH).strip("/")
        body: Any = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length)
            if len(raw) < length or not raw:  # the client died mid-request (a kill -9)
                handler.close_connection = True
                return None
            if not handler.headers.get("Content-Type", "").startswith("application/json"):
                self.violations.append(f"{name}: Content-Type is not application/json")
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self.violations.append(f"{name}: body is not JSON")
                return self._answer(handler, 400, {"error": "Invalid request"})
        else:
            body = dict(parse_qsl(url.query, keep_blank_values=True))
        routes = {
            ("POST", "SendMultipleMessage_V4_post_json"): self._send_sms,
            ("POST", "SendZaloMessage_V6"): self._send_zns,
            ("POST", "MultiChannelMessage"): self._send_multi,
            ("GET", "GetSendStatus"): self._status,
            ("POST", "GetSmsSentData_V2"): self._sent_data,
        }
        route = routes.get((method, name))
        if route is None:
            self.violations.append(f"{method} {name}: no such endpoint")
            return self._answer(handler, 404, {"error": "Invalid request"})
        if not isinstance(body, dict):
            self.violations.append(f"{name}: body is not a JSON object")
            return self._answer(handler, 200, {"error": "Invalid request"})
        status, payload, delay = route(body)
        with self._lock:
            self.requests.append((method, name, str(payload.get("CodeResult", payload.get("CodeResponse", "")))))
        if delay:
            time.sleep(delay)
        self._answer(handler, status, payload)

    def _answer(self, handler: _Handler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault)

    # -- checks -----------------------------------------------------------------------------

    def _check(self, where: str, body: dict, required: set[str], optional: set[str],
               non_string: dict[str, type] | None = None) -> bool:
        ok = True
        non_string = non_string or {}
        for field in required:
            if field not in body or body[field] in ("", None):
                self.violations.append(f"{where}: required field {field} is missing")
                ok = False
        for field, value in body.items():
            if field not in required | optional:
                self.violations.append(f"{where}: undocumented field {field}")
                ok = False
            elif not isinstance(value, non_string.get(field, str)):
                self.violations.append(f"{where}: {field} must be {non_string.get(field, str).__name__}")
                ok = False
        if len(str(body.get("RequestId", ""))) > 50:
            self.violations.append(f"{where}: RequestId longer than 50 characters")
            ok = False
        if body.get("IsUnicode", "0") not in ("0", "1") or body.get("Sandbox", "0") not in ("0", "1"):
            self.violations.append(f"{where}: IsUnicode / Sandbox must be \"0\" or \"1\"")
            ok = False
        if body.get("SendingMode", "1") not in ("1", "3"):
            self.violations.append(f"{where}: SendingMode must be \"1\" or \"3\"")
            ok = False
        return ok

    def _auth(self, body: dict) -> bool:
        return body.get("ApiKey") == self.api_key and body.get("SecretKey") == self.secret_key

    @staticmethod
    def _error(code: str, message: str, **extra: Any) -> tuple[int, dict, float]:
        return 200, {"CodeResult": code, "CountRegenerate": 0, "ErrorMessage": message, **extra}, 0.0

    def _pre_checks(self, body: dict, phone: str, request_ids: list[str], price: int):
        """Auth, faults, phone, balance and RequestId, in that order; None when all pass."""
        if not self._auth(body):
            return self._error("101", "Authorize Failed")
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault == "500":
            return 500, {"error": "Internal Server Error"}, 0.0
        simple = {"balance": ("103", "Balance not enough"), "tps": ("160", "TPS limit"),
                  "locked": ("143", "Account is locked"), "ip": ("140", "IP is not whitelisted")}
        if fault in simple:
            return self._error(*simple[fault])
        if not PHONE.match(phone):
            return self._error("108", "Phone number is invalid")
        if phone in self.blocked:
            return self._error("99", "Phone is blocked")
        with self._lock:
            if any(r and r in self._request_ids for r in request_ids):
                return self._error("124", "Request exist 1", SendStatus="5")
        if self.balance < price:
            return self._error("103", "Balance not enough")
        return fault  # "timeout" / "template" still apply after the checks

    def _accept(self, *, phone: str, content: str, request_id: str, channel: str, price: int,
                callback: str, fault: str | None, zns: dict | None = None) -> tuple[int, dict, float]:
        smsid = uuid.uuid4().hex + str(next(self._ids))
        message = {"smsid": smsid, "phone": phone, "content": content, "request_id": request_id,
                   "channel": channel, "price": price, "callback": callback, "zns": zns,
                   "at": time.time(), "status": 2}
        with self._lock:
            self.balance -= price
            self.messages.append(message)
            if request_id:
                self._request_ids[request_id] = message
        self._queue_callbacks(message)
        delay = self.accept_timeout_seconds if fault == "timeout" else 0.0
        return 200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": smsid}, delay

    # -- endpoints --------------------------------------------------------------------------

    def _send_sms(self, body: dict):
        self._check("SendMultipleMessage_V4_post_json", body, STRING_FIELDS_SMS, OPTIONAL_SMS)
        phone, rid = str(body.get("Phone", "")), str(body.get("RequestId", ""))
        early = self._pre_checks(body, phone, [rid], self.sms_price)
        if isinstance(early, tuple):
            return early
        if body.get("SmsType") != "2":
            return self._error("118", "SmsType is not supported")
        if body.get("Brandname") not in self.brandnames:
            return self._error("104", "Brand name code is not exist")
        if early == "template" or not self._registered(str(body.get("Content", ""))):
            return self._error("146", "Sai template Brandname CSKH")
        return self._accept(phone=phone, content=body["Content"], request_id=rid, channel="sms",
                            price=self.sms_price, callback=body.get("CallbackUrl", ""), fault=early)

    def _registered(self, content: str) -> bool:
        return self.sms_templates is None or any(t.fullmatch(content) for t in self.sms_templates)

    def _zns_problem(self, part: dict, values: int, fault: str | None):
        if part.get("OAID") != self.oa_id:
            return self._error("799", "OAID is not active")
        expected = self.zns_templates.get(str(part.get("TempID")))
        if expected is None or fault == "template":
            return self._error("789", "TemplateId is not config")
        if values != expected:
            return self._error("790", "Sai template ZNS")
        return None

    def _send_zns(self, body: dict):
        self._check("SendZaloMessage_V6", body, REQUIRED_ZNS, OPTIONAL_ZNS, {"TempData": dict})
        phone, rid = str(body.get("Phone", "")), str(body.get("RequestId", ""))
        early = self._pre_checks(body, phone, [rid], self.zns_price)
        if isinstance(early, tuple):
            return early
        data = body.get("TempData") if isinstance(body.get("TempData"), dict) else {}
        problem = self._zns_problem(body, len(data), early)
        if problem:
            return problem
        return self._accept(phone=phone, content=json.dumps(data, ensure_ascii=False), request_id=rid,
                            channel="zns", price=self.zns_price, callback=body.get("CallbackUrl", ""),
                            fault=early, zns={"tempid": body["TempID"]})

    def _send_multi(self, body: dict):
        self._check("MultiChannelMessage", body, {"ApiKey", "SecretKey", "Phone", "Channels", "Data"},
                    set(), {"Channels": list, "Data": list})
        if body.get("Channels") != ["zalo", "sms"]:
            self.violations.append("MultiChannelMessage: Channels must be [\"zalo\", \"sms\"]")
        data = body.get("Data") if isinstance(body.get("Data"), list) else []
        if len(data) != 2 or not all(isinstance(d, dict) for d in data):
            self.violations.append("MultiChannelMessage: Data must hold the ZNS and the SMS part")
            return self._error("110", "Invalid data")
        zalo, sms = data
        self._check("MultiChannelMessage Data[0]", zalo, ZNS_PART_REQUIRED, ZNS_PART_OPTIONAL, {"Params": list})
        self._check("MultiChannelMessage Data[1]", sms, SMS_PART_REQUIRED, SMS_PART_OPTIONAL)
        phone = str(body.get("Phone", ""))
        rids = [str(zalo.get("RequestId", "")), str(sms.get("RequestId", ""))]
        early = self._pre_checks(body, phone, rids, self.zns_price)
        if isinstance(early, tuple):
            return early
        params = zalo.get("Params") if isinstance(zalo.get("Params"), list) else []
        problem = self._zns_problem(zalo, len(params), early)
        if problem:
            return problem
        if sms.get("Brandname") not in self.brandnames:
            return self._error("104", "Brand name code is not exist")
        fell_back = phone in self.no_zalo
        price = self.sms_price if fell_back else self.zns_price
        answer = self._accept(phone=phone, content=sms["Content"] if fell_back else json.dumps(params, ensure_ascii=False),
                              request_id=rids[0], channel="sms" if fell_back else "zns", price=price,
                              callback=sms.get("CallbackUrl", "") if fell_back else zalo.get("CallbackUrl", ""),
                              fault=early, zns={"tempid": zalo["TempID"], "sms_request_id": rids[1],
                                                "zns_callback": zalo.get("CallbackUrl", ""), "fell_back": fell_back})
        if rids[1]:
            with self._lock:
                self._request_ids[rids[1]] = self.messages[-1]
        return answer

    def _status(self, query: dict):
        if not self._auth(query):
            return 200, {"CodeResponse": "101", "SMSID": query.get("RefId", "")}, 0.0
        with self._lock:
            found = next((m for m in self.messages if m["smsid"] == query.get("RefId")), None)
        if found is None:
            return 200, {"CodeResponse": "105", "SMSID": query.get("RefId", "")}, 0.0
        done = found["status"] == 5
        return 200, {"CodeResponse": "100", "SMSID": found["smsid"], "SendFailed": 0,
                     "SendStatus": found["status"], "SendSuccess": 1 if done else 0,
                     "TotalPrice": float(found["price"]), "TotalReceiver": 1, "TotalSent": 1}, 0.0

    def _sent_data(self, body: dict):
        self._check("GetSmsSentData_V2", body, {"ApiKey", "SecretKey", "SmsType", "From", "To", "Page", "PageSize"},
                    set(), {"Page": (int, str), "PageSize": (int, str)})  # type: ignore[dict-item]
        if not self._auth(body):
            return self._error("101", "Authorize Failed.")
        page, size = int(body.get("Page", 1)), min(int(body.get("PageSize", 500)), 500)
        with self._lock:
            sms = [m for m in self.messages if m["channel"] == "sms"]
        chunk = sms[(page - 1) * size: page * size]
        rows = [{"Content": m["content"], "Phone": m["phone"], "ReferenceId": m["smsid"],
                 "SellPrice": float(m["price"]), "SendResult": 1, "SendStatus": 5, "SmsType": 2}
                for m in chunk]
        return 200, {"CodeResult": "100", "CountTotal": len(sms), "SentData": rows}, 0.0

    # -- callbacks --------------------------------------------------------------------------

    def _queue_callbacks(self, message: dict) -> None:
        if not self.send_callbacks:
            return
        common = {"SendStatus": "5", "TotalReceiver": "1", "TotalSent": "1", "telcoid": "1",
                  "phonenumber": message["phone"]}
        zns = message["zns"] or {}
        if zns.get("fell_back") and zns.get("zns_callback"):
            error = json.dumps(json.dumps({"error": -114, "message": "User is inactive"}))
            self.callbacks.append((zns["zns_callback"], {
                **common, "SMSID": message["smsid"] + "z", "SendFailed": "1", "SendSuccess": "0",
                "TotalPrice": "0.0000", "RequestId": message["request_id"], "TypeId": "25",
                "error_info": error, "oaid": self.oa_id, "tempid": zns["tempid"]}))
        if message["callback"]:
            zalo = message["channel"] == "zns"
            rid = zns.get("sms_request_id") if zns.get("fell_back") else message["request_id"]
            self.callbacks.append((message["callback"], {
                **common, "SMSID": message["smsid"], "SendFailed": "0", "SendSuccess": "1",
                "TotalPrice": f"{message['price']:.4f}", "RequestId": rid or "",
                "TypeId": "25" if zalo else "2"}))

    def deliver_callbacks(self, *, repeat: int = 1, get=None) -> list[int]:
        """Mark every accepted message delivered and GET its callbacks (each `repeat` times,
        as eSMS retries); the HTTP statuses the receiver answered."""
        with self._lock:
            for m in self.messages:
                m["status"] = 5
        answers = []
        while self.callbacks:
            url, params = self.callbacks.popleft()
            for _ in range(repeat):
                answers.append((get or self._get)(url, params))
        return answers

    @staticmethod
    def _get(url: str, params: dict[str, str]) -> int:
        return requests.get(url, params=params, timeout=5).status_code
