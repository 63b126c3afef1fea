"""A drive's call list: the donors to phone before it, and the sign-in sheet at its door.

The same donors as the expected turnout (campaigns/turnout.py: living within the drive's ring,
eligible on its day) who have a phone and agreed to be contacted, in Vietnamese name order.
The CLI (`drives call-list`) and the workspace write the same XLSX; phones are masked for a
reader who may not see them, and every list with phones in full is audited by the caller.
"""

import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlmodel import Session, select

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.models import Drive
from donor_registry.campaigns.turnout import drive_area
from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from donor_registry.i18n import N_, _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label
from donor_registry.phones import mask_phone
from donor_registry.spreadsheets import append_row
from donor_registry.text import collation_key
from donor_registry.types import blood_group_label

#: More than a team phones before one drive; a wider list is cut (and says so).
LIMIT = 5000

HEADINGS = (N_("No."), N_("Full name"), N_("Birth year"), N_("Blood group"), N_("Phone"), N_("Address"),
            N_("Last donation"), N_("Donations"), N_("Called"), N_("Answer"))


@dataclass(frozen=True)
class Entry:
    donor_id: int
    full_name: str
    birth_year: int | None
    blood_group: str
    phone: str  # E.164, or masked
    address: str
    last_donation_on: dt.date | None
    donation_count: int


@dataclass(frozen=True)
class CallList:
    drive: Drive
    area_name: str | None
    entries: list[Entry]
    total: int  # donors found; more than len(entries) when the list was cut at the limit
    masked: bool

    @property
    def cut(self) -> bool:
        return self.total > len(self.entries)


def call_list(
    *, session: Session, drive: Drive, rules: EligibilityRules, ring: str = "10km", masked: bool = False,
    donors_within: ColumnElement[bool] | None = None, limit: int = LIMIT,
) -> CallList:
    """The drive's call list; `donors_within` keeps only donors of the reader's chapters
    (policy.within_reach on Donor.chapter_id), `masked` hides the phones."""
    _area, area_name, where = drive_area(drive, ring)
    if where is None:
        return CallList(drive=drive, area_name=None, entries=[], total=0, masked=masked)
    query = select(Donor.id, Donor.full_name, Donor.date_of_birth, Donor.birth_year, Donor.abo, Donor.rh,
                   Donor.phone_e164, Donor.commune, Donor.district, Donor.province, Donor.last_donation_on,
                   Donor.donation_count).where(
        where, eligible_on_clause(drive.date, rules), Donor.phone_e164.is_not(None),
        Donor.consent_at.is_not(None), Donor.consent_withdrawn_at.is_(None), Donor.erased_at.is_(None))
    if donors_within is not None:
        query = query.where(donors_within)
    rows = sorted(session.exec(query).all(), key=lambda row: (collation_key(row.full_name), row.id))
    entries = [Entry(
        donor_id=row.id, full_name=row.full_name,
        birth_year=row.date_of_birth.year if row.date_of_birth else row.birth_year,
        blood_group=blood_group_label(row.abo, row.rh),
        phone=mask_phone(row.phone_e164) if masked else row.phone_e164,
        address=", ".join(part for part in (row.commune, row.district, row.province) if part),
        last_donation_on=row.last_donation_on, donation_count=row.donation_count,
    ) for row in rows[:limit]]
    return CallList(drive=drive, area_name=area_name, entries=entries, total=len(rows), masked=masked)


def audit_shown(*, session: Session, now: dt.datetime, actor: str, listed: CallList, via: str) -> None:
    """Record that a list with phones in full left the registry (nothing for a masked one)."""
    if listed.masked or not listed.entries:
        return
    audit(session=session, now=now, actor=actor, action="drives.call_list", subject_type="drive",
          subject_id=listed.drive.id, detail={"shown": "phone", "donors": len(listed.entries), "via": via})


def title(listed: CallList) -> str:
    drive = listed.drive
    return _("Call list: drive #{id} at {venue} on {date} {start}–{end}").format(
        id=drive.id, venue=drive.venue, date=fmt.date(drive.date), start=f"{drive.start_time:%H:%M}",
        end=f"{drive.end_time:%H:%M}")


def row(number: int, entry: Entry) -> list:
    return [number, entry.full_name, entry.birth_year, entry.blood_group, entry.phone, entry.address or None,
            fmt.date(entry.last_donation_on) or None, entry.donation_count, None, None]


def xlsx_bytes(listed: CallList) -> bytes:
    """The list as an XLSX workbook: a title, the drive's status, the headings, one row a donor."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Call list")[:31]
    append_row(sheet, [title(listed)])
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    area = listed.area_name or _("the drive has no commune or district")
    append_row(sheet, [_("{status}; donors to call (living in {area}, able to give that day, agreed to be contacted): {total}").format(
        status=label(listed.drive.status), area=area, total=listed.total)])
    if listed.cut:
        append_row(sheet, [_("Only the first {shown} of {total} donors are listed.").format(
            shown=len(listed.entries), total=listed.total)])
    sheet.append([])
    append_row(sheet, [_(heading) for heading in HEADINGS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for number, entry in enumerate(listed.entries, 1):
        append_row(sheet, row(number, entry))
    for column, width in zip("ABCDEFGHIJ", (5, 28, 9, 8, 17, 40, 12, 8, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
