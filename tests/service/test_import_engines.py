"""SQLite (executemany) and PostgreSQL (COPY into staging, importing/staging.py) import the same
files into the same registry: the same donors, donations, name words, consents and report."""

import datetime as dt
import random

import pytest
from sqlalchemy import text
from sqlmodel import Session

from donor_registry.db import make_engine
from donor_registry.donations.models import Donation
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.importing import service, staging
from donor_registry.importing.service import import_donations, import_donors
from donor_registry.types import Sex
from scripts.datagen import write_donations_csv
from tests.conftest import sqlite_copy
from tests.service.test_import import write_csv

HEADERS = ["Họ và tên", "Năm sinh", "Giới tính", "Nhóm máu", "Số điện thoại", "CCCD", "Xã/Phường", "Ngày hiến",
           "Loại hiến", "Thể tích", "Số chứng nhận"]

# What is compared, row by row, ordered by id (timestamps are the import's `now` on both).
TABLES = {
    "donors": "id, full_name, name_folded, national_id, phone_e164, date_of_birth, birth_year, sex, abo, rh,"
              " commune_key, donation_count, last_donation_on, last_donation_type, eligible_again_on,"
              " deferred_until, consent_channel, consent_at IS NOT NULL",
    "donations": "id, donor_id, donated_on, type, outcome, volume_ml, certificate_no, site, source,"
                 " deferral_reason, deferral_until, violations, override_reason",
    "donor_name_words": "word, donor_id",
    "donor_consents": "donor_id, purpose, channel, recorded_by",
}
ORDER = {"donor_name_words": "donor_id, word", "donor_consents": "donor_id, purpose"}


def contents(session: Session) -> dict[str, list[tuple]]:
    """Every table's rows, ids renumbered 1, 2, … in id order: PostgreSQL's sequences hand
    out ids in blocks (bulk.IdReserver), so the ids of new rows differ, their order does not."""
    donor_number = _numbering(session, "donors")
    donation_number = _numbering(session, "donations")
    found = {}
    for table, columns in TABLES.items():
        rows = session.execute(text(f"SELECT {columns} FROM {table} ORDER BY {ORDER.get(table, 'id')}"))
        found[table] = [tuple(_plain(value) for value in row) for row in rows]
    found["donors"] = [(donor_number[row[0]], *row[1:]) for row in found["donors"]]
    found["donations"] = [(donation_number[row[0]], donor_number[row[1]], *row[2:]) for row in found["donations"]]
    found["donor_name_words"] = sorted((word, donor_number[donor]) for word, donor in found["donor_name_words"])
    found["donor_consents"] = sorted((donor_number[row[0]], *row[1:]) for row in found["donor_consents"])
    return found


def _numbering(session: Session, table: str) -> dict[int, int]:
    ids = session.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars()
    return {found: number for number, found in enumerate(ids, start=1)}


