"""The coordinators' workspace: server-rendered pages over the same services as the CLI.

`/` signs a visitor in (and is the dashboard once signed in); every other page sends a visitor
who is not signed in there. Who may use which page is the policy's (accounts/policy.py): each
route names its action with `web.deps.require`, and tests/api/test_access.py checks every route.
"""

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from donor_registry.config import Settings
from donor_registry.dashboard.cache import CardCache
from donor_registry.web import (
    addresses,
    admin,
    call_lists,
    campaigns,
    check_in,
    consents,
    donations,
    donor_forms,
    donors,
    drive_release,
    drives,
    duplicates,
    emergency,
    honours,
    imports,
    outcomes,
    pages,
    slot_edits,
)
from donor_registry.web import settings as settings_pages
from donor_registry.web import sms as sms_pages
from donor_registry.web.csrf import Csrf
from donor_registry.web.deps import NotFoundHere, NotSignedIn, Refused
from donor_registry.web.templating import render_error


def routers():
    return [pages.router, admin.router, settings_pages.router, duplicates.router, donor_forms.router, donations.router, consents.router,
            donors.router,
            drives.router, check_in.router, drive_release.router, outcomes.router, slot_edits.router, campaigns.router, call_lists.router, honours.router, imports.router,
            sms_pages.router, emergency.router, addresses.router]


def install(app: FastAPI, settings: Settings) -> None:
    """CSRF on every workspace form, and the answers for a visitor who may not see a page."""
    app.add_middleware(Csrf)
    app.state.dashboard_cache = CardCache(settings.web.dashboard_cache_seconds)
    app.add_exception_handler(NotSignedIn, lambda request, exc: RedirectResponse("/", status_code=303))
    app.add_exception_handler(Refused, lambda request, exc: render_error(request, 403))
    app.add_exception_handler(NotFoundHere, lambda request, exc: render_error(request, 404))


def upload_body_bytes(settings: Settings) -> int:
    """The body bound of the import page's upload: the file's limit and room for the form."""
    return settings.web.max_upload_mb * (1 << 20) + (1 << 20)
