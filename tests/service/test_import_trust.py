"""Records a chapter can trust: how an import matches people, and that it only ever adds."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from donor_registry.donations.models import Donation, Outcome
from donor_registry.donors.duplicates import find_duplicates
from donor_registry.donors.models import Donor, DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.donors.settings import DuplicateSettings
from donor_registry.importing import service as import_service
from donor_registry.importing.service import import_donations
from donor_registry.types import DonationType, Sex
from tests.service.test_import import write_csv

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

HEADERS = ["Họ và tên", "Năm sinh", "Giới tính", "Nhóm máu", "Số điện thoại", "CCCD", "Xã/Phường", "Ngày hiến",
           "Loại hiến", "Thể tích", "Số chứng nhận"]


def run(session, path, now, rules, **options):
    report = import_donations(session=session, path=path, rules=rules, now=now, today=now.date(), **options)
    session.commit()
    return report


def add_donor(session, now, name, **fields) -> Donor:
    donor = create_donor(session=session, data=DonorCreate(full_name=name, **fields), now=now)
    session.commit()
    return donor


def legacy_donation(session, now, donor, day, **fields) -> Donation:
    """A donation as a legacy system left it (the service's own checks not applied)."""
    donation = Donation(donor_id=donor.id, donated_on=day, created_at=now, source="legacy", **fields)
    session.add(donation)
    session.commit()
    return donation


def donations_of(session, donor_id) -> list[tuple]:
    return list(session.execute(select(Donation.id, Donation.donated_on, Donation.volume_ml, Donation.certificate_no)
                                .where(Donation.donor_id == donor_id).order_by(Donation.id)))


def adds_up(report) -> bool:
    return report.rows_read == report.imported + report.repeated_rows + report.rejected_rows


def test_a_national_id_with_another_persons_identity_is_refused_naming_both(session, now, rules, tmp_path):
    thuy = add_donor(session, now, "Trần Thị Thúy", national_id="036190000123", sex=Sex.female, abo="A", rh="+",
                     birth_year=1990)
    legacy_donation(session, now, thuy, dt.date(2025, 1, 5))
    path = write_csv(tmp_path / "d.csv", [
        ["Trần Văn Bê", "", "Nam", "B+", "", "036190000123", "", "01/03/2026"],
        ["Trần Văn Bê", "", "Nam", "B+", "", "036190000123", "", "01/04/2026"],
        ["Tran Thi Thuy", "1990", "nữ", "", "", "036190000123", "", "02/03/2026"],  # she agrees: hers
    ], headers=HEADERS)
    report = run(session, path, now, rules, skip_invalid=True)
    reason = (f"CCCD 036… belongs to donor #{thuy.id} Trần Thị Thúy (female, A+, 1990); "
              "this row says Trần Văn Bê (male, B+) (name, sex, blood group differ)")
    assert [(e.line, e.column, e.reason) for e in report.rejected] == [(2, "CCCD", reason), (3, "CCCD", reason)]
    assert (report.imported, report.matched, report.created) == (1, 1, 0)
    session.expire_all()
    assert [day for _, day, _, _ in donations_of(session, thuy.id)] == [dt.date(2025, 1, 5), dt.date(2026, 3, 2)]
    assert session.get(Donor, thuy.id).donation_count == 2
    assert adds_up(report)


def test_a_national_id_of_a_donor_the_file_created_in_an_earlier_chunk_is_refused_naming_both(
        session, now, rules, tmp_path, monkeypatch):
    # One row a chunk: on PostgreSQL the donor of line 2 is still in staging when line 3 is read.
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 1)
    path = write_csv(tmp_path / "d.csv", [
        ["Nguyễn Văn An", "1990", "Nam", "", "", "001090000001", "", "01/03/2026"],
        ["Trần Thị Bình", "1990", "Nữ", "", "", "001090000001", "", "02/03/2026"],
    ], headers=HEADERS)
    report = run(session, path, now, rules, skip_invalid=True)
    reason = ("CCCD 001… belongs to the new donor of line 2 Nguyễn Văn An (male, 1990); "
              "this row says Trần Thị Bình (female, 1990) (name, sex differ)")
    assert [(e.line, e.column, e.reason) for e in report.rejected] == [(3, "CCCD", reason)]
    assert (report.imported, report.created) == (1, 1)
    assert session.scalar(select(func.count()).select_from(Donor)) == 1


