"""The coordinators' workspace through HTTP over 1,000,000 donors: dashboard, search as you type,
donor page, and 50 signed-in users at once, on SQLite and PostgreSQL.

Builds the data once per engine (bench-data/http-v1.db; PostgreSQL database `bench_http` on the
local server) by set-based SQL: 1,000,000 donors named from scripts/datagen.py's lists (about
9,000 distinct names, so a common name is shared by a few hundred donors), their name words,
unique phones and CCCDs, 0-7 donations each, two province chapters sharing the donors (odd / even numbers) under a national
one, and a coordinator of one province. Then a real `donor-registry serve` on 127.0.0.1 and one
signed-in client:

1. GET / (the dashboard of the coordinator's chapter), 100 times.            Target p95 < 300 ms.
2. GET /donors?q=… as htmx asks while a person types (HX-Request): prefixes of 2, 3, 4 … letters
   of real names without diacritics, 300 requests.                          Target p95 < 100 ms.
3. GET /donors/ID of random donors of the coordinator's chapter, 200 times.  Target p95 < 150 ms.
Baselines in the same run, on the same server: GET /healthz (HTTP and the framework alone),
the search's service function called in-process (no HTTP) and the raw SQL of its first step.
4. 50 signed-in users for $BENCH_USERS_SECONDS (default 60) s mixing those pages. Target: no errors.

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/workspace.py [--engine sqlite|postgres|both] [--donors N]
"""

import argparse
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from donor_registry.accounts.models import Role
from donor_registry.accounts.users import add_user
from donor_registry.chapters.service import create_chapter
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.donors.name_words import words_of
from donor_registry.donors.service import find_donors
from donor_registry.text import fold, strip_diacritics
from scripts.benchmarks._common import free_port as _free_port
from scripts.benchmarks._common import wait_for_health as _wait

NOW = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)
SQLITE_PATH = Path("bench-data/http-v1.db")
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
PG_DATABASE = "bench_http"
LOGIN, PASSWORD = "dieu.phoi", "mat-khau-thu-nghiem"
USERS = 50
USERS_SECONDS = float(os.environ.get("BENCH_USERS_SECONDS", "60"))
TARGETS = {"dashboard": 300, "search": 100, "donor": 150}

# Donation count of donor i: 0-7 (mean 3.5); dates spread over 2000-2026.
DONATIONS_SQL = {
    "sqlite": """
        WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 6)
        INSERT INTO donations (donor_id, donated_on, type, outcome, source, created_at)
        SELECT d.id, date('2000-01-01', '+' || (d.id % 97 + 1200 * n.k) || ' days'), 'whole_blood', 'donated',
               'bench', '2026-01-01 00:00:00.000000'
        FROM donors d JOIN n ON n.k < (d.id * 7919) % 8""",
    "postgresql": """
        INSERT INTO donations (donor_id, donated_on, type, outcome, source, created_at)
        SELECT d.id, DATE '2000-01-01' + (d.id % 97 + 1200 * k), 'whole_blood', 'donated', 'bench', now()
        FROM donors d JOIN generate_series(0, 6) AS k ON k < (CAST(d.id AS BIGINT) * 7919) % 8""",
}
SEQUENCE = {"sqlite": "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < :n) ",
            "postgresql": "WITH seq(x) AS (SELECT generate_series(1, :n)) "}
# Donor x's name: one of the ~9,000 names datagen's lists make, by a multiplicative hash of x (a
# common name is shared by a few hundred donors, as in a province); phones and CCCDs unique.
DONORS_SQL = """
    INSERT INTO donors (id, full_name, name_folded, sex, abo, rh, birth_year, weight_kg, phone_e164,
                        phone_sms_capable, standby, consent_at, consent_channel, national_id, donation_count,
                        created_at, updated_at)
    SELECT x, n.full_name, n.folded, n.sex, 'O', '+', 1966 + (x * 7) % 40, 50 + x % 30,
           '+849' || CAST(10000000 + x AS TEXT), x % 20 != 3, x % 10 = 0, :stamp, 'paper',
           '0790' || CAST(10000000 + x AS TEXT), 0, :stamp, :stamp
    FROM seq JOIN bench_names n ON n.i = (x * 2654435761) % :names"""

# The search's floor: the first page of the chapter's names starting with the typed text.
RAW_SEARCH = ("SELECT id, full_name FROM donors WHERE chapter_id = :c AND name_folded >= :lo AND name_folded < :hi "
              "ORDER BY name_folded, id LIMIT 21")


