"""SQLite: an import's own transaction runs without the foreign key lookups (db.UNCHECKED_FOREIGN_KEYS),
and the registry's other transactions, on the same pooled connection too, keep them."""

import pytest
from sqlalchemy import exc
from sqlmodel import Session

from donor_registry.db import make_engine
from donor_registry.importing.service import import_donations
from tests.service.test_import import write_csv

pytestmark = pytest.mark.usefixtures("english")

ROWS = [["Nguyễn Văn An", "01/02/1990", "0912345678", "", "", "01/03/2025", "", "350", "HM-1", "", ""],
        ["Trần Thị Bình", "03/04/1992", "", "", "", "02/03/2025", "", "250", "HM-2", "", ""]]


@pytest.fixture
def engine(sqlite_url):
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def _enforced(session: Session) -> int:
    return session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar()


def _orphan_donation(session: Session) -> None:
    session.connection().exec_driver_sql(
        "INSERT INTO donations (id, donor_id, donated_on, type, outcome, source, created_at)"
        " VALUES (900, 12345, '2025-01-01', 'whole_blood', 'donated', 'manual', '2025-01-01 00:00:00')")


def test_the_import_transaction_skips_foreign_key_lookups_and_the_next_one_has_them(engine, now, rules, tmp_path):
    path = write_csv(tmp_path / "list.csv", ROWS)
    seen = []
    with Session(engine) as session:
        report = import_donations(session=session, path=path, rules=rules, now=now, today=now.date(),
                                  progress=lambda _position: seen.append(_enforced(session)))
        assert report.imported == 2 and seen and set(seen) == {0}
        # What it wrote refers only to rows that exist.
        assert session.connection().exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        session.commit()
    with Session(engine) as session:  # the pool hands out the same connection: checked again
        assert _enforced(session) == 1
        with pytest.raises(exc.IntegrityError, match="FOREIGN KEY"):
            _orphan_donation(session)
            session.flush()


def test_an_import_joining_a_transaction_already_begun_keeps_the_checks(engine, now, rules, tmp_path):
    path = write_csv(tmp_path / "list.csv", ROWS)
    seen = []
    with Session(engine) as session:
        assert _enforced(session) == 1  # the transaction begins here, before the import
        report = import_donations(session=session, path=path, rules=rules, now=now, today=now.date(),
                                  progress=lambda _position: seen.append(_enforced(session)))
        assert report.imported == 2 and set(seen) == {1}
        with pytest.raises(exc.IntegrityError, match="FOREIGN KEY"):
            _orphan_donation(session)
