"""Importing a donation list from CSV into SQLite and PostgreSQL, against what a user could do instead.

Data: 1,000,000 donation rows of ~250,000 donors from scripts/datagen.py (cached in bench-data/).
Each contender runs in its own process on a fresh database, in the same run:
  floor        csv.reader + sqlite3 executemany into a flat table of the same columns
  sqlite-utils `sqlite-utils insert --csv` (what a user might pick instead)
  registry     `donor-registry import donations` (migrated empty database; parse, validate,
               match donors, create them, insert, same-day repeats, donor stats)
  again        the same import of the same file into the registry it just filled: every row a
               repeat (memory: a million repeated rows must stay bounded too)
  postgres     the registry's import and the same again into a fresh migrated PostgreSQL
               database (COPY into staging, importing/staging.py)
Targets: registry at most 1.5x the storage floor (its own rows written at best), faster than
sqlite-utils, peak memory < 400 MB, both imports (the proportional set sizes of all its
processes: the import parses in a forked worker; PostgreSQL's server is not counted); on
PostgreSQL at most 1.5x the SQLite import's time.

    scripts/bench import [--engine sqlite|postgres|both] [--rows N]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
MAX_STORAGE_RATIO, MAX_RSS_MB, MAX_PG_RATIO = 1.5, 400, 1.5

FLOOR = """
import csv, sqlite3, sys
path, db = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db)
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = csv.reader(f)
    header = next(rows)
    conn.execute(f"CREATE TABLE rows ({', '.join(f'c{i} TEXT' for i in range(len(header)))})")
    conn.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(header))})", rows)
conn.commit()
"""


# What the registry's own writes cost at best: the rows the import wrote, already parsed,
# matched and counted, inserted with executemany into a migrated database (WAL, as the
# registry runs), non-unique indexes dropped before and built after, one commit. Only the
# writes are timed; loading the rows into memory is not.
STORAGE_FLOOR = """
import json, sqlite3, sys, time
source, target = sqlite3.connect(sys.argv[1]), sys.argv[2]
tables = ("donors", "donor_name_words", "donations")
rows = {table: source.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in tables}
conn = sqlite3.connect(target, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = NORMAL")
conn.execute("PRAGMA cache_size = -32768")
start = time.perf_counter()
conn.execute("BEGIN")
indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                       " AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ('donors', 'donor_name_words', 'donations')").fetchall()
for name, _ in indexes:
    conn.execute(f'DROP INDEX "{name}"')
for table in tables:
    marks = ", ".join("?" * len(rows[table][0]))
    conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
for _, sql in indexes:
    conn.execute(sql)
