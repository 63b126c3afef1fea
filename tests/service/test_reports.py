"""The annual report on a small hand-built year whose figures are known."""

import datetime as dt

from openpyxl import load_workbook

from donor_registry import reports
from donor_registry.campaigns.models import Campaign, CampaignStatus, Drive, DriveStatus
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.emergency.models import EmergencyRequest, Hospital
from donor_registry.honours.models import Ceremony, HonourAward
from donor_registry.i18n import use_language
from donor_registry.types import ABO, DonationType, Rh

YEAR = 2025


def _campaign(session, now, name, *, year=YEAR, status=CampaignStatus.planned):
    campaign = Campaign(name=name, year=year, start=dt.date(year, 1, 1), end=dt.date(year, 3, 1), status=status,
                        created_at=now, updated_at=now)
    session.add(campaign)
    session.flush()
    return campaign


def _drive(session, now, day, *, campaign=None, status=DriveStatus.closed):
    drive = Drive(campaign_id=campaign.id if campaign else None, date=day, start_time=dt.time(7),
                  end_time=dt.time(11), venue="Nhà văn hoá", venue_key="nha van hoa", status=status,
                  created_at=now, updated_at=now)
    session.add(drive)
    session.flush()
    return drive


def _emergency(session, now):
    hospital = Hospital(name="Bệnh viện Đa khoa", district="Huyện Đan Phượng", district_key="huyen dan phuong",
                        created_at=now)
    session.add(hospital)
    session.flush()
    request = EmergencyRequest(abo=ABO.O, rh=Rh.negative, units=2, needed_by=now, hospital_id=hospital.id,
                               created_at=now, created_by="test")
    session.add(request)
    session.flush()
    return request


def _build_year(session, now):
    """Known answers are spelled out beside each record."""
    red_sunday = _campaign(session, now, "Chủ nhật Đỏ")
    _campaign(session, now, "Hành trình Đỏ", status=CampaignStatus.cancelled)
    _campaign(session, now, "Chủ nhật Đỏ", year=YEAR + 1)  # next year's: not counted
    held = _drive(session, now, dt.date(YEAR, 2, 9), campaign=red_sunday)
    loose = _drive(session, now, dt.date(YEAR, 5, 5))
    _drive(session, now, dt.date(YEAR, 12, 20), status=DriveStatus.planned)
    _drive(session, now, dt.date(YEAR, 6, 1), status=DriveStatus.cancelled)
    _drive(session, now, dt.date(YEAR - 1, 12, 1))  # last year's
    request = _emergency(session, now)

    def donor(name, district):
        return create_donor(session=session, now=now, data=DonorCreate(full_name=name, district=district))

    old_hand = donor("Nguyễn Văn Cũ", "Huyện Đan Phượng")  # gave before, gives again: repeat
    newcomer = donor("Trần Thị Mới", "Huyện Ba Vì")  # first donation this year: new
    lapsed = donor("Lê Văn Nghỉ", "Huyện Ba Vì")  # gave only last year: neither
    deferred = donor("Phạm Hoãn", None)  # deferred this year only: neither
    rows = [
        (old_hand, dt.date(YEAR - 2, 3, 1), DonationType.whole_blood, None, None, Outcome.donated),
        (old_hand, dt.date(YEAR, 2, 9), DonationType.whole_blood, held, None, Outcome.donated),
        (old_hand, dt.date(YEAR, 8, 1), DonationType.platelet_apheresis, None, request, Outcome.donated),
        (newcomer, dt.date(YEAR, 2, 9), DonationType.whole_blood, held, None, Outcome.donated),
        (newcomer, dt.date(YEAR, 5, 5), DonationType.whole_blood, loose, None, Outcome.donated),
        (lapsed, dt.date(YEAR - 1, 6, 1), DonationType.whole_blood, None, None, Outcome.donated),
        (deferred, dt.date(YEAR, 2, 9), DonationType.whole_blood, held, None, Outcome.deferred),
    ]
    for who, day, kind, drive, emergency, outcome in rows:
        session.add(Donation(
            donor_id=who.id, donated_on=day, type=kind, outcome=outcome, drive_id=drive.id if drive else None,
            emergency_request_id=emergency.id if emergency else None, created_at=now,
            deferral_reason="huyết áp" if outcome == Outcome.deferred else None,
        ))
    ceremony = Ceremony(name="Tôn vinh", held_on=dt.date(YEAR, 6, 14), level="province", created_at=now)
    session.add(ceremony)
    session.flush()
    for who, tier, revoked in ((old_hand, 5, False), (newcomer, 5, False), (lapsed, 10, False), (lapsed, 5, True)):
        session.add(HonourAward(donor_id=who.id, tier=tier, ceremony_id=ceremony.id, donation_count=tier,
                                awarded_on=ceremony.held_on, created_at=now, revoked_at=now if revoked else None))
    session.flush()


