"""Deterministic, realistic Vietnamese donors and donation histories (demo, tests, benchmarks).

    python scripts/datagen.py donations --rows 1000000 --out bench-data/donations.csv
    python scripts/datagen.py donors --count 5000 --out bench-data/donors.csv

The district is made up (huyện Tân Lập, Hà Nội); names, phone prefixes, CCCD layout and
blood-group frequencies follow Vietnamese reality closely enough to exercise the importer.
"""

import argparse
import csv
import datetime as dt
import random
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

FAMILY = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 1.1),
          ("Phan", 4.5), ("Vũ", 3.9), ("Võ", 1), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4),
          ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5)]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Công", "Xuân", "Trọng", "Ngọc"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Minh", "Phương", "Hồng", "Kim"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Minh",
              "Nam", "Phong", "Phúc", "Quân", "Sơn", "Thắng", "Thành", "Toàn", "Trung", "Tuấn",
              "Việt", "Vinh", "Hoà", "Khoa", "Lâm", "Nghĩa", "Tú"]
GIVEN_FEMALE = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh",
                "Loan", "Mai", "Ngân", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Thuý", "Trang",
                "Vân", "Yến", "Hoà", "Thư", "Nga", "Huyền", "Ly"]
PROVINCE = "Hà Nội"
DISTRICT = "Huyện Tân Lập"
COMMUNES = ["Xã Tân Lập", "Xã Đông Hoà", "Xã Phú Mỹ", "Xã Thanh Xuân", "Xã Hồng Phong",
            "Xã Quảng Bị", "Xã Yên Sở", "Xã Liên Hiệp", "Xã Hoà Bình", "Thị trấn Tân Lập",
            "Xã Đại Thắng", "Xã Vạn Phúc"]
# (province, district, commune) of each region a list can be drawn from. "tan-lap" is made up;
# "can-tho" is Thành phố Cần Thơ since 2025-07-01 as its old spreadsheets write it: three-level
# addresses of Sóc Trăng and Hậu Giang from before the merger, and two-level new ones.
REGIONS = {
    "tan-lap": [(PROVINCE, DISTRICT, commune) for commune in COMMUNES],
    "can-tho": [
        ("Sóc Trăng", "Thành phố Sóc Trăng", "Phường 2"), ("Sóc Trăng", "Thành phố Sóc Trăng", "Phường 5"),
        ("Sóc Trăng", "Thành phố Sóc Trăng", "Phường 6"), ("Sóc Trăng", "Thành phố Sóc Trăng", "Phường 10"),
        ("Sóc Trăng", "Huyện Mỹ Xuyên", "Thị trấn Mỹ Xuyên"), ("Sóc Trăng", "Huyện Long Phú", "Thị trấn Long Phú"),
        ("Hậu Giang", "Thành phố Vị Thanh", "Phường I"), ("Hậu Giang", "Thành phố Vị Thanh", "Phường V"),
        ("Hậu Giang", "Thành phố Ngã Bảy", "Phường Ngã Bảy"), ("Hậu Giang", "Huyện Châu Thành", "Thị trấn Ngã Sáu"),
        ("Cần Thơ", "Huyện Thới Lai", "Xã Tân Thạnh"),  # split in 2025: flagged for a person
        ("Thành phố Cần Thơ", "", "Phường Ninh Kiều"), ("Thành phố Cần Thơ", "", "Phường Sóc Trăng"),
    ],
}
PLACES = REGIONS["tan-lap"]
HAMLETS = ["Thôn Đông", "Thôn Đoài", "Thôn Thượng", "Thôn Hạ", "Xóm Mới", "Xóm Chùa", "Thôn Trung"]
# Current 10-digit mobile prefixes (Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile).
MOBILE_PREFIXES = ["086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038",
                   "039", "088", "091", "094", "081", "082", "083", "084", "085", "090",
                   "093", "070", "076", "077", "078", "079", "092", "056", "058", "059"]
# The 11-digit forms retired in 2018 that old paper lists still carry (Decision 798/QĐ-BTTTT).
LEGACY_PREFIXES = ["0162", "0163", "0164", "0165", "0166", "0167", "0168", "0169", "0120",
                   "0121", "0122", "0126", "0128", "0123", "0124", "0125", "0127", "0129"]
