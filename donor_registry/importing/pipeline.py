"""Reading and parsing an import file, in a second process when the file is large.

Parsing a row (names, phones, dates) costs about as much as writing it. With a spare core, a
forked worker reads and parses the file while the importing process matches donors and
writes, so the two overlap. Small files, one-core machines and systems without fork parse
in the importing process; the chunks are the same either way.
"""

import multiprocessing
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter

from donor_registry.donors.name_words import words_of
from donor_registry.importing import bulk
from donor_registry.importing.readers import Table
from donor_registry.importing.rows import (
    ADDRESS_STATUS,
    BORN,
    DONATION_FIELDS,
    FOLDED,
    RowError,
    RowParser,
)
from donor_registry.importing.stats import NewDonorStats, stats_key

WORKER_MIN_ROWS = 50_000  # below this, starting a process costs more than it saves


@dataclass(slots=True)
class ParsedChunk:
    """The outcome of parsing some rows: the good ones, and what is wrong with the others."""

    rows_read: int
    position: int  # how far into the file (bytes or rows), for the progress bar
    # (line, donor ordinal, donor part or None, donation values or None, stats key or None,
    # prepared donor or None) of each good row. A row repeating the donor cells of an earlier
    # good row has its ordinal and no donor part. The donation values (DonationValues) follow a
    # donation row's id and donor id; the stats key (stats.stats_key) is None for a deferral,
    # which the running stats skip; the prepared donor (DonorValues) comes with a donor part.
    good: list[tuple]
    errors: list[RowError]
    # How the addresses of the donor parts parsed in this chunk resolved: status value -> count.
    addresses: dict[str, int] = field(default_factory=dict)


class DonationValues:
    """A parsed donation part as the values of its row after (id, donor id), the way the database
    driver wants them (bulk.BulkWriter's columns from donated_on on), and its running-stats key.
    Made where the file is parsed (the worker, when there is one), so the importing process
    only matches donors and writes."""

    def __init__(self, dialect, *, now):
        column = bulk.DONATIONS.c
        self.day = bulk._Converter(column.donated_on.type, dialect)
        self.kind = bulk._Converter(column.type.type, dialect)
        self.until = bulk._Converter(column.deferral_until.type, dialect)
        self.now = bulk._Converter(column.created_at.type, dialect)(now)

    def __call__(self, donation: tuple) -> tuple[tuple, int | None]:
        day, kind, volume, certificate, site, deferral_reason, deferral_until = donation
        day_cache, kind_cache = self.day.cache, self.kind.cache
        # Converter caches read inline: this line runs once for every donation row.
        day_value = day_cache[day] if day in day_cache else self.day(day)
        kind_value = kind_cache[kind] if kind in kind_cache else self.kind(kind)
        if deferral_reason is None:
            return ((day_value, kind_value, "donated", volume, certificate, site, "import", self.now, None, None),
                    stats_key(day, kind))
        return ((day_value, kind_value, "deferred", None, None, site, "import", self.now, deferral_reason,
                 None if deferral_until is None else self.until(deferral_until)), None)


# Where a donation's certificate number sits in its values (DonationValues) and in its parsed part.
_CERTIFICATE = 4
_PARSED_CERTIFICATE = DONATION_FIELDS.index("certificate_no")