def test_annual_report_figures(session, now):
    _build_year(session, now)
    report = reports.annual_report(session=session, year=YEAR)
    assert (report.campaigns_held, report.campaigns_cancelled) == (1, 1)
    assert (report.drives_held, report.drives_not_closed, report.drives_cancelled) == (2, 1, 1)
    assert (report.units, report.deferrals) == (4, 1)
    assert report.units_by_type == {"platelet_apheresis": 1, "whole_blood": 3}
    assert report.units_by_campaign == {f"Chủ nhật Đỏ {YEAR}": 2, reports.NO_CAMPAIGN: 2}
    assert report.emergency_units == 1
    assert (report.donors, report.new_donors, report.repeat_donors) == (2, 1, 1)
    assert report.honoured_by_tier == {5: 2, 10: 1}
    assert report.honoured_by_district == {"Huyện Ba Vì": 2, "Huyện Đan Phượng": 1}


def test_a_year_without_records_is_all_zero(session, now):
    _build_year(session, now)
    report = reports.annual_report(session=session, year=YEAR - 5)
    assert report.units == report.donors == report.drives_held == 0
    assert report.units_by_campaign == {} and report.honoured_by_tier == {}


def _sheet(book, name) -> list[tuple]:
    return list(book[name].iter_rows(values_only=True))


def test_text_and_xlsx_read_in_vietnamese_by_default(session, now, tmp_path):
    _build_year(session, now)
    report = reports.annual_report(session=session, year=YEAR)
    text = "\n".join(reports.text_lines(report))
    assert text.startswith(f"Báo cáo năm {YEAR}")
    assert "Đơn vị máu tiếp nhận: 4 (tạm hoãn 1)" in text and "Chủ nhật Đỏ 2025: 2" in text
    assert "  máu toàn phần: 3" in text and "  (ngoài đợt vận động): 2" in text and "  5 lần: 2" in text
    assert "Đơn vị máu trước 01/07/2025 theo huyện cũ:" in text
    path = tmp_path / "report.xlsx"
    reports.write_xlsx(report, path, made_on=dt.date(2026, 1, 5))
    book = load_workbook(path)
    assert book.sheetnames[:3] == [f"Tổng hợp {YEAR}", "Theo loại", "Theo đợt vận động"]
    summary = book[f"Tổng hợp {YEAR}"]
    assert summary["A1"].value == f"Báo cáo năm {YEAR}"
    assert (summary["A2"].value, summary["B2"].value) == ("Ngày lập", dt.datetime(2026, 1, 5))
    assert summary["B2"].number_format == "dd/mm/yyyy"
    figures = dict(summary.iter_rows(min_row=4, values_only=True))
    assert figures["Đơn vị máu tiếp nhận"] == 4 and figures["Người hiến lần đầu"] == 1
    assert _sheet(book, "Theo loại") == [("Đơn vị máu theo loại", None), ("Loại", "Số đơn vị máu"),
                                         ("máu toàn phần", 3), ("gạn tách tiểu cầu", 1)]
    assert _sheet(book, "Tôn vinh theo mốc")[1:] == [("Mốc", "Số người"), ("5 lần", 2), ("10 lần", 1)]
    assert all(len(name) <= 31 for name in book.sheetnames)


