"""A name index over units of one level: the shared matching rule of units.py and legacy.py.

A unit is found by its full name or short name, with or without its prefix, diacritics or
leading zeros. The whole text is tried first ("Phượng Xá" is a name, not "Phường Xá"), then the
text without its prefix; a prefix's kind and exact diacritics narrow several matches.
"""

import difflib
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from donor_registry.places.names import name_key, name_key_uncached

U = TypeVar("U")


class NameIndex(Generic[U]):
    def __init__(self, units: Iterable[U], names: Callable[[U], Iterable[str]],
                 kind: Callable[[U], str], aliases: dict[str, list[U]] | None = None):
        self._kind, self._names = kind, names
        self._by_key: dict[str, list[U]] = {}
        for unit in units:
            for name in names(unit):
                key = name_key_uncached(name)
                for k in {key.folded, key.whole}:
                    bucket = self._by_key.setdefault(k, [])
                    if unit not in bucket:
                        bucket.append(unit)
        for alias, alias_units in (aliases or {}).items():
            self._by_key.setdefault(alias, []).extend(alias_units)

    def find(self, text: str, among: Callable[[U], bool] | None = None) -> list[U]:
        """Every unit the text names (best tier only), optionally among some units only."""
        key = name_key(text)
        for k in (key.whole, key.folded):
            found = [u for u in self._by_key.get(k, ()) if among is None or among(u)]
            if found:
                return self._narrow(found, key)
        return []

    def _narrow(self, found: list[U], key) -> list[U]:
        if len(found) > 1 and key.kind is not None:
            same_kind = [u for u in found if self._kind(u) == key.kind]
            found = same_kind or found
        if len(found) > 1:  # rare: the marks of the few candidates are worked out again
            wanted = {key.marked, key.whole_marked}
            exact = [u for u in found if any(
                {k.marked, k.whole_marked} & wanted for k in map(name_key_uncached, self._names(u)))]
            found = exact or found
        return found

    def suggest(self, text: str, among: Callable[[U], bool] | None = None, limit: int = 5) -> list[U]:
        """Units with a name close to the text ("did you mean"), nearest first."""
        key = name_key(text)
        keys = [k for k, units in self._by_key.items()
                if among is None or any(among(u) for u in units)]
        out: list[U] = []
        for k in difflib.get_close_matches(key.folded, keys, n=limit * 3, cutoff=0.6):
            for unit in self._by_key[k]:
                if unit not in out and (among is None or among(unit)):
                    out.append(unit)
        return out[:limit]
