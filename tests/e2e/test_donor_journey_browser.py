"""The donor's journey in a real browser at phone width (issue 15's must-show).

Five days before the drive: the coordinator queues the invitations; the donor opens the link from
the SMS the console gateway printed, books a time, moves it, cancels, books again and answers the
health questions (one answer defers: a tattoo). On the drive's morning (the served registry's
clock pinned there): the coordinator checks the donor in by the code, sees the answers' summary,
records the deferral; the donor's drive page opens their own record, which shows it. Debian's
chromium, driven by Playwright (no download; a missing tool fails in CI)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.donors.models import Donor
from donor_registry.slots import service as slots
from tests.e2e.emergency_serving import Served, free_port, wait_for
from tests.e2e.test_emergency_browser import ARGS, CHROMIUM
from tests.e2e.workspace_browsing import (
    PHONE,
    coordinator,
    playwright_or_missing,
    province_chapter,
    seed,
    sign_in,
)
from tests.service import emergency_support as make

pytestmark = [pytest.mark.browser]

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Invitations go out this many days before a drive (config.toml's invitation_days_before).
DAYS_BEFORE = 5
# The served registry sends at once, at any hour (the invitation of a drive with slots carries the link).
SERVE_ENV = {
    "DONOR_REGISTRY_SMS__CONSOLE_SHOWS_LINKS": "true",
    "DONOR_REGISTRY_SMS__QUIET_HOURS_START": "00:00",
    "DONOR_REGISTRY_SMS__QUIET_HOURS_END": "00:00",
    "DONOR_REGISTRY_SMS__REMINDERS__SEND_AT": "00:00",
}
# Every question answered the way that defers nothing, but one: "a tattoo in the last 6 months".
FINE_WITH_YES = ("feel_well", "weight")
DEFERRING = "tattoo_piercing_6m"


def six_months_after(day: dt.date) -> dt.date:
    """The same day six months later, or that month's last day (31 August -> 28/29 February)."""
    month, year = (day.month + 6 - 1) % 12 + 1, day.year + (day.month + 6 - 1) // 12
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return min(day.replace(year=year, month=month, day=1) + dt.timedelta(days=day.day - 1),
               following - dt.timedelta(days=1))


def _fill(drive_day: dt.date):
    def fill(session, now) -> dict:
        province = province_chapter(session, now, "79")
        coordinator(session, now, "lan", province)
        donor = make.donor(session, now, "O+", name="Đỗ Thị Hằng", place=make.HOME)
        session.get(Donor, donor).chapter_id = province
        data = DriveCreate(date=drive_day, start_time=dt.time(7), end_time=dt.time(10),
                           venue="Nhà văn hóa phường Võ Thị Sáu", capacity=6, chapter_id=province, **make.HOME)
        drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
        slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)
        return {"donor": donor, "drive": drive.id}
    return fill


def _link(served: Served, path: str) -> str:
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


def _answer_the_health_questions(donor) -> None:
    donor.click("#questionnaire-link")
    for no in donor.locator("#questionnaire input[type=radio][value=no]").all():
        no.check()
    for question in (*FINE_WITH_YES, DEFERRING):
        donor.check(f"#q-{question}-yes")
    donor.check("#health-consent")
    donor.click("#submit-questionnaire")


@pytest.mark.slow
def test_invitation_link_book_move_cancel_questions_check_in_outcome_and_the_record(tmp_path):
    playwright_api = playwright_or_missing()
    answered_on = dt.datetime.now(VIETNAM).date()
    drive_day = answered_on + dt.timedelta(days=DAYS_BEFORE)
    may_give_from = six_months_after(answered_on)
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    made = seed(db_url, _fill(drive_day))
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        staff = browser.new_context(viewport=PHONE).new_page()
        donor = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()

        before = Served(db_url, free_port(), tmp_path / "serve-before.log", **SERVE_ENV)
        try:
            sign_in(staff, before.base_url, "lan")
            staff.goto(f"{before.base_url}/sms")
            staff.click("#plan-reminders button")
            assert staff.is_visible("#done")

            invitation = _link(before, "/b/")
            donor.goto(invitation)
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
            code = donor.text_content("#check-in-code").strip()
            assert re.fullmatch(r"[ACDEFGHJKMNPRTWXY34679]{6}", code)
            assert donor.locator("#check-in-qr svg").count() == 1

            _answer_the_health_questions(donor)
            assert donor.get_attribute("#questionnaire-result", "data-result") == "deferred"
            assert may_give_from.strftime("%d/%m/%Y") in donor.text_content("#may-give-from")
            assert donor.is_visible("#questionnaire-stored") and donor.is_visible(f"#finding-{DEFERRING}")
        finally:
            before.stop()

        # The drive's morning, 09:30 in Vietnam: the same database, a registry whose clock is pinned there.
        morning = dt.datetime.combine(drive_day, dt.time(9, 30), VIETNAM).astimezone(dt.UTC)
        on_the_day = Served(db_url, free_port(), tmp_path / "serve-day.log",
                            DONOR_REGISTRY_NOW=morning.isoformat(), **SERVE_ENV)
        try:
            base = on_the_day.base_url
            sign_in(staff, base, "lan")
            staff.goto(f"{base}/drives/{made['drive']}")
            staff.fill("#check-in-form #code", f"{code[:3].lower()} {code[3:]}")  # as read out
            staff.click("#check-in-button")
            assert "Hằng" in staff.text_content("#checked-in") and "09:00" in staff.text_content("#checked-in")
            assert "xăm" in staff.text_content("#questionnaire-attention")  # staff see the deferring answer

            staff.check("#outcome-deferred")
            staff.fill("#deferral-reason", "Xăm mình trong 6 tháng gần đây")
            staff.fill("#deferral-until", may_give_from.isoformat())
            staff.click("#save-outcome")
            assert "Hằng" in staff.text_content("#outcome-recorded")
            assert (staff.text_content("#total-checked-in"), staff.text_content("#total-deferred"),
                    staff.text_content("#total-no-show")) == ("1", "1", "0")

            donor.goto(base + "/b/" + invitation.rsplit("/b/", 1)[1])
            assert donor.is_visible("#checked-in")
            donor.click("#open-record")  # the same link leads to the donor's own record
            assert "/me/" in donor.url
            donations = donor.text_content("body")
            assert drive_day.strftime("%d/%m/%Y") in donations and "tạm hoãn" in donations
            assert may_give_from.strftime("%d/%m/%Y") in donations  # when they may give again
        finally:
            on_the_day.stop()
            browser.close()
