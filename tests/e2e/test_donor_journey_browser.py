"""The donor's journey in a real browser at phone width (issue 15's must-show): the coordinator
queues the invitations, the donor opens the link from the SMS the console gateway printed,
books a time, moves it, cancels, books again; the coordinator checks the donor in by the code
on the drive page; the drive page opens the donor's own record, which shows the booking. Debian's chromium, driven by
Playwright (no download; a missing tool fails in CI)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.donors.models import Donor
from donor_registry.slots import service as slots
from tests.e2e.emergency_serving import wait_for
from tests.e2e.workspace_browsing import (
    browsing_served,
    coordinator,
    province_chapter,
    seed,
    sign_in,
)
from tests.service import emergency_support as make

pytestmark = [pytest.mark.browser]

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Invitations go out this many days before a drive (config.toml's invitation_days_before).
DAYS_BEFORE = 5
# The served registry sends at once, at any hour, and its invitation carries the drive link.
SERVE_ENV = {
    "DONOR_REGISTRY_SMS__CONSOLE_SHOWS_LINKS": "true",
    "DONOR_REGISTRY_SMS__QUIET_HOURS_START": "00:00",
    "DONOR_REGISTRY_SMS__QUIET_HOURS_END": "00:00",
    "DONOR_REGISTRY_SMS__REMINDERS__SEND_AT": "00:00",
    "DONOR_REGISTRY_SMS__TEMPLATES__INVITATION": "{to_chuc} mời bạn {ten} hiến máu ngày {ngay} tại {dia_diem}. Chọn giờ: {link}",
}


def six_months_after(day: dt.date) -> dt.date:
    """The same day six months later, or that month's last day (31 August -> 28/29 February)."""
    month, year = (day.month + 6 - 1) % 12 + 1, day.year + (day.month + 6 - 1) // 12
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return min(day.replace(year=year, month=month, day=1) + dt.timedelta(days=day.day - 1),
               following - dt.timedelta(days=1))


def drive_day() -> dt.date:
    return dt.datetime.now(VIETNAM).date() + dt.timedelta(days=DAYS_BEFORE)


def _fill(session, now) -> dict:
    province = province_chapter(session, now, "79")
    coordinator(session, now, "lan", province)
    donor = make.donor(session, now, "O+", name="Đỗ Thị Hằng", place=make.HOME)
    session.get(Donor, donor).chapter_id = province
    data = DriveCreate(date=drive_day(), start_time=dt.time(7), end_time=dt.time(10),
                       venue="Nhà văn hóa phường Võ Thị Sáu", capacity=6, chapter_id=province, **make.HOME)
    drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
    slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)
    return {"donor": donor, "drive": drive.id}


def _link(served, path: str) -> str:
    """The first link to `path` in an SMS the console gateway printed."""
    def found():
        for _phone, body in served.sms():
            match = re.search(rf"(http://\S+{path}\S+)", body)
            if match:
                return match.group(1)
        return None
    return wait_for(found, f"an SMS with a {path} link")


def _choose(page, nth: int, button: str) -> None:
    page.locator("#slots input[name=slot_id]").nth(nth).check()
    page.click(f"#slots button:has-text('{button}')")


@pytest.mark.slow
def test_invitation_link_book_move_cancel_check_in_and_the_record(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    made = seed(db_url, _fill)
    with browsing_served(db_url, tmp_path, serve_env=SERVE_ENV) as (page, base, served):
        sign_in(page, base, "lan")
        page.goto(f"{base}/sms")
        page.click("#plan-reminders button")
        assert page.is_visible("#done")

        donor = page.context.browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
        donor.goto(_link(served, "/b/"))
        assert donor.get_attribute("html", "lang") == "vi"
        assert "Nhà văn hóa phường Võ Thị Sáu" in donor.text_content("body")
        assert "Đ. T. Hằng" in donor.text_content("body")
        _choose(donor, 0, "Đặt giờ này")
        assert "07:00–08:00" in donor.text_content("#booking")
        _choose(donor, 0, "Đổi sang giờ này")  # the other times, 08:00 first
        assert "08:00–09:00" in donor.text_content("#booking")
        donor.click("#booking button:has-text('Hủy')")
        assert not donor.is_visible("#booking")
        _choose(donor, 2, "Đặt giờ này")
        assert "09:00–10:00" in donor.text_content("#booking")
        donor.click("#questionnaire-link")  # the health questions, one answer deferring (a tattoo)
        for no in donor.locator("#questionnaire input[type=radio][value=no]").all():
            no.check()
        for fine in ("feel_well", "weight"):  # the two questions a "yes" answers well
            donor.check(f"#q-{fine}-yes")
        donor.check("#q-tattoo_piercing_6m-yes")
        donor.check("#health-consent")
        donor.click("#submit-questionnaire")
        assert donor.get_attribute("#questionnaire-result", "data-result") == "deferred"
        deferred_until = six_months_after(dt.datetime.now(VIETNAM).date()).strftime("%d/%m/%Y")
        assert deferred_until in donor.text_content("#may-give-from")
        assert donor.is_visible("#questionnaire-stored") and donor.is_visible("#finding-tattoo_piercing_6m")
        donor.go_back()
        donor.go_back()
        donor.reload()
        code = donor.text_content("#check-in-code").strip()
        assert re.fullmatch(r"[ACDEFGHJKMNPRTWXY34679]{6}", code)
        assert donor.locator("#check-in-qr svg").count() == 1

        page.goto(f"{base}/drives/{made['drive']}")
        page.fill("#check-in-form #code", f"{code[:3].lower()} {code[3:]}")  # as read out
        page.click("#check-in-button")
        assert "Hằng" in page.text_content("#checked-in") and "09:00" in page.text_content("#checked-in")
        assert "xăm" in page.text_content("#questionnaire-attention")  # staff see the deferring answer

        donor.reload()
        assert donor.is_visible("#checked-in")

        donor.click("#open-record")  # the same link leads to the donor's own record
        assert "/me/" in donor.url
        bookings = donor.text_content("#bookings")
        assert "09:00" in bookings and drive_day().strftime("%d/%m/%Y") in bookings
