"""CSRF: asgi-csrf's signed double-submit cookie, on every form outside the older pages.

The hospital pages (/h: a SameSite=Strict token cookie), reply links (/r: the token in the
path), the donor's record (/me: the token in the path; the code form
is rate-limited per phone and address), the donor's drive page (/b: the token in the path), webhooks (/sms/status, /sms/inbound, /sms/esms/: signatures and tokens) and the API (/api: bearer tokens) keep their own guards;
every other POST, the workspace's present and future pages, must carry the form's token, with
or without cookies. The signing secret comes from $DONOR_REGISTRY_WEB_SECRET (the same for every
`serve` process behind one address); without it each process draws its own.
"""

import os
import secrets

from asgi_csrf import asgi_csrf
from itsdangerous import BadSignature
from itsdangerous.url_safe import URLSafeSerializer
from python_multipart.multipart import MultipartParser, parse_options_header

from donor_registry.i18n import _

SECRET_ENV_VAR = "DONOR_REGISTRY_WEB_SECRET"
FORM_FIELD = "csrftoken"  # asgi-csrf's form field and cookie name
# The provider webhooks by their own paths: the workspace's SMS pages share the /sms prefix.
_OWN_GUARDS = ("/h/", "/r/", "/me/", "/b/", "/sms/status", "/sms/inbound", "/sms/esms/", "/api/")


def has_own_guard(path: str) -> bool:
    return path in ("/h", "/me") or path.startswith(_OWN_GUARDS)


class _Everywhere:
    """asgi-csrf's `always_protect`: every path (even a POST with no cookie at all)."""

    def __contains__(self, path) -> bool:
        return True


async def _refused(scope, send, message_id):
    from donor_registry.web.templating import error_body

    body, headers = error_body(403, _("This form has expired or did not come from this site. "
                                      "Go back, reload the page and send it again."))
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Csrf:
    """ASGI middleware: asgi-csrf, with its cookie Secure over https and HttpOnly always (the
    token reaches the page through the form, never through script)."""

    def __init__(self, app):
        secret = os.environ.get(SECRET_ENV_VAR) or secrets.token_urlsafe(32)
        self.signer = URLSafeSerializer(secret)
        options = {"signing_secret": secret, "always_protect": _Everywhere(),
                   "skip_if_scope": lambda scope: has_own_guard(scope["path"]), "send_csrf_failed": _refused}
        self.app = app
        self.plain = asgi_csrf(app, cookie_secure=False, **options)
        self.secure = asgi_csrf(app, cookie_secure=True, **options)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or has_own_guard(scope["path"]):
            return await self.app(scope, receive, send)
        inner = self.secure if scope.get("scheme") == "https" else self.plain
        if scope["method"] == "POST" and _content_type(scope).lower().startswith(b"multipart/form-data"):
            # asgi-csrf's own multipart reading fails on python-multipart 0.0.2x: the token
            # (the form's first field) is checked here, and handed on as its header.
            token, receive = await _multipart_token(scope, receive)
            if not self._matches_cookie(scope, token):
                return await _refused(scope, send, None)
            scope = {**scope, "headers": [*scope["headers"], (b"x-csrftoken", token.encode("latin-1"))]}

        async def http_only(event):
            if event["type"] == "http.response.start":
                event = {**event, "headers": [
                    (k, v + b"; HttpOnly" if k == b"set-cookie" and v.startswith(b"csrftoken=") else v)
                    for k, v in event.get("headers", [])]}
            await send(event)

        return await inner(scope, receive, http_only)

    def _matches_cookie(self, scope, token: str | None) -> bool:
        cookie = _cookie(scope, FORM_FIELD)
        if not token or not cookie:
            return False
        try:
            self.signer.loads(cookie, "csrftoken")
        except BadSignature:
            return False
        return secrets.compare_digest(token, cookie)


def _content_type(scope) -> bytes:
    return dict(scope.get("headers") or []).get(b"content-type", b"")  # the boundary is case-sensitive


def _cookie(scope, name: str) -> str | None:
    from http.cookies import SimpleCookie

    for key, value in scope.get("headers") or []:
        if key == b"cookie":
            jar = SimpleCookie()
            jar.load(value.decode("latin-1"))
            if name in jar:
                return jar[name].value
    return None


class _Found(Exception):
    pass


#: The token must come before this much of a multipart body (it is the form's first field).
_TOKEN_WITHIN = 64 * 1024


async def _multipart_token(scope, receive):
    """(the csrftoken field of a multipart body, or None if a file or the end comes first;
    a receive replaying what was read)."""
    boundary = parse_options_header(_content_type(scope))[1].get(b"boundary")
    messages, state = [], {"name": b"", "value": b"", "headers": {}, "field": None, "data": b""}

    def header_field(data, start, end):
        state["name"] += data[start:end]

    def header_value(data, start, end):
        state["value"] += data[start:end]

    def header_end():
        state["headers"][state["name"].lower()] = state["value"]
        state["name"] = state["value"] = b""

    def headers_finished():
        options = parse_options_header(state["headers"].get(b"content-disposition", b""))[1]
        if b"filename" in options or options.get(b"name") != FORM_FIELD.encode():
            raise _Found(None)  # a file, or another field, before the token
        state["field"] = True

    def part_data(data, start, end):
        state["data"] += data[start:end]

    def part_end():
        raise _Found(state["data"].decode("latin-1"))

    def part_begin():
        state["headers"] = {}

    async def replay():
        return messages.pop(0) if messages else await receive()

    if not boundary:
        return None, replay
    parser = MultipartParser(boundary, {"on_part_begin": part_begin, "on_header_field": header_field,
                                        "on_header_value": header_value, "on_header_end": header_end,
                                        "on_headers_finished": headers_finished, "on_part_data": part_data,
                                        "on_part_end": part_end})
    read = 0
    try:
        while read <= _TOKEN_WITHIN:
            message = await receive()
            messages.append(message)
            body = message.get("body", b"")
            read += len(body)
            parser.write(body)
            if not message.get("more_body", False):
                break
    except _Found as found:
        return found.args[0], replay
    except Exception:  # noqa: BLE001 - a body that does not parse carries no token
        return None, replay
    return None, replay
