"""The recording checks on imported donations (SQLite, SQLite bulk load, PostgreSQL)."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from donor_registry.donations.corrections import void_donation
from donor_registry.donations.models import Donation, DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import Donor
from donor_registry.eligibility import DonorFacts, PastDonation
from donor_registry.recording import NewDonation, recording_check
from donor_registry.types import DonationType, Sex
from tests.service.test_import import add_donor, counts, db_url, donations_of, run, write_csv  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

WB = "Máu toàn phần"
PLASMA = "Huyết tương"


def row(name, born, day, kind=WB, volume="", national_id=""):
    return [name, born, "", national_id, "", day, kind, volume, ""]


def test_a_row_inside_the_interval_of_a_registered_donation_is_refused(session, now, rules, tmp_path):
    donor = add_donor(session, now, "Hoàng Văn Quân", national_id="001090000123", date_of_birth=dt.date(1990, 1, 1))
    record_donation(session=session, donor_id=donor.id, rules=rules, now=now,
                    data=DonationCreate(donated_on=dt.date(2026, 3, 1)))
    session.commit()
    path = write_csv(tmp_path / "d.csv", [
        row("Hoàng Văn Quân", "01/01/1990", "10/03/2026", national_id="001090000123"),
        row("Đặng Thị Thảo", "1999", "01/05/2026"),
    ])
    report = run(session, path, now, rules)
    assert not report.written and counts(session) == (1, 1)
    [error] = report.rejected
    assert (error.line, error.column) == (2, "Ngày hiến")
    assert error.reason == "last whole blood donation on 01/03/2026; next from 24/05/2026"

    kept = run(session, path, now, rules, skip_invalid=True)
    assert kept.written and kept.imported == 1 and counts(session) == (2, 2)


def test_accept_violations_imports_the_row_with_its_reasons(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        row("Đỗ Văn Hùng", "02/02/1990", "01/01/2026"),
        row("Đỗ Văn Hùng", "02/02/1990", "06/01/2026", PLASMA),
    ])
    report = run(session, path, now, rules, accept_violations=True)
    assert report.written and report.imported == 2 and report.accepted_violations == 1
    later = session.scalars(select(Donation).where(Donation.donated_on == dt.date(2026, 1, 6))).one()
    assert later.violations == "last whole blood donation on 01/01/2026; next from 26/03/2026"
    assert later.override_reason == "accepted at import (--accept-violations)"
    donor = session.scalars(select(Donor)).one()
    assert donor.donation_count == 2 and donor.eligible_again_on == dt.date(2026, 3, 26)


def test_an_under_age_row_is_refused_and_a_donor_only_it_created_is_not_kept(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        row("Lê Văn Trẻ", "10/07/2008", "01/05/2026"),
        row("Lê Văn Lớn", "10/07/1988", "01/05/2026", volume="350"),
    ])
    report = run(session, path, now, rules, skip_invalid=True)
    assert [(e.line, e.reason) for e in report.rejected] == [
        (2, "under 18: born 10/07/2008; may give from 10/07/2026")]
    assert (report.imported, report.created) == (1, 1)
    assert [d.full_name for d in session.scalars(select(Donor))] == ["Lê Văn Lớn"]


def test_a_29_february_birthday_is_18_on_1_march_in_a_common_year(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [row("Lê Văn Nhuận", "29/02/2008", "28/02/2026"),
                                          row("Lê Thị Nhuận", "29/02/2008", "01/03/2026")])
    report = run(session, path, now, rules, skip_invalid=True)
    assert [(e.line, e.reason) for e in report.rejected] == [
        (2, "under 18: born 29/02/2008; may give from 01/03/2026")]


def test_rows_out_of_date_order_are_judged_in_date_order(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        row("Vũ Thị Lan", "1990", "01/04/2025"),  # 90 days after 1 January: fine
        row("Vũ Thị Lan", "1990", "01/01/2025"),
        row("Vũ Thị Lan", "1990", "11/01/2025"),  # 10 days after 1 January: refused
    ])
    report = run(session, path, now, rules, skip_invalid=True)
    assert [e.line for e in report.rejected] == [4]
    donor = session.scalars(select(Donor)).one()
    assert [d.donated_on for d in donations_of(session, donor.id)] == [dt.date(2025, 1, 1), dt.date(2025, 4, 1)]


def test_a_voided_donation_is_not_brought_back_by_importing_the_file_again(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [row("Lý Văn Sơn", "1970", "01/01/2026"),
                                          row("Lý Văn Sơn", "1970", "01/05/2026")])
    assert run(session, path, now, rules).imported == 2
    donor = session.scalars(select(Donor)).one()
    wrong = donations_of(session, donor.id)[-1]
    void_donation(session=session, donation_id=wrong.id, reason="not on the drive's list", actor="cli:t", now=now,
                  rules=rules)
    session.commit()
    again = run(session, path, now, rules)
    assert again.imported == 0 and {d.line for d in again.duplicates} == {2, 3}
    session.expire_all()
    rows = donations_of(session, donor.id)
    assert len(rows) == 2 and rows[-1].voided_at is not None
    assert session.get(Donor, donor.id).donation_count == 1


# --- property: the import refuses exactly the rows the pure rule refuses, judged in date order ---

KINDS = {"Máu toàn phần": DonationType.whole_blood, "Huyết tương": DonationType.plasma_apheresis,
         "Tiểu cầu": DonationType.platelet_apheresis, "Hồng cầu": DonationType.red_cell_apheresis}
files = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 300), st.sampled_from(sorted(KINDS)),
                           st.sampled_from(["", "250", "350", "450", "500"])), min_size=1, max_size=8)
# Light, turning 18 (1 September 2025), turning 61 (9 January 2026), light, near no limit (only
# the interval can refuse), born in 2008 with only the year known (surely 18 from 2026), and
# born on 29 February.
people = [("Phan Văn Một", dt.date(1990, 5, 5), 47.0), ("Phan Thị Hai", dt.date(2007, 9, 1), 55.0),
          ("Phan Văn Ba", dt.date(1965, 1, 9), 62.0), ("Phan Thị Bốn", dt.date(1980, 1, 1), 43.0),
          ("Phan Văn Năm", dt.date(1985, 1, 1), 70.0), ("Phan Thị Sáu", 2008, 52.0),
          ("Phan Văn Bảy", dt.date(2008, 2, 29), 60.0)]  # 18 on 1 March 2026


def _expected_refusals(rows, rules) -> set[int]:
    """Lines the pure rule refuses: each person's rows in date order, against those accepted."""
    refused, seen_days = set(), set()
    for index, (who, born, weight) in enumerate(people):
        year_only = isinstance(born, int)
        facts = DonorFacts(date_of_birth=None if year_only else born, birth_year=born if year_only else born.year,
                           sex=Sex.unknown, weight_kg=weight)
        mine = sorted((day, line, kind, volume) for line, (person, day, kind, volume) in rows if person == index)
        accepted = []
        for day, line, kind, volume in mine:
            if (who, day) in seen_days:
                continue  # a repeat of the same day is skipped as a duplicate, not judged
            seen_days.add((who, day))
            verdict = recording_check(DonorFacts(**{**vars(facts), "donations": tuple(accepted)}),
                                      NewDonation(day, KINDS[kind], int(volume) if volume else None), rules)
            if verdict.ok:
                accepted.append(PastDonation(day, KINDS[kind]))
            else:
                refused.add(line)
    return refused


