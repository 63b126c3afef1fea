"""Imports from the workspace: upload, check (a dry run), confirm or cancel, then the import,
both run as jobs through the same service as `donor-registry import` (importing/service.py).

A job is `run_job(...)`, handed to a runner (a one-thread executor in `serve`, called inline in
tests); it keeps its state in the `import_runs` row and the run's folder (importing/uploads.py)
and holds its chapter's lock from the moment it is queued to its end.
"""

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from donor_registry.accounts.policy import Action, Actor, allows, within_reach
from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.errors import UserError
from donor_registry.i18n import _, use_language
from donor_registry.importing import uploads
from donor_registry.importing.models import ImportRun, ImportStatus
from donor_registry.importing.readers import open_table
from donor_registry.importing.report import ImportReport
from donor_registry.importing.service import Placement, import_donations, import_donors

KINDS = ("donations", "donors")
SHOWN_REPEATS = 50
#: A checked file nobody confirmed or cancelled is dropped after this long.
UNCONFIRMED_FOR = dt.timedelta(days=1)
_log = logging.getLogger(__name__)

Job = Callable[[], None]
Runner = Callable[[Job], None]


class Busy(UserError):
    """Another import of the chapter is being checked or imported."""


@dataclass(frozen=True)
class Place:
    """Where uploads wait, and how large one may be."""

    root: Path
    max_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> "Place":
        return cls(root=uploads.upload_root(settings.web.upload_dir),
                   max_bytes=settings.web.max_upload_mb * (1 << 20))


def _busy() -> Busy:
    return Busy(_("Another import of your chapter is being checked or imported; wait until it ends."))


def upload(*, session: Session, now: dt.datetime, actor: Actor, place: Place, kind: str, sent_name: str | None,
           source) -> tuple[ImportRun, uploads.ChapterLock]:
    """Keep the uploaded file and queue its check; returns the run and the lock its job releases."""
    if kind not in KINDS:
        raise UserError(_("Choose whether the file is a donation list or a donor list."))
    name = uploads.safe_name(sent_name)
    _drop_unconfirmed(session=session, now=now, place=place)
    token = secrets.token_urlsafe(32)
    path = uploads.save(place.root, token, name, source, max_bytes=place.max_bytes)
    lock = uploads.ChapterLock(place.root, actor.chapter_id)
    try:
        with open_table(path, kind=kind) as table:  # a file that cannot be read is refused now
            total = table.total
        if not lock.acquire(token):
            raise _busy()
    except BaseException:
        uploads.delete(place.root, token)
        raise
    run = ImportRun(token=token, kind=kind, file_name=name, chapter_id=actor.chapter_id, user_id=actor.user_id,
                    login=actor.login, status=ImportStatus.checking, total=total, created_at=now)
    _mark_interrupted(session=session, chapter_id=actor.chapter_id, now=now, but=token)
    session.add(run)
    session.flush()
    return run, lock


def find(*, session: Session, actor: Actor, token: str) -> ImportRun | None:
    """The run this token names, if the actor may work on its chapter's imports."""
    run = session.exec(select(ImportRun).where(ImportRun.token == token)).first()
    if run is None or not allows(actor, Action.work_donors, run.chapter_id):
        return None
    return run


def history(*, session: Session, actor: Actor, limit: int = 100) -> list[ImportRun]:
    """The imports of the actor's chapter and below, newest first."""
    query = select(ImportRun).where(within_reach(actor, ImportRun.chapter_id))
    return list(session.exec(query.order_by(ImportRun.created_at.desc(), ImportRun.id.desc()).limit(limit)))


def confirm(*, session: Session, now: dt.datetime, place: Place, run: ImportRun, skip_invalid: bool) -> uploads.ChapterLock:
    """Queue the import of a checked file; returns the lock its job releases."""
    if run.status != ImportStatus.checked:
        raise UserError(_("This file is not waiting for confirmation."))
    if run.rejected_rows and not skip_invalid:
        raise UserError(_("Some rows are refused: fix them and upload the file again, or choose to import "
                          "only the good rows."))
    lock = uploads.ChapterLock(place.root, run.chapter_id)
    if not lock.acquire(run.token):
        raise _busy()
    _mark_interrupted(session=session, chapter_id=run.chapter_id, now=now, but=run.token)
    run.status, run.skip_invalid = ImportStatus.importing, skip_invalid
    session.add(run)
    session.flush()
    return lock


def cancel(*, session: Session, now: dt.datetime, place: Place, run: ImportRun) -> None:
    if run.status != ImportStatus.checked:
        raise UserError(_("This file is not waiting for confirmation."))
    uploads.delete(place.root, run.token)
    run.status, run.finished_at = ImportStatus.cancelled, now
    session.add(run)


