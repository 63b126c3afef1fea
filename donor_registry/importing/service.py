"""Importing donor and donation lists: all or nothing, one transaction, streamed in chunks."""

import datetime as dt
import gc
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlmodel import Session

from donor_registry.audit import service as audit
from donor_registry.donors.name_words import WORDS, word_rows
from donor_registry.eligibility import EligibilityRules
from donor_registry.importing import bulk
from donor_registry.importing.headers import HeaderMap, map_headers
from donor_registry.importing.matching import Ambiguous, Known, Matcher
from donor_registry.importing.readers import open_table
from donor_registry.importing.rows import (
    BORN,
    COMMUNE_KEY,
    DONOR_COLUMNS,
    FOLDED,
    NATIONAL_ID,
    PHONE,
    WEIGHT,
    YEAR,
    RowError,
    RowParser,
)

CHUNK_ROWS = 10_000
# SQLite's default 2 MB page cache thrashes once the donations indexes outgrow it.
BULK_PAGE_CACHE_KIB = 32_768
DONOR_INSERT = ("id", *DONOR_COLUMNS, "weight_measured_on", "standby", "donation_count",
                "created_at", "updated_at")
DONATION_INSERT = ("id", "donor_id", "donated_on", "type", "outcome", "volume_ml", "certificate_no",
                   "site", "source", "created_at")


@dataclass(frozen=True)
class Duplicate:
    """A row not imported because it repeats an earlier row or a recorded donation."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import read, wrote (or would write), and refused."""

    kind: str
    path: str
    encoding: str
    dry_run: bool
    unknown_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    imported: int = 0  # donations (or donors, for a donor list) written or, in a dry run, to write
    matched: int = 0  # rows whose donor was already known: registered, or from an earlier row
    created: int = 0  # donors created
    rejected: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    written: bool = False

    @property
    def rejected_rows(self) -> int:
        """How many rows were refused (a row can have several problems)."""
        return len({error.line for error in self.rejected})


Progress = Callable[[int], None]


def import_donations(
    *, session: Session, path: Path | str, rules: EligibilityRules, now: dt.datetime, today: dt.date,
    skip_invalid: bool = False, dry_run: bool = False, progress: Progress | None = None,
) -> ImportReport:
    """Import a donation list, matching each row to a donor or creating one; see ImportReport."""
    return _import("donations", session=session, path=Path(path), rules=rules, now=now, today=today,
                   skip_invalid=skip_invalid, dry_run=dry_run, progress=progress)


def import_donors(
    *, session: Session, path: Path | str, now: dt.datetime, today: dt.date,
    skip_invalid: bool = False, dry_run: bool = False, progress: Progress | None = None,
) -> ImportReport:
    """Import a donor list; donors already registered (or repeated in the file) are not added."""
    return _import("donors", session=session, path=Path(path), rules=None, now=now, today=today,
                   skip_invalid=skip_invalid, dry_run=dry_run, progress=progress)


def _import(kind: str, *, session: Session, path: Path, rules: EligibilityRules | None,
            now: dt.datetime, today: dt.date, skip_invalid: bool, dry_run: bool,
            progress: Progress | None) -> ImportReport:
    with open_table(path) as table:
        header_map = map_headers(table.headers, kind=kind)
        report = ImportReport(kind=kind, path=str(path), encoding=table.encoding, dry_run=dry_run,
                              unknown_columns=list(header_map.unknown))
        # Rows are written as they are read, inside a savepoint: a dry run, or a file with a
        # bad row, is rolled back at the end, after the whole report has been computed.
        savepoint = session.begin_nested()
        job = _Job(session, report, header_map, rules=rules, now=now, today=today,
                   expected_rows=table.expected_rows())
        with bulk.sqlite_page_cache(job.conn, BULK_PAGE_CACHE_KIB), _without_cycle_collection():
            rows = iter(table.rows)
            while chunk := list(islice(rows, CHUNK_ROWS)):
                job.process(chunk)
                if progress is not None:
                    progress(table.position())
            job.finish()
        keep = not dry_run and (skip_invalid or not report.rejected)
        if keep:
            savepoint.commit()
            _audit(session, report, now)
        else:
            savepoint.rollback()
        report.written = keep
    session.expire_all()  # donors were written with SQL behind the ORM's back
    return report


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


def _audit(session: Session, report: ImportReport, now: dt.datetime) -> None:
    audit.record(session=session, now=now, actor="import", action=f"import.{report.kind}", detail={
        "file": Path(report.path).name, "rows_read": report.rows_read, "imported": report.imported,
        "matched": report.matched, "created": report.created, "rejected_rows": report.rejected_rows,
        "duplicates": len(report.duplicates),
    })
    session.flush()


