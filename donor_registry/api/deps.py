"""FastAPI dependencies: the unit of work per request, the settings, and the language of a page."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from donor_registry import i18n
from donor_registry.config import Settings
from donor_registry.db import is_sqlite, session_scope


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back if it raises."""
    async with _database_turn(request.app):
        with session_scope(request.app.state.engine) as session:
            yield session


def _database_turn(app) -> asyncio.Lock | contextlib.nullcontext:
    """On SQLite, requests take turns on an asyncio lock (PostgreSQL needs none).

    Every SQLite transaction here takes the single write lock (BEGIN IMMEDIATE). Waiting on
    SQLite's busy timeout polls with growing sleeps, so under 50 concurrent clients requests
    starve and fail with "database is locked"; an asyncio lock hands the turn over in order
    and holds no worker thread while waiting. (Created on first use, on the event loop.)
    """
    if not hasattr(app.state, "database_turn"):
        app.state.database_turn = asyncio.Lock() if is_sqlite(app.state.engine) else contextlib.nullcontext()
    return app.state.database_turn


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def language_of(request: Request) -> str:
    """?lang=en|vi first, then the Accept-Language header, else [general] language (Vietnamese)."""
    return i18n.choose_language(request.query_params.get("lang"), request.headers.get("accept-language"),
                                request.app.state.settings.general.language)


def asked_language(request: Request) -> str | None:
    """The language the visitor asked for with ?lang= (kept in the page's links), or None."""
    try:
        return i18n.normalise_language(request.query_params.get("lang") or "")
    except i18n.UnknownLanguage:
        return None


async def speak(request: Request) -> None:
    """A page speaks its visitor's language (async: set where the handler's context is copied from)."""
    i18n.set_language(language_of(request))
