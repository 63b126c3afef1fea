"""One scheduler per database: a lock held by `donor-registry serve` for as long as it runs.

PostgreSQL: a session-level advisory lock on a connection kept open for the process lifetime
(the server drops it if the process dies). SQLite: an exclusive `flock` on `<database>.scheduler.lock`
next to the database file (the kernel drops it if the process dies). Either way a crashed
process never leaves a stale lock behind.
"""

import fcntl
import os
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from donor_registry.db import is_sqlite
from donor_registry.errors import UserError

# pg_try_advisory_lock takes one bigint; this one means "the donor_registry scheduler".
ADVISORY_LOCK_KEY = 0x646F6E6F72_5F73  # "donor_s"


class SchedulerLockHeld(UserError):
    """Another process already runs the scheduler for this database."""


class SchedulerLock:
    """Exclusive right to run the periodic jobs on one database; `acquire` refuses if it is taken."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._connection: Connection | None = None
        self._fd: int | None = None

    @property
    def where(self) -> str:
        """What is locked, for messages: the lock file, or the PostgreSQL advisory lock."""
        path = self._lock_path()
        if path is not None:
            return str(path)
        return f"PostgreSQL advisory lock {ADVISORY_LOCK_KEY} on {self.engine.url.render_as_string()}"

    def _lock_path(self) -> Path | None:
        if not is_sqlite(self.engine):
            return None
        database = self.engine.url.database
        if database in (None, "", ":memory:"):
            return None
        return Path(database).resolve().with_name(Path(database).name + ".scheduler.lock")

    def acquire(self) -> None:
        """Take the lock for this process, or raise SchedulerLockHeld with what to do instead."""
        if is_sqlite(self.engine):
            self._acquire_file()
        else:
            self._acquire_advisory()

    def _acquire_file(self) -> None:
        path = self._lock_path()
        if path is None:  # an in-memory database belongs to this process alone
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise self._held(f"lock file {path}, held by process {holder or '?'}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def _acquire_advisory(self) -> None:
        connection = self.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar()
        connection.commit()  # a session-level lock outlives the transaction
        if not got:
            holder = connection.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": ADVISORY_LOCK_KEY}).scalar()
            connection.close()
            raise self._held(f"PostgreSQL advisory lock {ADVISORY_LOCK_KEY}, held by server process {holder or '?'}")
        self._connection = connection

    @staticmethod
    def _held(detail: str) -> SchedulerLockHeld:
        return SchedulerLockHeld(
            "another `donor-registry serve` is already running the scheduler for this database "
            f"({detail}); stop it first, or add --no-scheduler to serve HTTP only")

    def release(self) -> None:
        """Give the lock back (also happens by itself when the process ends)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
