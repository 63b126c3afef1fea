"""Recognising spreadsheet column headers in Vietnamese or English, with or without diacritics."""

import re
from dataclasses import dataclass, field

from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.i18n.validation import field_label
from donor_registry.text import fold

# Field -> the headers chapters use for it, written any way: matching ignores case,
# diacritics, spaces and punctuation ("Họ và tên", "HO VA TEN", "ho_va_ten" are one header).
ALIASES: dict[str, tuple[str, ...]] = {
    "full_name": ("Họ và tên", "Họ tên", "Họ và tên người hiến", "Tên người hiến", "Full name", "Name"),
    "date_of_birth": ("Ngày sinh", "Ngày tháng năm sinh", "Date of birth", "Birth date", "DOB"),
    "birth_year": ("Năm sinh", "Birth year", "Year of birth"),
    "sex": ("Giới tính", "Giới", "Sex", "Gender"),
    "blood_group": ("Nhóm máu", "Nhóm máu ABO/Rh", "Blood group", "Blood type"),
    "phone": ("Số điện thoại", "Điện thoại", "SĐT", "SĐT di động", "Di động", "Phone", "Mobile",
              "Phone number"),
    "national_id": ("CCCD", "CMND", "Số CCCD", "Số CMND", "CCCD/CMND", "Số CCCD/CMND", "Căn cước",
                    "Căn cước công dân", "National ID", "ID number"),
    "address": ("Địa chỉ", "Địa chỉ thường trú", "Thôn/Xóm", "Address"),
    "commune": ("Xã/Phường", "Xã", "Phường", "Xã/Phường/Thị trấn", "Commune", "Ward"),
    "district": ("Huyện/Quận", "Huyện", "Quận", "Quận/Huyện", "District"),
    "province": ("Tỉnh/Thành phố", "Tỉnh", "Tỉnh/TP", "Thành phố", "Province", "City"),
    "weight_kg": ("Cân nặng", "Cân nặng (kg)", "Weight", "Weight (kg)"),
    "notes": ("Ghi chú", "Notes", "Note"),
    # Consent to be contacted, as a paper form records it ("x", "Có"): blank is not a refusal.
    "consent": ("Đồng ý nhận tin", "Đồng ý nhận tin nhắn", "Đồng ý nhận SMS", "Nhận tin nhắn", "Đồng ý liên hệ",
                "Consent", "SMS consent"),
    "donated_on": ("Ngày hiến", "Ngày hiến máu", "Ngày lấy máu", "Donation date", "Date donated"),
    "donation_type": ("Loại hiến", "Hình thức hiến", "Thành phần", "Donation type", "Type"),
    "volume_ml": ("Thể tích", "Thể tích (ml)", "Lượng máu", "Lượng máu (ml)", "Số ml", "Volume",
                  "Volume (ml)"),
    "certificate_no": ("Số chứng nhận", "Số giấy chứng nhận", "Số GCN", "Certificate number",
                       "Certificate no", "Certificate"),
    "site": ("Nơi hiến", "Địa điểm hiến", "Điểm hiến máu", "Địa điểm", "Site", "Venue"),
    # A row with a deferral reason records a deferral at the drive, not a donation.
    "deferral_reason": ("Lý do hoãn", "Lý do hoãn hiến", "Lý do tạm hoãn", "Deferral reason",
                        "Reason deferred"),
    "deferral_until": ("Hoãn đến", "Hoãn đến ngày", "Tạm hoãn đến", "Deferred until", "Deferral until"),
}
# Columns that carry nothing the registry keeps, recognised so they are not reported as unknown.
IGNORED = ("STT", "TT", "No", "No.", "#", "Số thứ tự")

DONOR_FIELDS = ("full_name", "date_of_birth", "birth_year", "sex", "blood_group", "phone",
                "national_id", "address", "commune", "district", "province", "weight_kg", "notes", "consent")
DONATION_FIELDS = ("donated_on", "donation_type", "volume_ml", "certificate_no", "site", "deferral_reason",
                   "deferral_until")
REQUIRED = {"donors": ("full_name",), "donations": ("full_name", "donated_on")}

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(header: str) -> str:
    """'Họ và tên ' -> 'hovaten': folded, without spaces or punctuation."""
    return _NOT_ALNUM.sub("", fold(header or ""))


_BY_KEY = {header_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
_IGNORED_KEYS = frozenset(header_key(header) for header in IGNORED)


@dataclass(frozen=True)
class HeaderMap:
    """Which column of the file holds each field, plus the columns nobody recognised."""

    headers: tuple[str, ...]
    columns: dict[str, int] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()

    def header_of(self, name: str) -> str:
        """The header as written in the file for a field."""
        return self.headers[self.columns[name]]


HEADER_SEARCH_ROWS = 15  # title rows ("HỘI CHỮ THẬP ĐỎ …", the list's name, a date) come above the header


def header_row(candidates: list[list[str]], *, kind: str | None) -> int:
    """Which of the first rows of a sheet is its header row: the first holding every required
    column of `kind`, else the one with the most recognised columns (the first row when none has any)."""
    required = set(REQUIRED[kind]) if kind else {"full_name"}
    best, best_count = 0, 0
    for index, cells in enumerate(candidates):
        fields = {_BY_KEY.get(header_key(cell)) for cell in cells}
        if required <= fields:
            return index
        count = len(fields - {None})
        if count > best_count:
            best, best_count = index, count
    return best


def map_headers(headers: list[str], *, kind: str) -> HeaderMap:
    """Map a file's header row to fields; a missing required or repeated column is a UserError."""
    columns: dict[str, int] = {}
    unknown: list[str] = []
    allowed = DONOR_FIELDS + (DONATION_FIELDS if kind == "donations" else ())
    for index, header in enumerate(headers):
        key = header_key(header)
        name = _BY_KEY.get(key)
        if name is None or name not in allowed:
            if key and key not in _IGNORED_KEYS:
                unknown.append(header)
            continue
        if name in columns:
            raise UserError(
                _("columns '{first}' and '{second}' both hold {field}; keep one of them").format(
                    first=headers[columns[name]], second=header, field=field_label(name))
            )
        columns[name] = index
    missing = [name for name in REQUIRED[kind] if name not in columns]
    if missing:
        wanted = _(" and ").join(f"'{ALIASES[name][0]}'" for name in missing)
        found = ", ".join(header for header in headers if header) or _("no header row")
        found = found if len(found) <= 300 else found[:300] + " …"
        if len(missing) > 1:
            raise UserError(_("the file has no {wanted} columns (found: {found})").format(wanted=wanted, found=found))
        raise UserError(_("the file has no {wanted} column (found: {found})").format(wanted=wanted, found=found))
    return HeaderMap(headers=tuple(headers), columns=columns, unknown=tuple(unknown))
