"""Importing donor and donation lists: all or nothing, one transaction, streamed in chunks."""

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from donor_registry.audit import service as audit
from donor_registry.chapters.placing import BY_PLACE, Placement
from donor_registry.eligibility import EligibilityRules
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.importing import bulk, pipeline
from donor_registry.importing.headers import HeaderMap, map_headers
from donor_registry.importing.job import ImportJob
from donor_registry.importing.readers import Table, open_table
from donor_registry.importing.report import Duplicate, ImportReport
from donor_registry.importing.rows import RowError, RowParser
from donor_registry.importing.stats import NewDonorStats

__all__ = ["Duplicate", "ImportReport", "Placement", "import_donations", "import_donors"]

CHUNK_ROWS = 10_000
# SQLite's default 2 MB page cache thrashes once the donations indexes outgrow it.
BULK_PAGE_CACHE_KIB = 32_768


Progress = Callable[[int], None]
OnRefused = Callable[[list[RowError]], None]


def import_donations(
    *, session: Session, path: Path | str, rules: EligibilityRules, now: dt.datetime, today: dt.date,
    skip_invalid: bool = False, dry_run: bool = False, progress: Progress | None = None,
    on_refused: OnRefused | None = None, accept_violations: bool = False, actor: str = "import",
    placement: Placement = BY_PLACE,
) -> ImportReport:
    """Import a donation list, matching each row to a donor or creating one; see ImportReport.
    on_refused, when given, receives the problems of every refused row (the report keeps the
    first ones), chunk by chunk in line order. A donation that breaks a recording check
    (recording.py) is a refused row, unless accept_violations: then it is imported with the
    reasons recorded on it. `actor` names who imported in the audit log (user:<login> from the
    workspace). `placement` says which chapters the donors it creates join (chapters.placing)."""
    return _import("donations", session=session, path=Path(path), rules=rules, now=now, today=today,
                   skip_invalid=skip_invalid, dry_run=dry_run, progress=progress, on_refused=on_refused,
                   accept_violations=accept_violations, actor=actor, placement=placement)


def import_donors(
    *, session: Session, path: Path | str, now: dt.datetime, today: dt.date,
    skip_invalid: bool = False, dry_run: bool = False, progress: Progress | None = None,
    on_refused: OnRefused | None = None, actor: str = "import", placement: Placement = BY_PLACE,
) -> ImportReport:
    """Import a donor list; donors already registered (or repeated in the file) are not added."""
    return _import("donors", session=session, path=Path(path), rules=None, now=now, today=today,
                   skip_invalid=skip_invalid, dry_run=dry_run, progress=progress, on_refused=on_refused,
                   actor=actor, placement=placement)


def _import(kind: str, *, session: Session, path: Path, rules: EligibilityRules | None,
            now: dt.datetime, today: dt.date, skip_invalid: bool, dry_run: bool,
            progress: Progress | None, on_refused: OnRefused | None, accept_violations: bool = False,
            actor: str = "import", placement: Placement = BY_PLACE) -> ImportReport:
    with open_table(path, kind=kind) as table:
        header_map = map_headers(table.headers, kind=kind)
        report = ImportReport(kind=kind, path=str(path), encoding=table.encoding, dry_run=dry_run,
                              unknown_columns=list(header_map.unknown))
        # Rows are written as they are read, inside a savepoint: a dry run, or a file with a
        # bad row, is rolled back at the end, after the whole report has been computed.
        savepoint = session.begin_nested()
        try:
            _load(session, table, report, header_map, kind=kind, rules=rules, now=now, today=today,
                  progress=progress, on_refused=on_refused, accept_violations=accept_violations,
                  placement=placement)
            if report.rows_read == 0:
                raise UserError(_("{name} has a header row (line {header_line}) but no rows "
                                  "under it").format(name=path.name, header_line=table.header_line))
        except BaseException:
            savepoint.rollback()  # nothing half-written; a bulk load's dropped indexes come back
            raise
        keep = not dry_run and (skip_invalid or not report.rejected_rows)
        if keep:
            savepoint.commit()
            _audit(session, report, now, actor)
        else:
            savepoint.rollback()
        report.written = keep
    session.expire_all()  # donors were written with SQL behind the ORM's back
    return report


def _load(session: Session, table: Table, report: ImportReport, header_map: HeaderMap, *, kind: str,
          rules: EligibilityRules | None, now: dt.datetime, today: dt.date, progress: Progress | None,
          on_refused: OnRefused | None, accept_violations: bool = False,
          placement: Placement = BY_PLACE) -> None:
    """Read, match and write every row; the report says what happened to each."""
    donations = kind == "donations"
    dialect = session.get_bind().dialect
    parser = pipeline.ChunkParser(RowParser(header_map, kind=kind, today=today, text_cells=table.encoding != "xlsx"),
                                  donations=donations,
                                  values=pipeline.DonationValues(dialect, now=now) if donations else None,
                                  donor_values=pipeline.DonorValues(dialect),
                                  stats=NewDonorStats(rules) if donations and rules is not None else None)
    # The parsing worker is forked before the job loads the registered donors: touched by
    # matching, their pages would otherwise be copied, and counted twice.
    with (_without_cycle_collection(),
          pipeline.parsed_chunks(table, parser, chunk_rows=CHUNK_ROWS,
                                 in_worker=pipeline.use_worker(table.expected_rows())) as chunks):
        job = ImportJob(session, report, header_map, rules=rules, now=now, today=today,
                        expected_rows=table.expected_rows(), on_refused=on_refused,
                        accept_violations=accept_violations, placement=placement)
        with bulk.sqlite_page_cache(job.conn, BULK_PAGE_CACHE_KIB):
            for chunk in chunks:
                job.process(chunk)
                report.count_addresses(chunk.addresses)
                if progress is not None:
                    progress(chunk.position)
            job.finish(parser.stats)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector: a large import keeps hundreds of thousands of tuples alive,
    which it would scan again and again (a sixth of a million-row import) to find no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _audit(session: Session, report: ImportReport, now: dt.datetime, actor: str) -> None:
    audit.record(session=session, now=now, actor=actor, action=f"import.{report.kind}", detail={
        "file": Path(report.path).name, "rows_read": report.rows_read, "imported": report.imported,
        "matched": report.matched, "created": report.created, "rejected_rows": report.rejected_rows,
        "duplicates": report.repeated_rows,
        "accepted_violations": report.accepted_violations, "addresses": report.addresses,
        "chapters": {code: count for code, _name, count in report.chapters},
    })
    session.flush()
