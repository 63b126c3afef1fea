"""PostgreSQL's bulk path of an import: COPY into TEMP staging tables, then set-based SQL.

psycopg's `executemany` sends one statement per row (221,000 of them for a 100,000-row
file); COPY streams the same rows in one command. Rows are copied into a temporary table
shaped like the columns written (no constraints, no indexes, no WAL), then moved into the
real table with one `INSERT … SELECT … ON CONFLICT DO NOTHING`, in the import's own
transaction: the same rows are written, the same rows are skipped by a unique rule (the first
by id wins, as with executemany), and a failing import still rolls back all of it.

An import holds its rows in staging until the file is read (`hold`), then moves each table
once: the new donors' running counts (stats.py) are known only then, and set in staging (no
indexes) they cost little, where an UPDATE of the moved rows wrote every donor again with its
23 index entries (47 of 316 s of a 250,000-row import at load 9, pyinstrument).

SQLite keeps executemany (bulk.py): there it is already the fastest path.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Table, text

from donor_registry.donors.name_words import LATER, WORD_LENGTH, WORDS

SORT_MEMORY = "256MB"
SKIPPED_PAGE = 20_000


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def cursor_of(conn: Connection):
    return conn.connection.driver_connection.cursor()


def create_stage(conn: Connection, name: str, table: str, columns: Sequence[str]) -> None:
    """A TEMP table `name` with these columns of `table` (same types, no constraints), empty.
    Created inside the import's savepoint: a rolled-back import takes it away too."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA")


def column_types(cursor, name: str, columns: Sequence[str]) -> list[int]:
    """The type oids of these columns of table `name` (a TEMP table is found first)."""
    cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                   " AND NOT attisdropped", (name,))
    types = dict(cursor.fetchall())
    return [types[column] for column in columns]


def copy_rows(cursor, name: str, columns: Sequence[str], rows: Iterable[Sequence],
              types: Sequence[int] | None = None) -> None:
    """COPY rows (values as the driver binds them) into table `name`, in the binary format:
    a quarter of the text format's time, client and server (200,000 donation rows: 0.17 s
    against 0.70 s). `types`: the columns' type oids (column_types), looked up when not given."""
    if types is None:
        types = column_types(cursor, name, columns)
    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        write = copy.write_row
        for row in rows:
            write(row)


def stage_name(table: str) -> str:
    return f"import_stage_{table}"


