"""Importing donor and donation lists on SQLite and PostgreSQL."""

import csv
import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from donor_registry.donations.models import Donation, DonationCreate, Outcome
from donor_registry.donations.service import record_donation, refresh_donor_stats
from donor_registry.donors.models import Donor, DonorCreate
from donor_registry.donors.service import create_donor, withdraw_consent
from donor_registry.errors import UserError
from donor_registry.importing import pipeline
from donor_registry.importing.bulk import DeferredIndexes
from donor_registry.importing.service import import_donations, import_donors
from donor_registry.types import ConsentChannel, DonationType
from scripts.datagen import encode_cp1258
from tests.conftest import sqlite_copy

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

HEADERS = ["Họ và tên", "Ngày sinh", "Số điện thoại", "CCCD", "Xã/Phường", "Ngày hiến", "Loại hiến",
           "Thể tích", "Số chứng nhận", "Lý do hoãn", "Hoãn đến"]


@pytest.fixture(params=["sqlite", "sqlite, bulk load", "postgresql"])
def db_url(request, tmp_path, sqlite_template, monkeypatch) -> str:
    """The backends of every service test, plus SQLite loading as a large file does: indexes
    dropped and built again after, and the rows parsed in a worker process (as on PostgreSQL
    here; plain SQLite parses in this process)."""
    if request.param == "sqlite, bulk load":
        monkeypatch.setattr(DeferredIndexes, "worth_it", classmethod(lambda cls, rows, present: True))
        monkeypatch.setattr(pipeline, "use_worker", lambda expected_rows: True)
    if request.param.startswith("sqlite"):
        return sqlite_copy(sqlite_template, tmp_path)
    # The worker inherits the open PostgreSQL connection and must leave it alone.
    monkeypatch.setattr(pipeline, "use_worker", lambda expected_rows: True)
    return request.getfixturevalue("postgres_db_url")


def index_definitions(session) -> set[str]:
    if session.bind.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    return set(session.connection().exec_driver_sql(query).scalars())


def write_csv(path, rows, headers=HEADERS):
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def run(session, path, now, rules, **options):
    report = import_donations(session=session, path=path, rules=rules, now=now, today=now.date(), **options)
    session.commit()
    return report


def counts(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Donor)),
            session.scalar(select(func.count()).select_from(Donation)))


def add_donor(session, now, name, **fields) -> Donor:
    donor = create_donor(session=session, data=DonorCreate(full_name=name, **fields), now=now)
    session.commit()
    return donor


def donations_of(session, donor_id) -> list[Donation]:
    return list(session.scalars(select(Donation).where(Donation.donor_id == donor_id).order_by(Donation.donated_on)))


def test_rows_match_by_national_id_then_phone_and_name_then_name_and_birth(session, now, rules, tmp_path):
    by_id = add_donor(session, now, "Nguyễn Văn An", national_id="001090000001", phone_e164="0912000001")
    by_phone = add_donor(session, now, "Lê Thị Hoà", phone_e164="0912000002", birth_year=1991)
    by_name = add_donor(session, now, "Phạm Văn Lâm", date_of_birth=dt.date(1985, 3, 2), commune="Xã Phú Mỹ")
    path = write_csv(tmp_path / "d.csv", [
        # The national ID wins even though the phone is another donor's.
        ["Nguyen Van An", "", "0912000002", "001090000001", "", "01/03/2026", "", "350", ""],
        # Phone plus the same folded name (old tone placement, no diacritics in the phone row).
        ["LÊ THỊ HÒA", "", "+84 912 000 002", "", "", "02/03/2026", "", "", ""],
        # Name + birth year + commune, written without diacritics.
        ["pham van lam", "1985", "", "", "xa phu my", "03/03/2026", "", "", ""],
    ])
    report = run(session, path, now, rules)
    assert (report.matched, report.created, report.imported, report.rejected) == (3, 0, 3, [])
    assert [len(donations_of(session, d.id)) for d in (by_id, by_phone, by_name)] == [1, 1, 1]


