"""The hospital and donor pages: Jinja2 templates (api/templates) through the catalogs, in the
visitor's language (api/deps.speak); one small layout, inline CSS, no scripts, no external assets.
"""

import datetime as dt

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from donor_registry import i18n
from donor_registry.api.deps import asked_language
from donor_registry.i18n import _, formatting
from donor_registry.i18n.templates import environment

#: Inline styles only (the pages carry their few lines of CSS); no script, forms only to this site.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}

_env = environment("donor_registry.api")


def link(request: Request, path: str) -> str:
    """`path`, keeping the ?lang= the visitor asked for (so the next page speaks it too)."""
    language = asked_language(request)
    return f"{path}?lang={language}" if language else path


def render(http: Request, template: str, /, *, status_code: int = 200, refresh_seconds: int | None = None,
           **context) -> HTMLResponse:
    """A complete page in the current language."""
    context.setdefault("here", http.url.path)  # the page the language links reopen
    html = _env.get_template(template).render(
        lang=i18n.current_language(), refresh_seconds=refresh_seconds, link=lambda path: link(http, path),
        **context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def message(request: Request, title: str, text: str, *, status_code: int = 200) -> HTMLResponse:
    """A page that only says something (`title` and `text` already in the reader's language)."""
    return render(request, "message.html", status_code=status_code, title=title, text=text)


def redirect(request: Request, path: str) -> RedirectResponse:
    """303 to `path`, keeping the asked language."""
    return RedirectResponse(link(request, path), status_code=303)


def at(moment: dt.datetime | None) -> str:
    """'18:30 ngày 01/06/2026' / '18:30 on 01/06/2026' in Vietnam's time ('' for None)."""
    if moment is None:
        return ""
    return _("{time} on {date}").format(time=formatting.time(moment), date=formatting.date(moment))
