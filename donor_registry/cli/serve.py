"""`donor-registry serve`: the HTTP app and the scheduler of periodic jobs, in one process."""

import logging
import signal
from typing import Annotated

import typer

from donor_registry.cli.context import app_context
from donor_registry.cli.output import err_console
from donor_registry.emergency.tokens import mask_reply_links
from donor_registry.i18n import N_, _
from donor_registry.scheduler import all_jobs, build_scheduler, scheduler_status
from donor_registry.service_lock import SchedulerLock
from donor_registry.sms.settings import require_live_links


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help=N_("Address to listen on (0.0.0.0 for every network)."))] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help=N_("Port to listen on."))] = 8000,
    no_scheduler: Annotated[bool, typer.Option(
        "--no-scheduler", help=N_("Serve HTTP only; another process runs the periodic jobs."))] = False,
) -> None:
    """Run the web service (hospital API, donor replies, SMS callbacks) and the periodic jobs.

    Only one process per database runs the jobs: a second `serve` stops with a message, unless
    it is started with --no-scheduler. Stops cleanly on Ctrl-C or SIGTERM.
    """
    app_ctx = app_context(ctx)
    settings = app_ctx.settings
    require_live_links(settings.sms, refusing=_("serve will not start"))
    engine = app_ctx.engine()
    lock = None if no_scheduler else SchedulerLock(engine)
    if lock is not None:
        lock.acquire()  # SchedulerLockHeld is a UserError: one line, exit code 1
    scheduler = None if lock is None else build_scheduler(engine=engine, settings=settings, jobs=all_jobs())
    # Imported here: the web stack takes a fifth of a second to load, which every other command skips.
    import uvicorn

    from donor_registry.api import create_app

    api = create_app(settings, engine)
    if (clock := app_ctx.pinned_clock()) is not None:
        api.state.clock = clock  # the pages' and the API's time; the periodic jobs keep the real one
    api.state.scheduler_status = (
        (lambda: {"state": "disabled (--no-scheduler)", "jobs": []}) if scheduler is None
        else (lambda: scheduler_status(scheduler))
    )
    _stop_on_signals()
    try:
        if scheduler is not None:
            scheduler.start()
            err_console.print(_("scheduler running {count} job(s); lock: {where}").format(count=len(scheduler.get_jobs()), where=lock.where),
                              highlight=False, markup=False)
        # uvicorn turns SIGTERM / SIGINT into a graceful shutdown and returns here.
        # X-Forwarded-* are believed only as [web] says, in the app (api/__init__.py), not by uvicorn.
        config = uvicorn.Config(api, host=host, port=port, log_level="info", proxy_headers=False)
        logging.getLogger("uvicorn.access").addFilter(ReplyTokensMasked())
        uvicorn.Server(config).run()
    except _Stopped:
        pass
    finally:
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)  # let a running job finish its transaction
        if lock is not None:
            lock.release()
        engine.dispose()
    err_console.print(_("stopped"), highlight=False, markup=False)


class ReplyTokensMasked(logging.Filter):
    """Hide reply tokens in access-log lines (`GET /r/… HTTP/1.1`): a log is no place for them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_reply_links(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = mask_reply_links(record.msg)
        return True


class _Stopped(Exception):
    """SIGTERM or SIGINT: time to stop."""


def _stop_on_signals() -> None:
    # uvicorn shuts down gracefully on these signals, then raises them again once it has
    # restored the previous handlers; ending up here turns that into a normal exit (code 0)
    # after the scheduler and the lock are released.
    def stop(signum, _frame):
        for other in (signal.SIGTERM, signal.SIGINT):  # a second signal stops at once
            signal.signal(other, signal.SIG_DFL)
        raise _Stopped(signal.Signals(signum).name)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
