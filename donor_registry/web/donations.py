"""Record a donation or a deferral from a donor's profile, with the recording checks of the CLI.

A donation the checks warn about (same day, interval, age, weight, volume: recording.py) is not
recorded: the profile shows the warnings in plain words, and only "record anyway" with a reason
records it (the CLI's --override), the violations and the reason kept on the row and audited.
"""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.donations import service
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.emergency.notify import DEFAULT_PUBLIC_BASE_URL
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.i18n.validation import field_errors
from donor_registry.portal import service as portal
from donor_registry.sms.settings import require_live_links
from donor_registry.web import donor_views as views
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.donors import donor_here, profile, today
from donor_registry.web.forms import blank_to_none, day_value
from donor_registry.web.templating import render

router = APIRouter(prefix="/donors", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Worker = Annotated[Current, Depends(require(Action.work_donors))]
Text = Annotated[str, Form(max_length=1000)]
FIELDS = ("donated_on", "type", "outcome", "volume_ml", "site", "certificate_no", "deferral_reason", "deferral_until")


@router.post("/{donor_id}/donations")
def record(request: Request, session: SessionDep, current: Worker, donor_id: int, donated_on: Text = "",
           type: Text = "whole_blood", outcome: Text = "donated", volume_ml: Text = "", site: Text = "",
           certificate_no: Text = "", deferral_reason: Text = "", deferral_until: Text = "",
           override: Text = "", anyway: Text = "") -> Response:
    donor = donor_here(session, current, donor_id, Action.work_donors)
    form = {"donated_on": donated_on, "type": type, "outcome": outcome, "volume_ml": volume_ml, "site": site,
            "certificate_no": certificate_no, "deferral_reason": deferral_reason, "deferral_until": deferral_until,
            "override": override}
    data, errors = _parse(form, today(current))
    warnings = []
    if data is not None:
        verdict = service.check_recording(session=session, donor=donor, data=data,
                                          rules=request.app.state.settings.eligibility)
        warnings = [(views.reason_text(v.code, v.allowed_from), v.message) for v in verdict.violations]
        if warnings and not (anyway and override.strip()):
            if anyway:
                errors["override"] = _("Give the reason to record it anyway.")
            return _again(request, session, current, donor, form, errors, warnings, status_code=409)
    if errors:
        return _again(request, session, current, donor, form, errors, warnings, status_code=422)
    try:
        donation = service.record_donation(
            session=session, donor_id=donor.id, data=data, rules=request.app.state.settings.eligibility,
            now=current.now, source="web", actor=current.actor.audit_name,
            override=override.strip() if warnings else None)
    except UserError as problem:  # a certificate number already recorded, say
        return _again(request, session, current, donor, form, {"": str(problem)}, warnings, status_code=422)
    audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="donations.record",
                 subject_type="donor", subject_id=donor.id,
                 detail={"donation_id": donation.id, "outcome": donation.outcome.value, "via": "web"})
    return RedirectResponse(f"/donors/{donor.id}?recorded={donation.id}", status_code=303)


def _parse(form: dict, day: dt.date) -> tuple[DonationCreate | None, dict]:
    """The form as the CLI's model, or the field errors in the reader's words."""
    errors = {}
    values = blank_to_none({name: form[name] for name in FIELDS})
    for name in ("donated_on", "deferral_until"):
        values[name], problem = day_value(values[name])
        if problem:
            errors[name] = problem
    if values["donated_on"] is None and "donated_on" not in errors:
        errors["donated_on"] = _("is required")
    try:
        data = DonationCreate.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as problem:
        return None, {**field_errors(problem), **errors}
    if errors:
        return None, errors
    if data.donated_on > day:
        errors["donated_on"] = _("is in the future")
    if data.outcome == Outcome.deferred and not data.deferral_reason:
        errors["deferral_reason"] = _("A deferral needs a reason.")
    if data.outcome == Outcome.donated and (data.deferral_reason or data.deferral_until):
        errors["outcome"] = _("A deferral reason or end date only goes with a deferral.")
    if data.deferral_until is not None and data.deferral_until <= data.donated_on:
        errors["deferral_until"] = _("The deferral must end after the day it was given.")
    return (None if errors else data), errors


def _again(request, session, current, donor, form, errors, warnings, *, status_code) -> Response:
    page = profile(request, session, current, donor)
    page.update(record=form, errors=errors, warnings=warnings)
    return render(request, "donor.html", status_code=status_code, **page)


@router.post("/{donor_id}/record-link")
def send_record_link(request: Request, session: SessionDep,
                     current: Annotated[Current, Depends(require(Action.work_sms))], donor_id: int) -> Response:
    """Text the donor the link to their own record (`donors send-link` of the CLI)."""
    donor = donor_here(session, current, donor_id, Action.work_sms)
    sms = request.app.state.settings.sms
    try:
        require_live_links(sms, refusing=_("no record link was sent"))
        portal.send_link(session=session, donor_id=donor.id, now=current.now, actor=current.actor.audit_name,
                         base_url=sms.public_base_url or DEFAULT_PUBLIC_BASE_URL)
    except UserError as problem:
        return render(request, "donor.html", status_code=422, problem=str(problem),
                      **profile(request, session, current, donor))
    return RedirectResponse(f"/donors/{donor.id}?linked=1", status_code=303)