def test_a_shared_family_phone_does_not_merge_two_people(session, now, rules, tmp_path):
    mother = add_donor(session, now, "Trần Thị Mai", phone_e164="0912000003")
    path = write_csv(tmp_path / "d.csv", [["Nguyễn Văn Tú", "2001", "0912000003", "", "", "01/03/2026"]])
    report = run(session, path, now, rules)
    assert (report.matched, report.created) == (0, 1)
    assert donations_of(session, mother.id) == []


def test_rows_of_one_new_person_make_one_donor_with_right_stats(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        ["Đỗ Văn Hùng", "02/02/1990", "0987000001", "", "", day, kind, "", ""]
        for day, kind in [("01/01/2025", "Máu toàn phần"), ("01/05/2025", "Tiểu cầu"),
                          ("01/09/2025", "Máu toàn phần"), ("20/09/2025", "Huyết tương")]
    ])
    # The plasma of 20 September breaks the whole-blood interval: kept only when accepted.
    report = run(session, path, now, rules, accept_violations=True)
    assert (report.created, report.matched, report.imported, report.accepted_violations) == (1, 3, 4, 1)
    donor = session.scalars(select(Donor)).one()
    assert donor.donation_count == 4
    assert donor.last_donation_on == dt.date(2025, 9, 20)
    assert donor.last_donation_type == DonationType.plasma_apheresis
    # The whole-blood donation of 1 September keeps its 12 weeks after the later plasma one.
    assert donor.eligible_again_on == dt.date(2025, 9, 1) + dt.timedelta(days=84)


def test_a_new_donor_written_two_ways_is_counted_and_checked_as_one(session, now, rules, tmp_path):
    # The parser counts each distinct way of writing a donor on its own; the second spelling
    # finds the donor the first created (by CCCD), so its rows must be counted and checked together.
    first = ["Đỗ Thị Lan", "1992", "0987000009", "001192000009", ""]
    second = ["DO THI LAN", "1992", "", "001192000009", ""]
    path = write_csv(tmp_path / "d.csv", [
        [*first, "01/01/2025", "Máu toàn phần"],
        [*second, "01/06/2025", "Máu toàn phần"],
        # 160 days after the first spelling's row, but 9 days after the second's.
        [*first, "10/06/2025", "Máu toàn phần"],
    ])
    report = run(session, path, now, rules, accept_violations=True)
    assert (report.created, report.matched, report.imported, report.accepted_violations) == (1, 2, 3, 1)
    donor = session.scalars(select(Donor)).one()
    assert (donor.donation_count, donor.last_donation_on) == (3, dt.date(2025, 6, 10))
    assert donor.eligible_again_on == dt.date(2025, 6, 10) + dt.timedelta(days=84)
    assert [d.violations is not None for d in donations_of(session, donor.id)] == [False, False, True]


def test_a_row_fitting_two_registered_donors_is_refused_naming_both(session, now, rules, tmp_path):
    first = add_donor(session, now, "Vũ Thị Lan", birth_year=1990)
    second = add_donor(session, now, "Vũ Thị Lan", birth_year=1990)
    path = write_csv(tmp_path / "d.csv", [["Vu Thi Lan", "1990", "", "", "", "01/03/2026"]])
    report = run(session, path, now, rules)
    assert not report.written
    [error] = report.rejected
    assert (error.line, error.column) == (2, "Họ và tên")
    assert f"#{first.id}" in error.reason and f"#{second.id}" in error.reason