def test_a_conflicting_birth_year_on_a_national_id_is_refused(session, now, rules, tmp_path):
    add_donor(session, now, "Lê Văn Hải", national_id="001085000001", birth_year=1985)
    path = write_csv(tmp_path / "d.csv", [["Lê Văn Hải", "1958", "", "", "", "001085000001", "", "01/03/2026"]],
                     headers=HEADERS)
    report = run(session, path, now, rules)
    assert not report.written
    assert report.rejected[0].reason.endswith("this row says Lê Văn Hải (1958) (birth differ)")


def test_three_namesakes_born_the_same_year_stay_three_donors_and_show_as_candidates(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        ["Nguyễn Thị Lan", "1990", "Nữ", "A+", "0912000001", "001190000001", "", "01/03/2026"],
        ["Nguyễn Thị Lan", "1990", "Nữ", "", "0912000002", "001190000002", "", "02/03/2026"],
        ["Nguyen Thi Lan", "1990", "", "O+", "0912000003", "", "", "03/01/2026"],
        # The third again, written with her phone only: one person, her second donation.
        ["Nguyễn Thị Lan", "1990", "", "O+", "0912000003", "", "", "04/05/2026"],
    ], headers=HEADERS)
    report = run(session, path, now, rules)
    assert (report.created, report.matched, report.imported) == (3, 1, 4)
    lans = session.scalars(select(Donor).order_by(Donor.id)).all()
    assert [lan.donation_count for lan in lans] == [1, 1, 2]
    pairs = {(p.first.id, p.second.id): p.reasons
             for p in find_duplicates(session=session, settings=DuplicateSettings())}
    first, second, third = (lan.id for lan in lans)
    assert pairs == {
        (first, second): ["same name and birth", "but different national IDs, phones"],
        (first, third): ["same name and birth", "but different blood groups, phones"],
        (second, third): ["same name and birth", "but different phones"],
    }


def test_a_shared_phone_with_another_sex_is_not_the_same_person(session, now, rules, tmp_path):
    add_donor(session, now, "Nguyễn Văn Minh", phone_e164="0912000009", sex=Sex.male)
    path = write_csv(tmp_path / "d.csv", [["Nguyễn Văn Minh", "", "Nữ", "", "0912000009", "", "", "01/03/2026"]],
                     headers=HEADERS)
    report = run(session, path, now, rules)
    assert (report.created, report.matched) == (1, 0)
    [pair] = find_duplicates(session=session, settings=DuplicateSettings())
    assert pair.reasons == ["same phone +84 91x xxx 009", "but different sex"]


def test_a_day_holding_two_legacy_donations_keeps_both(session, now, rules, tmp_path):
    hung = add_donor(session, now, "Đỗ Văn Hùng", national_id="001090000077")
    day = dt.date(2025, 11, 3)
    first = legacy_donation(session, now, hung, day, volume_ml=350)
    second = legacy_donation(session, now, hung, day, volume_ml=250)
    before = donations_of(session, hung.id)
    path = write_csv(tmp_path / "d.csv", [
        ["Đỗ Văn Hùng", "", "", "", "", "001090000077", "", "03/11/2025", "", "250"],
        ["Đỗ Văn Hùng", "", "", "", "", "001090000077", "", "03/11/2025", "", ""],
        ["Đỗ Văn Hùng", "", "", "", "", "001090000077", "", "03/11/2025", "Tiểu cầu", ""],
    ], headers=HEADERS)
    # A platelet donation on a day with whole blood breaks a recording check, not the repeat rule.
    report = run(session, path, now, rules, accept_violations=True)
    assert [(d.line, d.reason) for d in report.duplicates] == [
        (2, f"already recorded as donation #{second.id}"), (3, f"already recorded as donation #{first.id}")]
    assert report.imported == 1 and report.accepted_violations == 1  # another donation that day
    after = donations_of(session, hung.id)
    assert after[:2] == before
    assert session.scalar(select(func.count()).select_from(Donation).where(
        Donation.type == DonationType.platelet_apheresis)) == 1
    assert adds_up(report)


