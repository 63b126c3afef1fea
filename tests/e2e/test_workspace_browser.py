"""In a real browser: a coordinator signs in at /, sees the dashboard and a donor of the chapter,
signs out; a coordinator of another chapter is refused that donor and the admin pages.
Debian's chromium, driven by Playwright (no download)."""

import datetime as dt
import shutil

import pytest

from donor_registry.accounts import users
from donor_registry.accounts.models import Role
from donor_registry.chapters import service as chapters
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.donors.models import Donor
from tests.e2e.emergency_serving import Served, free_port
from tests.e2e.test_emergency_browser import ARGS, CHROMIUM
from tests.service import emergency_support as make
from tests.support.tools import missing_tool

pytestmark = [pytest.mark.browser]
PASSWORD = "mật khẩu của Lan 2026"


def _seed(db_url: str) -> dict:
    engine = make_engine(db_url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        can_tho = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn, province_code="92").id
        ward = chapters.create_chapter(session=session, now=now, kind="commune", parent_id=can_tho,
                                       commune_code="31507").id
        lao_cai = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn, province_code="15").id
        for login, chapter in (("lan", ward), ("binh", lao_cai)):
            users.add_user(session=session, now=now, actor="cli:root", login=login, password=PASSWORD,
                           role=Role.coordinator, chapter_id=chapter, min_password_length=10)
        donor = make.donor(session, now, "O-", name="Đỗ Thị Hằng")
        session.get(Donor, donor).chapter_id = ward
    engine.dispose()
    return {"donor": donor}


def _sign_in(page, base_url, login):
    page.goto(f"{base_url}/")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Đăng nhập')")


@pytest.mark.slow
def test_sign_in_dashboard_sign_out_and_another_chapter_refused(tmp_path):
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        missing_tool("Debian's chromium is not installed")
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        missing_tool("playwright is not installed (pip install -e '.[dev]')")
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    seeded = _seed(db_url)
    served = Served(db_url, free_port(), tmp_path / "serve.log")
    base = served.base_url
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            page.goto(f"{base}/admin/users")  # not signed in: sent to the sign-in page
            assert page.url == f"{base}/" and page.is_visible("#login")
            _sign_in(page, base, "lan")
            assert page.text_content("h1") == "Tổng quan"
            assert "Hội Chữ thập đỏ phường Sóc Trăng" in page.text_content("#chapter")
            page.goto(f"{base}/donors/{seeded['donor']}")
            assert page.text_content("#donor-name") == "Đỗ Thị Hằng"
            assert page.text_content("#phone").startswith("+84")
            page.click("#sign-out")
            assert page.is_visible("#login")
            page.goto(f"{base}/donors/{seeded['donor']}")
            assert page.url == f"{base}/"

            other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            _sign_in(other, base, "binh")
            assert other.text_content("h1") == "Tổng quan"
            response = other.goto(f"{base}/donors/{seeded['donor']}")
            assert response.status == 404 and "Hằng" not in other.content()
            assert other.text_content("h1") == "Không tìm thấy"
            response = other.goto(f"{base}/admin/users")
            assert response.status == 403 and other.text_content("h1") == "Không được phép"
            browser.close()
    finally:
        served.stop()
