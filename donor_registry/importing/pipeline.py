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

from donor_registry.donors.name_words import words_of
from donor_registry.importing import bulk
from donor_registry.importing.readers import Table
from donor_registry.importing.rows import ADDRESS_STATUS, BORN, FOLDED, RowError, RowParser
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
        self.values = values  # None: the donation parts as parsed, stats key None
        self.donor_values = donor_values  # None: the importing process converts new donors' rows
        # The running stats (stats.py) of each distinct donor part, its ordinal for slot, of the
        # good rows: the importing process takes them for the donors it creates. After the
        # last chunk, the worker's figures replace these (parsed_chunks).
        self.stats = stats
        self.ordinals: dict[object, int] = {}  # donor cells -> ordinal (donation lists only)
        self.born: list = []  # ordinal -> date of birth, to check the donation dates of repeats

    def parse(self, chunk: list[tuple[int, list]], position: int) -> ParsedChunk:
        parser, ordinals, born_of, donations = self.parser, self.ordinals, self.born, self.donations
        values, donor_values, stats = self.values, self.donor_values, self.stats
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
            if values is not None and donation is not None:
                donation, key = values(donation)
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
