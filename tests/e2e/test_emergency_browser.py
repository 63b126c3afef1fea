"""In a real browser: a hospital files a request in the form, a donor accepts from the SMS link,
and the hospital's status page shows it. Debian's chromium, driven by Playwright (no download)."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from donor_registry.db import make_engine, session_scope, upgrade
from tests.e2e.emergency_serving import Served, free_port, wait_for
from tests.service import emergency_support as make
from tests.support.tools import missing_tool

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser]


def _seed(db_url: str) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        _, token = make.hospital(session, now)
        make.donor(session, now, "O-", name="Đỗ Thị Hằng")
    engine.dispose()
    return token


@pytest.mark.slow
def test_hospital_form_donor_link_and_live_status(tmp_path):
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        missing_tool("Debian's chromium is not installed")
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        missing_tool("playwright is not installed (pip install -e '.[dev]')")
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    token = _seed(db_url)
    # The console prints reply tokens only when told to: this test opens the link it printed.
    served = Served(db_url, free_port(), tmp_path / "serve.log", DONOR_REGISTRY_SMS__CONSOLE_SHOWS_LINKS="true")
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            # Phones set to Vietnamese: the pages follow the browser's Accept-Language.
            hospital = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN").new_page()
            hospital.goto(f"{served.base_url}/h")
            hospital.fill("#token", token)
            hospital.click("button:has-text('Đăng nhập')")
            hospital.click("a:has-text('Yêu cầu máu khẩn cấp')")
            hospital.select_option("#blood_group", "O-")
            hospital.fill("#units", "1")
            hospital.fill("#note", "Sản phụ băng huyết")
            hospital.click("button:has-text('Gửi yêu cầu')")
            assert hospital.text_content("#status") == "Đang gọi người hiến"
            status_url = hospital.url

            phone, body = wait_for(served.sms, "the call SMS from the console gateway")[0]
            link = body.rsplit(" ", 1)[-1]
            assert phone.startswith("+84")
            assert link.startswith(f"{served.base_url}/r/")

            english = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US").new_page()
            english.goto(link)  # opening the link answers nothing, in any language
            assert english.get_attribute("html", "lang") == "en" and "I will come" in english.text_content("body")
            donor = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
            donor.goto(link)
            assert donor.get_attribute("html", "lang") == "vi"
            assert "Hằng" in donor.text_content("body")
            donor.select_option("#arrive_in", "30")
            donor.click("button:has-text('Tôi sẽ đến')")
            assert "Cảm ơn bạn" in donor.text_content("h1")
            donor.goto(link)
            assert "đã trả lời" in donor.text_content("body")

            hospital.goto(status_url)
            assert hospital.text_content("#status") == "Đã đủ người"
            coming = hospital.text_content("#coming")
            assert "Hằng" in coming and "Đỗ" not in coming and "+84" not in hospital.content()
            browser.close()
    finally:
        served.stop()
