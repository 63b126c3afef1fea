"""What stands before the handlers: a bound on body size, and errors that never echo much.

* A body larger than [emergency] max_body_bytes is refused with 413 before anything parses
  it (a declared Content-Length at once; a chunked body as soon as it passes the bound).
* A path id that is not a whole number in 1 … 2^63−1 names nothing: 404, not a 422 or a
  database overflow.
* A 422 names the field and says what is wrong, but quotes at most a short prefix of what
  was sent (never a 10 MB note back, never a lone surrogate that cannot be encoded).
* On the hospital and donor pages (/h, /r) both are pages in the visitor's language, not JSON.
"""

import unicodedata

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from donor_registry.api.deps import language_of
from donor_registry.api.html import message
from donor_registry.i18n import _, use_language
from donor_registry.i18n.validation import sentence

#: The most characters of a sent value a 422 quotes back.
ECHO_CHARS = 40


class BodyLimit:
    """ASGI middleware: 413 for a request body larger than `max_bytes` (or, on a path of
    `larger`, that path's bound: the import page's uploads)."""

    def __init__(self, app, max_bytes: int, larger: dict[str, int] | None = None):
        self.app, self.max_bytes, self.larger = app, max_bytes, larger or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        bound = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > bound:
                return await self._refuse(scope, receive, send, bound)
            return await self.app(scope, receive, send)
        body = await self._read_at_most(receive, bound)
        if body is None:
            return await self._refuse(scope, receive, send, bound)
        return await self.app(scope, _replay(body, receive), send)

    async def _read_at_most(self, receive, bound: int) -> bytes | None:
        chunks, size = [], 0
        while True:
            event = await receive()
            if event["type"] != "http.request":
                return b"".join(chunks)
            chunks.append(event.get("body", b""))
            size += len(chunks[-1])
            if size > bound:
                return None
            if not event.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope, receive, send, bound: int):
        response = JSONResponse(
            {"detail": f"the request body is larger than {bound} bytes"}, status_code=413,
            headers={"Connection": "close"})
        await response(scope, receive, send)


def _replay(body: bytes, receive):
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def short(value) -> str:
    """At most ECHO_CHARS characters of a value, with anything unprintable replaced."""
    text = value if isinstance(value, str) else str(value)
    clipped = text[:ECHO_CHARS] + ("…" if len(text) > ECHO_CHARS else "")
    return "".join("\ufffd" if unicodedata.category(c) in ("Cs", "Cc") else c for c in clipped)


def _echo(value):
    if value is None or isinstance(value, bool) or (isinstance(value, float) and abs(value) < 1e15):
        return value
    if isinstance(value, int) and abs(value) < 10**15:
        return value
    if isinstance(value, str | int | float):
        return short(value)
    return None  # objects and lists are not quoted back at all


def safe_errors(errors) -> list[dict]:
    """Validation errors with short locations, short messages and at most a prefix of the input."""
    out = []
    for error in errors:
        item = {"type": error.get("type", "value_error"),
                "loc": [part if isinstance(part, int) else short(part) for part in error.get("loc", ())],
                "msg": short_message(error.get("msg", ""))}
        if "input" in error and _echo(error["input"]) is not None:
            item["input"] = _echo(error["input"])
        out.append(item)
    return out


def short_message(msg: str) -> str:
    clean = "".join("\ufffd" if unicodedata.category(c) == "Cs" else c for c in str(msg))
    return clean if len(clean) <= 300 else clean[:300] + "…"


def is_page(path: str) -> bool:
    """The hospital pages and the donor's reply page (people read them; JSON is for programs)."""
    return path == "/h" or path.startswith(("/h/", "/r/"))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "not found"}, status_code=404)
        with use_language(language_of(request)):
            return message(request, _("Not found"), _("There is no such page."), status_code=404)
    if is_page(request.url.path):
        with use_language(language_of(request)):
            return message(request, _("The form was not filled in as expected"), short_message(sentence(exc)),
                           status_code=422)
    return JSONResponse({"detail": safe_errors(exc.errors())}, status_code=422)


def install(app: FastAPI, *, max_body_bytes: int, larger: dict[str, int] | None = None) -> None:
    """Add the body bound (`larger`: paths with their own) and the validation-error handler."""
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, larger=larger)
    app.add_exception_handler(RequestValidationError, _validation_error)



