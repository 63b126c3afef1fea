"""Files holding personal data are created readable by their owner only (0600)."""

import os
from pathlib import Path

PRIVATE_MODE = 0o600


def private_file(path: Path) -> Path:
    """Create or empty `path` with mode 0600, before a writer (open "w", openpyxl, fpdf) fills it:
    writing to an existing file keeps its mode, so the data never sits in a world-readable file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE))
    os.chmod(path, PRIVATE_MODE)  # O_CREAT leaves the mode of a file that already existed
    return path


def create_private_if_missing(path: Path) -> None:
    """Create an empty file with mode 0600 unless one exists (an empty file is an empty SQLite
    database; SQLite gives its -wal and -shm files the mode of the database file)."""
    path = Path(path)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    except FileExistsError:  # another process created it first
        return
    os.chmod(path, PRIVATE_MODE)


def make_private(paths) -> list[Path]:
    """Take group and other permissions off these files where they exist (an older database
    created world-readable); returns the files changed. A file of another owner is left alone."""
    changed = []
    for path in map(Path, paths):
        try:
            if path.exists() and path.stat().st_mode & 0o077:
                os.chmod(path, PRIVATE_MODE)
                changed.append(path)
        except PermissionError:
            continue
    return changed
