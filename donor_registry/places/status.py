"""How a donor's address stands against the official units."""

import enum

from donor_registry.i18n import N_


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

#: What each status means to a person (msgids).
STATUS_LABELS = {
    "new": N_("already in the units since 2025-07-01"),
    "converted": N_("converted from the old address"),
    "picked": N_("chosen by a coordinator"),
    "split": N_("to review: the old commune was split"),
    "ambiguous": N_("to review: the name fits several units"),
    "unknown": N_("to review: no commune found for this address"),
    "empty": N_("no address"),
}
