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
TODAY = "2026-06-01T03:00:00+00:00"  # a fixed day (10:00 in Vietnam), so the demo reads the same every time


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
    files: dict[str, str] = field(default_factory=dict)  # files to write into demo-output/ first

    def run(self) -> None:
        print(f"\n\033[1;31m━━ {self.title}\033[0m\n{self.why}")
        for name, content in self.files.items():
            (OUT / name).write_text(content, encoding="utf-8-sig")
            print(f"\033[2m(wrote {name})\033[0m")
        if self.python:
            print(f"\033[2m$ python {shlex.join(self.python)}\033[0m", flush=True)
            subprocess.run([sys.executable, *self.python], env=environment(), cwd=ROOT, check=True)
        for command in self.commands:
            print(f"\033[2m$ donor-registry {shlex.join(command)}\033[0m", flush=True)
            result = subprocess.run(CLI + command, env=environment(), cwd=OUT, check=False)
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


MESSY_CSV = """Họ và tên,Năm sinh,Giới tính,Nhóm máu,Số điện thoại,Ngày hiến,Loại hiến,Thể tích
Lê Văn Nam,1990,Nam,O+,0912 345 001,07/04/2026,Máu toàn phần,350
Trần Thị Bích,1992,Nữ,X,0168 345 0022,07/04/2026,Máu toàn phần,250
Ngô Văn Tài,2031,Nam,B+,0912 345 003,07/04/2026,Tiểu cầu,
"""

CAN_THO = "Thành phố Cần Thơ"
SOC_TRANG_WARD = ["--commune", "Phường Sóc Trăng", "--province", CAN_THO]

