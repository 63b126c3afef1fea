"""In a real browser: a coordinator signs in at /, sees the dashboard and a donor of the chapter,
signs out (the dashboard counting the ward's reserve); a coordinator of another chapter is refused that donor and the admin pages.
Debian's chromium, driven by Playwright (no download)."""

import pytest

from donor_registry.chapters import service as chapters
from donor_registry.donors.models import Donor
from tests.e2e.workspace_browsing import browsing, coordinator, province_chapter, seed, sign_in
from tests.service import emergency_support as make

pytestmark = [pytest.mark.browser]


def _fill(session, now) -> int:
    can_tho = province_chapter(session, now, "92")
    ward = chapters.create_chapter(session=session, now=now, kind="commune", parent_id=can_tho,
                                   commune_code="31507").id
    national = chapters.get_chapter(session=session, chapter_id=can_tho).parent_id
    lao_cai = chapters.create_chapter(session=session, now=now, kind="province", parent_id=national,
                                      province_code="15").id
    coordinator(session, now, "lan", ward)
    coordinator(session, now, "binh", lao_cai)
    donor = make.donor(session, now, "O-", name="Đỗ Thị Hằng")
    session.get(Donor, donor).chapter_id = ward
    return donor


@pytest.mark.slow
def test_sign_in_dashboard_sign_out_and_another_chapter_refused(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    donor = seed(db_url, _fill)
    with browsing(db_url, tmp_path) as (page, base):
        page.goto(f"{base}/admin/users")  # not signed in: sent to the sign-in page
        assert page.url == f"{base}/" and page.is_visible("#login")
        sign_in(page, base, "lan")
        assert page.text_content("h1") == "Tổng quan"
        assert "Hội Chữ thập đỏ phường Sóc Trăng" in page.text_content("#chapter")
        # The dashboard's reserve: the ward's one standby donor, O-, eligible today.
        assert page.text_content("#card-reserve [data-group='O-'] .standby") == "1"
        assert page.text_content("#card-reserve [data-group='O-'] .eligible") == "1"
        assert page.text_content("#open-requests") == "0"
        assert "Tuần này không có đợt hiến máu." in page.text_content("#card-drives")
        page.goto(f"{base}/donors/{donor}")
        assert page.text_content("#donor-name") == "Đỗ Thị Hằng"
        assert page.text_content("#phone").startswith("+84")
        page.click("#sign-out")
        assert page.is_visible("#login")
        page.goto(f"{base}/donors/{donor}")
        assert page.url == f"{base}/"

        other = page.context.browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        sign_in(other, base, "binh")
        assert other.text_content("h1") == "Tổng quan"
        assert "Chưa có người hiến dự bị." in other.text_content("#card-reserve")  # not the ward's donor
        response = other.goto(f"{base}/donors/{donor}")
        assert response.status == 404 and "Hằng" not in other.content()
        assert other.text_content("h1") == "Không tìm thấy"
        response = other.goto(f"{base}/admin/users")
        assert response.status == 403 and other.text_content("h1") == "Không được phép"
