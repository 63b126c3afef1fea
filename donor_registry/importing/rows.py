"""Parsing and checking each row of an import file into a donor part and a donation part."""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from hashlib import blake2b as _digest
from operator import itemgetter

from donor_registry.i18n import _
from donor_registry.importing import values
from donor_registry.importing.headers import HeaderMap
from donor_registry.places.addresses import ADDRESS_COLUMNS, names_for_codes
from donor_registry.places.addresses import columns as address_columns
from donor_registry.places.legacy import convert as convert_address
from donor_registry.types import Sex

# The donor columns an import writes, in the order ParsedRow.donor holds them.
DONOR_COLUMNS = (
    "full_name", "name_folded", "date_of_birth", "birth_year", "sex", "abo", "rh", "phone_e164",
    "phone_sms_capable", "national_id", "address", "commune", "commune_key", "district",
    "district_key", "province", "province_key", "weight_kg", "notes", "consent_channel",
    *ADDRESS_COLUMNS,
)
DONATION_COLUMNS = ("donated_on", "type", "volume_ml", "certificate_no", "site", "deferral_reason",
                    "deferral_until")
DONATION_FIELDS = ("donated_on", "donation_type", "volume_ml", "certificate_no", "site", "deferral_reason",
                   "deferral_until")
FOLDED, BORN, YEAR, SEX, ABO, RH, PHONE, NATIONAL_ID, COMMUNE_KEY, WEIGHT, CONSENT = 1, 2, 3, 4, 5, 6, 7, 9, 12, 17, 19
ADDRESS_STATUS = DONOR_COLUMNS.index("address_status")
# Values repeat within a few thousand distinct ones (days, places, groups); near-unique ones
# (dates of birth) would only fill memory, so a full cache starts again.
_CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class RowError:
    """Why a row was refused: its line in the file, the column as headed there, and the reason."""

    line: int
    column: str
    reason: str


@dataclass(slots=True)
class ParsedRow:
    line: int
    donor: tuple  # DONOR_COLUMNS
    donation: tuple | None  # DONATION_COLUMNS, for a donation file


_MISSING = object()
_REASON_HEADER = "Lý do hoãn"


class _Invalid:
    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


class _Cached:
    """A converter remembering its answer (or its refusal) for each distinct cell value."""

    __slots__ = ("cache", "convert", "keep")

    def __init__(self, convert: Callable, keep: bool = True):
        self.convert, self.cache, self.keep = convert, {}, keep

    def __call__(self, raw):
        try:
            return self.cache[raw]
        except KeyError:
            pass
        except TypeError:  # an unhashable cell from a spreadsheet library; convert it as is
            return self._convert(raw)
        result = self._convert(raw)
        if self.keep:
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            self.cache[raw] = result
        return result

    def _convert(self, raw):
        try:
            return self.convert(raw)
        except ValueError as exc:
            return _Invalid(str(exc))


def _converters(today: dt.date) -> dict[str, _Cached]:
    return {
        # Each donor's cells are parsed once (later rows of the donor are matched by their key),
        # so names and addresses, nearly unique, are not worth remembering.
        "full_name": _Cached(values.name, keep=False),
        "date_of_birth": _Cached(partial(values.birth, today=today)),
        # A "Năm sinh" column often holds full dates: both columns accept either.
        "birth_year": _Cached(partial(values.birth, today=today)),
        "sex": _Cached(values.sex),
        "blood_group": _Cached(values.blood_group),
        "phone": _Cached(values.phone, keep=False),
        "national_id": _Cached(values.national_id, keep=False),
        "address": _Cached(values.address),  # villages and hamlets repeat within a commune
        "commune": _Cached(values.place),
        "district": _Cached(values.place),
        "province": _Cached(values.place),
        "weight_kg": _Cached(values.weight),
        "notes": _Cached(values.notes, keep=False),
        "consent": _Cached(values.consent),
        "donated_on": _Cached(partial(_donation_date, today=today)),
        "donation_type": _Cached(values.donation_type),
        "volume_ml": _Cached(values.volume),
        "certificate_no": _Cached(values.certificate, keep=False),
        "site": _Cached(values.site),
        "deferral_reason": _Cached(values.deferral_reason),
        "deferral_until": _Cached(values.deferral_until),
    }


