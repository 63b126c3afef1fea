"""Database engine, the unit of work (session_scope) and schema migrations."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, Enum, Index, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from donor_registry import lengths  # noqa: F401 (refuses text longer than its column at every flush)
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.privacy.files import create_private_if_missing

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def is_sqlite(engine_or_url) -> bool:
    """True when the engine or URL points at SQLite."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3)."""
    # Map every table before first use: foreign keys across domains (donations.drive_id ->
    # drives) only resolve when both models are imported, whichever command runs.
    import donor_registry.models  # noqa: F401

    if not is_sqlite(url):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})
    _create_private_database_file(engine)
    _configure_sqlite(engine, busy_timeout_ms)
    return engine


def sqlite_file(engine: Engine) -> Path | None:
    """The SQLite database file of the engine (None for PostgreSQL or an in-memory database)."""
    database = engine.url.database
    if not is_sqlite(engine) or database in (None, "", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _create_private_database_file(engine: Engine) -> None:
    # The file holds phones, national IDs and health data: owner-only from the first byte.
    path = sqlite_file(engine)
    if path is not None:
        create_private_if_missing(path)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    # BEGIN IMMEDIATE takes the write lock up front, so two writers wait on busy_timeout
    # instead of failing with "database is locked" when a read upgrades to a write.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back if it raises, always close."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to date (every domain's migration branch)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (empty before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions(engine: Engine) -> set[str]:
    """The revisions the code expects."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_alembic_config(engine)).get_heads())


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is behind the code, with the fix in the message."""
    if current_revisions(engine) != head_revisions(engine):
        if not inspect(engine).get_table_names():
            raise UserError(_("the database is empty: run `donor-registry db upgrade` first"))
        raise UserError(_("the database schema is out of date: run `donor-registry db upgrade`"))


def enum_type(enum_cls) -> Enum:
    """Store a StrEnum as its value in a plain VARCHAR: the same on SQLite and PostgreSQL,
    readable from raw SQL ('+' for Rh positive), and no PostgreSQL ENUM type to migrate."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        values_callable=lambda members: [member.value for member in members],
        length=max(len(member.value) for member in enum_cls),
        validate_strings=True,
    )


def index_where_set(name: str, column: str) -> Index:
    """An index of the rows where column is not NULL: a column most rows leave empty
    (merged_into_id, drive_id) then costs nothing to write, and `column = ?` still uses it."""
    condition = text(f"{column} IS NOT NULL")
    return Index(name, column, sqlite_where=condition, postgresql_where=condition)
