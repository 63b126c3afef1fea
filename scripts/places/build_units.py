"""Rebuild donor_registry/places/data/*.csv from the vietnamadminunits package's data tables.

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau && unzip /tmp/vau/*.whl -d /tmp/vau
    .venv/bin/python scripts/places/build_units.py /tmp/vau/vietnamadminunits/data

Only the tables are read (dataset.db, converter_2025.json); the package itself is not imported,
so neither it nor its dependencies (shapely, geopy, ...) become ours. Every candidate of a split
commune is written; the package's `isDefaultNewWard` choice is dropped on purpose.
"""

import csv
import json
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "donor_registry" / "places" / "data"
PROVINCE_KIND = {"Tỉnh": "province", "Thành phố": "city"}
COMMUNE_KIND = {"Xã": "commune", "Phường": "ward", "Đặc khu": "special_zone"}


def _province_kind(name: str) -> str:
    return "city" if name.startswith("Thành phố") else "province"


def _write(name: str, header: list[str], rows) -> None:
    with open(OUT / name, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(sorted(rows))
    print(name, "written")


def main(data_dir: str) -> None:
    db = sqlite3.connect(Path(data_dir) / "dataset.db")
    conv = json.loads((Path(data_dir) / "converter_2025.json").read_text(encoding="utf-8"))
    new = db.execute(
        "select provinceCode, province, provinceShort, wardCode, ward, wardShort, wardType,"
        " wardLat, wardLon, provinceKey, wardKey from admin_units"
    ).fetchall()
    provinces = {(r[0], r[1], r[2], _province_kind(r[1])) for r in new}
    _write("provinces.csv", ["code", "name", "short", "kind"], provinces)
    _write(
        "communes.csv",
        ["code", "name", "short", "kind", "province_code", "latitude", "longitude"],
        [(r[3], r[4], r[5], COMMUNE_KIND[r[6]], r[0], r[7], r[8]) for r in new],
    )
    code_of_new = {(r[9], r[10]): r[3] for r in new}
    province_of_new = {r[9]: r[0] for r in new}

    targets: dict[str, set[str]] = {}
    for pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for wkey, legacy_keys in wards.items():
            for legacy in legacy_keys:
                targets.setdefault(legacy, set()).add(code_of_new[(pkey, wkey)])
    for pkey, legacy_wards in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for legacy, parts in legacy_wards.items():
            for part in parts:
                targets.setdefault(legacy, set()).add(code_of_new[(pkey, part["newWardKey"])])
    new_province_of_old = {
        old: province_of_new[newp] for newp, olds in conv["DICT_PROVINCE"].items() for old in olds
    }

    legacy = db.execute(
        "select provinceCode, province, provinceShort, districtCode, district, districtShort,"
        " wardCode, ward, wardShort, provinceKey, districtKey, wardKey from admin_units_legacy"
    ).fetchall()
    _write(
        "legacy_provinces.csv",
        ["code", "name", "short", "new_province_code"],
        {(r[0], r[1], r[2], new_province_of_old[r[9]]) for r in legacy},
    )
    _write(
        "legacy_districts.csv",
        ["code", "name", "province_code"],
        {(r[3], r[4], r[0]) for r in legacy},
    )
    rows = []
    for r in legacy:
        key = f"{r[9]}_{r[10]}_{r[11] or ''}"
        codes = targets[key]  # KeyError: a legacy unit the mapping forgot; fail loudly
        rows.append((r[6] or "", r[7] or "", r[3], " ".join(sorted(codes))))
    _write("legacy_communes.csv", ["code", "name", "district_code", "new_commune_codes"], rows)


if __name__ == "__main__":
    main(sys.argv[1])