def test_a_file_with_a_bad_row_imports_nothing(session, now, rules, tmp_path):
    add_donor(session, now, "Hồ Văn Nam", national_id="001090000009")
    before = counts(session)
    path = write_csv(tmp_path / "d.csv", [
        ["Hồ Văn Nam", "", "", "001090000009", "", "01/03/2026"],
        ["Ngô Thị Yến", "01/01/2030", "", "", "", "01/03/2026"],
        ["Bùi Văn Long", "1980", "", "", "", "02/03/2026"],
    ])
    report = run(session, path, now, rules)
    assert not report.written
    assert [(e.line, e.column) for e in report.rejected] == [(3, "Ngày sinh")]
    assert "future" in report.rejected[0].reason
    assert counts(session) == before


def test_skip_invalid_imports_the_good_rows(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        ["Ngô Thị Yến", "01/01/1990", "", "", "", "01/03/2026"],
        ["Bùi Văn Long", "1980", "12", "", "", "02/03/2026"],
    ])
    report = run(session, path, now, rules, skip_invalid=True)
    assert report.written and report.imported == 1 and report.rejected_rows == 1
    assert counts(session) == (1, 1)


def test_dry_run_reports_everything_and_writes_nothing(session, now, rules, tmp_path):
    rows = [["Ngô Thị Yến", "01/01/1990", "", "", "", f"01/{month}/2025"] for month in ("01", "04", "07")]
    path = write_csv(tmp_path / "d.csv", rows)
    dry = run(session, path, now, rules, dry_run=True)
    assert counts(session) == (0, 0)
    real = run(session, path, now, rules)
    assert (dry.imported, dry.created, dry.matched) == (real.imported, real.created, real.matched) == (3, 1, 2)
    assert (dry.written, real.written) == (False, True)
    assert counts(session) == (1, 3)


def test_repeated_rows_and_a_second_import_of_the_same_file_add_nothing_twice(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        ["Lý Văn Sơn", "1970", "0987000002", "", "", "01/03/2026"],
        ["Lý Văn Sơn", "1970", "0987000002", "", "", "01/03/2026"],
        ["Lý Văn Sơn", "1970", "0987000002", "", "", "01/06/2026"],
    ])
    first = run(session, path, now, rules)
    assert first.imported == 2
    assert [(d.line, d.reason) for d in first.duplicates] == [(3, "the same donation as line 2")]
    again = run(session, path, now, rules)
    assert again.imported == 0 and again.written
    assert {d.line for d in again.duplicates} == {2, 3, 4}
    assert all("already recorded" in d.reason for d in again.duplicates if d.line != 3)
    donor = session.scalars(select(Donor)).one()
    assert counts(session) == (1, 2) and donor.donation_count == 2


def test_a_new_donors_repeats_are_found_across_chunks_and_among_deferrals(session, now, rules, tmp_path, monkeypatch):
    """The running stats decide which new donors are searched for same-day repeats: a repeat
    in a later chunk (out of date order too) and two identical deferrals, which the stats do not
    count, must still be found; a donor whose rows are all apart is left alone."""
    from donor_registry.importing import service as import_service

    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "d.csv", [
        ["Lý Văn Sơn", "1970", "0987000002", "", "", "01/03/2026", "", "350", "", "", ""],
        ["Đặng Thị Thảo", "1990", "", "", "", "02/01/2026", "", "", "", "Huyết áp thấp", ""],
        ["Phạm Văn Tú", "1985", "0912000003", "", "", "01/01/2025", "", "", "", "", ""],
        ["Lý Văn Sơn", "1970", "0987000002", "", "", "01/10/2025", "", "", "", "", ""],
        ["Đặng Thị Thảo", "1990", "", "", "", "02/01/2026", "", "", "", "Huyết áp thấp", ""],
        ["Phạm Văn Tú", "1985", "0912000003", "", "", "01/06/2025", "", "", "", "", ""],
        ["Lý Văn Sơn", "1970", "0987000002", "", "", "01/03/2026", "", "", "", "", ""],
    ])
    report = run(session, path, now, rules, skip_invalid=True)
    assert sorted((d.line, d.reason) for d in report.duplicates) == [
        (6, "the same donation as line 3"), (8, "the same donation as line 2")]
    assert report.rejected_rows == 0 and report.imported == 5
    assert report.rows_read == report.imported + len(report.duplicates)
    counted = {donor.full_name: donor.donation_count for donor in session.scalars(select(Donor))}
    assert counted == {"Lý Văn Sơn": 2, "Đặng Thị Thảo": 0, "Phạm Văn Tú": 2}


