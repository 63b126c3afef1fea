"""Deciding which donor a row is. The rules (README, "Matching rows to donors"):

- a national ID held by a donor is that donor, but only if the row's identity (folded name,
  birth, sex and blood group, where both sides know them) agrees; otherwise the row is refused;
- a phone together with the same folded name is the donor, when nothing known on both sides
  conflicts (birth, sex, blood group, national ID); a phone alone proves nothing;
- folded name + birth year is the donor when nothing known on both sides conflicts (full
  birth date, sex, blood group, national ID, phone, commune);
- anything else is a new donor; namesakes then show in `donors duplicates` for a person to decide.
"""

from collections.abc import Iterable
from typing import NamedTuple

from donor_registry.i18n import N_, _
from donor_registry.i18n.labels import label
from donor_registry.importing.rows import (
    ABO,
    BORN,
    COMMUNE_KEY,
    FOLDED,
    NATIONAL_ID,
    PHONE,
    RH,
    SEX,
    YEAR,
)
from donor_registry.types import Sex


def compact(text: str | None):
    """A national ID or an E.164 phone as an int, equal exactly when the texts are equal: a
    million-row import keeps one of each for every donor it creates, and an int takes 32 bytes
    where the text takes 64 (15 MB of a 250,000-donor import). Other text is kept as it is."""
    if not text or not text.isascii():
        return text
    if text.isdigit():
        return int("1" + text)  # the leading 1 keeps leading zeros: 036… is not 36…
    if text[0] == "+" and text[1:].isdigit():
        return -int("1" + text[1:])
    return text


class Known(NamedTuple):
    """The compact facts about a donor that matching needs (national ID and phone as compact())."""

    id: int
    national_id: int | str | None
    name_folded: str
    date_of_birth: object  # dt.date | None
    birth_year: int | None
    commune_key: str | None
    sex: object = None  # Sex | None
    abo: object = None  # ABO | None
    rh: object = None  # Rh | None
    phone: int | str | None = None
    line: int = 0  # the row of the file that created it; 0 for a registered donor
    slot: int = -1  # 0 for a donor the import created (its running stats are kept, stats.py), else -1


class Person(NamedTuple):
    """A donor's identity as the registry holds it, for the rare messages that name one."""

    full_name: str
    name_folded: str
    date_of_birth: object
    birth_year: int | None
    sex: object
    abo: object
    rh: object


class Ambiguous(Exception):
    """More than one donor fits a row."""

    def __init__(self, rule: str, candidates: list[Known]):
        super().__init__(rule)
        self.rule = rule
        self.candidates = candidates


class Conflict(Exception):
    """A row's national ID belongs to a donor whose identity the row contradicts."""

    def __init__(self, known: Known, fields: list[str]):
        super().__init__(", ".join(fields))
        self.known = known
        self.fields = fields


# Which fields, known on both sides, must agree for each rule.
IDENTITY = ("name", "birth", "sex", "blood group")
PHONE_AND_NAME = ("birth", "sex", "blood group", "national ID")
NAME_AND_BIRTH = ("birth", "sex", "blood group", "national ID", "phone", "commune")


class Matcher:
    """In-memory indexes of known donors (registered, and created earlier in the same file)."""

    def __init__(self) -> None:
        self.by_national_id: dict[str, Known] = {}
        # A key held by one donor maps to it, by several to a list (most keys are unique;
        # a list for each would cost ~90 bytes a donor on a 250,000-donor import).
        self.by_phone: dict[str, Known | list[Known]] = {}
        # By the hash of (folded name, birth year): an int takes half the memory of the tuple
        # it stands for; the few donors sharing a hash are told apart by their name (match).
        self.by_name_year: dict[int, Known | list[Known]] = {}

    def load(self, rows: Iterable[tuple]) -> None:
        """Index (id, national_id, phone_e164, name_folded, date_of_birth, birth_year, commune_key,
        sex, abo, rh) rows."""
        shared: dict = {}  # dates of birth, years and communes repeat: one object each
        for donor_id, national_id, phone, folded, born, year, commune_key, sex, abo, rh in rows:
            born, year = shared.setdefault(born, born), shared.setdefault(year, year)
            commune_key = shared.setdefault(commune_key, commune_key)
            self.add(Known(donor_id, compact(national_id), folded, born, year, commune_key, sex, abo, rh,
                           compact(phone)))

    def add(self, known: Known) -> None:
        """Make a donor findable by every key it has."""
        if known.national_id:
            self.by_national_id[known.national_id] = known
        if known.phone:
            _put(self.by_phone, known.phone, known)
        if known.birth_year is not None:
            _put(self.by_name_year, hash((known.name_folded, known.birth_year)), known)

    def match(self, donor: tuple) -> Known | None:
        """The one donor this row's donor part is, None for a new donor; raise Ambiguous or Conflict."""
        national_id = compact(donor[NATIONAL_ID])
        if national_id:
            found = self.by_national_id.get(national_id)
            if found is not None:
                disagree = conflicts(found, donor, IDENTITY)
                if disagree:
                    raise Conflict(found, disagree)
                return found
        phone = compact(donor[PHONE])
        if phone and phone in self.by_phone:
            # A phone is often shared in a family: it identifies a donor only together with
            # the same folded name, and nothing else known on both sides may disagree.
            fits = [known for known in _all(self.by_phone[phone])
                    if known.name_folded == donor[FOLDED] and _agrees(known, donor, strict=False)]
            if fits:
                return _one(fits, "phone and name")
        year = donor[YEAR]
        if year is not None:
            # _agrees compares the birth years (both known here), the name is compared here.
            folded = donor[FOLDED]
            fits = [known for known in _all(self.by_name_year.get(hash((folded, year)), ()))
                    if known.name_folded == folded and _agrees(known, donor, strict=True)]
            if fits:
                return _one(fits, "name and birth")
        return None


