"""The HTTP side: hospital API, donor reply pages, Twilio webhooks, health, and the coordinators'
workspace (donor_registry/web). Routers per domain."""

from fastapi import FastAPI
from sqlalchemy import Engine

from donor_registry.accounts import passwords
from donor_registry.api import guards
from donor_registry.config import Settings
from donor_registry.db import make_engine


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The FastAPI application on the configured database (or the engine given, for tests)."""
    app = FastAPI(
        title="donor_registry",
        description="Hospital emergency requests, donor replies and SMS callbacks.",
        docs_url=None,  # served by api/docs.py without CDN assets, where present
        redoc_url=None,
    )
    app.state.settings = settings
    passwords.prepare()  # the first sign-in with an unknown name takes as long as any other
    app.state.engine = engine or make_engine(
        settings.database.url, busy_timeout_ms=settings.database.sqlite_busy_timeout_ms
    )
    for router in _routers(settings):
        app.include_router(router)
    from donor_registry import web

    for router in web.routers():
        app.include_router(router)
    web.install(app, settings)  # inside the body bound: CSRF reads form bodies already bounded
    guards.install(app, max_body_bytes=settings.emergency.max_body_bytes,
                   larger={"/imports": web.upload_body_bytes(settings)})  # the import page's uploads
    if settings.web.trust_forwarded_proto:
        # Outermost: the scheme (Secure cookies) and client address come from the proxy.
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.web.forwarded_allow_ips)
    return app


def _routers(settings: Settings):
    # One line per domain router; each module defines `router = APIRouter(...)` (the hospital
    # API is built from the settings, so its schema states the configured limits).
    from donor_registry.api import (
        booking_pages,
        docs,
        emergency,
        health,
        hospital_pages,
        pages,
        portal_pages,
        questionnaire_pages,
        sms_webhooks,
    )

    return [health.router, sms_webhooks.router,
            emergency.build_router(settings), pages.router, portal_pages.router, booking_pages.router,
            questionnaire_pages.router, hospital_pages.router, docs.router]