def test_a_certificate_number_is_used_once(session, now, rules, tmp_path):
    donor = add_donor(session, now, "Dương Văn Vinh")
    held = record_donation(session=session, donor_id=donor.id, rules=rules, now=now,
                           data=DonationCreate(donated_on=dt.date(2025, 1, 1), certificate_no="HM-1"))
    session.commit()
    path = write_csv(tmp_path / "d.csv", [
        ["Phan Văn Toàn", "1980", "", "", "", "01/03/2026", "", "", "HM-1"],
        ["Phan Văn Toàn", "1980", "", "", "", "01/04/2026", "", "", "HM-2"],
        ["Phan Văn Toàn", "1980", "", "", "", "01/05/2026", "", "", "HM-2"],
        ["Trịnh Thị Lan", "1990", "", "", "", "01/05/2026", "", "", "HM-1"],
    ])
    report = run(session, path, now, rules, skip_invalid=True)
    reasons = {error.line: error.reason for error in report.rejected}
    by_vinh = f"certificate HM-1 is already used (donation #{held.id} in the registry) by donor #{donor.id} Dương Văn Vinh"
    assert reasons == {2: f"{by_vinh}; this row says Phan Văn Toàn (1980) (name differ)",
                       4: "certificate HM-2 is already used (line 3)",
                       5: f"{by_vinh}; this row says Trịnh Thị Lan (1990) (name differ)"}
    assert [error.line for error in report.rejected] == [2, 4, 5]
    # Trịnh Thị Lan's only row was refused, so she is not registered.
    assert (report.imported, report.created) == (1, 1)
    assert counts(session) == (2, 2)
    assert {d.full_name for d in session.scalars(select(Donor))} == {"Dương Văn Vinh", "Phan Văn Toàn"}


@pytest.mark.parametrize("outcome", ["written", "refused", "dry run"])
def test_an_import_leaves_every_index_as_it_was(session, now, rules, tmp_path, outcome):
    add_donor(session, now, "Dương Văn Vinh", phone_e164="0987000001")
    before = index_definitions(session)
    rows = [["Lý Văn Sơn", "1970", "0987000002", "", "Xã Tân Lập", "01/03/2026"],
            ["Dương Văn Vinh", "", "0987000001", "", "", "01/04/2026"]]
    if outcome == "refused":
        rows.append(["Nguyễn Văn A", "1970", "", "", "", "31/02/2026"])
    report = run(session, write_csv(tmp_path / "d.csv", rows), now, rules, dry_run=outcome == "dry run")
    assert report.written == (outcome == "written")
    assert index_definitions(session) == before
    assert "CREATE INDEX ix_donations_donor_id_donated_on ON donations (donor_id, donated_on)" in {
        " ".join(definition.replace("public.", "").replace(" USING btree", "").split()) for definition in before}