def _born_cell(born) -> str:
    return str(born) if isinstance(born, int) else born.strftime("%d/%m/%Y")


@settings(derandomize=True, max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files)
def test_the_import_refuses_what_the_pure_rule_refuses(session, now, rules, tmp_path, drawn):
    start = dt.date(2025, 6, 1)
    rows = [(line, (person, start + dt.timedelta(days=offset), kind, volume))
            for line, (person, offset, kind, volume) in enumerate(drawn, start=2)]
    csv_rows = [[people[person][0], _born_cell(people[person][1]), "", "", "", day.strftime("%d/%m/%Y"),
                 kind, volume, "", "", "", f"{people[person][2]:g}"] for _, (person, day, kind, volume) in rows]
    headers = ["Họ và tên", "Ngày sinh", "Số điện thoại", "CCCD", "Xã/Phường", "Ngày hiến", "Loại hiến",
               "Thể tích", "Số chứng nhận", "Lý do hoãn", "Hoãn đến", "Cân nặng"]
    path = write_csv(tmp_path / "p.csv", csv_rows, headers=headers)
    report = run(session, path, now, rules, dry_run=True)
    expected = _expected_refusals(rows, rules)
    assert {error.line for error in report.rejected} == expected
    assert report.imported == len({(p, day) for _, (p, day, _, _) in rows}) - len(expected)