class DonationCells:
    """The values and stats key (DonationValues) of each donation row, remembered by the row's
    donation cells other than its certificate number. A drive's rows share their day, type,
    volume and site, so most rows cost one lookup: 83 % of a million generated rows. Only a
    given donation is remembered (a deferral is parsed every time), and only the certificate
    number, unique per row, and the donor's date of birth are checked again."""

    LIMIT = 2048  # a file in date order reuses its recent cells; a full cache starts again

    def __init__(self, parser: RowParser, values: DonationValues):
        self.parser, self.values = parser, values
        indexes = [index for index, *_ in parser.donation_fields]
        self.certificate = indexes[_PARSED_CERTIFICATE]
        cells = [index for field, index in enumerate(indexes) if index is not None and field != _PARSED_CERTIFICATE]
        # The first cell twice: itemgetter then gives a tuple even for one cell.
        self.pick = itemgetter(*cells, cells[0]) if cells else None
        self.known: dict[tuple, tuple] = {}

    def __call__(self, line: int, cells, born) -> tuple | list[RowError]:
        """(values, stats key) of the row's donation, or its problems."""
        try:
            key = self.pick(cells) if self.pick is not None else None
            known = self.known.get(key) if key is not None else None
        except (IndexError, TypeError):  # a short row, or an unhashable cell from a spreadsheet library
            key = known = None
        if known is not None and (born is None or known[0] >= born):
            _day, head, tail, stats_key = known
            if self.certificate is None:
                return (*head, None, *tail), stats_key
            raw = cells[self.certificate] if self.certificate < len(cells) else ""
            # As RowParser.parse_donation takes a plain certificate number.
            if raw.__class__ is str and len(raw) <= 50 and raw.isprintable():
                return (*head, raw.strip() or None, *tail), stats_key
        return self._parse(line, cells, born, key)

    def _parse(self, line: int, cells, born, key: tuple | None) -> tuple | list[RowError]:
        donation = self.parser.parse_donation(line, cells, born)
        if donation.__class__ is list:
            return donation
        values, stats_key = self.values(donation)
        if key is not None and stats_key is not None:  # a given donation, not a deferral
            if len(self.known) >= self.LIMIT:
                self.known.clear()
            self.known[key] = (donation[0], values[:_CERTIFICATE], values[_CERTIFICATE + 1:], stats_key)
        return values, stats_key


class DonorValues:
    """What the importing process writes for a donor it creates from a parsed donor part: the
    part as the values of its row after the id (bulk.DONOR_INSERT, as the driver wants them)
    and the sorted words of its folded name (donors.name_words). Made where the file is
    parsed, for each distinct donor part, whether or not it turns out to be a new donor."""

    def __init__(self, dialect):
        self.converter = bulk.RowConverter(bulk.DONORS, bulk.DONOR_INSERT, dialect)

    def __call__(self, donor: tuple) -> tuple[tuple, list[str]]:
        return self.converter.convert(donor, first_column=1), sorted(words_of(donor[FOLDED]))


class ChunkParser:
    """Parses rows, each distinct donor once: a donation list repeats its donors many times."""

    def __init__(self, parser: RowParser, *, donations: bool, values: DonationValues | None = None,
                 donor_values: DonorValues | None = None, stats: NewDonorStats | None = None):
        self.parser = parser
        self.donations = donations
        # None (no DonationValues): the donation parts as parsed, stats key None
        self.donation_cells = DonationCells(parser, values) if values is not None and donations else None
        self.donor_values = donor_values  # None: the importing process converts new donors' rows
        # The running stats (stats.py) of each distinct donor part, its ordinal for slot, of the
        # good rows: the importing process takes them for the donors it creates. After the
        # last chunk, the worker's figures replace these (parsed_chunks).
        self.stats = stats
        self.ordinals: dict[object, int] = {}  # donor cells -> ordinal (donation lists only)
        self.born: list = []  # ordinal -> date of birth, to check the donation dates of repeats

    def parse(self, chunk: list[tuple[int, list]], position: int) -> ParsedChunk:
        parser, ordinals, born_of, donations = self.parser, self.ordinals, self.born, self.donations
        donor_values, stats, donation_of = self.donor_values, self.stats, self.donation_cells
        good: list[tuple] = []
        errors: list[RowError] = []
        addresses: dict[str, int] = {}
        for line, cells in chunk:
            key = parser.donor_key(cells) if donations else None
            ordinal = ordinals.get(key) if donations else None
            if ordinal is not None:
                donor, born = None, born_of[ordinal]
            else:
                donor = parser.parse_donor(line, cells)  # errors carry this row's line
                born = None if donor.__class__ is list else donor[BORN]
            if donation_of is not None:
                donation = donation_of(line, cells, born)  # (values, stats key), or problems
            else:
                donation = parser.parse_donation(line, cells, born) if donations else None
            if donor.__class__ is list or donation.__class__ is list:
                errors += [*(donor if donor.__class__ is list else ()),
                           *(donation if donation.__class__ is list else ())]
                continue
            prepared = None
            if ordinal is None:
                status = donor[ADDRESS_STATUS].value
                addresses[status] = addresses.get(status, 0) + 1
                ordinal = len(born_of)
                born_of.append(born)
                if donations:
                    ordinals[key] = ordinal
                if donor_values is not None:
                    prepared = donor_values(donor)
                if stats is not None:
                    stats.new_donor(ordinal)
            if donation_of is not None:
                donation, key = donation
                if stats is not None:
                    if key is None:
                        stats.skip(ordinal)
                    else:
                        stats.add(ordinal, key)
                good.append((line, ordinal, donor, donation, key, prepared))
            else:
                good.append((line, ordinal, donor, donation, None, prepared))
        return ParsedChunk(len(chunk), position, good, errors, addresses)


