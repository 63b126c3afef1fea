"""Files holding personal data are created owner-only: the SQLite database (with its -wal and
-shm), exports, the SMS dispatcher's stored errors carry no full number."""

import os
import stat

import pytest
from sqlmodel import Session, select

from donor_registry.db import make_engine, upgrade
from donor_registry.honours import export
from donor_registry.privacy.files import private_file
from donor_registry.sms.models import OutboxMessage
from tests.fakes.twilio_server import FakeTwilio
from tests.support.sms import SID, TOKEN, FakeClock, dispatcher, queue_messages


@pytest.fixture(autouse=True)
def _usual_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_wal_and_shm_are_owner_only(tmp_path):
    path = tmp_path / "new" / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:  # an open connection keeps the -wal and -shm files
        conn.exec_driver_sql("SELECT count(*) FROM donors")
        files = sorted(p.name for p in path.parent.iterdir())
        assert files == ["registry.db", "registry.db-shm", "registry.db-wal"]
        assert {name: mode(path.parent / name) for name in files} == dict.fromkeys(files, 0o600)
    engine.dispose()


def test_an_in_memory_database_needs_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_engine("sqlite://").dispose()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", list(export.ExportFormat))
def test_honours_lists_are_owner_only(tmp_path, fmt):
    path = tmp_path / f"list.{fmt.value}"
    export.write(export.build_list([], title_lines=["Danh sách"]), path, fmt)
    assert mode(path) == 0o600


def test_private_file_tightens_an_existing_file(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("x")
    path.chmod(0o666)
    private_file(path).write_text("y")
    assert mode(path) == 0o600 and path.read_text() == "y"


def test_a_gateway_error_naming_the_number_is_stored_and_reported_masked(engine, now):
    with FakeTwilio(SID, TOKEN) as fake:
        queue_messages(engine, now, 1)
        fake.reject_numbers({"+84912000000": 21211})
        report = dispatcher(engine, fake, FakeClock(now)).run_once()
    with Session(engine) as session:
        [stored] = session.exec(select(OutboxMessage)).all()
    assert stored.error_code == 21211 and "+84 91x xxx 000" in stored.error_message
    assert "912000000" not in stored.error_message
    assert report.errors and all("912000000" not in error for error in report.errors)
