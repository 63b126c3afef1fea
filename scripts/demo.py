"""The walkthrough behind ./scripts/demo: real CLI commands on a demo database, step by step."""

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo-output"
CLI = [str(ROOT / ".venv" / "bin" / "donor-registry")]
TODAY = "2026-06-01T03:00:00+00:00"  # a fixed day (10:00 in Hà Nội), so the demo reads the same every time


def environment() -> dict:
    env = dict(os.environ)
    env.update({
        "DONOR_REGISTRY_CONFIG": str(ROOT / "config.toml"),
        "DONOR_REGISTRY_DATABASE__URL": f"sqlite:///{OUT / 'demo.db'}",
        "DONOR_REGISTRY_NOW": TODAY,
        "COLUMNS": "160",
    })
    return env


@dataclass
class Step:
    title: str
    why: str
    commands: list[list[str]]
    expect_failure: bool = False
    python: list[str] = field(default_factory=list)  # a script to run first (e.g. the data generator)

    def run(self) -> None:
        print(f"\n\033[1;31m━━ {self.title}\033[0m\n{self.why}")
        if self.python:
            print(f"\033[2m$ python {shlex.join(self.python)}\033[0m", flush=True)
            subprocess.run([sys.executable, *self.python], env=environment(), cwd=ROOT, check=True)
        for command in self.commands:
            print(f"\033[2m$ donor-registry {shlex.join(command)}\033[0m", flush=True)
            result = subprocess.run(CLI + command, env=environment(), cwd=OUT)
            if (result.returncode != 0) != self.expect_failure:
                outcome = "succeeded" if self.expect_failure else "failed"
                sys.exit(f"demo: step '{self.title}' {outcome} unexpectedly")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    print(f"Demo database: {OUT / 'demo.db'} (today is pinned to 2026-06-01)")
    for demo_step in STEPS:
        demo_step.run()
    print(f"\nDone. Explore further with:\n  export DONOR_REGISTRY_DATABASE__URL=sqlite:///{OUT / 'demo.db'}\n"
          "  .venv/bin/donor-registry --help")


STEPS = [
    Step("Create the database", "The schema comes from Alembic migrations, the same on SQLite and PostgreSQL.",
         [["db", "upgrade"]]),
    Step("Register a donor", "Name in capitals with the new tone placement, an old 11-digit Viettel "
         "number: both are normalised on the way in.",
         [["donors", "add", "NGUYỄN THỊ HOÀ", "--born", "15/03/1990", "--sex", "female", "--group", "O+",
           "--phone", "0168 123 4567", "--national-id", "001190012345", "--commune", "Tân Hội",
           "--district", "Đan Phượng", "--province", "Hà Nội", "--weight", "52", "--consent", "paper",
           "--standby"]]),
    Step("The same person again, from another drive's list", "No diacritics, the new phone number, birth year only.",
         [["donors", "add", "Nguyen Thi Hoa", "--birth-year", "1990", "--phone", "038.123.4567",
           "--commune", "tan hoi", "--district", "Đan Phượng"]]),
    Step("A second registration with a known national ID is refused", "It names the donor who has it.",
         [["donors", "add", "Nguyễn Hoà", "--national-id", "001 190 012 345"]], expect_failure=True),
    Step("Record donations", "Counts and the next eligible date update at once.",
         [["donations", "record", "1", "--date", "2025-12-07", "--volume", "350",
           "--site", "Nhà văn hoá xã Tân Hội"],
          ["donations", "record", "2", "--date", "2026-04-07", "--type", "platelet_apheresis",
           "--site", "Viện Huyết học - Truyền máu TW"]]),
    Step("Find her with or without diacritics, or by phone", "",
         [["donors", "find", "nguyen thi hoa"], ["donors", "find", "+84 381 234 567"]]),
    Step("Find duplicates", "Same phone; same folded name, birth year and commune.", [["donors", "duplicates"]]),
    Step("Merge them", "Every donation moves to the donor kept, in one transaction, and the merge is recorded.",
         [["donors", "merge", "1", "2"]]),
    Step("Her record", "History, counts by type, and when she may give each type again "
         "(Thông tư 26/2013/TT-BYT).", [["donors", "show", "1"]]),
]

if __name__ == "__main__":
    main()
