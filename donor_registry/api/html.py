"""Server-rendered pages: one small layout, inline CSS, no scripts and no external assets."""

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse

_CSS = """
*{box-sizing:border-box}body{margin:0;font:17px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1d1d1f;background:#f6f6f7}main{max-width:34rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;color:#b3001b;margin:.4rem 0 1rem}.card{background:#fff;border-radius:12px;
padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px #0002}label{display:block;margin:.7rem 0 .2rem;
font-weight:600}input,select,textarea{width:100%;font:inherit;padding:.6rem;border:1px solid #bbb;
border-radius:8px;background:#fff}button,.button{display:block;width:100%;margin:.7rem 0 0;padding:.85rem;
font:inherit;font-weight:700;border:0;border-radius:10px;background:#b3001b;color:#fff;text-align:center;
text-decoration:none}button.secondary,.button.secondary{background:#e8e8ea;color:#1d1d1f}
table{width:100%;border-collapse:collapse}td,th{padding:.35rem .25rem;border-bottom:1px solid #eee;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}.error{color:#b3001b;font-weight:600}
.muted{color:#666;font-size:.9rem}.status{font-weight:700}
"""


def page(title: str, body: str, *, status_code: int = 200, refresh_seconds: int | None = None) -> HTMLResponse:
    """A complete page in Vietnamese; `body` is already-escaped HTML."""
    refresh = f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">' if refresh_seconds else ""
    html = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer">{refresh}<title>{escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers={
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                   "frame-ancestors 'none'; base-uri 'none'",
        "X-Content-Type-Options": "nosniff",
    })


def message(title: str, text: str, *, status_code: int = 200) -> HTMLResponse:
    """A page that only says something."""
    return page(title, f'<h1>{escape(title)}</h1><div class="card"><p>{escape(text)}</p></div>',
                status_code=status_code)


def local_time(moment: dt.datetime | None, timezone: str) -> str:
    """'18:30 01/06/2026' in the chapter's time zone ('' for None)."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")