conn.execute("COMMIT")
conn.close()
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def data_file(rows: int) -> Path:
    """The cached donation CSV of this size (generated on first use)."""
    from scripts.datagen import write_donations_csv

    path = ROOT / "bench-data" / f"donations-{rows}-s1.csv"
    if not path.exists():
        print(f"generating {rows:,} rows into {path} (once)…", file=sys.stderr)
        tmp = path.with_suffix(".tmp")
        write_donations_csv(tmp, rows, max(rows // 4, 1), seed=1)
        tmp.rename(path)
    return path


_PROBE = """
import json, resource, subprocess, sys, time
from pathlib import Path

def tree(pid):
    pids = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        pids += tree(int(child))
    return pids

def pss_kib(pid):
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0

start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
peak = 0
while child.poll() is None:
    total = 0
    try:
        for pid in tree(child.pid):
            total += pss_kib(pid)
    except (FileNotFoundError, ProcessLookupError):
        pass  # a process ended while being read
    peak = max(peak, total)
    time.sleep(0.25)  # reading smaps_rollup takes the process's memory lock: not too often
stderr = child.stderr.read()
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
                  "pss_mb": peak / 1024, "rc": child.returncode, "stderr": stderr.decode()[-2000:]}))
"""


def measure(command: list[str], env: dict | None = None) -> dict:
    """Run command in a child of a fresh Python process: wall and CPU seconds of it and its own
    children, and its peak memory: the largest RSS of one process, and the peak sum of the
    proportional set sizes of the whole process tree (shared pages counted once), sampled
    four times a second."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *command], capture_output=True, text=True,
                         env=env, check=True)
    result = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{command[0]} failed: {result['stderr']}")
    return result


def registry_db(directory: Path) -> tuple[str, dict]:
    """A migrated empty SQLite database (not timed) and the environment pointing at it."""
    from donor_registry.db import make_engine, upgrade

    url = f"sqlite:///{directory / 'registry.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "DONOR_REGISTRY_DATABASE__URL": url, "DONOR_REGISTRY_NOW": "2026-06-01T03:00:00+00:00"}
    env.pop("DONOR_REGISTRY_CONFIG", None)
    return url, env


def imported_rows(url: str) -> int:
    from sqlalchemy import text

    from donor_registry.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM donations")).scalar()
    engine.dispose()
    return count


PG_ADMIN_URL = os.environ.get("DONOR_REGISTRY_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_answers() -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure: no PostgreSQL here
        return False


@contextmanager
def postgres_db() -> Iterator[tuple[str, dict]]:
    """A fresh migrated PostgreSQL database (not timed), its URL and environment; dropped after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from donor_registry.db import make_engine, upgrade

    name = f"bench_import_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "DONOR_REGISTRY_DATABASE__URL": url, "DONOR_REGISTRY_NOW": "2026-06-01T03:00:00+00:00"}
    env.pop("DONOR_REGISTRY_CONFIG", None)
    try:
        yield url, env
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default=None,
                        help="default: both where PostgreSQL answers, else sqlite")
    args = parser.parse_args()
    engine = args.engine or ("both" if postgres_answers() else "sqlite")
    path = data_file(args.rows)
    sqlite_utils = shutil.which("sqlite-utils", path=str(VENV_BIN)) or "sqlite-utils"
    command = [str(VENV_BIN / "donor-registry"), "import", "donations", str(path), "--json"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        tmp_path = Path(tmp)
        if engine in ("sqlite", "both"):
            for name in ("floor", "sqlite-utils", "registry"):
                work = tmp_path / name
                work.mkdir()
                if name == "floor":
                    results[name] = measure([sys.executable, "-c", FLOOR, str(path), str(work / "flat.db")])
                elif name == "sqlite-utils":
                    results[name] = measure([sqlite_utils, "insert", str(work / "flat.db"), "rows", str(path),
                                             "--csv"])
                else:
                    url, env = registry_db(work)
                    results[name] = measure(command, env=env)
                    results[name]["rows_in_db"] = imported_rows(url)
                    results["storage floor"] = storage_floor(url, tmp_path / "storage")
                    results["again"] = measure(command, env=env)
                    results["again"]["rows_in_db"] = imported_rows(url)
                print(f"{name}: {results[name]['seconds']:.1f} s", file=sys.stderr)
        if engine in ("postgres", "both"):
            with postgres_db() as (url, env):
                results["postgres"] = measure(command, env=env)
                results["postgres"]["rows_in_db"] = imported_rows(url)
                results["postgres again"] = measure(command, env=env)
                results["postgres again"]["rows_in_db"] = imported_rows(url)
            print(f"postgres: {results['postgres']['seconds']:.1f} s", file=sys.stderr)
    print_table(args.rows, results)
    return 0 if all(verdicts(results).values()) else 1


def storage_floor(imported_url: str, work: Path) -> dict:
    """STORAGE_FLOOR over the rows a registry import wrote."""
    work.mkdir()
    target_url, _ = registry_db(work)
    out = subprocess.run([sys.executable, "-c", STORAGE_FLOOR, imported_url.removeprefix("sqlite:///"),
                          target_url.removeprefix("sqlite:///")], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def verdicts(results: dict) -> dict[str, bool]:
    found = {}
    if "registry" in results:
        ours, other, again = results["registry"], results["sqlite-utils"], results["again"]
        found.update({
            f"at most {MAX_STORAGE_RATIO}x the storage floor":
                ours["seconds"] <= MAX_STORAGE_RATIO * results["storage floor"]["seconds"],
            "faster than sqlite-utils": ours["seconds"] < other["seconds"],
            f"peak memory < {MAX_RSS_MB} MB (PSS, all processes)": ours["pss_mb"] < MAX_RSS_MB,
            f"peak memory < {MAX_RSS_MB} MB importing the same file again": again["pss_mb"] < MAX_RSS_MB,
            "the same file again adds nothing": again["rows_in_db"] == ours["rows_in_db"],
        })
    if "postgres" in results:
        pg, pg_again = results["postgres"], results["postgres again"]
        found.update({
            f"PostgreSQL: peak memory < {MAX_RSS_MB} MB (PSS, the import's processes)": pg["pss_mb"] < MAX_RSS_MB,
            f"PostgreSQL: peak memory < {MAX_RSS_MB} MB importing the same file again":
                pg_again["pss_mb"] < MAX_RSS_MB,
            "PostgreSQL: the same file again adds nothing": pg_again["rows_in_db"] == pg["rows_in_db"],
        })
        if "registry" in results:
            found[f"PostgreSQL at most {MAX_PG_RATIO}x SQLite's import"] = (
                pg["seconds"] <= MAX_PG_RATIO * results["registry"]["seconds"])
            found["PostgreSQL imports the same rows as SQLite"] = pg["rows_in_db"] == results["registry"]["rows_in_db"]
    return found


def print_table(rows: int, results: dict) -> None:
    print(f"Import of {rows:,} donation rows (~{rows // 4:,} donors) from CSV, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{load:.1f}' for load in os.getloadavg())} at the end\n")
    print("| contender | seconds | rows/s | share of floor rate | CPU seconds | share of floor (CPU) "
          "| peak memory, all processes (PSS MB) | largest process (RSS MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    labels = {"floor": "floor: csv + sqlite3 executemany (flat table)",
              "sqlite-utils": "`sqlite-utils insert --csv` (flat table)",
              "registry": "`donor-registry import donations`, SQLite",
              "again": "the same import again (every row a repeat), SQLite",
              "postgres": "`donor-registry import donations`, PostgreSQL",
              "postgres again": "the same import again (every row a repeat), PostgreSQL"}
    floor = results.get("floor")
    for name, label in labels.items():
        if name not in results:
            continue
        result = results[name]
        share = f"{floor['seconds'] / result['seconds']:.0%}" if floor else ""
        cpu_share = f"{floor['cpu'] / result['cpu']:.0%}" if floor else ""
        print(f"| {label} | {result['seconds']:.1f} | {rows / result['seconds']:,.0f} | {share} | "
              f"{result['cpu']:.1f} | {cpu_share} | {result['pss_mb']:.0f} | {result['rss_mb']:.0f} |")
    if "registry" in results:
        storage = results["storage floor"]["seconds"]
        print(f"\nStorage floor (the registry's rows, already parsed, written with executemany, indexes built "
              f"after): {storage:.1f} s, {floor['seconds'] / storage:.0%} of the floor's rate; the import took "
              f"{results['registry']['seconds'] / storage:.2f}× the storage floor.")
        print(f"\nrows in the registry after import: {results['registry']['rows_in_db']:,}")
    if "postgres" in results:
        print(f"\nrows in PostgreSQL after import: {results['postgres']['rows_in_db']:,}"
              + (f"; PostgreSQL took {results['postgres']['seconds'] / results['registry']['seconds']:.2f}× "
                 "the SQLite import's time" if "registry" in results else ""))
    print("\n(wall times stretch on a busy machine; CPU seconds do not; PostgreSQL's CPU seconds are the "
          "client's only)")
    for target, ok in verdicts(results).items():
        print(f"- {'PASS' if ok else 'FAIL'}: {target}")


if __name__ == "__main__":
    raise SystemExit(main())
