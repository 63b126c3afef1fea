"""Shared by the benchmarks: an empty migrated SQLite file opened for a fast bulk load."""

import sqlite3
from pathlib import Path

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
