"""Set-based database work of an import: id reservation, bulk inserts, duplicates, donor stats.

Rows go through the DBAPI cursor of the session's own connection (same transaction), with
values already converted the way SQLAlchemy's column types would bind them.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from sqlalchemy import Connection, Table, bindparam

from donor_registry.donations.models import Donation
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.importing import staging
from donor_registry.importing.matching import Person
from donor_registry.importing.rows import DONOR_COLUMNS

DONORS: Table = Donor.__table__
DONATIONS: Table = Donation.__table__
# The columns an import writes: a donor row is its id, the parsed donor part (rows.DONOR_COLUMNS)
# and the tail job.ImportJob adds; a donation row is its id, its donor's and the parsed values.
DONOR_INSERT = ("id", *DONOR_COLUMNS, "weight_measured_on", "standby", "donation_count",
                "created_at", "updated_at", "consent_at")
DONATION_INSERT = ("id", "donor_id", "donated_on", "type", "outcome", "volume_ml", "certificate_no",
                   "site", "source", "created_at", "deferral_reason", "deferral_until")


class RowConverter:
    """Rows of some columns of a table as the database driver wants them: each typed value
    converted the way SQLAlchemy's column type would bind it, once for each distinct value.
    Needs only the dialect, so the parsing worker can convert rows too."""

    def __init__(self, table: Table, columns: Sequence[str], dialect):
        self.converters = [_Converter(table.c[name].type, dialect) for name in columns]
        self.typed = [(index, conv) for index, conv in enumerate(self.converters) if conv.process is not None]

    def convert(self, row: Sequence, *, first_column: int = 0) -> tuple:
        """A row, or the part of one starting at first_column, as the database driver wants it."""
        values = list(row)
        stop = first_column + len(values)
        for index, conv in self.typed:
            if first_column <= index < stop:
                value = values[index - first_column]
                if value is not None:
                    values[index - first_column] = conv(value)
        return tuple(values)


class BulkWriter:
    """Inserts of ready tuples into one table, converting typed values once each: executemany
    on SQLite, COPY through a staging table on PostgreSQL (staging.py)."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str],
                 computed: tuple[str, str, dict] | None = None, *, hold: bool = False,
                 extra: Sequence[str] = ()):
        """`computed`, `hold` and `extra`: PostgreSQL's staging (staging.StagedInsert); ignored
        on SQLite."""
        dialect = conn.dialect
        self.conn = conn
        self.cursor = conn.connection.driver_connection.cursor()
        self.staged = (staging.StagedInsert(conn, table, columns, computed, hold=hold, extra=extra)
                       if staging.is_postgres(conn) else None)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                    f"VALUES ({', '.join([mark] * len(columns))}) ON CONFLICT DO NOTHING")
        self.row_converter = RowConverter(table, columns, dialect)
        self.converters = self.row_converter.converters
        self.convert = self.row_converter.convert

    def insert(self, rows: list[tuple]) -> int:
        """Insert converted rows; a row breaking a unique rule is skipped. Returns rows written."""
        if not rows:
            return 0
        if self.staged is not None:
            return self.staged.insert(rows)
        self.cursor.executemany(self.sql, rows)
        return self.cursor.rowcount

    def close(self) -> None:
        """Drop the staging table, if any."""
        if self.staged is not None:
            self.staged.drop()


_CONVERTER_CACHE_LIMIT = 20_000  # more than the days of 50 years; dates of birth pass through


class _Converter:
    __slots__ = ("cache", "process")

    def __init__(self, column_type, dialect):
        self.process = column_type._cached_bind_processor(dialect)
        self.cache: dict = {}

    def __call__(self, value):
        try:
            return self.cache[value]
        except KeyError:
            converted = value if self.process is None else self.process(value)
            self.cache[value] = converted
            if len(self.cache) > _CONVERTER_CACHE_LIMIT:
                self.cache.clear()
            return converted


