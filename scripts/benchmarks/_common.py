"""Shared by the benchmarks: an empty migrated SQLite file opened for a fast bulk load, and a
local server's port and readiness; a PostgreSQL copy of a SQLite benchmark database."""

import socket
import sqlite3
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from donor_registry.db import make_engine, upgrade


def bulk_loading_connection(path: Path) -> tuple[Path, sqlite3.Connection]:
    """Migrate an empty `<path>.building` and open it with journaling off and a large cache.

    The caller fills it with set-based SQL and renames it to `path` when done, so a build
    that was interrupted never leaves a half-filled benchmark database behind.
    """
    path.parent.mkdir(exist_ok=True)
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{building}")
    upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(building, isolation_level=None)
    conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -400000;")
    return building, conn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base: str) -> None:
    """Until the server's /healthz answers (two minutes at most: a large database opens slowly)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("serve did not start")


# PostgreSQL: the local server (trust auth), one kept database a benchmark and size.
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
READY = "bench data complete"


# The README's PostgreSQL settings (Running on PostgreSQL) that a connection can set itself, as
# a role's `ALTER ROLE … SET` would; shared_buffers needs a server restart and stays as it is.
RECOMMENDED = {"work_mem": "64MB", "effective_cache_size": "18GB", "random_page_cost": "1.1",
               "max_parallel_workers_per_gather": "1", "jit": "off"}


def with_settings(url: str, settings: str) -> str:
    """`url` whose connections start with the README's settings (`--pg-settings recommended`)."""
    if settings == "server":
        return url
    options = " ".join(f"-c {name}={value}" for name, value in RECOMMENDED.items())
    return f"{url}?options={quote(options)}"


def settings_text(settings: str) -> str:
    if settings == "server":
        return "the server's settings: the defaults, work_mem 4MB, shared_buffers 128MB"
    return ", ".join(f"{name} {value}" for name, value in RECOMMENDED.items()) + " (shared_buffers 128MB)"


def engine_names(choice: str) -> list[str]:
    """`--engine sqlite|postgres|both` as the engines to run, SQLite first."""
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def postgres_copy(sqlite_path: Path, name: str) -> str:
    """The URL of PostgreSQL database `name` holding exactly the rows of the SQLite file.

    Built once: created, migrated, every non-empty table copied with COPY (foreign-key triggers
    off and secondary indexes dropped while loading, then built again; sequences moved past
    the ids), VACUUM ANALYZE (what autovacuum would do on a live server); then marked complete
    with a comment, so an interrupted build is redone and a complete one is kept on the server
    between runs.
    """
    import psycopg

    server = make_engine(PG_SERVER + "postgres")
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        ready = conn.exec_driver_sql(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)).scalar()
        if ready == READY:
            server.dispose()
            engine = make_engine(PG_SERVER + name)
            upgrade(engine)  # cached data from an earlier schema
            engine.dispose()
            return PG_SERVER + name
        started = time.perf_counter()
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine = make_engine(PG_SERVER + name)
        upgrade(engine)
        engine.dispose()
        source = sqlite3.connect(sqlite_path)
        tables = [row[0] for row in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version'")]
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as pg, pg.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica; SET TimeZone = 'UTC'; "
                           "SET maintenance_work_mem = '256MB'")
            indexes = _drop_secondary_indexes(cursor)
            for table in tables:
                if source.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() is None:
                    continue
                columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
                quoted = ", ".join(f'"{column}"' for column in columns)
                rows = source.execute(f'SELECT {quoted} FROM "{table}"')
                with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                if "id" in columns:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), max(id)) "
                                   f'FROM "{table}" HAVING max(id) IS NOT NULL')
            for definition in indexes:
                cursor.execute(definition)
        source.close()
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}", autocommit=True) as pg:
            pg.execute("VACUUM ANALYZE")
        conn.exec_driver_sql(f"COMMENT ON DATABASE \"{name}\" IS '{READY}'")
        print(f"copied {sqlite_path} into PostgreSQL database {name} in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    server.dispose()
    return PG_SERVER + name


def _drop_secondary_indexes(cursor) -> list[str]:
    """Drop the indexes that back no constraint and return their definitions: building each
    once after the COPY is faster than keeping two dozen of them (a trigram GIN among them)
    current row by row (5 M donors, at load 9-12: their COPY took 19 min that way; the whole
    turnout copy, indexes and VACUUM included, 16 min this way)."""
    cursor.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""")
    found = cursor.fetchall()
    for index, _ in found:
        cursor.execute(f"DROP INDEX {index}")
    return [definition for _, definition in found]


def raw_postgres(url: str):
    """A bare psycopg connection (autocommit) to a benchmark database: the raw-SQL baselines."""
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
