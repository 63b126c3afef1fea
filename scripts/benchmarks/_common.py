"""Shared by the benchmarks: an empty migrated SQLite file opened for a fast bulk load, and a
local server's port and readiness."""

import socket
import sqlite3
import time
from pathlib import Path

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
