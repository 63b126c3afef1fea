"""In a real browser: a coordinator signs in, finds a donor by a name typed without diacritics,
records a donation the interval check warns about, sees the warning, and records it anyway with
a reason. Debian's chromium, driven by Playwright (no download)."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from donor_registry.accounts import users
from donor_registry.accounts.models import Role
from donor_registry.chapters import service as chapters
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.donations.models import DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from tests.e2e.emergency_serving import Served, free_port
from tests.e2e.test_emergency_browser import ARGS, CHROMIUM
from tests.e2e.test_workspace_browser import PASSWORD, _sign_in
from tests.service import emergency_support as make
from tests.support.tools import missing_tool

pytestmark = [pytest.mark.browser]
#: Set to a folder (docs/) to photograph the donor page at phone and desktop widths for the README.
SHOTS = os.environ.get("DONOR_REGISTRY_SCREENSHOTS")


def _seed(db_url: str) -> int:
    engine = make_engine(db_url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        province = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                           province_code="92").id
        users.add_user(session=session, now=now, actor="cli:root", login="lan", password=PASSWORD,
                       role=Role.coordinator, chapter_id=province, min_password_length=10)
        donor = make.donor(session, now, "A+", name="Trần Thị Thúy")
        session.get(Donor, donor).chapter_id = province
        record_donation(session=session, donor_id=donor, rules=EligibilityRules(), now=now, actor="test",
                        data=DonationCreate(donated_on=now.date() - dt.timedelta(days=20)))
    engine.dispose()
    return donor


@pytest.mark.slow
def test_search_without_diacritics_and_record_a_donation_the_interval_check_warns_about(tmp_path):
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        missing_tool("Debian's chromium is not installed")
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        missing_tool("playwright is not installed (pip install -e '.[dev]')")
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    donor = _seed(db_url)
    served = Served(db_url, free_port(), tmp_path / "serve.log")
    base = served.base_url
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            _sign_in(page, base, "lan")
            page.click("#nav-donors")
            page.type("#q", "tran thi thuy", delay=30)  # results come as one types (htmx), no button
            page.wait_for_selector("a.donor-link:has-text('Trần Thị Thúy')")
            assert "q=tran" in page.url
            page.click("a.donor-link:has-text('Trần Thị Thúy')")
            assert page.url == f"{base}/donors/{donor}"
            assert page.text_content("#donation-count").startswith("1")
            page.click("#record-submit")  # today, whole blood: 20 days after the last one
            assert "Quá sớm sau lần hiến trước" in page.text_content("#warnings")
            assert page.text_content("#donation-count").startswith("1")  # nothing recorded yet
            page.fill("#override", "bác sĩ cho phép, ca cấp cứu")
            page.click("#record-anyway")
            assert page.is_visible("#done")
            assert page.text_content("#donation-count").startswith("2")
            assert "Vẫn ghi nhận: bác sĩ cho phép, ca cấp cứu" in page.text_content("#history")
            if SHOTS:
                page.screenshot(path=str(Path(SHOTS) / "workspace-donor-phone.png"), full_page=True)
                page.set_viewport_size({"width": 1280, "height": 800})
                page.screenshot(path=str(Path(SHOTS) / "workspace-donor-desktop.png"), full_page=True)
                page.goto(f"{base}/donors?q=tran+thi+thuy")
                page.screenshot(path=str(Path(SHOTS) / "workspace-search-desktop.png"))
            browser.close()
    finally:
        served.stop()