def _donation_date(raw, *, today: dt.date) -> dt.date | None:
    if not values.text(raw):
        raise ValueError(_("the donation date is empty"))
    day = values.date(raw, what=_("donation date"))
    if day > today:
        raise ValueError(_("the donation date {day:%d/%m/%Y} is in the future").format(day=day))
    if day.year < 1950:
        raise ValueError(_("the donation date {day:%d/%m/%Y} is before 1950").format(day=day))
    return day


_EMPTY = {
    "full_name": (None, None), "date_of_birth": (None, None), "birth_year": (None, None),
    "sex": Sex.unknown, "blood_group": (None, None), "phone": (None, False),
    "national_id": None, "address": None, "commune": (None, None), "district": (None, None),
    "province": (None, None), "weight_kg": None, "notes": None, "consent": None, "donated_on": None,
    "donation_type": values.DONATION_TYPES[""], "volume_ml": None, "certificate_no": None,
    "site": None, "deferral_reason": None, "deferral_until": None,
}


def _address(province: tuple, district: tuple, commune: tuple) -> tuple:
    """The donor's place columns for (text, key) pairs as parsed: the texts (a code becomes the
    unit's name), their keys, and the address by official code (places.addresses)."""
    (province_text, province_key), (commune_text, commune_key) = province, commune
    named = names_for_codes(province_text, commune_text)
    if named != (province_text, commune_text):
        (province_text, province_key), (commune_text, commune_key) = (
            values.place(named[0]), values.place(named[1]))
    return (province_text, province_key, *district, commune_text, commune_key,
            *address_columns(convert_address(province_text, district[0], commune_text)))


