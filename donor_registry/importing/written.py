"""Which donations one import wrote, and the file line of each, in little memory.

The ids are reserved in order (on SQLite one run, on PostgreSQL one for each pool of ids), so
they are kept as runs of consecutive ids: the first id of each run and where its rows start in
`lines`, the line of each row written."""

from array import array
from bisect import bisect_right


class WrittenDonations:
    def __init__(self) -> None:
        self.starts, self.at, self.lines = array("q"), array("q"), array("i")

    def record(self, rows: list[tuple], first_row: int) -> None:
        """Note the ids of these donation rows (in increasing order), the first at lines[first_row]."""
        if rows and rows[-1][0] - rows[0][0] == len(rows) - 1:  # consecutive ids: one run
            self._add_run(rows[0][0], first_row)
            return
        for at, row in enumerate(rows, start=first_row):
            self._add_run(row[0], at)

    def wrote(self, donation_id: int) -> bool:
        """Whether this import wrote the donation (ids it reserved; another session's may be higher)."""
        run = bisect_right(self.starts, donation_id) - 1
        if run < 0:
            return False
        end = self.at[run + 1] if run + 1 < len(self.at) else len(self.lines)
        return donation_id - self.starts[run] < end - self.at[run]

    def line_of(self, donation_id: int) -> int:
        """The line of a donation this import wrote."""
        run = bisect_right(self.starts, donation_id) - 1
        return self.lines[self.at[run] + donation_id - self.starts[run]]

    def _add_run(self, first_id: int, at: int) -> None:
        if self.starts and first_id == self.starts[-1] + (at - self.at[-1]):
            return  # it continues the last run
        self.starts.append(first_id)
        self.at.append(at)
