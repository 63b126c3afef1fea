"""Jinja2 templates with gettext bound to donor_registry.i18n; strict security headers."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from donor_registry import i18n
from donor_registry.i18n import _
from donor_registry.i18n.templates import environment

#: Only this site's stylesheet; no script, no frame, forms only to this site.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}

_env = environment("donor_registry.web")


def csrf_token(request: Request) -> str:
    make = request.scope.get("csrftoken")
    return make() if make else ""


def render(request: Request, template: str, *, status_code: int = 200, headers: dict | None = None,
           **context) -> HTMLResponse:
    """A page of the workspace; `current` (who is signed in, or None) comes with the context."""
    context.setdefault("current", getattr(request.state, "current", None))
    html = _env.get_template(template).render(csrf_token=csrf_token(request), lang=i18n.current_language(),
                                              **context)
    return HTMLResponse(html, status_code=status_code, headers={**HEADERS, **(headers or {})})


def render_error(request: Request, status_code: int, text: str | None = None) -> HTMLResponse:
    text = text or {403: _("Your account may not open this page."),
                    404: _("There is no such page, or it is not within your chapter.")}[status_code]
    return render(request, "error.html", status_code=status_code, status=status_code, text=text)


def error_body(status_code: int, text: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The error page as raw ASGI parts (for middleware that answers before any route)."""
    html = _env.get_template("error.html").render(csrf_token="", lang=i18n.current_language(), current=None,
                                                  status=status_code, text=text)
    headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
    return html.encode(), [(b"content-type", b"text/html; charset=utf-8"), *headers]
