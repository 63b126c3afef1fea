"""In a real browser: a coordinator signs in, plans a drive from the calendar, and downloads its
call list (Debian's chromium, driven by Playwright)."""

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
    donor = make.donor(session, now, "O-", name="Đỗ Thị Hằng", place=make.HOME)
    session.get(Donor, donor).chapter_id = province


@pytest.mark.slow
def test_plan_a_drive_and_download_its_call_list(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    seed(db_url, _fill)
    day = dt.date.today() + dt.timedelta(days=7)
    with browsing(db_url, tmp_path, accept_downloads=True) as (page, base):
        sign_in(page, base, "lan")
        page.click("a:has-text('Buổi hiến máu')")
        page.click("#plan-drive")
        page.fill("#date", day.strftime("%d/%m/%Y"))
        page.fill("#venue", "Nhà văn hóa phường Võ Thị Sáu")
        for field in ("commune", "district", "province"):
            page.fill(f"#{field}", make.HOME[field])
        page.click("#save-drive")
        assert page.text_content("#drive-date").endswith(day.strftime("%d/%m/%Y"))
        assert page.text_content("#drive-status") == "đã lên lịch"
        with page.expect_download() as downloading:
            page.click("#download-call-list")
        saved = tmp_path / downloading.value.suggested_filename
        downloading.value.save_as(saved)
        rows = list(load_workbook(saved).active.iter_rows(values_only=True))
        assert [row[1] for row in rows if row[0] == 1] == ["Đỗ Thị Hằng"]
        page.click("#sign-in-sheet")
        assert "Đỗ Thị Hằng" in page.text_content("#sheet")
