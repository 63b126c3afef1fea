"""How a donor's address stands against the official units."""

import enum


class AddressStatus(str, enum.Enum):
    new = "new"  # entered with the units since 2025-07-01 (province, commune)
    converted = "converted"  # an old (province, district, commune) with one certain new commune
    picked = "picked"  # a coordinator chose the commune among the candidates (addresses pick)
    split = "split"  # the old commune was split between several new ones: candidates kept
    ambiguous = "ambiguous"  # the text names several units: candidates kept
    unknown = "unknown"  # the text names no unit
    empty = "empty"  # no address given


# Waiting for a person: `addresses review` lists these.
FLAGGED = (AddressStatus.split, AddressStatus.ambiguous, AddressStatus.unknown)
RESOLVED = (AddressStatus.new, AddressStatus.converted, AddressStatus.picked)
