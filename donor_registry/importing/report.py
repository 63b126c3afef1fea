"""What an import read, wrote (or would write), and refused."""

from dataclasses import dataclass, field

from donor_registry.i18n import _
from donor_registry.importing.rows import RowError

# The report keeps this many problems and repeated rows (the first by line) in memory; a
# million refused rows stream to the errors CSV instead of filling memory.
KEPT = 1000


@dataclass(frozen=True)
class Duplicate:
    """A row not imported because it repeats an earlier row or a recorded donation."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import read, wrote (or would write), and refused.

    Every row read is exactly one of: imported, repeated (a duplicate) or refused, so
    rows_read == imported + repeated_rows + rejected_rows (for a donor list, a row of a
    registered donor is a repeat of that donor)."""

    kind: str
    path: str
    encoding: str
    dry_run: bool
    unknown_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    imported: int = 0  # donations (or donors, for a donor list) written or, in a dry run, to write
    matched: int = 0  # rows whose donor was already known: registered, or from an earlier row
    created: int = 0  # donors created
    consents: int = 0  # donors whose consent to be contacted the file recorded
    rejected: list[RowError] = field(default_factory=list)  # the first KEPT problems by line
    rejected_rows: int = 0  # how many rows were refused (a row can have several problems)
    more_problems: int = 0  # problems not kept in `rejected` (the errors CSV has them all)
    duplicates: list[Duplicate] = field(default_factory=list)  # the first KEPT repeated rows by line
    repeated_rows: int = 0
    accepted_violations: int = 0  # donations kept despite a recording check (--accept-violations)
    written: bool = False
    # How the addresses of the file's donors resolved to the units since 2025-07-01, by
    # places.status.AddressStatus value (each distinct donor of the file counted once).
    addresses: dict[str, int] = field(default_factory=dict)
    # The chapters the donors created joined: (code, name, how many donors), in tree order.
    chapters: list[tuple[str, str, int]] = field(default_factory=list)

    def count_addresses(self, counts: dict[str, int]) -> None:
        for status, count in counts.items():
            self.addresses[status] = self.addresses.get(status, 0) + count

    def refuse(self, errors: list[RowError]) -> None:
        """Count the problems of some refused rows, given in line order after those before."""
        self.rejected_rows += len({error.line for error in errors})
        room = max(KEPT - len(self.rejected), 0)
        self.rejected += errors[:room]
        self.more_problems += max(len(errors) - room, 0)

    def repeat(self, duplicate: Duplicate) -> None:
        """Count a repeated row, in any order."""
        self.repeated_rows += 1
        self.duplicates.append(duplicate)
        if len(self.duplicates) >= 2 * KEPT:
            self._keep_first_duplicates()

    def close(self) -> None:
        """Put what is kept in line order, the first KEPT of each."""
        self.rejected.sort(key=lambda error: error.line)
        self._keep_first_duplicates()

    def _keep_first_duplicates(self) -> None:
        self.duplicates.sort(key=lambda duplicate: duplicate.line)
        del self.duplicates[KEPT:]


def chapter_rows(chapters) -> list[tuple[str, int]]:
    """The report's lines of the chapters new donors joined, from [(code, name, count), …]."""
    return [(_("new donors in chapter {chapter}").format(chapter=f"{code} {name}"), count)
            for code, name, count in chapters]
