"""Addresses by official units: conversion speed, and the import with and without it.

1. conversion: every old commune of the statistics office's list (10,040) written five ways
   (official names, short names, no diacritics, "P." / "TP" / "Q." abbreviations, upper case),
   converted once each with the cache emptied (what an import pays per distinct address), then
   a million lookups of those addresses through the cache (what it pays per row).
2. import: 1,000,000 donation rows (~250,000 donors; scripts/datagen.py) whose addresses are
   replaced by real pre-2025 and post-2025 addresses (a donor keeps one), imported twice in the
   same run into fresh SQLite files: with the conversion, and with it replaced by a stub that
   returns "empty" (the baseline: everything else the same). Target: within the records issue's
   import target, i.e. the conversion adds little to the import.

Review paging (`addresses review` over 250,000 flagged donors, both engines) is
scripts/benchmarks/addresses_review.py.

    PYTHONPATH=. .venv/bin/python scripts/benchmarks/addresses.py [--rows N] [--skip-import]
"""

import argparse
import csv
import hashlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


# The import, with the conversion replaced by an "empty" stub: the same run's baseline.
WITHOUT_CONVERSION = """
import sys
from donor_registry.importing import rows
from donor_registry.places.legacy import Conversion
from donor_registry.places.status import AddressStatus
EMPTY = Conversion(AddressStatus.empty)
rows.convert_address = lambda province, district, commune: EMPTY
from donor_registry.cli import main
sys.argv = ["donor-registry", *sys.argv[1:]]
main()
"""
WITH_CONVERSION = """
import sys
from donor_registry.cli import main
sys.argv = ["donor-registry", *sys.argv[1:]]
main()
"""


def legacy_rows() -> list[tuple[str, str, str]]:
    from donor_registry.places import legacy

    provinces, districts, by_district, *_ = legacy._tables()
    return [(provinces[districts[code].province_code].name, districts[code].name, c.name)
            for code, communes in by_district.items() for c in communes if c.code]


def _abbreviated(name: str) -> str:
    for long, short in (("Thành phố ", "TP "), ("Phường ", "P."), ("Quận ", "Q."), ("Huyện ", "H."),
                        ("Thị xã ", "TX "), ("Thị trấn ", "TT "), ("Tỉnh ", ""), ("Xã ", "X.")):
        if name.startswith(long):
            return short + name[len(long):]
    return name


def _without_prefix(name: str) -> str:
    for prefix in ("Thành phố ", "Phường ", "Quận ", "Huyện ", "Thị xã ", "Thị trấn ", "Tỉnh ", "Xã "):
        if name.startswith(prefix) and not name[len(prefix):].isdigit():
            return name[len(prefix):]
    return name