def _names() -> list[tuple[int, str, str, str]]:
    from scripts.datagen import FAMILY, GIVEN_FEMALE, GIVEN_MALE, MIDDLE_FEMALE, MIDDLE_MALE

    made = []
    for sex, middles, givens in (("female", MIDDLE_FEMALE, GIVEN_FEMALE), ("male", MIDDLE_MALE, GIVEN_MALE)):
        for family, _share in FAMILY:
            for middle in dict.fromkeys(middles):
                for given in givens:
                    full = f"{family} {middle} {given}"
                    made.append((len(made), full, fold(full), sex))
    return made


def build(url: str, donors: int) -> None:
    """Donors, their name words and donations by set-based SQL; chapters and the coordinator by the services."""
    engine = make_engine(url)
    upgrade(engine)
    dialect = engine.dialect.name
    names = _names()
    stamp = NOW.replace(tzinfo=None)
    with session_scope(engine) as session:
        session.execute(text("CREATE TEMP TABLE bench_names (i INTEGER PRIMARY KEY, full_name TEXT, folded TEXT, "
                             "sex TEXT)"))
        session.execute(text("INSERT INTO bench_names VALUES (:i, :f, :o, :s)"),
                        [{"i": i, "f": f, "o": o, "s": s} for i, f, o, s in names])
        session.execute(text(SEQUENCE[dialect] + DONORS_SQL), {"n": donors, "names": len(names), "stamp": stamp})
        session.execute(text("CREATE TEMP TABLE bench_words (i INTEGER, word TEXT)"))
        session.execute(text("INSERT INTO bench_words VALUES (:i, :w)"),
                        [{"i": i, "w": w} for i, _f, folded, _s in names for w in sorted(words_of(folded))])
        session.execute(text("INSERT INTO donor_name_words (word, donor_id) SELECT w.word, d.id FROM donors d "
                             "JOIN bench_words w ON w.i = (d.id * 2654435761) % :names"), {"names": len(names)})
        national = create_chapter(session=session, now=NOW, kind="national")
        hanoi = create_chapter(session=session, now=NOW, kind="province", parent_id=national.id, province_code="01")
        hcm = create_chapter(session=session, now=NOW, kind="province", parent_id=national.id, province_code="79")
        add_user(session=session, now=NOW, actor="cli:root", login=LOGIN, password=PASSWORD, role=Role.coordinator,
                 chapter_id=hanoi.id, min_password_length=10)
        session.flush()
        session.execute(text("UPDATE donors SET chapter_id = CASE WHEN id % 2 = 0 THEN :a ELSE :b END"),
                        {"a": hanoi.id, "b": hcm.id})
        session.execute(text(DONATIONS_SQL[dialect]))
        session.execute(text("UPDATE donors SET donation_count = (SELECT count(*) FROM donations x "
                             "WHERE x.donor_id = donors.id)"))
        if dialect == "postgresql":
            session.execute(text("SELECT setval(pg_get_serial_sequence('donors', 'id'), :n)"), {"n": donors})
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "ANALYZE" if dialect == "sqlite" else "VACUUM ANALYZE")
    engine.dispose()
    print(f"built {url}: {donors:,} donors", file=sys.stderr)


def database(engine_name: str, donors: int) -> str:
    if engine_name == "sqlite":
        path = SQLITE_PATH.with_name(f"http-v1-{donors}.db")
        if not path.exists():
            tmp = path.with_suffix(".building")
            tmp.unlink(missing_ok=True)
            build(f"sqlite:///{tmp}", donors)
            tmp.rename(path)
        return f"sqlite:///{path.resolve()}"
    name = f"{PG_DATABASE}_{donors}"
    server = make_engine(PG_SERVER + "test")
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
        ready = exists and conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %s AND NOT datistemplate", (name + "_ready",)).first()
        if not ready:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_ready"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            build(PG_SERVER + name, donors)
            conn.exec_driver_sql(f'CREATE DATABASE "{name}_ready"')  # a marker: the build finished
    server.dispose()
    return PG_SERVER + name


