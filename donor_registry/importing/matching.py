"""Deciding which donor a row is: national ID, then phone, then folded name + birth (+ commune)."""

from collections.abc import Iterable
from typing import NamedTuple

from donor_registry.importing.rows import BORN, COMMUNE_KEY, FOLDED, NATIONAL_ID, PHONE, YEAR


class Known(NamedTuple):
    """The compact facts about a donor that matching needs."""

    id: int
    national_id: str | None
    name_folded: str
    date_of_birth: object  # dt.date | None
    birth_year: int | None
    commune_key: str | None
    line: int = 0  # the row of the file that created it; 0 for a registered donor
    slot: int = -1  # its place in the import's running stats (importing/stats.py), when created


class Ambiguous(Exception):
    """More than one donor fits a row."""

    def __init__(self, rule: str, candidates: list[Known]):
        super().__init__(rule)
        self.rule = rule
        self.candidates = candidates


class Matcher:
    """In-memory indexes of known donors (registered, and created earlier in the same file)."""

    def __init__(self) -> None:
        self.by_national_id: dict[str, Known] = {}
        # A key held by one donor maps to it, by several to a list (most keys are unique;
        # a list for each would cost ~90 bytes a donor on a 250,000-donor import).
        self.by_phone: dict[str, Known | list[Known]] = {}
        self.by_name_year: dict[tuple[str, int], Known | list[Known]] = {}

    def load(self, rows: Iterable[tuple]) -> None:
        """Index (id, national_id, phone_e164, name_folded, date_of_birth, birth_year, commune_key) rows."""
        for donor_id, national_id, phone, folded, born, year, commune_key in rows:
            self.add(Known(donor_id, national_id, folded, born, year, commune_key), phone)

    def add(self, known: Known, phone: str | None) -> None:
        """Make a donor findable by every key it has."""
        if known.national_id:
            self.by_national_id[known.national_id] = known
        if phone:
            _put(self.by_phone, phone, known)
        if known.birth_year is not None:
            _put(self.by_name_year, (known.name_folded, known.birth_year), known)

    def match(self, donor: tuple) -> Known | None:
        """The one donor this row's donor part is, None for a new donor; raise Ambiguous."""
        national_id = donor[NATIONAL_ID]
        if national_id:
            found = self.by_national_id.get(national_id)
            if found is not None:
                return found
        phone = donor[PHONE]
        if phone and phone in self.by_phone:
            # A phone is often shared in a family, so it identifies a donor only together
            # with the same folded name (and no conflicting ID or birth).
            fits = [known for known in _all(self.by_phone[phone])
                    if known.name_folded == donor[FOLDED] and _compatible(known, donor, commune=False)]
            if fits:
                return _one(fits, "phone and name")
        year = donor[YEAR]
        if year is not None:
            fits = [known for known in _all(self.by_name_year.get((donor[FOLDED], year), ()))
                    if _compatible(known, donor, commune=True)]
            if fits:
                return _one(fits, "name and birth")
        return None


def _compatible(known: Known, donor: tuple, *, commune: bool) -> bool:
    """No field both sides know disagrees (two different national IDs are two people)."""
    national_id, born, year, commune_key = donor[NATIONAL_ID], donor[BORN], donor[YEAR], donor[COMMUNE_KEY]
    if national_id and known.national_id and national_id != known.national_id:
        return False
    if born is not None and known.date_of_birth is not None and born != known.date_of_birth:
        return False
    if year is not None and known.birth_year is not None and year != known.birth_year:
        return False
    return not (commune and commune_key and known.commune_key and commune_key != known.commune_key)


def _one(fits: list[Known], rule: str) -> Known:
    if len(fits) > 1:
        raise Ambiguous(rule, fits)
    return fits[0]


def _put(index: dict, key, known: Known) -> None:
    held = index.get(key)
    if held is None:
        index[key] = known
    elif isinstance(held, list):
        held.append(known)
    else:
        index[key] = [held, known]


def _all(held) -> list[Known] | tuple:
    return (held,) if held.__class__ is Known else held