class StagedInsert:
    """Inserts of ready tuples into one table through a staging table (see the module)."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str],
                 computed: tuple[str, str, dict] | None = None, *, hold: bool = False,
                 extra: Sequence[str] = ()):
        """`computed`: (column, SQL expression over the staging table, its :named parameters),
        one more column worked out as the rows move (a new donor's chapter, chapters.placing).
        `hold`: rows stay in staging until move_held (see the module). `extra`: columns of the
        staging table the rows do not carry, set there before they move (NULL otherwise)."""
        self.conn, self.columns, self.hold, self.held = conn, tuple(columns), hold, 0
        self.stage, self.table = stage_name(table.name), table.name
        self.cursor = cursor_of(conn)
        create_stage(conn, self.stage, table.name, (*self.columns, *extra))
        self.types = column_types(self.cursor, self.stage, self.columns)
        listed = target = ", ".join((*self.columns, *extra))
        self.params = None
        if computed is not None:
            column, expression, self.params = computed
            target, listed = f"{listed}, {column}", f"{listed}, {expression}"
        # Ordered by id, a row breaking a unique rule loses to the earlier one, as with executemany.
        order = " ORDER BY id" if "id" in self.columns else ""
        self.move = (f"INSERT INTO {table.name} ({target}) SELECT {listed} FROM {self.stage}{order}"
                     " ON CONFLICT DO NOTHING")

    def insert(self, rows: list[tuple]) -> int:
        """Insert rows; a row breaking a unique rule is skipped. Returns rows written."""
        if not rows:
            return 0
        copy_rows(self.cursor, self.stage, self.columns, rows, self.types)
        if self.hold:
            self.held += len(rows)
            return len(rows)
        return self._move()

    def move_held(self) -> tuple[int, int]:
        """Move the rows held in staging: (rows held, rows written). Those skipped by a unique
        rule stay in staging (skipped) until drop."""
        held, self.held = self.held, 0
        return held, self._move(empty=False) if held else 0

    def skipped(self) -> Iterator[list[tuple]]:
        """The rows move_held left in staging (a unique rule skipped them), by id, SKIPPED_PAGE
        at a time through a server-side cursor: importing a file again skips every row, and a
        million of them held at once, with their holders, took 1.5 GB."""
        cursor = self.conn.connection.driver_connection.cursor(name=f"{self.stage}_skipped")
        try:
            cursor.execute(f"SELECT {', '.join(self.columns)} FROM {self.stage} s WHERE NOT EXISTS"
                           f" (SELECT 1 FROM {self.table} t WHERE t.id = s.id) ORDER BY s.id")
            while rows := cursor.fetchmany(SKIPPED_PAGE):
                yield rows
        finally:
            cursor.close()

    def _move(self, *, empty: bool = True) -> int:
        if self.params is not None:
            written = self.conn.execute(text(self.move), self.params).rowcount
        else:
            self.cursor.execute(self.move)
            written = self.cursor.rowcount
        if empty:
            self.cursor.execute(f"TRUNCATE {self.stage}")
        return written

    def drop(self) -> None:
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.stage}")


@contextmanager
def sort_memory(conn: Connection, size: str = SORT_MEMORY) -> Iterator[None]:
    """work_mem for the moves, in this transaction only, then as it was: a move sorts its rows
    by id, which at the default 4 MB went to disk (117 MB of temporary files for 1,000,000
    donations; 5 % of the move's server time at 250,000 rows)."""
    cursor = cursor_of(conn)
    cursor.execute("SELECT current_setting('work_mem')")
    before = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('work_mem', %s, true)", (size,))
    try:
        yield
    finally:
        cursor.execute("SELECT set_config('work_mem', %s, true)", (before,))


def move_name_words(conn: Connection, stage: str) -> int:
    """The name words (donors.name_words.words_of) of the donors moved from `stage`, worked out
    from their folded names in SQL rather than copied: the words are a fifth of an import's
    rows. A folded name is its words joined by single spaces (text.fold), with an empty word
    where one was only marks, which str.split drops too; a word twice in a name is skipped by
    ON CONFLICT, as later rows of the same statement are. Neither DISTINCT nor an ORDER BY
    word: each cost more than it saved (60,000 donors: 2.5 s of the server's CPU as it is, the
    same as moving copied words; 3.2 s with both). Returns rows written."""
    words = "unnest(array_remove(string_to_array(s.name_folded, ' '), '')) WITH ORDINALITY AS w(word, n)"
    cursor = cursor_of(conn)
    cursor.execute(
        f"INSERT INTO {WORDS.name} (word, donor_id)"
        f" SELECT left(CASE WHEN l.later THEN chr({ord(LATER)}) ELSE '' END || w.word, {WORD_LENGTH}), s.id"
        f" FROM {stage} s CROSS JOIN {words} CROSS JOIN (VALUES (false), (true)) AS l(later)"
        " WHERE NOT l.later OR w.n > 1 ON CONFLICT DO NOTHING")
    return cursor.rowcount


def take_ids(conn: Connection, table: str, count: int, sequence: int | None) -> tuple[int, list[int]]:
    """`count` ids from the sequence of `table`'s id (its oid `sequence`, looked up when None),
    largest first: (the sequence's oid, the ids). A run of numbers with no other session's
    between them comes back as its first and last alone; the sequence is named once
    (pg_get_serial_sequence in the select list ran for every id: 5x the server's time)."""
    cursor = cursor_of(conn)
    if sequence is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid", (table,))
        sequence = cursor.fetchone()[0]
    cursor.execute("SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 <> count(*)"
                   " THEN array_agg(id ORDER BY id DESC) END"
                   f" FROM (SELECT nextval({int(sequence)}::oid::regclass) AS id"
                   f" FROM generate_series(1, {int(count)})) t")
    first, last, scattered = cursor.fetchone()
    # Numbers between them that another session took meanwhile are not ours: then all listed.
    return sequence, list(range(last, first - 1, -1)) if scattered is None else scattered


def load_ids(conn: Connection, name: str, ids: Iterable[int], *, more: str | None = None,
             params: tuple = ()) -> None:
    """Fill a new TEMP table `name` (id PRIMARY KEY) with these ids, by COPY, and with the ids
    of the query `more` when given; then ANALYZE it, so the planner knows its size."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} (id BIGINT PRIMARY KEY)")
    cursor = cursor_of(conn)
    copy_rows(cursor, name, ("id",), ((donor_id,) for donor_id in ids))
    if more is not None:
        cursor.execute(f"INSERT INTO {name} (id) {more}", params)
    conn.exec_driver_sql(f"ANALYZE {name}")


_STATS = ("donation_count", "last_donation_on", "last_donation_type", "eligible_again_on", "id")


def write_stats(conn: Connection, rows: Iterable[tuple], *, table: str = "donors") -> None:
    """bulk.write_stats by COPY into a staging table and one UPDATE … FROM; `table`: donors, or
    the donors' staging table (StagedInsert with hold), before its rows move."""
    create_stage(conn, "import_stage_stats", "donors", _STATS)
    copy_rows(cursor_of(conn), "import_stage_stats", _STATS, rows)
    conn.exec_driver_sql(
        f"UPDATE {table} SET donation_count = s.donation_count, last_donation_on = s.last_donation_on,"
        " last_donation_type = s.last_donation_type, eligible_again_on = s.eligible_again_on"
        f" FROM import_stage_stats s WHERE {table}.id = s.id")
    conn.exec_driver_sql("DROP TABLE import_stage_stats")
