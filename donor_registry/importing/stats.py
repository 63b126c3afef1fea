"""The donation counts of the donors an import creates, kept as their rows stream past.

An aggregate over a million donations after the load would read the table once more; these
running figures cost three array updates a row. They equal donations.service.donor_stats for
a donor all of whose donations are in the import (imported donations are given, never
deferred). A donor who loses a counted row (a taken certificate, a same-day repeat) is
refreshed from the database instead.
"""

import datetime as dt
from array import array
from collections.abc import Callable, Iterator

from donor_registry.eligibility import EligibilityRules
from donor_registry.types import DonationType

# The type of the last donation is the greatest by (day, type), as donor_stats sorts them.
_KINDS = sorted(DonationType, key=lambda kind: kind.value)
_RANK = {kind: rank for rank, kind in enumerate(_KINDS)}
UNSETTLED, UNCOUNTED = 1, 2  # NewDonorStats.flags


def stats_key(day: dt.date, kind: DonationType) -> int:
    """What NewDonorStats.add takes of a donation: its day ordinal * 8 + the rank of its type."""
    return day.toordinal() * 8 + _RANK[kind]


class NewDonorStats:
    """Count, last donation (day and type) and next eligible day, per donor created."""

    def __init__(self, rules: EligibilityRules):
        self.interval = [int(rules.interval_days[kind]) for kind in _KINDS]  # by rank
        # 32-bit figures: a day ordinal * 8 stays below 2**31 until the year 9999.
        self.ids = array("q")
        self.count = array("i")
        self.last = array("i")  # day ordinal * 8 + rank of the type
        self.clear = array("i")  # day ordinal from which the donor may give again
        # A byte a slot (a set of a million slots would take 40 MB): UNSETTLED, its rows the
        # recording checks must judge; UNCOUNTED, it has a row these figures skip (a deferral).
        self.flags = bytearray()

    def new_donor(self, donor_id: int) -> int:
        """Start counting for a donor; returns its slot."""
        self.ids.append(donor_id)
        self.count.append(0)
        self.last.append(0)
        self.clear.append(0)
        self.flags.append(0)
        return len(self.ids) - 1

    def add(self, slot: int, key: int) -> None:
        """Count a donation given its stats_key."""
        ordinal = key >> 3
        if ordinal < self.clear[slot]:
            # Inside the wait of an earlier row, or before one (the wait ends after every day
            # seen): the recording checks must look. Rows in date order, each after the waits
            # before it, break no interval.
            self.flags[slot] |= UNSETTLED
        self.count[slot] += 1
        self.last[slot] = max(self.last[slot], key)
        clear = ordinal + self.interval[key & 7]
        self.clear[slot] = max(self.clear[slot], clear)

    def skip(self, slot: int) -> None:
        """Note a row these figures do not count (a deferral): its donor is counted from the table."""
        self.flags[slot] |= UNCOUNTED

    def unsettled_donors(self) -> list[int]:
        """Ids of the donors whose rows came out of date order or inside an interval."""
        return [donor_id for donor_id, flags in zip(self.ids, self.flags, strict=True) if flags & UNSETTLED]

    def rows(self, *, day_value: Callable, kind_value: Callable) -> Iterator[tuple]:
        """(donation_count, last_donation_on, last_donation_type, eligible_again_on, id) of
        every donor with a donation, values as the database driver wants them."""
        return self.rows_of(zip(self.ids, range(len(self.ids))), day_value=day_value, kind_value=kind_value)

    def rows_of(self, donors, *, day_value: Callable, kind_value: Callable) -> Iterator[tuple]:
        """rows() for (donor id, slot) pairs: the slots may be counted under other ids, as the
        parser counts each distinct donor part (pipeline.ChunkParser) before it is matched."""
        count_of, last_of, clear_of = self.count, self.last, self.clear
        # A few thousand distinct days and (day, type) keys among hundreds of thousands of donors:
        # each converted once.
        lasts: dict[int, tuple] = {}
        days: dict[int, object] = {}
        for donor_id, slot in donors:
            if count := count_of[slot]:
                last = last_of[slot]
                if (last_values := lasts.get(last)) is None:
                    last_values = lasts[last] = (day_value(dt.date.fromordinal(last >> 3)),
                                                 kind_value(_KINDS[last & 7]))
                clear = clear_of[slot]
                if (clear_value := days.get(clear)) is None:
                    clear_value = days[clear] = day_value(dt.date.fromordinal(clear))
                yield (count, *last_values, clear_value, donor_id)