# ABO in Vietnam: O ~42%, B ~30%, A ~21%, AB ~7%; Rh negative is rare (~0.1-0.3%).
BLOOD_GROUPS = [("O", 42), ("B", 30), ("A", 21), ("AB", 7)]
RH_NEGATIVE_SHARE = 0.002
HANOI_CCCD_CODE = "001"
INTERVAL_DAYS = {"whole_blood": 84, "red_cell_apheresis": 84, "plasma_apheresis": 14,
                 "platelet_apheresis": 14}
TYPE_LABELS = {"whole_blood": "Máu toàn phần", "platelet_apheresis": "Tiểu cầu",
               "plasma_apheresis": "Huyết tương", "red_cell_apheresis": "Hồng cầu"}
SITES = ["Nhà văn hoá huyện Tân Lập", "Trường THPT Tân Lập", "Trung tâm Y tế huyện Tân Lập",
         "Viện Huyết học - Truyền máu TW", "UBND xã Đông Hoà", "Công ty May Tân Lập"]
END_DATE = dt.date(2026, 5, 31)

VI_DONATION_HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Nhóm máu", "Số điện thoại",
                       "Số CCCD", "Địa chỉ", "Xã/Phường", "Huyện/Quận", "Tỉnh/Thành phố",
                       "Ngày hiến", "Loại hiến", "Thể tích (ml)", "Số chứng nhận", "Nơi hiến"]
EN_DONATION_HEADERS = ["No", "Full name", "Date of birth", "Sex", "Blood group", "Phone",
                       "National ID", "Address", "Commune", "District", "Province",
                       "Donation date", "Donation type", "Volume", "Certificate number", "Site"]
DONOR_FIELDS = ["full_name", "born", "sex", "blood_group", "phone", "national_id", "address",
                "commune", "district", "province"]


