"""In a real browser: a coordinator signs in, plans a ceremony, awards its proposed list and
downloads it (Debian's chromium, driven by Playwright)."""

import datetime as dt
import shutil

import pytest
from openpyxl import load_workbook

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


def _seed(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        province = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                           province_code="79").id
        users.add_user(session=session, now=now, actor="cli:root", login="lan", password=PASSWORD,
                       role=Role.coordinator, chapter_id=province, min_password_length=10)
        donor = session.get(Donor, make.donor(session, now, "O-", name="Đỗ Thị Hằng", place=make.HOME))
        donor.chapter_id, donor.donation_count = province, 10
    engine.dispose()


@pytest.mark.slow
def test_award_a_ceremony_and_download_its_list(tmp_path):
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        missing_tool("Debian's chromium is not installed")
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        missing_tool("playwright is not installed (pip install -e '.[dev]')")
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    _seed(db_url)
    served = Served(db_url, free_port(), tmp_path / "serve.log")
    base = served.base_url
    day = dt.date.today() + dt.timedelta(days=14)
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True).new_page()
            page.goto(f"{base}/")
            page.fill("#login", "lan")
            page.fill("#password", PASSWORD)
            page.click("button:has-text('Đăng nhập')")
            page.click("nav a:has-text('Tôn vinh')")
            assert "Đỗ Thị Hằng" in page.text_content("#tier-10")
            page.click("#ceremonies")
            page.fill("#held_on", day.strftime("%d/%m/%Y"))
            page.select_option("#level", "commune")
            page.click("#save-ceremony")
            assert page.text_content("#ceremony-date") == day.strftime("%d/%m/%Y")
            assert "Đỗ Thị Hằng" in page.text_content("#proposed")
            page.click("#award")
            assert page.text_content("#ceremony-awards") == "1"
            assert "Đỗ Thị Hằng" in page.text_content("#award-list")
            with page.expect_download() as downloading:
                page.click("#download-list-xlsx")
            saved = tmp_path / downloading.value.suggested_filename
            downloading.value.save_as(saved)
            rows = list(load_workbook(saved).active.iter_rows(values_only=True))
            assert [(row[1], row[7]) for row in rows if row[0] == 1] == [("Đỗ Thị Hằng", "10 lần")]
            browser.close()
    finally:
        served.stop()
