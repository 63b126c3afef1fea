"""The files of an import started from the workspace, in a private folder (0700, files 0600).

Each run has a folder named by its token holding the uploaded spreadsheet (under the sender's
file name, so the reader's messages name it), `.progress` (how far the job is) and
`.refused.jsonl` (every refused row of the last check: line, column, reason). Nothing here is
ever served back; Cancel and the end of an import delete the folder. One import at a time per
chapter: the job holds an exclusive `flock` on the chapter's lock file (the kernel drops it if
the process dies, so a crash never leaves a chapter locked, and a run whose lock nobody holds
was interrupted).
"""

import fcntl
import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.privacy.files import private_file

SUFFIXES = (".csv", ".xlsx")
REFUSED = ".refused.jsonl"
PROGRESS = ".progress"
_COPY_CHUNK = 1 << 20
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class TooLarge(UserError):
    """The upload passed the size limit (nothing is kept)."""


def upload_root(configured: str) -> Path:
    """The uploads folder, created owner-only; refused if someone else could read it."""
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / f"donor-registry-uploads-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = root.stat()
    if info.st_uid != os.getuid():
        raise UserError(_("The upload folder {path} belongs to another user.").format(path=root))
    if info.st_mode & 0o077:
        os.chmod(root, 0o700)
    return root


def safe_name(sent: str | None) -> str:
    """The sender's file name without folders, control characters or a leading dot (at most 120
    characters, its suffix kept); refused unless it ends in .csv or .xlsx."""
    name = unicodedata.normalize("NFC", (sent or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in SUFFIXES:
        raise UserError(_("Only .csv and .xlsx files can be imported (save an .xls workbook as .xlsx)."))
    return (stem[:100] or "upload") + suffix.lower()


def run_folder(root: Path, token: str) -> Path:
    return root / token


def spreadsheet(root: Path, token: str) -> Path:
    """The uploaded file of a run (the folder's one file not starting with a dot)."""
    found = [path for path in run_folder(root, token).iterdir() if not path.name.startswith(".")]
    if len(found) != 1:
        raise UserError(_("The uploaded file is no longer there; upload it again."))
    return found[0]


def save(root: Path, token: str, name: str, source, *, max_bytes: int) -> Path:
    """Copy the upload (a binary file object) into the run's folder, at most `max_bytes`."""
    folder = run_folder(root, token)
    folder.mkdir(mode=0o700)
    path = private_file(folder / name)
    size = 0
    with path.open("wb") as out:
        while chunk := source.read(_COPY_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                break
            out.write(chunk)
    if size > max_bytes:
        delete(root, token)
        raise TooLarge(_("The file is larger than {mb} MB; split it into smaller files.").format(
            mb=max_bytes // (1 << 20)))
    return path


def delete(root: Path, token: str) -> None:
    shutil.rmtree(run_folder(root, token), ignore_errors=True)


def write_progress(root: Path, token: str, position: int) -> None:
    """How far the job has read (bytes or rows), replaced whole so a reader never sees half."""
    folder = run_folder(root, token)
    if not folder.is_dir():
        return
    partial = private_file(folder / (PROGRESS + ".part"))
    partial.write_text(str(int(position)), encoding="ascii")
    os.replace(partial, folder / PROGRESS)


def read_progress(root: Path, token: str) -> int:
    try:
        return int((run_folder(root, token) / PROGRESS).read_text(encoding="ascii") or 0)
    except (OSError, ValueError):
        return 0


class RefusedRows:
    """Every refused row of a check, as the service hands them over (line order), one JSON line each."""

    def __init__(self, root: Path, token: str):
        self.path = run_folder(root, token) / REFUSED

    def writer(self):
        return private_file(self.path).open("w", encoding="utf-8")

    def page(self, number: int, size: int) -> list[tuple[int, str, str]]:
        """The rows of page `number` (from 1)."""
        start, rows = (number - 1) * size, []
        try:
            with self.path.open(encoding="utf-8") as lines:
                for index, line in enumerate(lines):
                    if index >= start + size:
                        break
                    if index >= start:
                        rows.append(tuple(json.loads(line)))
        except OSError:
            return []
        return rows

    def count(self) -> int:
        try:
            with self.path.open(encoding="utf-8") as lines:
                return sum(1 for _ in lines)
        except OSError:
            return 0


def write_refused(out, errors) -> None:
    for error in errors:
        out.write(json.dumps([error.line, error.column, error.reason], ensure_ascii=False) + "\n")


def chapter_key(chapter_id: int | None) -> str:
    return "registry" if chapter_id is None else f"chapter-{int(chapter_id)}"


class ChapterLock:
    """The right to run one chapter's import: an exclusive flock on `<root>/.<key>.lock`,
    whose content names the run holding it."""

    def __init__(self, root: Path, chapter_id: int | None):
        self.path = root / f".{chapter_key(chapter_id)}.lock"
        self.fd: int | None = None

    def acquire(self, token: str) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, token.encode("ascii"), 0)
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor drops the flock
            self.fd = None

    def holder(self) -> str | None:
        """The token of the run holding the lock now ('' while it is being written), None when
        nobody holds it."""
        probe = ChapterLock.__new__(ChapterLock)
        probe.path, probe.fd = self.path, None
        if probe.acquire("-"):
            probe.release()
            return None
        try:
            return self.path.read_text(encoding="ascii")
        except OSError:
            return ""

