"""Releasing a drive's units to a hospital from the workspace drive page: every given unit of the
drive not yet released goes to the chosen hospital, and each donor is thanked once by SMS
(thanks/service.py). The drive page shows the button from its own include (drives/_release.html)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.emergency.hospitals import list_hospitals
from donor_registry.errors import NotFound
from donor_registry.i18n import _
from donor_registry.thanks import service
from donor_registry.thanks.rules import as_number
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.drives import drive_page_response, drive_within_reach

router = APIRouter(prefix="/drives", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Planner = Annotated[Current, Depends(require(Action.work_drives))]


def release_view(request: Request, session: Session, current: Current, drive: Drive, problem: str | None = None) -> dict:
    """What the drive page's release card shows: the units still to release, the hospitals, the last result."""
    may = drive.status != DriveStatus.cancelled and current.may(Action.work_drives, drive.chapter_id)
    if not may:
        return {"may": False}
    return {"may": True, "waiting": len(service.releasable_ids(session=session, drive_id=drive.id)),
            "hospitals": [(h.id, h.name) for h in list_hospitals(session=session)],
            "released": as_number(request.query_params.get("released", "")), "problem": problem}


@router.post("/{drive_id}/release")
def release(request: Request, session: SessionDep, current: Planner, drive_id: int,
            hospital_id: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Release the drive's given units not yet released to the hospital; each donor thanked once."""
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    problem = None
    if drive.status == DriveStatus.cancelled:
        problem = _("This drive was cancelled: it has no units to release.")
    elif as_number(hospital_id.strip()) is None:
        problem = _("Choose the hospital the units went to.")
    if problem is None:
        try:
            outcome = service.release_drive(session=session, settings=request.app.state.settings, now=current.now,
                                            drive_id=drive.id, hospital_id=as_number(hospital_id.strip()),
                                            actor=current.actor.audit_name)
        except NotFound:
            problem = _("Choose the hospital the units went to.")
        else:
            return RedirectResponse(f"/drives/{drive.id}?released={len(outcome.new)}#release", status_code=303)
    return drive_page_response(request, session, current, drive, status_code=422, release_problem=problem)
