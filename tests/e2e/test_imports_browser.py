"""In a real browser: a coordinator uploads a donation list with a bad row, sees the refused
row (line, column, reason) in the check, fixes the file and imports it, and finds it in the
import history. Debian's chromium, driven by Playwright (no download); the jobs run in `serve`'s
background thread, the pages reload themselves until the check or the import ends."""

import datetime as dt
import shutil

import pytest

from donor_registry.accounts import users
from donor_registry.accounts.models import Role
from donor_registry.chapters import service as chapters
from donor_registry.db import make_engine, session_scope, upgrade
from tests.e2e.emergency_serving import Served, free_port
from tests.e2e.test_emergency_browser import ARGS, CHROMIUM
from tests.e2e.workspace_browsing import PASSWORD
from tests.e2e.workspace_browsing import sign_in as _sign_in
from tests.support.tools import missing_tool

pytestmark = [pytest.mark.browser]
HEADER = "Họ và tên,Năm sinh,Giới tính,Nhóm máu,SĐT,Ngày hiến,Thể tích (ml)\n"
GOOD = "Nguyễn Thị Hoà,1990,Nữ,O+,0912000001,01/03/2026,350\nTrần Văn Bình,1985,Nam,B+,0912000002,02/03/2026,350\n"
WAIT_MS = 30_000  # the pages reload every 2 s until the job ends; a loaded machine takes seconds


def _seed(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        can_tho = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                          province_code="92").id
        users.add_user(session=session, now=now, actor="cli:root", login="lan", password=PASSWORD,
                       role=Role.coordinator, chapter_id=can_tho, min_password_length=10)
    engine.dispose()


def _upload(page, base, path):
    page.goto(f"{base}/imports")
    page.select_option("#kind", "donations")
    page.set_input_files("#file", str(path))
    page.click("button:has-text('Tải lên và kiểm tra')")


@pytest.mark.slow
def test_import_a_file_with_a_bad_row_then_the_fixed_file(tmp_path):
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        missing_tool("Debian's chromium is not installed")
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        missing_tool("playwright is not installed (pip install -e '.[dev]')")
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    _seed(db_url)
    bad, fixed = tmp_path / "danh-sach.csv", tmp_path / "danh-sach-da-sua.csv"
    bad.write_text(HEADER + GOOD + "Lê Văn Cường,1988,Nam,X,0912000003,01/03/2026,350\n", encoding="utf-8")
    fixed.write_text(HEADER + GOOD + "Lê Văn Cường,1988,Nam,A+,0912000003,01/03/2026,350\n", encoding="utf-8")
    served = Served(db_url, free_port(), tmp_path / "serve.log", DONOR_REGISTRY_WEB__UPLOAD_DIR=str(tmp_path / "up"))
    base = served.base_url
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            _sign_in(page, base, "lan")
            _upload(page, base, bad)
            page.wait_for_selector("#refused", timeout=WAIT_MS)
            cells = page.locator("#refused tbody tr").first.locator("td").all_text_contents()
            assert cells[:2] == ["4", "Nhóm máu"] and "'X'" in cells[2]
            assert page.is_visible("#skip-invalid")
            page.click("#cancel-button")
            _upload(page, base, fixed)
            page.wait_for_selector("#confirm-button", timeout=WAIT_MS)
            assert not page.is_visible("#refused")
            page.click("#confirm-button")
            page.wait_for_selector("#ended", timeout=WAIT_MS)
            assert page.text_content("#outcome") == "đã lưu"
            rows = page.locator("#history tbody tr")
            assert rows.count() == 2  # the fixed file saved, the first cancelled
            assert rows.first.locator("td").all_text_contents()[3:7] == ["3", "3", "0", "0"]
            assert "đã huỷ" in rows.nth(1).text_content()
            browser.close()
    finally:
        served.stop()
    assert [path.name for path in (tmp_path / "up").iterdir() if not path.name.startswith(".")] == []  # none kept
