"""What an import read, wrote (or would write), and refused."""

from dataclasses import dataclass, field

from donor_registry.importing.rows import RowError


@dataclass(frozen=True)
class Duplicate:
    """A row not imported because it repeats an earlier row or a recorded donation."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import read, wrote (or would write), and refused."""

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
    accepted_violations: int = 0  # donations kept despite a recording check (--accept-violations)
    rejected: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    written: bool = False

    @property
    def rejected_rows(self) -> int:
        """How many rows were refused (a row can have several problems)."""
        return len({error.line for error in self.rejected})
