"""Backups on PostgreSQL: a registry built through the services, dumped with `scripts/backup dump`
(pg_dump -Fc) and restored with `scripts/backup restore` (pg_restore) into a new database, comes
back at the current schema revision with every table's rows identical and its sequences in place.

PostgreSQL lane only (pg_dump has no SQLite counterpart: a SQLite backup is a copy of the file).
The client programs are part of the lane: the test fails, not skips, when they are missing.
"""

import datetime as dt
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from donor_registry.chapters.service import create_chapter
from donor_registry.db import (
    current_revisions,
    head_revisions,
    make_engine,
    require_current_schema,
    session_scope,
)
from donor_registry.donations.models import DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.search import find_donors
from donor_registry.donors.service import create_donor
from donor_registry.honours import service as honours
from donor_registry.honours.models import CeremonyCreate
from donor_registry.honours.settings import HonoursSettings
from donor_registry.types import DonationType

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 1)
# (name, phone, donations): 5 donations reach the first honour tier.
DONORS = [("Nguyễn Văn An", "0912345678", 5), ("Trần Thị Bình", "0987654321", 2), ("Lê Hoàng Cường", None, 0)]


def _build_registry(url: str, rules) -> None:
    engine = make_engine(url)
    with session_scope(engine) as session:
        national = create_chapter(session=session, now=NOW, kind="national")
        create_chapter(session=session, now=NOW, kind="province", parent_id=national.id, province_code="79")
        for name, phone, count in DONORS:
            donor = create_donor(session=session, data=DonorCreate(full_name=name, phone=phone, sex="male"), now=NOW)
            for i in range(count):
                record_donation(session=session, donor_id=donor.id, rules=rules, now=NOW,
                                data=DonationCreate(donated_on=dt.date(2021, 1, 4) + dt.timedelta(days=120 * i),
                                                    type=DonationType.whole_blood))
        held = honours.create_ceremony(session=session, now=NOW, data=CeremonyCreate(
            name="Tôn vinh 2026", held_on=dt.date(2026, 6, 14), level="province"))
        honours.award(session=session, ceremony_id=held.id, settings=HonoursSettings(), now=NOW, today=TODAY)
    engine.dispose()


def _contents(url: str) -> dict[str, tuple]:
    """Every table of the schema: (rows, md5 of its rows as text in order); every sequence's value."""
    engine = make_engine(url)
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        found = {table: tuple(conn.execute(text(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
        )).one()) for table in tables}
        for sequence in conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).scalars():
            found[f"sequence {sequence}"] = tuple(conn.execute(text(f'SELECT last_value, is_called FROM "{sequence}"')).one())
    engine.dispose()
    return found


def _backup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "scripts" / "backup"), *args], check=False, capture_output=True, text=True, timeout=300)


@pytest.fixture
def restored_url(postgres_db_url):
    """An empty database on the same server, dropped after the test."""
    name = f"dr_restore_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres_db_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_db_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_pg_dump_and_pg_restore_give_back_the_same_registry(postgres_db_url, restored_url, tmp_path, rules):
    missing = [program for program in ("pg_dump", "pg_restore") if shutil.which(program) is None]
    assert not missing, f"the PostgreSQL client programs are needed for the backup test: {missing} not on PATH"
    _build_registry(postgres_db_url, rules)
    before = _contents(postgres_db_url)
    # What the services wrote, counted by hand: 3 donors, 7 donations, one award (An's 5 donations).
    assert (before["donors"][0], before["donations"][0], before["honour_awards"][0], before["chapters"][0]) == \
        (3, 7, 1, 2)

    dump = tmp_path / "registry.dump"
    done = _backup("dump", postgres_db_url, str(dump))
    assert done.returncode == 0, done.stderr
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    done = _backup("restore", str(dump), restored_url)
    assert done.returncode == 0, done.stderr

    restored = make_engine(restored_url)
    try:
        assert current_revisions(restored) == head_revisions(restored)
        require_current_schema(restored)  # what every command checks before it opens the database
        assert _contents(restored_url) == before
        with session_scope(restored) as session:  # the restored registry works: sequences went along
            newcomer = create_donor(session=session, data=DonorCreate(full_name="Phạm Minh Đức"), now=NOW)
            assert newcomer.id == 4
        with Session(restored) as session:
            assert [d.full_name for d in find_donors(session=session, query="binh tran")] == ["Trần Thị Bình"]
    finally:
        restored.dispose()


def test_restore_refuses_a_file_that_is_not_a_dump(postgres_db_url, restored_url, tmp_path):
    assert shutil.which("pg_restore"), "pg_restore is needed for the backup test"
    bogus = tmp_path / "not-a-dump"
    bogus.write_text("hello")
    done = _backup("restore", str(bogus), restored_url)
    assert done.returncode != 0
    engine = make_engine(restored_url)
    with engine.connect() as conn:  # nothing was restored
        assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar() == 0
    engine.dispose()
