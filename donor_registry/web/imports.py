"""Import pages: upload a spreadsheet, its check (every refused row), confirm or cancel, the
progress of the job, and the chapter's import history. Over importing/runs.py, which calls the
same service as `donor-registry import`; the jobs run on the app's runner (one thread in
`serve`; tests set `app.state.import_runner` to run them inline)."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.errors import UserError
from donor_registry.importing import runs, uploads
from donor_registry.importing.models import ImportStatus
from donor_registry.web import import_views as views
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.templating import render

router = APIRouter(prefix="/imports", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Importer = Annotated[Current, Depends(require(Action.work_donors))]
Text = Annotated[str, Form(max_length=100)]
#: Refused rows per page of the check.
PAGE_ROWS = 100
#: Seconds between two loads of the progress page.
REFRESH_SECONDS = 2
_runner_made = threading.Lock()


def _place(request: Request) -> runs.Place:
    return runs.Place.of(request.app.state.settings)


def _runner(request: Request) -> runs.Runner:
    """The app's job runner: one thread, so a process runs one import at a time."""
    state = request.app.state
    with _runner_made:
        if getattr(state, "import_runner", None) is None:
            state.import_runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import").submit
    return state.import_runner


def _start(request: Request, session, place: runs.Place, token: str, lock: uploads.ChapterLock) -> None:
    """Commit the request's work (the job reads it), then hand the job to the runner."""
    session.commit()
    app = request.app
    clock = getattr(app.state, "clock", None) or (lambda: dt.datetime.now(dt.UTC))
    job = partial(runs.run_job, engine=app.state.engine, settings=app.state.settings, place=place, token=token,
                  lock=lock, clock=clock)
    try:
        _runner(request)(job)
    except BaseException:
        lock.release()
        raise


def _index(request: Request, session, current: Current, *, status_code: int = 200, error: str = "",
           kind: str = "donations", ended=None) -> Response:
    listed = runs.history(session=session, actor=current.actor)
    return render(request, "imports/index.html", status_code=status_code, error=error, kind=kind,
                  kinds=views.kinds(), history=[views.history_row(run) for run in listed],
                  ended=ended and views.summary(ended), max_mb=request.app.state.settings.web.max_upload_mb)


@router.get("")
def imports_page(request: Request, session: SessionDep, current: Importer, run: str = "") -> Response:
    """The upload form and the chapter's import history (with the outcome of `run` on top)."""
    ended = runs.find(session=session, actor=current.actor, token=run) if run else None
    return _index(request, session, current, ended=ended if ended and not ended.status.active else None)


@router.post("")
def upload(request: Request, session: SessionDep, current: Importer, kind: Text = "",
           file: Annotated[UploadFile | None, File()] = None) -> Response:
    place = _place(request)
    if file is None or not file.filename:
        return _index(request, session, current, status_code=422, kind=kind,
                      error=views.no_file())
    try:
        run, lock = runs.upload(session=session, now=current.now, actor=current.actor, place=place, kind=kind,
                                sent_name=file.filename, source=file.file)
    except UserError as problem:
        status = 413 if isinstance(problem, uploads.TooLarge) else 409 if isinstance(problem, runs.Busy) else 422
        return _index(request, session, current, status_code=status, kind=kind, error=str(problem))
    _start(request, session, place, run.token, lock)
    return RedirectResponse(f"/imports/{run.token}", status_code=303)


def _run_of(session, current: Current, token: str):
    run = runs.find(session=session, actor=current.actor, token=token) if len(token) <= 64 else None
    if run is None:
        raise NotFoundHere()
    return run


@router.get("/{token}")
def run_page(request: Request, session: SessionDep, current: Importer, token: str, page: str = "1") -> Response:
    """The check's preview, or the job's progress (reloading itself), or, once ended, the history."""
    run = _run_of(session, current, token)
    place = _place(request)
    position = runs.progress(session=session, now=current.now, place=place, run=run)
    if run.status.active:
        return render(request, "imports/progress.html", run=views.summary(run), position=position,
                      total=max(run.total, 1), refresh=REFRESH_SECONDS,
                      headers={"Refresh": str(REFRESH_SECONDS)})
    if run.status != ImportStatus.checked:
        return RedirectResponse(f"/imports?run={run.token}", status_code=303)
    return _preview(request, run, place, page)


def _preview(request: Request, run, place: runs.Place, page: str, *, status_code: int = 200, error: str = ""):
    refused = uploads.RefusedRows(place.root, run.token)
    pages = max(-(-refused.count() // PAGE_ROWS), 1)
    number = min(max(int(page) if page.isdigit() and len(page) < 9 else 1, 1), pages)
    return render(request, "imports/preview.html", status_code=status_code, run=views.summary(run),
                  refused=refused.page(number, PAGE_ROWS), page=number, pages=pages, error=error)


@router.post("/{token}/confirm")
def confirm(request: Request, session: SessionDep, current: Importer, token: str,
            skip_invalid: Text = "") -> Response:
    run = _run_of(session, current, token)
    place = _place(request)
    try:
        lock = runs.confirm(session=session, now=current.now, place=place, run=run, skip_invalid=skip_invalid == "yes")
    except UserError as problem:
        if run.status != ImportStatus.checked:
            return RedirectResponse(f"/imports/{run.token}", status_code=303)
        return _preview(request, run, place, "1", status_code=409 if isinstance(problem, runs.Busy) else 422,
                        error=str(problem))
    _start(request, session, place, run.token, lock)
    return RedirectResponse(f"/imports/{run.token}", status_code=303)


@router.post("/{token}/cancel")
def cancel(request: Request, session: SessionDep, current: Importer, token: str) -> Response:
    run = _run_of(session, current, token)
    try:
        runs.cancel(session=session, now=current.now, place=_place(request), run=run)
    except UserError:
        return RedirectResponse(f"/imports/{run.token}", status_code=303)
    return RedirectResponse(f"/imports?run={run.token}", status_code=303)