def use_worker(expected_rows: int) -> bool:
    """Whether a file of about this many rows is parsed in a worker process."""
    return (expected_rows >= WORKER_MIN_ROWS and (os.cpu_count() or 1) > 1
            and "fork" in multiprocessing.get_all_start_methods())


@contextmanager
def parsed_chunks(table: Table, chunk_parser: ChunkParser, *, chunk_rows: int,
                  in_worker: bool) -> Iterator[Iterator[ParsedChunk]]:
    """The file's rows parsed chunk by chunk, in a forked worker or in this process."""
    if not in_worker:
        yield _parse_all(table, chunk_parser, chunk_rows)
        return
    context = multiprocessing.get_context("fork")  # the worker inherits the open file and parser
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(table, chunk_parser, chunk_rows, sender),
                             name="donor-registry import parser", daemon=True)
    worker.start()
    sender.close()
    try:
        yield _received(receiver, chunk_parser)
    finally:
        if worker.is_alive():  # the import stopped early (an error, Ctrl-C): the rows are not wanted
            worker.terminate()
        worker.join()
        receiver.close()


def _parse_all(table: Table, chunk_parser: ChunkParser, chunk_rows: int) -> Iterator[ParsedChunk]:
    rows = iter(table.rows)
    while chunk := list(islice(rows, chunk_rows)):
        yield chunk_parser.parse(chunk, table.position())


def _work(table: Table, chunk_parser: ChunkParser, chunk_rows: int, sender) -> None:
    try:
        for chunk in _parse_all(table, chunk_parser, chunk_rows):
            sender.send(chunk)
        chunk_parser.ordinals = chunk_parser.born = None  # not needed any more: memory back before the last send
        sender.send(_Finished(chunk_parser.stats))
    except Exception as exc:  # noqa: BLE001 - any failure goes to the importing process, which raises it
        try:
            sender.send(exc)
        except (pickle.PicklingError, TypeError, AttributeError):  # an exception pickle cannot carry
            sender.send(RuntimeError(f"parsing the file failed: {exc!r}"))
        except OSError:  # the importing process has stopped listening
            pass
    finally:
        sender.close()


@dataclass(slots=True)
class _Finished:
    """The worker's last message: every chunk is sent; its running stats."""

    stats: NewDonorStats | None


def _received(receiver, chunk_parser: ChunkParser) -> Iterator[ParsedChunk]:
    while True:
        try:
            item = receiver.recv()
        except EOFError:
            raise RuntimeError("the process parsing the file stopped unexpectedly") from None
        if item.__class__ is _Finished:
            chunk_parser.stats = item.stats
            return
        if isinstance(item, BaseException):
            raise item
        yield item