def conflicts(known: Known, donor: tuple, fields: tuple[str, ...]) -> list[str]:
    """Those of these identity fields that both sides know and that disagree."""
    found = []
    for field in fields:
        if field == "name":
            differ = donor[FOLDED] != known.name_folded
        elif field == "birth":
            differ = _differ(donor[BORN], known.date_of_birth) or _differ(donor[YEAR], known.birth_year)
        elif field == "sex":
            differ = (donor[SEX] not in (None, Sex.unknown) and known.sex not in (None, Sex.unknown)
                      and donor[SEX] != known.sex)
        elif field == "blood group":
            differ = _differ(donor[ABO], known.abo) or _differ(donor[RH], known.rh)
        elif field == "national ID":
            differ = _differ(compact(donor[NATIONAL_ID]), known.national_id)
        elif field == "phone":
            differ = _differ(compact(donor[PHONE]), known.phone)
        else:  # commune
            differ = _differ(donor[COMMUNE_KEY], known.commune_key)
        if differ:
            found.append(field)
    return found


def _agrees(known: Known, donor: tuple, *, strict: bool) -> bool:
    """No conflict on the fields of PHONE_AND_NAME (or, strict, of NAME_AND_BIRTH): the same
    as `not conflicts(...)`, written out because it runs for most rows' donors."""
    value, other = donor[BORN], known.date_of_birth
    if value is not None and other is not None and value != other:
        return False
    value, other = donor[YEAR], known.birth_year
    if value is not None and other is not None and value != other:
        return False
    value, other = donor[SEX], known.sex
    if value in _KNOWN_SEXES and other in _KNOWN_SEXES and value != other:
        return False
    for value, other in ((donor[ABO], known.abo), (donor[RH], known.rh),
                         (compact(donor[NATIONAL_ID]), known.national_id),
                         *(((compact(donor[PHONE]), known.phone), (donor[COMMUNE_KEY], known.commune_key))
                           if strict else ())):
        if value is not None and other is not None and value != other:
            return False
    return True


_KNOWN_SEXES = frozenset((Sex.male, Sex.female))


def _differ(one, other) -> bool:
    return one is not None and other is not None and one != other


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


# The fields a match compares, as a person reads them (the English words are the codes).
FIELD_WORDS = {"name": N_("name"), "birth": N_("birth"), "sex": N_("sex"), "blood group": N_("blood group"),
               "national ID": N_("national ID"), "phone": N_("phone"), "commune": N_("commune"),
               "phone and name": N_("phone and name"), "name and birth": N_("name and birth")}


def fields_text(fields) -> str:
    """'name, blood group' in the reader's language."""
    return ", ".join(_(FIELD_WORDS.get(field, field)) for field in fields)


def identity(full_name: str, sex, abo, rh, born, year) -> str:
    """'Trần Thị Thúy (nữ, A+, 1990)': a name and what is known of sex, blood group and birth."""
    facts = [label(Sex(sex))] if sex in _KNOWN_SEXES else []
    if abo is not None or rh is not None:
        facts.append(f"{abo or '?'}{rh or ''}")
    if born is not None:
        facts.append(f"{born:%d/%m/%Y}")
    elif year is not None:
        facts.append(str(year))
    return f"{full_name} ({', '.join(facts)})" if facts else full_name


def identity_conflicts(one: Person, other: Person) -> list[str]:
    """The identity fields (IDENTITY) two donors both know and disagree on."""
    found = []
    if one.name_folded != other.name_folded:
        found.append("name")
    if (_differ(one.date_of_birth, other.date_of_birth) or _differ(one.birth_year, other.birth_year)):
        found.append("birth")
    if one.sex in _KNOWN_SEXES and other.sex in _KNOWN_SEXES and one.sex != other.sex:
        found.append("sex")
    if _differ(one.abo, other.abo) or _differ(one.rh, other.rh):
        found.append("blood group")
    return found


def describe(person: Person) -> str:
    return identity(person.full_name, person.sex, person.abo, person.rh, person.date_of_birth, person.birth_year)