def test_text_and_xlsx_in_english(session, now, tmp_path):
    _build_year(session, now)
    report = reports.annual_report(session=session, year=YEAR)
    with use_language("en"):
        text = "\n".join(reports.text_lines(report))
        path = tmp_path / "report.xlsx"
        reports.write_xlsx(report, path, made_on=dt.date(2026, 1, 5))
    assert "Units received: 4 (deferrals 1)" in text and "  whole blood: 3" in text
    assert "  (outside any campaign): 2" in text and "Units before 01/07/2025 by old district:" in text
    book = load_workbook(path)
    summary = book[f"Summary {YEAR}"]
    assert (summary["A1"].value, summary["A2"].value) == (f"Annual report {YEAR}", "Made on")
    assert summary["B2"].number_format == "dd/mm/yyyy"
    figures = dict(summary.iter_rows(min_row=4, values_only=True))
    assert figures["Units received"] == 4 and figures["New donors"] == 1
    assert _sheet(book, "By type")[1:] == [("Type", "Units"), ("whole blood", 3), ("platelet apheresis", 1)]
    assert _sheet(book, "Honoured by tier") == [("Donors honoured by tier", None), ("Tier", "Donors"),
                                                ("5 donations", 2), ("10 donations", 1)]


def _give(session, now, donor, day):
    session.add(Donation(donor_id=donor.id, donated_on=day, type=DonationType.whole_blood,
                         outcome=Outcome.donated, volume_ml=350, created_at=now))
    session.flush()


def test_units_by_new_unit_old_district_before_july_2025_and_by_chapter(session, now):
    from donor_registry.chapters import service as chapters

    vn = chapters.create_chapter(session=session, now=now, kind="national")
    can_tho = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code="92")
    chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code="15")
    add = lambda name, **place: create_donor(session=session, now=now, data=DonorCreate(
        full_name=name, birth_year=1990, **place))
    # Sóc Trăng's Phường 5 (old three-level address) is Phường Sóc Trăng, Thành phố Cần Thơ now.
    old_soc_trang = add("Lý Văn Một", province="Sóc Trăng", district="Thành phố Sóc Trăng", commune="Phường 5")
    ninh_kieu = add("Lý Văn Hai", province="Thành phố Cần Thơ", commune="Phường Ninh Kiều")
    lao_cai = add("Lý Văn Ba", province="Yên Bái", district="Thành phố Yên Bái", commune="Phường Minh Tân")
    _give(session, now, old_soc_trang, dt.date(2025, 3, 2))  # before the reform: counted by old district too
    _give(session, now, old_soc_trang, dt.date(2025, 9, 2))
    _give(session, now, ninh_kieu, dt.date(2025, 8, 1))
    _give(session, now, lao_cai, dt.date(2025, 1, 5))
    report = reports.annual_report(session=session, year=2025)
    assert report.units_by_province == {"Thành phố Cần Thơ": 3, "Tỉnh Lào Cai": 1}
    assert report.units_by_commune == {"Phường Sóc Trăng, Thành phố Cần Thơ": 2,
                                       "Phường Ninh Kiều, Thành phố Cần Thơ": 1, "Phường Yên Bái, Tỉnh Lào Cai": 1}
    assert report.units_by_old_district == {"Thành phố Sóc Trăng": 1, "Thành phố Yên Bái": 1}
    of_can_tho = reports.annual_report(session=session, year=2025, chapter=can_tho)
    assert (of_can_tho.units, of_can_tho.donors, of_can_tho.units_by_province) == (3, 2, {"Thành phố Cần Thơ": 3})
    assert reports.annual_report(session=session, year=2026).units_by_old_district == {}
    with use_language("en"):
        assert "Units by province (units since 01/07/2025):" in reports.text_lines(report)
