"""FastAPI dependencies: the unit of work per request, and the settings."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

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
