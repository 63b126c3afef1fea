"""Old (province, district, commune) -> new (province, commune), never guessed.

One certain new commune: converted. An old commune split between several new ones, or text
naming several units: flagged with every candidate. Nothing matching: unknown. Two-level input
naming a unit since 2025-07-01: new. Pure and cached per distinct address, so an import of a
million rows converts each of its few thousand distinct addresses once.
"""

import csv
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from donor_registry.places import units
from donor_registry.places.index import NameIndex
from donor_registry.places.names import name_key_uncached
from donor_registry.places.status import AddressStatus

_ALIASES = {"hcm": "79", "tphcm": "79", "sai gon": "79", "hn": "01", "brvt": "77"}


@dataclass(frozen=True, slots=True)
class OldProvince:
    code: str
    name: str
    short: str
    new_code: str


@dataclass(frozen=True, slots=True)
class OldDistrict:
    code: str
    name: str
    province_code: str


@dataclass(frozen=True, slots=True)
class OldCommune:
    code: str  # "" for the island districts that had no commune
    name: str
    district_code: str
    targets: tuple[str, ...]  # new commune codes; more than one: split


@dataclass(frozen=True, slots=True)
class Conversion:
    status: AddressStatus
    province_code: str | None = None  # set whenever the province is certain
    commune_code: str | None = None  # set only when resolved
    candidates: tuple[str, ...] = ()  # new commune codes a person chooses from

    @property
    def flagged(self) -> bool:
        return self.status in (AddressStatus.split, AddressStatus.ambiguous, AddressStatus.unknown)


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("donor_registry.places").joinpath("data", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _kind(name: str) -> str:
    return name_key_uncached(name).kind or ""


@cache
def _tables():
    provinces = {r["code"]: OldProvince(r["code"], r["name"], r["short"], r["new_province_code"])
                 for r in _rows("legacy_provinces.csv")}
    districts = {r["code"]: OldDistrict(r["code"], r["name"], r["province_code"])
                 for r in _rows("legacy_districts.csv")}
    communes = [OldCommune(r["code"], r["name"], r["district_code"], tuple(r["new_commune_codes"].split()))
                for r in _rows("legacy_communes.csv")]
    by_district: dict[str, list[OldCommune]] = {}
    for c in communes:
        by_district.setdefault(c.district_code, []).append(c)
    p_index = NameIndex(provinces.values(), lambda p: (p.name, p.short), lambda p: _kind(p.name),
                        {a: [provinces[c]] for a, c in _ALIASES.items()})
    d_index = NameIndex(districts.values(), lambda d: (d.name,), lambda d: _kind(d.name))
    c_index = NameIndex([c for c in communes if c.code], lambda c: (c.name,), lambda c: _kind(c.name))
    return provinces, districts, by_district, p_index, d_index, c_index


def old_provinces(text: str) -> list[OldProvince]:
    provinces, *_, p_index, _d, _c = _tables()
    if not text:
        return list(provinces.values())
    if text.isdigit() and len(text) <= 2:
        found = provinces.get(text.zfill(2))
        return [found] if found else []
    return p_index.find(text)


def old_provinces_meant(text: str) -> list[OldProvince]:
    """The old provinces a province as entered may mean: those it names, and those merged into
    the new province it names ("Tỉnh Lào Cai" with an old district of Yên Bái)."""
    found = old_provinces(text)
    if text:
        new_codes = {p.code for p in units.find_provinces(text)}
        found += [p for p in _tables()[0].values() if p.new_code in new_codes and p not in found]
    return found


def old_districts(text: str, province_codes: set[str]) -> list[OldDistrict]:
    _p, districts, _b, _pi, d_index, _c = _tables()
    if text.isdigit() and len(text) <= 3:
        found = districts.get(text.zfill(3))
        return [found] if found and found.province_code in province_codes else []
    return d_index.find(text, lambda d: d.province_code in province_codes)


def old_communes(text: str, district_codes: set[str]) -> list[OldCommune]:
    _p, _d, by_district, _pi, _di, c_index = _tables()
    if not text:  # an island district without communes is one unit by itself
        return [c for code in district_codes for c in by_district.get(code, ()) if not c.code]
    if text.isdigit() and len(text) == 5:
        return [c for code in district_codes for c in by_district.get(code, ()) if c.code == text]
    return c_index.find(text, lambda c: c.district_code in district_codes)


def _one_province(codes) -> str | None:
    found = {units.commune(code).province_code for code in codes}
    return found.pop() if len(found) == 1 else None


def _convert_old_communes(found: list[OldCommune]) -> Conversion | None:
    if not found:
        return None
    targets = tuple(sorted({code for c in found for code in c.targets}))
    province_code = _one_province(targets)
    if len(targets) == 1:
        return Conversion(AddressStatus.converted, province_code, targets[0])
    status = AddressStatus.split if len(found) == 1 else AddressStatus.ambiguous
    return Conversion(status, province_code, None, targets)


def _from_new(province_text: str, commune_text: str) -> Conversion | None:
    """Two-level input: a province and a commune since 2025-07-01."""
    provinces = units.find_provinces(province_text) if province_text else list(units.provinces())
    if not provinces:
        return None
    if not commune_text:
        code = provinces[0].code if len(provinces) == 1 else None
        return Conversion(AddressStatus.unknown, code) if code else None
    found = [c for p in provinces for c in units.find_communes(commune_text, p.code)]
    if len(found) == 1:
        return Conversion(AddressStatus.new, found[0].province_code, found[0].code)
    if len(found) > 1:
        codes = tuple(sorted(c.code for c in found))
        return Conversion(AddressStatus.ambiguous, _one_province(codes), None, codes)
    return None


def _from_old(province_text: str, district_text: str, commune_text: str) -> Conversion | None:
    found = old_provinces_meant(province_text)
    if not found:
        return None
    codes = {p.code for p in found}
    if district_text:
        districts = old_districts(district_text, codes)
        if not districts:
            return None
        return _convert_old_communes(old_communes(commune_text, {d.code for d in districts}))
    if not commune_text or not province_text:
        return None
    # An old province with a commune but no district: the commune's name must be enough.
    all_districts = {d.code for d in _tables()[1].values() if d.province_code in codes}
    return _convert_old_communes(old_communes(commune_text, all_districts))


def _province_only(province_text: str) -> str | None:
    """The new province an old or new province name certainly means, if any."""
    new = units.find_provinces(province_text) if province_text else []
    if len(new) == 1:
        return new[0].code
    old = {p.new_code for p in old_provinces(province_text)} if province_text else set()
    return old.pop() if len(old) == 1 else None


# Each caller converting many rows (the import's parser, the migration) already keeps one result
# per distinct address; this cache serves the rest without holding a second copy of them all.
@lru_cache(maxsize=1 << 12)
def convert(province: str | None, district: str | None, commune: str | None) -> Conversion:
    """The new (province, commune) an address as entered resolves to, or why it does not."""
    p, d, c = ((x or "").strip() for x in (province, district, commune))
    if not (p or d or c):
        return Conversion(AddressStatus.empty)
    result = None
    if not d:
        result = _from_new(p, c)
        if result is not None and result.status is AddressStatus.new:
            return result
    result = _from_old(p, d, c) or result
    if result is None and d:  # an old district with a commune named since 2025-07-01
        result = _from_new(p, c)
        result = result if result is not None and result.status is AddressStatus.new else None
    if result is None:
        return Conversion(AddressStatus.unknown, _province_only(p))
    return result


def suggest_districts(text: str, province: str | None = None, limit: int = 5) -> list[OldDistrict]:
    """Old districts named close to the text (within the old province if it is known)."""
    codes = {p.code for p in old_provinces_meant((province or "").strip())}
    return _tables()[4].suggest(text, lambda d: d.province_code in codes, limit)


def suggest_provinces(text: str, limit: int = 5) -> list[OldProvince]:
    """Old provinces (before 2025-07-01) named close to the text."""
    return _tables()[3].suggest(text, limit=limit)


def suggest_communes(text: str, province: str | None, district: str, limit: int = 5) -> list[OldCommune]:
    """Old communes of the old district named close to the text."""
    meant = {p.code for p in old_provinces_meant((province or "").strip())}
    codes = {d.code for d in old_districts(district, meant)}
    return _tables()[5].suggest(text, lambda c: c.district_code in codes, limit)