class RowParser:
    """Turns the cells of one row into canonical values, or into the list of what is wrong."""

    def __init__(self, header_map: HeaderMap, *, kind: str, today: dt.date, text_cells: bool = True):
        converters = _converters(today)
        self.text_cells = text_cells  # every cell is a str (CSV), so a joined string is a safe key
        self.kind = kind
        self.headers = header_map.headers
        self.fields = [
            (name, index, header_map.headers[index], converters[name])
            for name, index in header_map.columns.items() if name not in DONATION_FIELDS
        ]
        self.donor_indexes = sorted(index for _, index, _, _ in self.fields)
        # The first column twice: itemgetter then gives a tuple even for one column.
        self._key_indexes = (*self.donor_indexes, self.donor_indexes[0])
        self._pick = itemgetter(*self._key_indexes)
        # (province, district, commune) as entered -> their texts, keys and address columns:
        # a file holds a few thousand distinct addresses, each converted once.
        self.addresses: dict[tuple, tuple] = {}
        self.donation_fields = [
            (header_map.columns.get(name), header_map.headers[header_map.columns[name]]
             if name in header_map.columns else "", converters[name], _EMPTY[name])
            for name in DONATION_FIELDS
        ] if kind == "donations" else []

    def donor_key(self, cells: Sequence) -> bytes:
        """A key equal for rows whose donor cells are equal (their donor parts are then equal):
        a 128-bit digest of the cells, 49 bytes however long they are. A million-row import
        keeps one per donor; two different donors share one with odds below 1e-26."""
        try:
            picked = self._pick(cells)
        except IndexError:  # a short row: the missing cells are empty
            picked = tuple(cells[index] if index < len(cells) else "" for index in self._key_indexes)
        text = "\x1f".join(picked) if self.text_cells else ""
        if text.count("\x1f") != len(picked) - 1:  # a cell holding the separator, or spreadsheet cells
            text = repr(picked)  # unambiguous for str, numbers, dates and None
        return _digest(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def parse(self, line: int, cells: Sequence) -> ParsedRow | list[RowError]:
        """The row's canonical values, or every problem found in it."""
        donor = self.parse_donor(line, cells)
        born = None if donor.__class__ is list else donor[BORN]
        donation = self.parse_donation(line, cells, born) if self.kind == "donations" else None
        errors = [*(donor if donor.__class__ is list else ()),
                  *(donation if donation.__class__ is list else ())]
        return errors or ParsedRow(line, donor, donation)

    def parse_donor(self, line: int, cells: Sequence) -> tuple | list[RowError]:
        """The donor part of a row (DONOR_COLUMNS), or its problems."""
        got = dict(_EMPTY)
        errors: list[RowError] = []
        width = len(cells)
        for name, index, header, convert in self.fields:
            result = convert(cells[index] if index < width else "")
            if result.__class__ is _Invalid:
                errors.append(RowError(line, header, result.reason))
            else:
                got[name] = result
        born, year = got["date_of_birth"]
        other_born, other_year = got["birth_year"]
        if year is None:
            born, year = other_born, other_year
        elif other_year is not None and (other_year != year or (other_born or born) != born):
            errors.append(RowError(line, self._header("birth_year"),
                                   f"'{cells[self._index('birth_year')]}' does not match the date of birth "
                                   f"{born:%d/%m/%Y}" if born else f"does not match the birth year {year}"))
        if errors:
            return errors
        full_name, folded = got["full_name"]
        abo, rh = got["blood_group"]
        phone, sms = got["phone"]
        entered = (got["province"], got["district"], got["commune"])
        address = self.addresses.get(entered)
        if address is None:
            address = self.addresses[entered] = _address(*entered)
        province, province_key, district, district_key, commune, commune_key, *codes = address
        return (
            full_name, folded, born, year, got["sex"], abo, rh, phone, sms,
            got["national_id"], got["address"], commune, commune_key, district, district_key,
            province, province_key, got["weight_kg"], got["notes"], got["consent"], *codes,
        )

    def parse_donation(self, line: int, cells: Sequence, born: dt.date | None) -> tuple | list[RowError]:
        """The donation part of a row (DONATION_COLUMNS), or its problems."""
        width = len(cells)
        found = []
        errors = None
        for index, header, convert, default in self.donation_fields:
            if index is None:
                found.append(default)
                continue
            raw = cells[index] if index < width else ""
            # The cache lookup inlined: this runs for every field of every donation row.
            result = convert.cache.get(raw, _MISSING) if raw.__class__ is str else _MISSING
            if result is _MISSING:
                if (convert.convert is values.certificate and raw.__class__ is str and len(raw) <= 50
                        and raw.isprintable()):
                    result = raw.strip() or None  # unique per row: not worth a call chain
                else:
                    result = convert(raw)
            if result.__class__ is _Invalid:
                errors = errors or []
                errors.append(RowError(line, header, result.reason))
            found.append(result)
        if errors:
            return errors
        if born is not None and found[0] < born:
            return [RowError(line, self.donation_fields[0][1],
                             _("the donation date is before the date of birth"))]
        if found[5] is not None or found[6] is not None:
            return self._deferral_errors(line, found) or tuple(found)
        return tuple(found)

    def _deferral_errors(self, line: int, found: list) -> list[RowError]:
        """What does not fit a deferral row: a deferral has a reason, ends after its day, and
        records no blood given."""
        day, _type, volume, certificate, _site, reason, until = found
        header = {name: field[1] for name, field in zip(DONATION_FIELDS, self.donation_fields, strict=True)}
        errors = []
        if reason is None:
            errors.append(RowError(line, header["deferral_until"],
                                   _("a deferral needs its reason in the '{column}' column").format(
                                       column=_REASON_HEADER)))
        if until is not None and until <= day:
            errors.append(RowError(line, header["deferral_until"],
                                   _("the deferral must end after the day it was given")))
        if reason is not None and volume is not None:
            errors.append(RowError(line, header["volume_ml"],
                                   _("a deferral gives no blood: leave the volume empty")))
        if reason is not None and certificate is not None:
            errors.append(RowError(line, header["certificate_no"], _("a deferral has no certificate number")))
        return errors

    def _header(self, name: str) -> str:
        return next(header for field, _, header, _ in self.fields if field == name)

    def _index(self, name: str) -> int:
        return next(index for field, index, _, _ in self.fields if field == name)
