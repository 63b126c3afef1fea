"""CSRF: asgi-csrf's signed double-submit cookie, on every form outside the older pages.

The hospital pages (/h: a SameSite=Strict token cookie), reply links (/r: the token in the
path), webhooks (/sms: signatures) and the API (/api: bearer tokens) keep their own guards;
every other POST, the workspace's present and future pages, must carry the form's token, with
or without cookies. The signing secret comes from $DONOR_REGISTRY_WEB_SECRET (the same for every
`serve` process behind one address); without it each process draws its own.
"""

import os
import secrets

from asgi_csrf import asgi_csrf

from donor_registry.i18n import _

SECRET_ENV_VAR = "DONOR_REGISTRY_WEB_SECRET"
FORM_FIELD = "csrftoken"  # asgi-csrf's form field and cookie name
_OWN_GUARDS = ("/h/", "/r/", "/sms/", "/api/")


def has_own_guard(path: str) -> bool:
    return path == "/h" or path.startswith(_OWN_GUARDS)


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
        options = {"signing_secret": secret, "always_protect": _Everywhere(),
                   "skip_if_scope": lambda scope: has_own_guard(scope["path"]), "send_csrf_failed": _refused}
        self.app = app
        self.plain = asgi_csrf(app, cookie_secure=False, **options)
        self.secure = asgi_csrf(app, cookie_secure=True, **options)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or has_own_guard(scope["path"]):
            return await self.app(scope, receive, send)
        inner = self.secure if scope.get("scheme") == "https" else self.plain

        async def http_only(event):
            if event["type"] == "http.response.start":
                event = {**event, "headers": [
                    (k, v + b"; HttpOnly" if k == b"set-cookie" and v.startswith(b"csrftoken=") else v)
                    for k, v in event.get("headers", [])]}
            await send(event)

        return await inner(scope, receive, http_only)
