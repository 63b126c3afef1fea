"""Recording the outcome of a checked-in booking from the drive page (slots/outcome.py): donated
(type, volume) or deferred (reason, until when), with the records checks of the donor's page: a
donation they warn about is recorded only with a reason to record it anyway.

A coordinator of the drive's chapter records it for a donor of their own chapter and below; a
donor of another chapter is checked in here, and their chapter records the outcome."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.slots import outcome as service
from donor_registry.web import booking_views as views
from donor_registry.web import donor_views
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.donations import _parse as parse_donation
from donor_registry.web.drives import drive_page_response, drive_within_reach, today

router = APIRouter(prefix="/drives", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Planner = Annotated[Current, Depends(require(Action.work_drives))]
Text = Annotated[str, Form(max_length=1000)]

@router.post("/{drive_id}/bookings/{booking_id}/outcome")
def record_outcome(request: Request, session: SessionDep, current: Planner, drive_id: int, booking_id: int,
                   outcome: Text = "donated", type: Text = "whole_blood", volume_ml: Text = "",
                   deferral_reason: Text = "", deferral_until: Text = "", override: Text = "",
                   anyway: Text = "") -> Response:
    """Record the donation or deferral of a checked-in booking; the page says what, or why not."""
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    booking, donor = views.booking_here(session, current, drive, booking_id)
    form = {"outcome": outcome, "type": type, "volume_ml": volume_ml, "deferral_reason": deferral_reason,
            "deferral_until": deferral_until, "override": override}
    if outcome == "deferred":
        form["volume_ml"] = ""
    else:
        form["deferral_reason"] = form["deferral_until"] = ""
    data, errors = parse_donation({**form, "donated_on": drive.date.isoformat(), "site": "", "certificate_no": ""},
                                  today(current))
    if "donated_on" in errors:
        errors[""] = _("The drive's day is in the future: record the outcome on the day.")
    again = lambda status, **state: drive_page_response(
        request, session, current, drive, status_code=status,
        outcome=views.outcome_form(booking, donor, form, **state))
    rules = request.app.state.settings.eligibility
    warnings = []
    try:
        if data is not None:
            verdict = service.check_outcome(session=session, drive=drive, booking_id=booking.id, data=data, rules=rules)
            warnings = [(donor_views.reason_text(v.code, v.allowed_from), v.message) for v in verdict.violations]
            if warnings and not (anyway and override.strip()):
                if anyway:
                    errors["override"] = _("Give the reason to record it anyway.")
                return again(409, errors=errors, warnings=warnings)
        if errors:
            return again(422, errors=errors, warnings=warnings)
        done = service.record_outcome(session=session, drive=drive, booking_id=booking.id, data=data, rules=rules,
                                      now=current.now, actor=current.actor.audit_name,
                                      override=override.strip() if warnings else None)
    except service.Refused as refused:
        text, status = views.REFUSALS[refused.why]
        return again(status, errors={"": _(text)}, closed=True)
    except UserError as problem:
        return again(422, errors={"": str(problem)}, warnings=warnings)
    return drive_page_response(request, session, current, drive, outcome_done={
        "name": donor.full_name, "text": service.describe(done.donation), "donation_id": done.donation.id})