def _plain(value):
    """A value as both engines can compare it (enums and booleans come back as text or ints)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return getattr(value, "value", value)


def summary(report) -> dict:
    return {
        "counts": (report.rows_read, report.imported, report.matched, report.created, report.consents,
                   report.rejected_rows, report.repeated_rows, report.more_problems, report.accepted_violations,
                   report.written),
        "rejected": [(e.line, e.column, e.reason) for e in report.rejected],
        "duplicates": [(d.line, d.reason) for d in report.duplicates],
        "addresses": report.addresses,
    }


def prior_state(session: Session, now: dt.datetime) -> None:
    """Registered donors the files then match, conflict with or repeat."""
    thuy = create_donor(session=session, data=DonorCreate(
        full_name="Trần Thị Thúy", national_id="036190000123", sex=Sex.female, abo="A", rh="+", birth_year=1990),
        now=now)
    hai = create_donor(session=session, data=DonorCreate(full_name="Lê Văn Hải", phone="0912000777",
                                                         birth_year=1985), now=now)
    session.flush()
    session.add(Donation(donor_id=thuy.id, donated_on=dt.date(2025, 1, 5), created_at=now, source="legacy",
                         certificate_no="CN-OLD-1", volume_ml=350))
    session.add(Donation(donor_id=hai.id, donated_on=dt.date(2025, 2, 1), created_at=now, source="legacy"))
    session.add(Donation(donor_id=hai.id, donated_on=dt.date(2025, 2, 1), created_at=now, source="legacy"))
    session.commit()


def hand_rows() -> list[list[str]]:
    """Rows for every outcome: matched, conflicting, repeated, certificate taken, refused, violating."""
    return [
        ["Tran Thi Thuy", "1990", "nữ", "", "", "036190000123", "", "02/03/2026", "", "350", "CN-NEW-1"],
        ["Trần Văn Bê", "", "Nam", "B+", "", "036190000123", "", "01/03/2026", "", "", ""],  # conflict
        ["Tran Thi Thuy", "1990", "nữ", "", "", "036190000123", "", "05/01/2025", "", "350", "CN-OLD-1"],  # repeat
        ["Lê Văn Hải", "1985", "", "", "0912000777", "", "", "01/02/2025", "", "", ""],  # repeat of a legacy pair
        ["Lê Văn Hải", "1985", "", "", "0912000777", "", "", "10/03/2026", "", "", ""],
        ["Lê Văn Hải", "1985", "", "", "0912000777", "", "", "15/03/2026", "", "", ""],  # inside the interval
        ["Phạm Minh Châu", "2001", "Nữ", "O+", "0913000001", "", "", "01/03/2026", "", "", "CN-OLD-1"],  # taken
        ["Phạm Minh Châu", "2001", "Nữ", "O+", "0913000001", "", "", "02/04/2026", "", "", "CN-NEW-2"],
        ["Phạm Minh Châu", "2001", "Nữ", "O+", "0913000001", "", "", "02/04/2026", "", "", "CN-NEW-2"],  # repeat
        ["Võ Thị Mai", "1999", "Nữ", "X", "", "", "", "01/03/2026", "", "", ""],  # bad blood group
        ["Đỗ Quang Huy", "1992", "Nam", "AB-", "", "", "", "31/02/2026", "", "", ""],  # bad day
        ["Ngô Bảo Ngọc", "2015", "Nữ", "A-", "", "", "", "01/03/2026", "", "", ""],  # under age
        ["Trương Văn Lộc", "1980", "Nam", "B-", "0914000002", "001080000009", "", "01/01/2026", "", "", "CN-NEW-3"],
        ["Trương Văn Lộc", "1980", "Nam", "B-", "0914000002", "001080000009", "", "01/02/2026", "", "", ""],  # early
        ["Trương Văn Lộc", "1980", "Nam", "B-", "0914000002", "001080000009", "", "01/06/2026", "", "", "CN-NEW-3"],
    ]


def file_with_everything(tmp_path, rng: random.Random) -> tuple:
    """A generated list (with its own repeats) and the hand rows shuffled into it."""
    generated = tmp_path / "generated.csv"
    write_donations_csv(generated, 600, 150, seed=7)
    rows = hand_rows()
    order = list(range(len(rows)))
    rng.shuffle(order)
    return generated, write_csv(tmp_path / "hand.csv", [rows[i] for i in order], headers=HEADERS)


def import_into(url: str, files, now, rules, **options) -> tuple[list[dict], dict]:
    engine = make_engine(url)
    reports = []
    try:
        with Session(engine, expire_on_commit=False) as session:
            prior_state(session, now)
            for kind, path in files:
                if kind == "donors":
                    report = import_donors(session=session, path=path, now=now, today=now.date(), **options)
                else:
                    report = import_donations(session=session, path=path, rules=rules, now=now, today=now.date(),
                                              **options)
                session.commit()
                reports.append(summary(report))
            return reports, contents(session)
    finally:
        engine.dispose()


@pytest.mark.parametrize("options", [{"skip_invalid": True}, {"skip_invalid": True, "accept_violations": True}, {}],
                         ids=["skip-invalid", "accept-violations", "all-or-nothing"])
def test_both_engines_import_the_same_files_into_the_same_registry(
        options, tmp_path, sqlite_template, postgres_db_url, now, rules, monkeypatch):
    monkeypatch.setattr(service, "CHUNK_ROWS", 97)  # many chunks: repeats and taken numbers across them
    monkeypatch.setattr(staging, "SKIPPED_PAGE", 7)  # PostgreSQL: taken numbers found a page at a time
    generated, hand = file_with_everything(tmp_path, random.Random(3))
    files = [("donations", generated), ("donations", hand), ("donations", generated)]  # the last: all repeats
    if "accept_violations" not in options:
        files.insert(0, ("donors", generated))
    (tmp_path / "sqlite").mkdir()
    on_sqlite = import_into(sqlite_copy(sqlite_template, tmp_path / "sqlite"), files, now, rules, **options)
    on_postgres = import_into(postgres_db_url, files, now, rules, **options)
    sqlite_reports, sqlite_rows = on_sqlite
    postgres_reports, postgres_rows = on_postgres
    assert postgres_reports == sqlite_reports
    for table in TABLES:
        assert postgres_rows[table] == sqlite_rows[table], table
    # Not trivially equal: the files imported, refused and repeated rows.
    hand_report = sqlite_reports[-2]
    rows_read, imported, _, _, _, rejected_rows, repeated_rows, *_ = hand_report["counts"]
    assert rows_read == len(hand_rows()) == imported + rejected_rows + repeated_rows
    assert rejected_rows and repeated_rows and imported
    again = sqlite_reports[-1]["counts"]
    assert again[1] == 0 and again[6] > 0  # the generated list again: nothing imported, all repeated or refused
    assert len(sqlite_rows["donations"]) > 500
