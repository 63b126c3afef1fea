"""Shared fixtures: every test that asks for `engine` runs on SQLite and on PostgreSQL.

PostgreSQL lane: $DONOR_REGISTRY_TEST_PG_URL (default the local server, database `test`) is
used to create a throwaway database for this run. Where PostgreSQL does not answer the lane
is skipped, unless $DONOR_REGISTRY_REQUIRE_PG=1 (CI), where that is an error.
"""

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import donor_registry.models  # noqa: F401
from donor_registry.config import Settings
from donor_registry.db import make_engine, upgrade
from donor_registry.eligibility import EligibilityRules
from donor_registry.i18n import use_language

PG_ADMIN_URL = os.environ.get("DONOR_REGISTRY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("DONOR_REGISTRY_REQUIRE_PG") == "1"
NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)  # 10:00 in Vietnam


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means the lane cannot run
        return str(exc).splitlines()[0]


@pytest.fixture
def english():
    """The test reads the English msgids (`pytestmark = pytest.mark.usefixtures("english")`).

    The registry speaks Vietnamese by default; tests of behaviour that match a message's words
    ask for English, and the tests of the languages choose theirs explicitly.
    """
    with use_language("en"):
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file; each test gets its own copy (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL database for this test run, migrated once."""
    problem = _postgres_available()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL lane required but unavailable: {problem}")
        pytest.skip(f"PostgreSQL not available: {problem}")
    name = f"dr_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def sqlite_copy(template: Path, directory: Path) -> str:
    """A fresh migrated SQLite database in `directory`, as a URL."""
    target = directory / "registry.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _truncate_all(engine) -> None:
    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, sqlite_template) -> str:
    """A migrated, empty database URL of each backend."""
    if request.param == "sqlite":
        return sqlite_copy(sqlite_template, tmp_path)
    return request.getfixturevalue("postgres_db_url")


@pytest.fixture
def postgres_db_url(postgres_url) -> str:
    """The session's PostgreSQL database, emptied."""
    engine = make_engine(postgres_url)
    _truncate_all(engine)
    engine.dispose()
    return postgres_url


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """A migrated, empty SQLite database URL (for tests that only need one backend, e.g. CLI)."""
    return sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def session(engine):
    """A session whose work the test commits or flushes itself."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def rules() -> EligibilityRules:
    return EligibilityRules()


@pytest.fixture
def settings(db_url) -> Settings:
    return Settings(database={"url": db_url})


@pytest.fixture
def now() -> dt.datetime:
    return NOW