def test_set_based_stats_equal_refresh_donor_stats(session, now, rules, tmp_path):
    registered = add_donor(session, now, "Hoàng Văn Quân", national_id="001090000123")
    for day, kind, outcome, until in [
        (dt.date(2025, 12, 1), DonationType.whole_blood, Outcome.donated, None),
        (dt.date(2026, 3, 1), DonationType.whole_blood, Outcome.deferred, dt.date(2026, 9, 1)),
    ]:
        record_donation(session=session, donor_id=registered.id, rules=rules, now=now, data=DonationCreate(
            donated_on=day, type=kind, outcome=outcome, deferral_until=until,
            deferral_reason="tattoo" if until else None))
    session.commit()
    path = write_csv(tmp_path / "d.csv", [
        ["Hoàng Văn Quân", "", "", "001090000123", "", "10/05/2026", "Tiểu cầu"],
        ["Đặng Thị Thảo", "1999", "", "", "", "15/02/2026", "Hồng cầu"],
        ["Đặng Thị Thảo", "1999", "", "", "", "01/05/2026", "Huyết tương"],
        ["Đặng Thị Thảo", "1999", "", "", "", "01/05/2025", "Máu toàn phần"],
        ["Đặng Thị Thảo", "1999", "", "", "", "20/05/2026", "", "", "", "huyết áp thấp", "20/06/2026"],
        ["Võ Văn Tám", "1985", "", "", "", "10/05/2026", "", "", "", "viêm gan B"],
        ["Hoàng Văn Quân", "", "", "001090000123", "", "12/05/2026", "", "", "", "sốt", "01/10/2026"],
    ])
    # The plasma of 1 May 2026 comes 75 days after red cells: kept as a messy legacy history.
    report = run(session, path, now, rules, accept_violations=True)
    assert (report.imported, report.created, report.accepted_violations) == (7, 2, 1)
    deferrals = session.scalars(select(Donation).where(Donation.outcome == Outcome.deferred,
                                                       Donation.source == "import")).all()
    assert sorted((d.deferral_reason, d.deferral_until, d.volume_ml) for d in deferrals) == [
        ("huyết áp thấp", dt.date(2026, 6, 20), None), ("sốt", dt.date(2026, 10, 1), None),
        ("viêm gan B", None, None)]
    fields = ("donation_count", "last_donation_on", "last_donation_type", "eligible_again_on", "deferred_until")
    session.expire_all()
    after_import = {d.id: tuple(getattr(d, f) for f in fields) for d in session.scalars(select(Donor))}
    refresh_donor_stats(session=session, donor_ids=list(after_import), rules=rules)
    session.commit()
    session.expire_all()
    recomputed = {d.id: tuple(getattr(d, f) for f in fields) for d in session.scalars(select(Donor))}
    assert after_import == recomputed
    assert after_import[registered.id][0] == 2 and after_import[registered.id][4] == dt.date(2026, 10, 1)
    by_name = {d.full_name: d for d in session.scalars(select(Donor))}
    assert by_name["Võ Văn Tám"].donation_count == 0 and by_name["Võ Văn Tám"].deferred_until == dt.date.max
    assert by_name["Đặng Thị Thảo"].deferred_until == dt.date(2026, 6, 20)


def test_import_donors_creates_new_and_reports_known_and_repeated(session, now, tmp_path):
    an = add_donor(session, now, "Nguyễn Văn An", national_id="001090000001")
    path = write_csv(tmp_path / "donors.csv", [
        ["Nguyễn Văn An", "", "", "001090000001", ""],
        ["Trần Thị Bích", "03/03/1995", "0912000005", "", "Xã Tân Lập"],
        ["Tran Thi Bich", "1995", "0912000005", "", ""],
        ["Lê Văn Cường", "X", "", "", ""],
    ], headers=HEADERS[:5])
    report = import_donors(session=session, path=path, now=now, today=now.date(), skip_invalid=True)
    session.commit()
    assert (report.created, report.matched, report.imported) == (1, 2, 1)
    assert [(d.line, d.reason) for d in report.duplicates] == [(2, f"already registered as donor #{an.id}"),
                                                               (4, "the same donor as line 3")]
    assert [(e.line, e.column) for e in report.rejected] == [(5, "Ngày sinh")]
    assert report.rows_read == report.imported + report.repeated_rows + report.rejected_rows == 4
    bich = session.scalars(select(Donor).where(Donor.name_folded == "tran thi bich")).one()
    assert (bich.phone_e164, bich.commune_key, bich.donation_count) == ("+84912000005", "xa tan lap", 0)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1258"])