class _Job:
    """One import's running state: the matcher, the id reservations and the bulk writers."""

    def __init__(self, session: Session, report: ImportReport, header_map: HeaderMap, *,
                 rules: EligibilityRules | None, now: dt.datetime, today: dt.date, expected_rows: int):
        self.report, self.rules, self.now, self.today = report, rules, now, today
        self.conn = session.connection()
        self.parser = RowParser(header_map, kind=report.kind, today=today,
                                text_cells=report.encoding != "xlsx")
        self.name_header = header_map.header_of("full_name")
        self.cert_header = (header_map.header_of("certificate_no")
                            if "certificate_no" in header_map.columns else "")
        self.matcher = Matcher()
        self.matcher.load(self.conn.execute(bulk.DONORS.select().with_only_columns(
            *(bulk.DONORS.c[name] for name in ("id", "national_id", "phone_e164", "name_folded",
                                               "date_of_birth", "birth_year", "commune_key")))
            .where(bulk.DONORS.c.merged_into_id.is_(None))))
        self.donor_ids = bulk.IdReserver(self.conn, bulk.DONORS)
        self.donation_ids = bulk.IdReserver(self.conn, bulk.DONATIONS)
        self.registered_max = self._max_id(bulk.DONORS)
        self.recorded_max = self._max_id(bulk.DONATIONS)
        self.indexes = bulk.DeferredIndexes.for_load(
            self.conn, (bulk.DONATIONS, bulk.DONORS, WORDS), rows=expected_rows,
            present=max(self.recorded_max, self.registered_max))
        self.donors = bulk.BulkWriter(self.conn, bulk.DONORS, DONOR_INSERT)
        self.donations = bulk.BulkWriter(self.conn, bulk.DONATIONS, DONATION_INSERT)
        self.words = bulk.BulkWriter(self.conn, WORDS, ("word", "donor_id"))
        self.new_words: list[tuple[str, int]] = []  # name words of the donors created in this chunk
        self.seen: dict[object, Known] = {}  # donor key of a row -> its donor
        convert = self.donations.converters
        self.day_db, self.kind_db = convert[2], convert[3]
        self.now_db = convert[9](now)
        self.touched: set[int] = set()  # registered donors given a donation by this import
        self.written_ids, self.written_lines = array("q"), array("l")
        self.taken_certificates = 0  # rows refused because their certificate number was in use

    def _max_id(self, table) -> int:
        return self.conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar()

    def process(self, chunk: list[tuple[int, list]]) -> None:
        """Parse, check, match and write one chunk of rows."""
        self.report.rows_read += len(chunk)
        parsed = self._parse(chunk)
        new_donors: list[tuple] = []
        new_donations: list[tuple] = []
        next_donation_id = self.donation_ids.next
        day_db, kind_db = self.day_db, self.kind_db
        day_cache, kind_cache = day_db.cache, kind_db.cache
        now_db, line_ids, line_numbers = self.now_db, self.written_ids, self.written_lines
        touched, seen = self.touched, self.seen
        registered_max = self.registered_max
        row_per_donation = self.report.kind == "donations"
        for line, key, donor, donation in parsed:
            hit = seen.get(key) if row_per_donation else None
            if hit is not None:
                donor_id = hit.id
                self.report.matched += 1
            else:
                donor_id = self._donor_of(line, key, donor, new_donors)
            if donor_id is None or donation is None:
                continue
            donation_id = next_donation_id()
            day, kind, volume, certificate, site = donation
            # Converter caches read inline: this line runs once for every donation row.
            day_value = day_cache[day] if day in day_cache else day_db(day)
            kind_value = kind_cache[kind] if kind in kind_cache else kind_db(kind)
            new_donations.append((donation_id, donor_id, day_value, kind_value, "donated", volume,
                                  certificate, site, "import", now_db))
            line_ids.append(donation_id)
            line_numbers.append(line)
            if donor_id <= registered_max:  # new donors are the ids above registered_max
                touched.add(donor_id)
        self.donors.insert(new_donors)
        self.words.insert(self.new_words)
        self.new_words = []
        written = self.donations.insert(new_donations)
        self.report.imported += len(new_donations) if row_per_donation else len(new_donors)
        if written < len(new_donations):  # ON CONFLICT skipped rows: their certificate is taken
            self._refuse_taken_certificates(new_donations)

    def _parse(self, chunk: list[tuple[int, list]]) -> list[tuple]:
        """(line, donor key, donor part or None when the key is known, donation part) of good rows."""
        parser, seen, rejected = self.parser, self.seen, self.report.rejected
        donations = self.report.kind == "donations"
        good = []
        parsed_here: dict = {}  # donor key -> donor part, for repeats inside this chunk
        for line, cells in chunk:
            key = parser.donor_key(cells)
            known = seen.get(key) if donations else None
            if known is not None:
                donor, born = None, known.date_of_birth
            else:
                donor = parsed_here.get(key) if donations else None
                if donor is None:
                    donor = parser.parse_donor(line, cells)  # errors carry this row's line
                    if donor.__class__ is tuple:
                        parsed_here[key] = donor
                born = None if donor.__class__ is list else donor[BORN]
            donation = parser.parse_donation(line, cells, born) if donations else None
            if donor.__class__ is list or donation.__class__ is list:
                rejected.extend([*(donor if donor.__class__ is list else ()),
                                 *(donation if donation.__class__ is list else ())])
                continue
            good.append((line, key, donor, donation))
        return good

    def _refuse_taken_certificates(self, rows: list[tuple]) -> None:
        """Reject the rows of this chunk whose insert was skipped, naming who holds the number."""
        written = bulk.present_donations(self.conn, [row[0] for row in rows])
        skipped = [row for row in rows if row[0] not in written]
        holders = bulk.holders_of_certificates(self.conn, [row[6] for row in skipped])
        for donation_id, _, _, _, _, _, number, *_ in skipped:
            holder = holders[number]
            where = (f"line {self._line_of_donation(holder)}" if holder > self.recorded_max
                     else f"donation #{holder} in the registry")
            self._reject(self._line_of_donation(donation_id), self.cert_header,
                         f"certificate {number} is already used ({where})")
        self.report.imported -= len(skipped)
        self.taken_certificates += len(skipped)

    def _donor_of(self, line: int, key, donor: tuple, new_donors: list) -> int | None:
        try:
            known = self.matcher.match(donor)
        except Ambiguous as exc:
            who = " and ".join(self._describe(candidate) for candidate in exc.candidates)
            self._reject(line, self.name_header, f"fits more than one donor by {exc.rule}: {who}")
            return None
        if known is None:
            known = Known(self.donor_ids.next(), donor[NATIONAL_ID], donor[FOLDED], donor[BORN], donor[YEAR],
                          donor[COMMUNE_KEY], line)
            self.matcher.add(known, donor[PHONE])
            self.new_words += word_rows(known.id, donor[FOLDED])
            new_donors.append(self.donors.convert((
                known.id, *donor, self.today if donor[WEIGHT] is not None else None, False, 0,
                self.now, self.now)))
            self.report.created += 1
        else:
            self.report.matched += 1
            if self.report.kind == "donors" and known.line:
                self.report.duplicates.append(Duplicate(line, f"the same donor as line {known.line}"))
        # Later rows with the same donor cells skip parsing and matching.
        self.seen[key] = known
        return known.id

    @staticmethod
    def _describe(known: Known) -> str:
        return f"the new donor of line {known.line}" if known.line else f"donor #{known.id}"

    def _line_of_donation(self, donation_id: int) -> int:
        return self.written_lines[bisect_left(self.written_ids, donation_id)]

    def _reject(self, line: int, column: str, reason: str) -> None:
        self.report.rejected.append(RowError(line, column, reason))

    def finish(self) -> None:
        """Drop repeated donations (same donor, same day), bring touched donors' stats up to
        date, and build again the indexes a bulk load put off."""
        self.indexes.build(bulk.DONATIONS)
        if self.taken_certificates:  # a donor created only by refused rows is not kept
            self.report.created -= bulk.delete_new_donors_without_donations(
                self.conn, new_from=self.registered_max + 1)
        if self.report.kind == "donations" and self.report.imported:
            bulk.load_touched(self.conn, self.touched, new_from=self.registered_max + 1)
            self._drop_same_day_repeats()
            bulk.refresh_stats(self.conn, self.rules, most_donors=self.indexes.deferred)
            bulk.drop_touched(self.conn)
        self.indexes.build_all()
        self.report.rejected.sort(key=lambda error: error.line)

    def _drop_same_day_repeats(self) -> None:
        repeats: list[int] = []
        kept: dict[tuple, int] = {}
        for donation_id, donor_id, day in bulk.same_day_groups(self.conn):
            first = kept.setdefault((donor_id, day), donation_id)
            if first == donation_id:
                continue
            repeats.append(donation_id)
            if first <= self.recorded_max:
                reason = f"already recorded as donation #{first}"
            else:
                reason = f"the same donor and day as line {self._line_of_donation(first)}"
            self.report.duplicates.append(Duplicate(self._line_of_donation(donation_id), reason))
        if repeats:
            bulk.delete_donations(self.conn, repeats)
            self.report.imported -= len(repeats)
            self.report.duplicates.sort(key=lambda duplicate: duplicate.line)