def progress(*, session: Session, now: dt.datetime, place: Place, run: ImportRun) -> int:
    """How far the run's job has read (bytes or rows); a run whose job no process holds any
    more (the server stopped) is marked failed."""
    if run.status.active:
        holder = uploads.ChapterLock(place.root, run.chapter_id).holder()
        if holder is None or holder not in ("", run.token):
            _fail(run, now, _("The import stopped when the server stopped; nothing was saved. Upload the file again."))
            session.add(run)
            uploads.delete(place.root, run.token)
            return 0
    return min(uploads.read_progress(place.root, run.token), run.total)


def run_job(*, engine: Engine, settings: Settings, place: Place, token: str, lock: uploads.ChapterLock,
            clock: Callable[[], dt.datetime]) -> None:
    """Check (status checking) or import (status importing) the run's file; always releases the lock."""
    try:
        with use_language(settings.general.language):
            _run(engine=engine, settings=settings, place=place, token=token, clock=clock)
    finally:
        lock.release()


def _run(*, engine: Engine, settings: Settings, place: Place, token: str, clock: Callable[[], dt.datetime]) -> None:
    with session_scope(engine) as session:
        run = _by_token(session, token)
        dry_run = run.status == ImportStatus.checking
        kind, skip_invalid, actor = run.kind, run.skip_invalid, f"user:{run.login}"
        # New donors stay within the uploader's chapter (README, "Importing from the workspace").
        placement = Placement(within=run.chapter_id)
    now = clock()
    try:
        path = uploads.spreadsheet(place.root, token)
        with session_scope(engine) as session, uploads.RefusedRows(place.root, token).writer() as out:
            common = {"session": session, "path": path, "now": now,
                      "today": now.astimezone(ZoneInfo(settings.general.timezone)).date(),
                      "skip_invalid": skip_invalid, "dry_run": dry_run, "actor": actor, "placement": placement,
                      "progress": lambda position: uploads.write_progress(place.root, token, position),
                      "on_refused": lambda errors: uploads.write_refused(out, errors)}
            if kind == "donations":
                report = import_donations(rules=settings.eligibility, **common)
            else:
                report = import_donors(**common)
            _record(_by_token(session, token), report, clock() if not dry_run else None)
    except Exception as problem:  # noqa: BLE001 - whatever stopped the job, the run says so
        if not isinstance(problem, UserError):
            _log.exception("import %s stopped", token)
        text = str(problem) if isinstance(problem, UserError) else _(
            "The import stopped on an unexpected error; nothing was saved.")
        with session_scope(engine) as session:
            _fail(_by_token(session, token), clock(), text)
        dry_run = False
    if not dry_run:  # the file is not kept once imported (or refused)
        uploads.delete(place.root, token)


def _by_token(session: Session, token: str) -> ImportRun:
    return session.exec(select(ImportRun).where(ImportRun.token == token)).one()


def _record(run: ImportRun, report: ImportReport, finished_at: dt.datetime | None) -> None:
    for name in ("rows_read", "imported", "matched", "created", "rejected_rows", "repeated_rows", "written"):
        setattr(run, name, getattr(report, name))
    run.report = {"encoding": report.encoding, "unknown_columns": list(report.unknown_columns),
                  "consents": report.consents, "accepted_violations": report.accepted_violations,
                  "addresses": dict(report.addresses), "chapters": [list(row) for row in report.chapters],
                  "repeats": [[d.line, d.reason] for d in report.duplicates[:SHOWN_REPEATS]]}
    run.status = ImportStatus.checked if finished_at is None else ImportStatus.done
    run.finished_at = finished_at


def _fail(run: ImportRun, now: dt.datetime, text: str) -> None:
    run.status, run.finished_at, run.error = ImportStatus.failed, now, text[:1000]


def _mark_interrupted(*, session: Session, chapter_id: int | None, now: dt.datetime, but: str) -> None:
    """Runs of the chapter still marked active when its lock was free: their process stopped."""
    stale = session.exec(select(ImportRun).where(ImportRun.chapter_id == chapter_id if chapter_id is not None
                                                 else ImportRun.chapter_id.is_(None),
                                                 ImportRun.status.in_([ImportStatus.checking, ImportStatus.importing]),
                                                 ImportRun.token != but))
    for run in stale:
        _fail(run, now, _("The import stopped when the server stopped; nothing was saved. Upload the file again."))
        session.add(run)


def _drop_unconfirmed(*, session: Session, now: dt.datetime, place: Place) -> None:
    """Files checked a day ago and never confirmed nor cancelled are deleted."""
    old = session.exec(select(ImportRun).where(ImportRun.status == ImportStatus.checked,
                                               ImportRun.created_at < now - UNCONFIRMED_FOR))
    for run in old:
        uploads.delete(place.root, run.token)
        run.status, run.finished_at = ImportStatus.cancelled, now
        session.add(run)
