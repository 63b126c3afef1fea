"""Editing a drive's details other than its day, hours and venue (those are `reschedule_drive`):
its campaign, capacity, target and notes."""

import datetime as dt

from sqlmodel import Session

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.drives import _open_campaign, _touch, get_drive
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.errors import UserError
from donor_registry.i18n import _

EDITABLE = ("campaign_id", "capacity", "target_units", "notes")


def edit_drive(*, session: Session, drive_id: int, now: dt.datetime, actor: str = "cli", **changes) -> Drive:
    """Set the given details (None clears one); a cancelled drive is left as it is. Audited with
    the values before, and calendars pick the change up (SEQUENCE)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"not editable: {', '.join(unknown)}")
    drive = get_drive(session=session, drive_id=drive_id)
    if drive.status == DriveStatus.cancelled:
        raise UserError(_("drive #{id} was cancelled; it cannot be edited").format(id=drive_id))
    for name in ("capacity", "target_units"):
        if changes.get(name) is not None and changes[name] < 0:
            raise UserError(_("{name} must not be negative").format(name=name))
    if changes.get("campaign_id") is not None and changes["campaign_id"] != drive.campaign_id:
        _open_campaign(session, changes["campaign_id"])
    before = {name: getattr(drive, name) for name in changes if getattr(drive, name) != changes[name]}
    if not before:
        return drive
    for name in before:
        setattr(drive, name, changes[name])
    _touch(session, drive, now)
    audit(session=session, now=now, actor=actor, action="drives.edit", subject_type="drive", subject_id=drive.id,
          detail={"before": before})
    return drive