def pctl(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def typed_prefixes(url: str, rng: random.Random, count: int) -> list[str]:
    """What the search box holds as a person types names of the data without diacritics."""
    engine = make_engine(url)
    with engine.connect() as conn:
        names = [row[0] for row in conn.execute(text(
            "SELECT full_name FROM donors WHERE id % 2 = 0 AND id % 997 = 0 ORDER BY id LIMIT 200"))]
    engine.dispose()
    prefixes = []
    while len(prefixes) < count:
        folded = strip_diacritics(rng.choice(names)).lower()
        for length in range(2, len(folded) + 1, 2):
            prefixes.append(folded[:length].strip())
    return [p for p in prefixes[:count] if p]


def serve(url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DONOR_REGISTRY_DATABASE__URL": url, "DONOR_REGISTRY_SMS__GATEWAY": "console"}
    env.pop("DONOR_REGISTRY_CONFIG", None)
    log = log_path.open("w")
    server = subprocess.Popen([sys.executable, "-m", "donor_registry", "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--no-scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    _wait(base)
    return server, base


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)
    reply = client.post("/login", data={"csrftoken": token, "login": LOGIN, "password": PASSWORD})
    if reply.status_code != 303:
        raise SystemExit(f"sign-in failed: {reply.status_code}")
    return client


def timed(client: httpx.Client, path: str, headers: dict | None = None) -> float:
    start = time.perf_counter()
    reply = client.get(path, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    if reply.status_code != 200:
        raise SystemExit(f"GET {path}: {reply.status_code}")
    return elapsed


def in_reach_ids(url: str, rng: random.Random, count: int) -> list[int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM donors")).scalar()
    engine.dispose()
    return [rng.randrange(1, top // 2) * 2 for _ in range(count)]


def measure(engine_name: str, donors: int) -> dict:
    url = database(engine_name, donors)
    migrated = make_engine(url)
    upgrade(migrated)  # cached data from an earlier schema
    migrated.dispose()
    rng = random.Random(42)
    prefixes = typed_prefixes(url, rng, 300)
    ids = in_reach_ids(url, rng, 200)
    engine = make_engine(url)
    in_process, raw = [], []
    with session_scope(engine) as session:
        hanoi = session.execute(text("SELECT chapter_id FROM users WHERE login = :l"), {"l": LOGIN}).scalar()
        for query in prefixes:
            start = time.perf_counter()
            find_donors(session=session, query=query, limit=21, chapters=[hanoi])
            in_process.append((time.perf_counter() - start) * 1000)
        for query in prefixes:  # the floor: one range of the chapter's names, a page of ids and names
            start = time.perf_counter()
            session.execute(text(RAW_SEARCH), {"c": hanoi, "lo": query, "hi": query + "\uffff"}).all()
            raw.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    server, base = serve(url, Path(f"bench-data/http-{engine_name}.serve.log"))
    try:
        client = signed_in(base)
        try:
            for _ in range(10):  # warm up: first requests compile templates and fill caches
                timed(client, "/")
            figures = {
                "healthz": [timed(client, "/healthz") for _ in range(100)],
                "dashboard": [timed(client, "/") for _ in range(100)],
                "search": [timed(client, f"/donors?q={q}", {"HX-Request": "true"}) for q in prefixes],
                "donor": [timed(client, f"/donors/{i}") for i in ids],
                "search in-process": in_process,
                "search raw SQL": raw,
            }
        finally:
            client.close()
        figures["users"] = users(base, prefixes, ids)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return figures


def users(base: str, prefixes: list[str], ids: list[int]) -> dict:
    """USERS signed-in clients for USERS_SECONDS: 20% dashboard, 50% search, 30% donor pages."""
    clients = [signed_in(base) for _ in range(USERS)]
    latencies, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + USERS_SECONDS

    def loop(n: int) -> None:
        rng, client = random.Random(n), clients[n]
        while time.monotonic() < deadline:
            pick = rng.random()
            path = "/" if pick < 0.2 else f"/donors?q={rng.choice(prefixes)}" if pick < 0.7 \
                else f"/donors/{rng.choice(ids)}"
            start = time.perf_counter()
            try:
                ok = client.get(path, headers={"HX-Request": "true"} if "?q=" in path else None).status_code == 200
            except httpx.HTTPError as exc:
                ok = False
                with lock:
                    errors.append(repr(exc))
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)
                if not ok:
                    errors.append(path)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return {"requests": len(latencies), "errors": len(errors), "p50": pctl(latencies, 50),
            "p95": pctl(latencies, 95), "first errors": errors[:3]}


def report(engine_name: str, figures: dict) -> None:
    print(f"\n{engine_name}, load average {os.getloadavg()[0]:.1f}\n")
    print("| request | n | p50 | p95 | max | target |")
    print("|---|---:|---:|---:|---:|---|")
    for name, values in figures.items():
        if name == "users":
            continue
        target = TARGETS.get(name)
        verdict = "" if target is None else \
            f"p95 < {target} ms — {'met' if pctl(values, 95) < target else '**not met**'}"
        print(f"| {name} | {len(values)} | {pctl(values, 50):.1f} ms | {pctl(values, 95):.1f} ms | "
              f"{max(values):.1f} ms | {verdict} |")
    u = figures["users"]
    print(f"\n{USERS} signed-in users × {USERS_SECONDS:.0f} s: {u['requests']:,} requests, {u['errors']} errors, "
          f"p50 {u['p50']:.0f} ms, p95 {u['p95']:.0f} ms {u['first errors'] or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--donors", type=int, default=1_000_000)
    args = parser.parse_args()
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    for engine_name in engines:
        report(engine_name, measure(engine_name, args.donors))


if __name__ == "__main__":
    main()