def _weighted(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return rng.choice(LEGACY_PREFIXES) + f"{rng.randrange(10**7):07d}"
    number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
    style = rng.random()
    if style < 0.15:
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    if style < 0.2:
        return "+84" + number[1:]
    return number


def _cccd(rng: random.Random, born: dt.date, female: bool, serial: int) -> str:
    century = (0 if born.year < 2000 else 2) + (1 if female else 0)
    return f"{HANOI_CCCD_CODE}{century}{born.year % 100:02d}{serial:06d}"


def generate_donors(n: int, seed: int = 1) -> list[dict]:
    """n donors with unique CCCD numbers and phones, as the raw strings a chapter's list holds.

    Two donors never look like one person to the importer: a donor without a CCCD, or with
    only a birth year, never shares name and birth year with another donor.
    """
    rng = random.Random(seed)
    serials = rng.sample(range(10**6), n) if n <= 10**6 else list(range(n))
    used: set[tuple[str, int]] = set()
    used_by_vague: set[tuple[str, int]] = set()
    donors = []
    for i in range(n):
        female = rng.random() < 0.42
        born = dt.date(1966, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
        has_id, full_birth = rng.random() > 0.1, rng.random() > 0.1
        vague = not (has_id and full_birth)
        while True:
            family = _weighted(rng, FAMILY)
            middle = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
            given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
            key = (f"{family} {middle} {given}", born.year)
            if key not in used_by_vague and not (vague and key in used):
                break
        used.add(key)
        if vague:
            used_by_vague.add(key)
        abo = _weighted(rng, BLOOD_GROUPS)
        rh = "-" if rng.random() < RH_NEGATIVE_SHARE else "+"
        donors.append({
            "full_name": key[0],
            "born": born.strftime("%d/%m/%Y") if full_birth else str(born.year),
            "date_of_birth": born,
            "sex": "Nữ" if female else "Nam",
            "blood_group": abo + rh,
            "phone": _phone(rng) if rng.random() > 0.05 else "",
            "national_id": _cccd(rng, born, female, serials[i] % 10**6) if has_id else "",
            "address": rng.choice(HAMLETS),
            **dict(zip(("province", "district", "commune"), rng.choice(PLACES), strict=True)),
        })
    _make_phones_unique(donors)
    return donors


def _make_phones_unique(donors: list[dict]) -> None:
    # Random 7-digit tails collide now and then; two donors sharing a number would be
    # (correctly) matched as one person by the importer, which is not what the data means.
    seen: set[str] = set()
    for donor in donors:
        tail = "".join(ch for ch in donor["phone"] if ch.isdigit())[-7:]
        if tail and tail in seen:
            donor["phone"] = ""
        seen.add(tail)


def donation_history(rng: random.Random, donor: dict, count: int) -> list[tuple[dt.date, str]]:
    """count donations of a donor, each after the lawful interval since the previous one."""
    earliest = max(donor["date_of_birth"].replace(year=donor["date_of_birth"].year + 18)
                   if donor["date_of_birth"].month != 2 or donor["date_of_birth"].day != 29
                   else dt.date(donor["date_of_birth"].year + 18, 3, 1), dt.date(2012, 1, 1))
    span = max((END_DATE - earliest).days - count * 100, 1)
    day = earliest + dt.timedelta(days=rng.randrange(span))
    history = []
    for _ in range(count):
        kind = "whole_blood" if rng.random() < 0.85 else rng.choice(
            ["platelet_apheresis", "plasma_apheresis", "red_cell_apheresis"])
        if day > END_DATE:
            break
        history.append((day, kind))
        day += dt.timedelta(days=INTERVAL_DAYS[kind] + rng.randrange(0, 300))
    return history


def donation_rows(n_rows: int, n_donors: int, seed: int = 1) -> Iterator[list[str]]:
    """About n_rows donation rows of n_donors donors, oldest first, as spreadsheet cells."""
    rng = random.Random(seed + 1)
    donors = generate_donors(n_donors, seed)
    mean = 1.25 * n_rows / n_donors  # histories cut short by the end date, then trimmed
    events = []
    for index, donor in enumerate(donors):
        count = max(1, min(int(rng.expovariate(1 / mean) + 0.5), 60))
        for day, kind in donation_history(rng, donor, count):
            events.append((day.toordinal(), index, kind))
    rng.shuffle(events)
    events = events[:n_rows]
    events.sort(key=lambda event: event[0])
    for number, (ordinal, index, kind) in enumerate(events, start=1):
        donor = donors[index]
        day = dt.date.fromordinal(ordinal)
        volume = "250" if kind != "whole_blood" else rng.choice(["250", "350", "350", "450"])
        yield [str(number), *(donor[field] for field in DONOR_FIELDS), day.strftime("%d/%m/%Y"),
               TYPE_LABELS[kind], volume, f"HM{day.year}-{number:07d}", rng.choice(SITES)]


def write_donations_csv(path: Path | str, n_rows: int, n_donors: int, seed: int = 1,
                        vietnamese_headers: bool = True, encoding: str = "utf-8-sig") -> int:
    """Write a donation list as a chapter exports it; returns the number of rows written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(VI_DONATION_HEADERS if vietnamese_headers else EN_DONATION_HEADERS)
        for row in donation_rows(n_rows, n_donors, seed):
            writer.writerow(row)
            written += 1
    return written


def write_donors_csv(path: Path | str, n: int, seed: int = 1, encoding: str = "utf-8-sig") -> int:
    """Write a donor list (no donations) with Vietnamese headers; returns the number of rows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(VI_DONATION_HEADERS[:11])
        for number, donor in enumerate(generate_donors(n, seed), start=1):
            writer.writerow([str(number), *(donor[field] for field in DONOR_FIELDS)])
    return n


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Text as old Vietnamese Windows software saves it: Windows-1258, tones as combining marks."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tones = "".join(mark for mark in decomposed if mark in _TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(mark for mark in decomposed if mark not in _TONE_MARKS))
            out += (base + tones).encode("cp1258")
    return bytes(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    donations = sub.add_parser("donations", help="a donation list (one row per donation)")
    donations.add_argument("--rows", type=int, default=10_000)
    donations.add_argument("--donors", type=int, help="default: rows / 4")
    donations.add_argument("--english", action="store_true", help="English headers")
    donors = sub.add_parser("donors", help="a donor list")
    donors.add_argument("--count", type=int, default=1_000)
    for command in (donations, donors):
        command.add_argument("--seed", type=int, default=1)
        command.add_argument("--region", choices=sorted(REGIONS), default="tan-lap",
                             help="where the donors live (can-tho: old Sóc Trăng and Hậu Giang addresses)")
        command.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    global PLACES
    PLACES = REGIONS[args.region]
    if args.what == "donations":
        n = write_donations_csv(args.out, args.rows, args.donors or max(args.rows // 4, 1), args.seed,
                                vietnamese_headers=not args.english)
    else:
        n = write_donors_csv(args.out, args.count, args.seed)
    print(f"wrote {n} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
