"""A drive's slots edited from its page (slots/edits.py): a slot's places, or a slot added
before or after the others. A refusal is one sentence on the page and changes nothing."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.slots import edits
from donor_registry.slots.models import DriveSlot
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.drives import attempt, drive_page_response, drive_within_reach

router = APIRouter(prefix="/drives", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Planner = Annotated[Current, Depends(require(Action.work_drives))]
Text = Annotated[str, Form(max_length=100)]


def _number(raw: str) -> int:
    if not raw.strip().isdigit():
        raise UserError(_("The number of places must be a whole number (0 or more)."))
    return int(raw.strip())


def _time(raw: str) -> dt.time:
    try:
        hours, _colon, minutes = raw.strip().replace("h", ":").partition(":")
        return dt.time(int(hours), int(minutes or 0))
    except ValueError:
        raise UserError(_("'{raw}' is not a time of day; write 07:00 or 13:30").format(raw=raw)) from None


@router.post("/{drive_id}/slots/{slot_id}/capacity")
def slot_capacity(request: Request, session: SessionDep, current: Planner, drive_id: int, slot_id: int,
                  capacity: Text = "") -> Response:
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    slot = session.get(DriveSlot, slot_id)
    if slot is None or slot.drive_id != drive.id:
        return drive_page_response(request, session, current, drive, status_code=404,
                                   problem=_("This drive has no such time slot."))
    try:
        places = _number(capacity)
        attempt(session, lambda: edits.set_capacity(
            session=session, slot_id=slot.id, capacity=places, now=current.now, actor=current.actor.audit_name,
            settings=request.app.state.settings))
    except UserError as problem:
        return drive_page_response(request, session, current, drive, status_code=422, problem=str(problem))
    return RedirectResponse(f"/drives/{drive.id}#slot-counts", status_code=303)


@router.post("/{drive_id}/slots")
def add_slot(request: Request, session: SessionDep, current: Planner, drive_id: int, start_time: Text = "",
             end_time: Text = "", capacity: Text = "") -> Response:
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    try:
        start, end, places = _time(start_time), _time(end_time), _number(capacity)
        attempt(session, lambda: edits.add_slot(
            session=session, drive_id=drive.id, start=start, end=end, capacity=places, now=current.now,
            actor=current.actor.audit_name, settings=request.app.state.settings))
    except UserError as problem:
        return drive_page_response(request, session, current, drive, status_code=422, problem=str(problem))
    return RedirectResponse(f"/drives/{drive.id}#slot-counts", status_code=303)
