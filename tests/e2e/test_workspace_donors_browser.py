"""In a real browser: a coordinator signs in, finds a donor by a name typed without diacritics,
records a donation the interval check warns about, sees the warning, and records it anyway with
a reason. Debian's chromium, driven by Playwright (no download)."""

import datetime as dt
import os
from pathlib import Path

import pytest

from donor_registry.donations.models import DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from tests.e2e.workspace_browsing import browsing, coordinator, province_chapter, seed, sign_in
from tests.service import emergency_support as make

pytestmark = [pytest.mark.browser]
#: Set to a folder (docs/) to photograph the donor page at phone and desktop widths for the README.
SHOTS = os.environ.get("DONOR_REGISTRY_SCREENSHOTS")


def _fill(session, now) -> int:
    province = province_chapter(session, now, "92")
    coordinator(session, now, "lan", province)
    donor = make.donor(session, now, "A+", name="Trần Thị Thúy")
    session.get(Donor, donor).chapter_id = province
    record_donation(session=session, donor_id=donor, rules=EligibilityRules(), now=now, actor="test",
                    data=DonationCreate(donated_on=now.date() - dt.timedelta(days=20)))
    return donor


@pytest.mark.slow
def test_search_without_diacritics_and_record_a_donation_the_interval_check_warns_about(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    donor = seed(db_url, _fill)
    with browsing(db_url, tmp_path) as (page, base):
        sign_in(page, base, "lan")
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