def spellings(row: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    from donor_registry.text import strip_diacritics

    short = tuple(_without_prefix(x) for x in row)
    return [row, tuple(_abbreviated(x) for x in row), tuple(strip_diacritics(x) for x in row),
            tuple(x.upper() for x in row), short]


def bench_conversion() -> dict:
    from donor_registry.places import legacy, units

    start = time.perf_counter()
    legacy.convert("", "", "")
    units.find_provinces("x")
    load = time.perf_counter() - start
    addresses = [s for row in legacy_rows() for s in spellings(row)]
    legacy.convert.cache_clear()
    start = time.perf_counter()
    statuses: dict[str, int] = {}
    for address in addresses:
        status = legacy.convert(*address).status.value
        statuses[status] = statuses.get(status, 0) + 1
    first = time.perf_counter() - start
    rng = random.Random(3)
    replay = [rng.choice(addresses) for _ in range(1_000_000)]
    start = time.perf_counter()
    for address in replay:
        legacy.convert(*address)
    cached = time.perf_counter() - start
    return {"load": load, "distinct": len(addresses), "first": first, "cached": cached, "statuses": statuses}


def address_pool() -> list[tuple[str, str, str]]:
    """Real addresses as chapters' files hold them: 6,000 pre-2025 three-level ones (3,000 old
    communes, two spellings each), 3,000 two-level ones since 2025-07-01, 500 naming nothing."""
    from donor_registry.places import units

    rng = random.Random(5)
    old = rng.sample(legacy_rows(), 3000)
    pool = [rng.choice(spellings(row)) for row in old for _ in range(2)]
    communes = [c for p in units.provinces() for c in units.communes_of(p.code)]
    pool += [(units.province(c.province_code).name, "", c.name) for c in rng.sample(communes, 3000)]
    pool += [(rng.choice(["Hà Nội", "Cần Thơ", "Sóc Trăng"]), f"Huyện Không Có {i}", f"Xã Mới {i}")
             for i in range(500)]
    return pool


def address_file(source: Path, target: Path) -> None:
    """The donation CSV with each donor's address replaced by one from the pool (by phone)."""
    pool = address_pool()
    with source.open(encoding="utf-8-sig", newline="") as f, target.open("w", encoding="utf-8-sig", newline="") as out:
        reader, writer = csv.reader(f), csv.writer(out)
        writer.writerow(next(reader))
        for row in reader:
            key = int.from_bytes(hashlib.blake2b((row[1] + row[2] + row[5]).encode(), digest_size=8).digest())
            row[10], row[9], row[8] = pool[key % len(pool)]
            writer.writerow(row)


def _import_helpers():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "scripts" / "benchmarks" / "import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_imports(rows: int) -> dict:
    helpers = _import_helpers()
    source = helpers.data_file(rows)
    path = ROOT / "bench-data" / f"donations-{rows}-s1-addresses.csv"
    if not path.exists():
        print(f"writing {path} (once)…", file=sys.stderr)
        address_file(source, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-addresses-") as tmp:
        for name, program in (("without conversion", WITHOUT_CONVERSION), ("with conversion", WITH_CONVERSION),
                              ("without conversion, again", WITHOUT_CONVERSION)):
            work = Path(tmp) / name.replace(" ", "-").replace(",", "")
            work.mkdir()
            url, env = helpers.registry_db(work)
            results[name] = helpers.measure([sys.executable, "-c", program, "import", "donations", str(path),
                                             "--json"], env=env)
            results[name]["rows_in_db"] = helpers.imported_rows(url)
            if name == "with conversion":
                results[name]["statuses"] = _statuses(url)
            print(f"{name}: {results[name]['seconds']:.1f} s", file=sys.stderr)
    return results


def _statuses(url: str) -> dict[str, int]:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    found = dict(conn.execute("SELECT address_status, count(*) FROM donors GROUP BY 1"))
    conn.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    conv = bench_conversion()
    print(f"Conversion ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})\n")
    print("| step | addresses | seconds | per second |")
    print("|---|---:|---:|---:|")
    print(f"| load the unit tables (once per process) | | {conv['load']:.2f} | |")
    print(f"| convert each distinct address once (cache empty) | {conv['distinct']:,} | {conv['first']:.2f} | "
          f"{conv['distinct'] / conv['first']:,.0f} |")
    print(f"| 1,000,000 lookups of those addresses (cached) | 1,000,000 | {conv['cached']:.2f} | "
          f"{1_000_000 / conv['cached']:,.0f} |")
    print(f"\nstatuses of the distinct spellings: {conv['statuses']}\n")

    if not args.skip_import:
        results = run_imports(args.rows)
        base = min(results["without conversion"]["seconds"], results["without conversion, again"]["seconds"])
        ours = results["with conversion"]
        print(f"Import of {args.rows:,} donation rows with real addresses into SQLite\n")
        print("| import | seconds | CPU seconds | peak memory (PSS MB) | rows in db |")
        print("|---|---:|---:|---:|---:|")
        for name, result in results.items():
            print(f"| {name} | {result['seconds']:.1f} | {result['cpu']:.1f} | {result['pss_mb']:.0f} | "
                  f"{result['rows_in_db']:,} |")
        print(f"\nthe conversion adds {ours['seconds'] - base:+.1f} s ({ours['seconds'] / base - 1:+.1%}) to the "
              f"faster baseline; donors by status: {ours['statuses']}; load average {os.getloadavg()[0]:.1f}\n")

    return 0


if __name__ == "__main__":
    raise SystemExit(main())
