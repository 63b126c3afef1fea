"""The official units since 1 July 2025: 34 provinces and 3,321 communes, by code and by name.

Codes are the statistics office's; they are reused with new meanings (Lào Cai is 15, once Yên
Bái's code), so a stored code goes with UNITS_DATE. Loaded on first use (about 30 ms).
"""

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from donor_registry.places.index import NameIndex

UNITS_DATE = dt.date(2025, 7, 1)
UNITS_SOURCE = "vietnamadminunits 1.0.4 (MIT), data/processed 2025-08"

# Names people use that are not the official name or short name (folded).
_PROVINCE_ALIASES = {"hcm": "79", "tphcm": "79", "sai gon": "79", "hn": "01"}


@dataclass(frozen=True, slots=True)
class Province:
    code: str  # two digits, "92"
    name: str  # "Thành phố Cần Thơ"
    kind: str  # "province" (tỉnh) or "city" (thành phố trực thuộc trung ương)
    short: str = field(default="", compare=False)  # "Cần Thơ"


@dataclass(frozen=True, slots=True)
class Commune:
    code: str  # five digits, "31507"
    name: str  # "Phường Sóc Trăng"
    kind: str  # "commune" (xã), "ward" (phường) or "special_zone" (đặc khu)
    province_code: str
    latitude: float  # reference point (centroid) from the data source
    longitude: float
    short: str = field(default="", compare=False)  # "Sóc Trăng"


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("donor_registry.places").joinpath("data", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def _tables():
    provinces = {
        r["code"]: Province(r["code"], r["name"], r["kind"], r["short"])
        for r in _rows("provinces.csv")
    }
    communes = {
        r["code"]: Commune(r["code"], r["name"], r["kind"], r["province_code"],
                           float(r["latitude"]), float(r["longitude"]), r["short"])
        for r in _rows("communes.csv")
    }
    by_province: dict[str, list[Commune]] = {code: [] for code in provinces}
    for commune in communes.values():
        by_province[commune.province_code].append(commune)
    province_index = NameIndex(
        provinces.values(), lambda p: (p.name, p.short), lambda p: p.kind,
        {alias: [provinces[code]] for alias, code in _PROVINCE_ALIASES.items()},
    )
    commune_index = NameIndex(communes.values(), lambda c: (c.name, c.short), lambda c: c.kind)
    return provinces, communes, {k: tuple(v) for k, v in by_province.items()}, province_index, commune_index


def _province_code(text: str) -> str | None:
    text = text.strip()
    return text.zfill(2) if text.isdigit() and len(text) <= 2 else None


def _commune_code(text: str) -> str | None:
    text = text.strip()
    return text if text.isdigit() and len(text) == 5 else None


def provinces() -> tuple[Province, ...]:
    """All 34 provinces and centrally-run cities, by code."""
    return tuple(sorted(_tables()[0].values(), key=lambda p: p.code))


def province(code: str) -> Province | None:
    return _tables()[0].get(code)


def commune(code: str) -> Commune | None:
    return _tables()[1].get(code)


def communes_of(province_code: str) -> tuple[Commune, ...]:
    """The communes, wards and special zones of a province, by code (empty if no such province)."""
    return _tables()[2].get(province_code, ())


def find_provinces(text: str) -> list[Province]:
    """Provinces the text names: a code ("92", "1") or a name ("TP Cần Thơ", "can tho")."""
    code = _province_code(text)
    if code is not None:
        found = province(code)
        return [found] if found else []
    return _tables()[3].find(text)


def find_communes(text: str, province_code: str | None = None) -> list[Commune]:
    """Communes the text names, within a province if given: a code or a name ("P.05")."""
    code = _commune_code(text)
    if code is not None:
        found = commune(code)
        ok = found is not None and province_code in (None, found.province_code)
        return [found] if ok else []
    among = None if province_code is None else (lambda c: c.province_code == province_code)
    return _tables()[4].find(text, among)


def suggest_provinces(text: str, limit: int = 5) -> list[Province]:
    """Provinces with a name close to the text, for "did you mean"."""
    return _tables()[3].suggest(text, limit=limit)


def suggest_communes(text: str, province_code: str | None = None, limit: int = 5) -> list[Commune]:
    """Communes with a name close to the text (within a province if given), for "did you mean"."""
    among = None if province_code is None else (lambda c: c.province_code == province_code)
    return _tables()[4].suggest(text, among, limit)
