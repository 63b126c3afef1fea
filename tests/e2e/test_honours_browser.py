"""In a real browser: a coordinator signs in, plans a ceremony, awards its proposed list and
downloads it (Debian's chromium, driven by Playwright)."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from donor_registry.donors.models import Donor
from tests.e2e.workspace_browsing import browsing, coordinator, province_chapter, seed, sign_in
from tests.service import emergency_support as make

pytestmark = [pytest.mark.browser]


def _fill(session, now) -> None:
    province = province_chapter(session, now, "79")
    coordinator(session, now, "lan", province)
    donor = session.get(Donor, make.donor(session, now, "O-", name="Đỗ Thị Hằng", place=make.HOME))
    donor.chapter_id, donor.donation_count = province, 10


@pytest.mark.slow
def test_award_a_ceremony_and_download_its_list(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    seed(db_url, _fill)
    day = dt.date.today() + dt.timedelta(days=14)
    with browsing(db_url, tmp_path, accept_downloads=True) as (page, base):
        sign_in(page, base, "lan")
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