def test_a_file_with_certificates_imported_twice_changes_nothing_the_second_time(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        ["Phan Văn Toàn", "1980", "", "", "", "", "", "01/01/2026", "", "350", "HM-1"],
        ["Phan Văn Toàn", "1980", "", "", "", "", "", "01/04/2026", "", "", "HM-2"],
        ["Hà Thị Ngọc", "1995", "", "", "", "", "", "01/04/2026", "", "250", "HM-3"],
    ], headers=HEADERS)
    first = run(session, path, now, rules)
    rows = session.execute(select(Donation.id, Donation.certificate_no).order_by(Donation.id)).all()
    again = run(session, path, now, rules)
    assert again.written and (again.imported, again.created, again.rejected_rows) == (0, 0, 0)
    assert [(d.line, d.reason) for d in again.duplicates] == [
        (line, f"already recorded as donation #{donation_id}") for line, (donation_id, _) in zip((2, 3, 4), rows)]
    assert session.execute(select(Donation.id, Donation.certificate_no).order_by(Donation.id)).all() == rows
    assert first.imported == 3 and adds_up(first) and adds_up(again)


def test_a_certificate_of_another_donor_is_still_refused(session, now, rules, tmp_path):
    mai = add_donor(session, now, "Phan Thị Mai")
    held = legacy_donation(session, now, mai, dt.date(2025, 1, 1), certificate_no="HM-9")
    path = write_csv(tmp_path / "d.csv", [["Lý Văn Sơn", "1970", "", "", "", "", "", "01/03/2026", "", "", "HM-9"]],
                     headers=HEADERS)
    report = run(session, path, now, rules)
    assert [e.reason for e in report.rejected] == [
        (f"certificate HM-9 is already used (donation #{held.id} in the registry) by donor #{mai.id} Phan Thị Mai;"
        " this row says Lý Văn Sơn (1970) (name differ)")]
    assert session.scalar(select(Donation.outcome).where(Donation.id == held.id)) == Outcome.donated


def test_the_report_keeps_the_first_problems_and_streams_them_all(session, now, rules, tmp_path, monkeypatch):
    from donor_registry.importing import report as report_module

    monkeypatch.setattr(report_module, "KEPT", 3)
    rows = [["Lê Văn Tám", "1980", "", "", "0123", "", "", "01/03/2026"] for _ in range(7)]
    rows.append(["Lê Văn Chín", "1980", "", "", "", "", "", "01/03/2026"])
    streamed = []
    report = run(session, write_csv(tmp_path / "d.csv", rows, headers=HEADERS), now, rules, skip_invalid=True,
                 on_refused=streamed.extend)
    assert [e.line for e in report.rejected] == [2, 3, 4]
    assert (report.rejected_rows, report.more_problems) == (7, 4)
    assert [e.line for e in streamed] == list(range(2, 9))
    assert adds_up(report) and report.imported == 1


def test_a_certificate_number_identifies_its_donation_when_the_identity_agrees(session, now, rules, tmp_path):
    # Registered without a birth year, so a row with one is not matched to her by name + birth...
    thuy = add_donor(session, now, "Trần Thị Thúy", sex=Sex.female)
    held = legacy_donation(session, now, thuy, dt.date(2025, 3, 1), certificate_no="HM-7", volume_ml=350)
    path = write_csv(tmp_path / "d.csv", [
        # ...but her certificate number says this row is that donation.
        ["Tran Thi Thuy", "1990", "Nữ", "", "", "", "", "01/03/2025", "", "350", "HM-7"],
        ["Trần Văn Bê", "1988", "Nam", "", "", "", "", "01/03/2025", "", "350", "HM-7"],
    ], headers=HEADERS)
    report = run(session, path, now, rules, skip_invalid=True)
    assert [(d.line, d.reason) for d in report.duplicates] == [(2, f"already recorded as donation #{held.id}")]
    assert [(e.line, e.reason) for e in report.rejected] == [
        (3, (f"certificate HM-7 is already used (donation #{held.id} in the registry) by donor #{thuy.id} "
            "Trần Thị Thúy (female); this row says Trần Văn Bê (male, 1988) (name, sex differ)"))]
    assert (report.imported, report.created) == (0, 0)  # no donor is left without a donation
    assert session.scalar(select(func.count()).select_from(Donor)) == 1
    assert adds_up(report)