def test_encodings(session, now, rules, tmp_path, encoding):
    path = tmp_path / "d.csv"
    text = "Họ và tên,Ngày hiến\nNguyễn Thị Thuý,01/03/2026\n"
    path.write_bytes(encode_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    report = run(session, path, now, rules)
    assert report.encoding == ("cp1258" if encoding == "cp1258" else "utf-8-sig")
    assert session.scalars(select(Donor.full_name)).one() == "Nguyễn Thị Thúy"


def test_each_repeat_of_a_bad_row_is_reported_on_its_own_line(session, now, rules, tmp_path):
    path = write_csv(tmp_path / "d.csv", [["Lê Văn Tám", "1980", "0123", "", "", f"0{day}/03/2026"]
                                          for day in (1, 2, 3)])
    report = run(session, path, now, rules)
    assert [(e.line, e.column) for e in report.rejected] == [(2, "Số điện thoại"), (3, "Số điện thoại"),
                                                              (4, "Số điện thoại")]


def test_an_unreadable_row_stops_the_import_naming_its_line_and_writes_nothing(session, now, rules, tmp_path):
    add_donor(session, now, "Dương Văn Vinh")
    before = index_definitions(session)
    path = write_csv(tmp_path / "d.csv", [
        ["Lý Văn Sơn", "1970", "", "", "", "01/03/2026"],
        ["Lý Văn Sơn", "1970", "", "", "x" * 200_000, "01/04/2026"],  # over the csv module's cell limit
    ])
    with pytest.raises(UserError, match=r"d\.csv, line 3: not a readable CSV row"):
        import_donations(session=session, path=path, rules=rules, now=now, today=now.date())
    session.commit()
    assert counts(session) == (1, 0)
    assert index_definitions(session) == before


def test_consent_on_the_list_is_recorded_but_never_over_a_withdrawal(session, now, rules, tmp_path):
    add_donor(session, now, "Dương Văn Vinh", phone_e164="0987000001")
    withdrawn = add_donor(session, now, "Phan Thị Mai", phone_e164="0987000003", consent_channel=ConsentChannel.paper)
    withdraw_consent(session=session, donor_id=withdrawn.id, now=now)
    session.commit()
    headers = ["Họ và tên", "Số điện thoại", "Năm sinh", "Ngày hiến", "Đồng ý nhận tin"]
    path = write_csv(tmp_path / "d.csv", [
        ["Lý Văn Sơn", "0987000002", "1970", "01/03/2026", "Có"],
        ["Trịnh Thị Lan", "", "1990", "01/03/2026", ""],
        ["Dương Văn Vinh", "0987000001", "", "01/03/2026", "x"],
        ["Phan Thị Mai", "0987000003", "", "01/03/2026", "x"],
    ], headers=headers)
    report = run(session, path, now, rules)
    assert (report.matched, report.created, report.consents) == (2, 2, 2)
    by_name = {d.full_name: d for d in session.scalars(select(Donor))}
    assert (by_name["Lý Văn Sơn"].consent_at, by_name["Lý Văn Sơn"].consent_channel) == (now, ConsentChannel.import_file)
    assert by_name["Trịnh Thị Lan"].consent_at is None  # blank is not consent
    assert by_name["Dương Văn Vinh"].consent_channel == ConsentChannel.import_file
    assert by_name["Phan Thị Mai"].consent_withdrawn_at is not None  # the withdrawal stands
    assert by_name["Phan Thị Mai"].consent_channel == ConsentChannel.paper
    refused = run(session, write_csv(tmp_path / "bad.csv", [["Lý Văn Sơn", "0987000002", "1970", "02/04/2026",
                                                                "có lẽ"]], headers=headers), now, rules)
    assert [(e.column, e.reason) for e in refused.rejected] == [
        ("Đồng ý nhận tin", "'có lẽ' is not a yes or no; write Có (or x) or leave it empty")]
