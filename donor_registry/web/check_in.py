"""Checking donors in at a drive from the workspace (a coordinator's phone at the door): the code
from the donor's drive page is typed in, the booking is checked in (slots/check_in.py), and the
drive page shows who it is, with the form to record the outcome (web/outcomes.py)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.i18n import N_, _
from donor_registry.i18n import formatting as fmt
from donor_registry.questionnaire import service as questionnaire
from donor_registry.slots import check_in as service
from donor_registry.web import booking_views
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.drives import drive_page_response, drive_within_reach

router = APIRouter(prefix="/drives", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Planner = Annotated[Current, Depends(require(Action.work_drives))]

#: Why nothing was checked in, as the coordinator reads it (and the answer's status).
REFUSALS = {
    "unknown": (N_("No booking has this code. Check the code on the donor's phone and type it again."), 404),
    "cancelled": (N_("This booking was cancelled: the donor may still give as a walk-in."), 409),
    "other_drive": (N_("This code belongs to a booking at another drive, not this one."), 409),
    "already": (N_("This donor was already checked in at {time}."), 409),
    "drive_cancelled": (N_("This drive was cancelled: nobody can be checked in."), 409),
}


@router.post("/{drive_id}/check-in")
def check_in(request: Request, session: SessionDep, current: Planner, drive_id: int,
             code: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Check the booking with this code in; the page names the donor, or says why not."""
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    savepoint = session.begin_nested()
    try:
        done = service.check_in(session=session, drive=drive, typed=code, now=current.now,
                                actor=current.actor.audit_name)
    except service.Refused as refused:
        savepoint.rollback()
        text, status = REFUSALS[refused.why]
        when = refused.booking.checked_in_at if refused.booking is not None else None
        message = _(text).format(time=f"{fmt.local(when):%H:%M}" if when else "")
        return drive_page_response(request, session, current, drive, status_code=status,
                                   check_in={"code": code, "problem": message})
    savepoint.commit()
    may_record = current.may(Action.work_donors, done.donor.chapter_id)
    return drive_page_response(request, session, current, drive, outcome=booking_views.outcome_form(
        done.booking, done.donor) if may_record else None, check_in={
        "done": True, "name": done.donor.full_name, "donor_id": done.donor.id,
        "profile": current.may(Action.read_lists, done.donor.chapter_id),
        "slot": f"{done.slot.start_time:%H:%M}–{done.slot.end_time:%H:%M}", "code": done.booking.check_in_code,
        "questionnaire": _questionnaire(session, current, drive.id, done.donor.id)})


def _questionnaire(session, current: Current, drive_id: int, donor_id: int):
    """The donor's answers for the drive (questionnaire.service.summary_for), the view audited as
    a view of health data by the user; None when the donor kept none."""
    summary = questionnaire.summary_for(session, drive_id, donor_id)
    if summary is not None:
        audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="questionnaire.view",
                     subject_type="donor", subject_id=donor_id,
                     detail={"drive_id": drive_id, "answer_id": summary.answer_id, "health_data": True})
    return summary