STEPS = [
    Step("Create the database", "The schema comes from Alembic migrations, the same on SQLite and PostgreSQL.",
         [["db", "upgrade"]]),
    Step("The chapter tree of Thành phố Cần Thơ", "Since 1 July 2025 Sóc Trăng and Hậu Giang are part of "
         "Thành phố Cần Thơ (code 92): a province chapter, commune chapters under it, a school chapter.",
         [["chapters", "add", "national"],
          ["chapters", "add", "province", "--parent", "VN", "--province", "Cần Thơ"],
          ["chapters", "add", "commune", "--parent", "VN-92", "--commune", "Phường Sóc Trăng"],
          ["chapters", "add", "commune", "--parent", "VN-92", "--commune", "Phường Vị Thanh"],
          ["chapters", "add", "commune", "--parent", "VN-92", "--commune", "Phường Ninh Kiều"],
          ["chapters", "add", "school", "Trường Đại học Cần Thơ", "--parent", "VN-92", "--code", "DHCT"],
          ["chapters", "list"]]),
    Step("Register a donor from an old paper list", "Name in capitals with the new tone placement, an old "
         "11-digit Viettel number, and a three-level address from before the merger (Phường 5, TP Sóc Trăng, "
         "Sóc Trăng): all normalised on the way in, the address converted to Phường Sóc Trăng, Thành phố Cần Thơ.",
         [["donors", "add", "NGUYỄN THỊ HOÀ", "--born", "15/03/1990", "--sex", "female", "--group", "O+",
           "--phone", "0168 123 4567", "--national-id", "094190012345", "--commune", "Phường 5",
           "--district", "TP Sóc Trăng", "--province", "Sóc Trăng", "--weight", "52", "--consent", "paper",
           "--standby"]]),
    Step("The same person again, from a new form", "No diacritics, the new phone number, birth year only, "
         "the two-level address.",
         [["donors", "add", "Nguyen Thi Hoa", "--birth-year", "1990", "--phone", "038.123.4567",
           *SOC_TRANG_WARD]]),
    Step("A second registration with a known national ID is refused", "It names the donor who has it.",
         [["donors", "add", "Nguyễn Hoà", "--national-id", "094 190 012 345"]], expect_failure=True),
    Step("Record donations", "Counts and the next eligible date update at once.",
         [["donations", "record", "1", "--date", "2025-12-07", "--volume", "350",
           "--site", "Nhà văn hoá phường Sóc Trăng"],
          ["donations", "record", "2", "--date", "2026-04-07", "--type", "platelet_apheresis",
           "--site", "Bệnh viện Huyết học - Truyền máu Cần Thơ"]]),
    Step("Find her with or without diacritics, or by phone", "",
         [["donors", "find", "nguyen thi hoa"], ["donors", "find", "+84 381 234 567"]]),
    Step("Find duplicates", "Same phone; same folded name and birth (same commune or none); what differs.", [["donors", "duplicates"]]),
    Step("Merge them", "Every donation moves to the donor kept, in one transaction, and the merge is recorded.",
         [["donors", "merge", "1", "2"]]),
    Step("Her record", "History, counts by type, and when she may give each type again "
         "(Thông tư 26/2013/TT-BYT).", [["donors", "show", "1"]]),
    Step("Three standby donors who agreed to receive SMS", "They live in Phường Sóc Trăng, where a drive "
         "will be held and the hospital stands.",
         [["donors", "add", name, "--birth-year", "1995", "--sex", sex, "--group", "O+", "--phone", phone,
           "--weight", "58", *SOC_TRANG_WARD, "--consent", "sms", "--standby"]
          for name, sex, phone in [("Phạm Minh Tuấn", "male", "0912 000 101"), ("Đặng Thu Hà", "female", "0912 000 102"),
                                   ("Bùi Quang Huy", "male", "0912 000 103")]]),
    Step("A messy spreadsheet is refused whole", "Blood group 'X' and a birth date in the future: the report "
         "names each bad row, and nothing is imported.",
         [["import", "donations", "messy.csv"]], expect_failure=True, files={"messy.csv": MESSY_CSV}),
    Step("Import the old spreadsheets of Sóc Trăng and Hậu Giang", "A generated list written the old way "
         "(province, district, commune before the merger) and the new way: 8,000 donation rows of about 2,000 "
         "people. Each address is converted to the units since 2025-07-01; a commune split in 2025 is kept as "
         "entered and flagged for a person.",
         [["import", "donations", "can-tho.csv"], ["addresses", "review", "--limit", "5"],
          ["chapters", "place"], ["chapters", "show", "VN-92"], ["chapters", "unmapped"]],
         python=["scripts/datagen.py", "donations", "--rows", "8000", "--donors", "2000", "--region", "can-tho",
                 "--out", str(OUT / "can-tho.csv")]),
    Step("Who may give on 14 June?", "O+ donors of the Phường Sóc Trăng chapter eligible that day (phones masked).",
         [["donors", "list", "--chapter", "VN-92-31507", "--group", "O+", "--eligible-on", "14/06/2026",
           "--limit", "5"]]),
    Step("Honours: who reached a tier not yet awarded", "Province-level tiers (15 to 30 donations) in Cần Thơ.",
         [["honours", "candidates", "--level", "province", "--chapter", "VN-92"]]),
    Step("Hold the ceremony and award them", "Each donor is awarded once per tier; the next list will not show them.",
         [["honours", "ceremony", "create", "Tôn vinh người hiến máu tiêu biểu 2026", "--date", "14/06/2026",
           "--level", "province", "--chapter", "VN-92"],
          ["honours", "award", "1", "--tier", "15", "--tier", "20", "--tier", "30"],
          ["honours", "export", "1", "--format", "pdf", "--out", "ton-vinh-2026.pdf"],
          ["honours", "export", "1", "--format", "xlsx", "--out", "ton-vinh-2026.xlsx"],
          ["honours", "ceremony", "list"]]),
    Step("The year's campaigns", "Tết moves with the Vietnamese lunar calendar; templates live in config.toml.",
         [["campaigns", "tet", "2027"], ["campaigns", "plan", "2026"]]),
    Step("A drive, with the donors expected", "Donors living within 10 km of the venue who may give on 5 June, "
         "by blood group.",
         [["drives", "add", "--campaign", "4", "--date", "05/06/2026", "--start", "07:00", "--end", "11:30",
           "--venue", "Nhà văn hóa phường Sóc Trăng", *SOC_TRANG_WARD, "--capacity", "150", "--target-units", "120"],
          ["drives", "show", "1"], ["drives", "export", "--ics", "drives.ics"]]),
    Step("Invitations by SMS", "Only donors who consented, with a mobile, not opted out. The console gateway "
         "prints instead of sending.",
         [["reminders", "plan"], ["sms", "preview", "invitation", "--drive", "1"], ["sms", "dispatch", "--once"],
          ["sms", "stats"]]),
    Step("A hospital runs short of O+", "The first wave of SMS goes out at once, urgent, with a one-time reply "
         "link, to the nearest donors first (same ward, then 10 km, 25 km, the province, its neighbours).",
         [["hospitals", "add", "Bệnh viện Đa khoa Sóc Trăng", *SOC_TRANG_WARD],
          ["emergency", "request", "--hospital", "1", "--group", "O+", "--units", "1"],
          ["sms", "dispatch", "--once"]]),
    Step("A donor answers by phone", "Enough donors accepted: the request is covered and the others are told.",
         [["emergency", "answer", "1", "3", "accept", "--arrive-in", "30"], ["emergency", "show", "1"]]),
    Step("The year in figures", "Computed from the records, never typed in: by the units since 2025-07-01, and "
         "by the old districts for the months before.", [["report", "annual", "2025"],
                                                          ["report", "annual", "2025", "--chapter", "VN-92-31507"]]),
    Step("The audit trail", "Exports, call-outs, answers and views of donor data.", [["audit", "list", "--limit", "8"]]),
]


if __name__ == "__main__":
    main()
