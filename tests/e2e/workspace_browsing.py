"""What the workspace's browser tests share: a served registry on a fresh SQLite file, Debian's
chromium driven by Playwright (no download; a missing tool fails in CI), chapters and a
coordinator to sign in as."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from donor_registry.accounts import users
from donor_registry.accounts.models import Role
from donor_registry.chapters import service as chapters
from donor_registry.db import make_engine, session_scope, upgrade
from tests.e2e.emergency_serving import Served, free_port
from tests.e2e.test_emergency_browser import ARGS, CHROMIUM
from tests.support.tools import missing_tool

PASSWORD = "mật khẩu của Lan 2026"
PHONE = {"width": 390, "height": 844}


def seed(db_url: str, fill: Callable) -> object:
    """A migrated database; `fill(session, now)` adds what the test needs and returns it."""
    engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as session:
        made = fill(session, dt.datetime.now(dt.UTC))
    engine.dispose()
    return made


def province_chapter(session, now, code: str) -> int:
    """A national chapter and a province chapter under it; the province's id."""
    national = chapters.create_chapter(session=session, now=now, kind="national").id
    return chapters.create_chapter(session=session, now=now, kind="province", parent_id=national,
                                   province_code=code).id


def coordinator(session, now, login: str, chapter_id: int) -> None:
    users.add_user(session=session, now=now, actor="cli:root", login=login, password=PASSWORD,
                   role=Role.coordinator, chapter_id=chapter_id, min_password_length=10)


def sign_in(page, base_url: str, login: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Đăng nhập')")


def playwright_or_missing():
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        missing_tool("Debian's chromium is not installed")
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        missing_tool("playwright is not installed (pip install -e '.[dev]')")
    return playwright_api


@contextmanager
def browsing(db_url: str, folder: Path, **context) -> Iterator[tuple[object, str]]:
    """(a new page of a phone-sized chromium, the served registry's base URL)."""
    with browsing_served(db_url, folder, **context) as (page, base_url, _served):
        yield page, base_url


@contextmanager
def browsing_served(db_url: str, folder: Path, serve_env: dict[str, str] | None = None,
                    **context) -> Iterator[tuple[object, str, Served]]:
    """As `browsing`, with the serve process too (its console SMS), started with `serve_env`."""
    playwright_api = playwright_or_missing()
    served = Served(db_url, free_port(), folder / "serve.log", **(serve_env or {}))
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                yield browser.new_context(viewport=PHONE, **context).new_page(), served.base_url, served
            finally:
                browser.close()
    finally:
        served.stop()