@contextmanager
def sqlite_page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """A larger page cache on a SQLite connection for the duration of a bulk write."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


class DeferredIndexes:
    """The non-unique indexes of some tables, dropped for a bulk load and built again after it.

    Building an index once from sorted rows is several times cheaper than updating it row by
    row, when the load at least doubles the tables. SQLite only: there the import holds the
    write lock anyway, and readers keep their snapshot, indexes included. (PostgreSQL would
    lock readers out of the tables until the import commits.) Unique indexes stay: the
    import relies on them to skip rows that break a unique rule.
    """

    MIN_ROWS = 50_000  # below this, a bulk load is quick either way

    def __init__(self, conn: Connection, indexes: dict[str, list[tuple[str, str]]]):
        self.conn = conn
        self.pending = indexes  # table -> [(index name, CREATE INDEX statement)], once dropped
        self.deferred = bool(indexes)

    @classmethod
    def for_load(cls, conn: Connection, tables: Sequence[Table], *, rows: int, present: int) -> "DeferredIndexes":
        """Drop the tables' non-unique indexes when a load of about `rows` rows is worth it."""
        if conn.dialect.name != "sqlite" or not cls.worth_it(rows, present):
            return cls(conn, {})
        indexes = {table.name: [tuple(row) for row in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name", (table.name,))]
            for table in tables}
        for name, _ in (index for table_indexes in indexes.values() for index in table_indexes):
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        return cls(conn, indexes)

    @classmethod
    def worth_it(cls, rows: int, present: int) -> bool:
        """Whether a load of `rows` rows into tables of about `present` rows should defer indexes."""
        return rows >= max(cls.MIN_ROWS, present)

    def build(self, *tables: Table) -> None:
        """Create again the dropped indexes of these tables, or of all when none is named."""
        for name in [table.name for table in tables] or list(self.pending):
            for _, create in self.pending.pop(name, ()):
                self.conn.exec_driver_sql(create)


class IdReserver:
    """Ids for rows about to be inserted, known before the insert so rows can refer to them."""

    POOL = 20_000  # ids taken from a PostgreSQL sequence at a time

    def __init__(self, conn: Connection, table: Table):
        self.conn, self.table = conn, table
        self.sqlite = conn.dialect.name == "sqlite"
        if self.sqlite:
            # The import holds SQLite's write lock (BEGIN IMMEDIATE), so max(id) stays ours.
            self.last = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar()
        self.pool: list[int] = []  # PostgreSQL: ids taken from the sequence, the next one last
        self.sequence: int | None = None

    def next(self) -> int:
        if self.sqlite:
            self.last += 1
            return self.last
        if not self.pool:
            self._fill(self.POOL)
        return self.pool.pop()

    def take(self, count: int) -> list[int]:
        """The next `count` ids, in increasing order."""
        if self.sqlite:
            first, self.last = self.last + 1, self.last + count
            return list(range(first, self.last + 1))
        if len(self.pool) < count:
            self._fill(max(self.POOL, count - len(self.pool)))
        taken = self.pool[-count:] if count else []
        del self.pool[len(self.pool) - count:]
        taken.reverse()
        return taken

    def _fill(self, count: int) -> None:
        """PostgreSQL: `count` more ids (staging.take_ids), below those in the pool (the pool
        is popped from its end)."""
        self.sequence, ids = staging.take_ids(self.conn, self.table.name, count, self.sequence)
        self.pool[:0] = ids

    def give_back(self, ids: list[int]) -> None:
        """Return the last ids `take` gave, unused: the next ones handed out are these again."""
        if not ids:
            return
        if self.sqlite:
            self.last = ids[0] - 1
        else:
            self.pool += reversed(ids)


_PAGE = 5000
_BY_ID = DONATIONS.select().with_only_columns(DONATIONS.c.id).where(
    DONATIONS.c.id.in_(bindparam("ids", expanding=True)))
_CERTIFICATE_HOLDERS = DONATIONS.select().with_only_columns(
    DONATIONS.c.certificate_no, DONATIONS.c.id, DONATIONS.c.donor_id, DONATIONS.c.donated_on, DONATIONS.c.type,
    DONATIONS.c.volume_ml).where(DONATIONS.c.certificate_no.in_(bindparam("numbers", expanding=True)))


def present_donations(conn: Connection, ids: Sequence[int]) -> set[int]:
    """Which of these donation ids exist."""
    found: set[int] = set()
    for start in range(0, len(ids), _PAGE):
        found.update(conn.execute(_BY_ID, {"ids": list(ids[start:start + _PAGE])}).scalars())
    return found


def holders_of_certificates(conn: Connection, numbers: Sequence[str]) -> dict[str, tuple]:
    """certificate number -> (id, donor id, day, type, volume) of the donation holding it."""
    holders: dict[str, tuple] = {}
    for start in range(0, len(numbers), _PAGE):
        for number, *holder in conn.execute(_CERTIFICATE_HOLDERS, {"numbers": list(numbers[start:start + _PAGE])}):
            holders[number] = tuple(holder)
    return holders


def identities(conn: Connection, donor_ids: Iterable[int]) -> dict[int, Person]:
    """donor id -> Person (name, birth, sex, blood group) of these donors."""
    columns = [DONORS.c[name] for name in Person._fields]
    found: dict[int, Person] = {}
    ids = sorted(donor_ids)
    for start in range(0, len(ids), _PAGE):
        query = DONORS.select().with_only_columns(DONORS.c.id, *columns).where(DONORS.c.id.in_(ids[start:start + _PAGE]))
        for donor_id, *values in conn.execute(query):
            found[donor_id] = Person(*values)
    return found


def load_touched(conn: Connection, donor_ids: Iterable[int], *, new_from: int | None = None) -> None:
    """Fill a temporary table with donors for the set-based steps: these donor ids, and, when
    new_from is given, every donor this import created (ids from new_from on, above them all)."""
    cursor = conn.connection.driver_connection.cursor()
    mark = _mark(conn)
    if staging.is_postgres(conn):
        staging.load_ids(conn, "import_touched", sorted(donor_ids),
                         more=None if new_from is None else "SELECT id FROM donors WHERE id >= %s",
                         params=() if new_from is None else (new_from,))
        return
    conn.exec_driver_sql("DROP TABLE IF EXISTS import_touched")
    conn.exec_driver_sql("CREATE TEMPORARY TABLE import_touched (id INTEGER PRIMARY KEY)")
    rows = [(donor_id,) for donor_id in sorted(donor_ids)]
    for start in range(0, len(rows), 50_000):
        cursor.executemany(f"INSERT INTO import_touched (id) VALUES ({mark})", rows[start:start + 50_000])
    if new_from is not None:
        cursor.execute(f"INSERT INTO import_touched (id) SELECT id FROM donors WHERE id >= {mark}", (new_from,))


def write_stats(conn: Connection, rows: Iterable[tuple]) -> None:
    """Set (donation_count, last_donation_on, last_donation_type, eligible_again_on) by donor id."""
    if staging.is_postgres(conn):
        staging.write_stats(conn, rows)
        return
    cursor = conn.connection.driver_connection.cursor()
    mark = _mark(conn)
    sql = (f"UPDATE donors SET donation_count = {mark}, last_donation_on = {mark},"
           f" last_donation_type = {mark}, eligible_again_on = {mark} WHERE id = {mark}")
    batch = list(islice(rows := iter(rows), 50_000))
    while batch:
        cursor.executemany(sql, batch)
        batch = list(islice(rows, 50_000))


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def delete_new_donors_without_donations(conn: Connection, *, new_from: int) -> int:
    """Delete the donors this import created (ids from new_from on) that hold no donation."""
    orphans = ("SELECT id FROM donors WHERE id >= {mark} AND NOT EXISTS"
               " (SELECT 1 FROM donations WHERE donations.donor_id = donors.id)")
    mark = _mark(conn)
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(f"DELETE FROM donor_name_words WHERE donor_id IN ({orphans.format(mark=mark)})", (new_from,))
    cursor.execute(f"DELETE FROM donors WHERE id IN ({orphans.format(mark=mark)})", (new_from,))
    return cursor.rowcount


def drop_touched(conn: Connection) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS import_touched")


def same_day_groups(conn: Connection) -> Iterator[tuple]:
    """(donation id, donor id, day, type, outcome, volume, certificate number) of every donation
    sharing its donor and day with another, among the touched donors, ordered by donor, day,
    type, outcome and id (the groups are found on the (donor, day) index alone). Streamed:
    importing a file again makes a group of every row."""
    sql = (
        "SELECT d.id, d.donor_id, d.donated_on, d.type, d.outcome, d.volume_ml, d.certificate_no"
        " FROM donations d JOIN ("
        " SELECT donor_id, donated_on FROM donations"
        " WHERE donor_id IN (SELECT id FROM import_touched)"
        " GROUP BY donor_id, donated_on HAVING count(*) > 1"
        ") g ON g.donor_id = d.donor_id AND g.donated_on = d.donated_on"
        " ORDER BY d.donor_id, d.donated_on, d.type, d.outcome, d.id"
    )
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(sql)
    while batch := cursor.fetchmany(10_000):
        yield from batch


def mark_violations(conn: Connection, rows: Sequence[tuple[int, str]], *, reason: str) -> None:
    """Record on these donations (id, violations) which checks they broke and why they stay."""
    for start in range(0, len(rows), 5000):
        conn.execute(DONATIONS.update().where(DONATIONS.c.id == bindparam("donation_id")).values(
            violations=bindparam("text"), override_reason=reason),
            [{"donation_id": donation_id, "text": text} for donation_id, text in rows[start:start + 5000]])


def delete_donations(conn: Connection, ids: Sequence[int]) -> None:
    """Delete donations this import wrote (never one recorded before it)."""
    for start in range(0, len(ids), 5000):
        conn.execute(DONATIONS.delete().where(DONATIONS.c.id.in_(list(ids[start:start + 5000]))))


def refresh_stats(conn: Connection, rules: EligibilityRules) -> None:
    """Set-based donations.service.refresh_donor_stats for every touched donor (same results)."""
    sqlite = conn.dialect.name == "sqlite"
    interval = " ".join(f"WHEN '{kind.value}' THEN {int(days)}" for kind, days in rules.interval_days.items())
    if sqlite:
        clear = f"date(donated_on, '+' || (CASE type {interval} END) || ' days')"
        day_key, far = "donated_on || ' ' || type", "'9999-12-31'"
    else:
        clear = f"donated_on + (CASE type {interval} END)"
        day_key, far = "CAST(donated_on AS TEXT) || ' ' || type", "DATE '9999-12-31'"
    # A voided donation stays a row (a re-import knows it) but never counts.
    donated, deferred = "outcome = 'donated' AND voided_at IS NULL", "outcome = 'deferred' AND voided_at IS NULL"
    conn.exec_driver_sql(
        "UPDATE donors SET donation_count = s.n, last_donation_on = s.last_on,"
        " last_donation_type = substr(s.last_key, 12), eligible_again_on = s.clear,"
        " deferred_until = s.deferred FROM ("
        f" SELECT donor_id, sum(CASE WHEN {donated} THEN 1 ELSE 0 END) AS n,"
        f" max(CASE WHEN {donated} THEN donated_on END) AS last_on,"
        f" max(CASE WHEN {donated} THEN {day_key} END) AS last_key,"
        f" max(CASE WHEN {donated} THEN {clear} END) AS clear,"
        f" max(CASE WHEN {deferred} THEN coalesce(deferral_until, {far}) END) AS deferred"
        " FROM donations WHERE donor_id IN (SELECT id FROM import_touched) GROUP BY donor_id"
        ") AS s WHERE donors.id = s.donor_id"
    )
