"""Consent changes from a donor's profile: the donor gave or withdrew consent for one purpose
(on paper, by phone, in person), recorded by a coordinator. The same service as `donors
consent` of the CLI, which audits each change with the user who made it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.privacy import consents
from donor_registry.privacy.models import Purpose
from donor_registry.types import ConsentChannel
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.donor_views import CONSENT_CHANNELS
from donor_registry.web.donors import donor_here, profile
from donor_registry.web.templating import render

router = APIRouter(prefix="/donors", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Worker = Annotated[Current, Depends(require(Action.work_donors))]
Choice = Annotated[str, Form(max_length=40)]

CHANGES = ("give", "withdraw")


@router.post("/{donor_id}/consents")
def change(request: Request, session: SessionDep, current: Worker, donor_id: int,
           purpose: Choice = "", change: Choice = "", channel: Choice = "") -> Response:
    donor = donor_here(session, current, donor_id, Action.work_donors)
    try:
        chosen_purpose, chosen_channel = _choices(purpose, change, channel)
        if change == "give":
            consents.give(session=session, donor=donor, purpose=chosen_purpose, channel=chosen_channel,
                          now=current.now, actor=current.actor.audit_name)
        else:
            consents.withdraw(session=session, donor=donor, purpose=chosen_purpose, channel=chosen_channel,
                              now=current.now, actor=current.actor.audit_name)
    except UserError as problem:
        return render(request, "donor.html", status_code=422, problem=str(problem),
                      **profile(request, session, current, donor))
    return RedirectResponse(f"/donors/{donor.id}?consent={change}", status_code=303)


def _choices(purpose: str, change: str, channel: str) -> tuple[Purpose, ConsentChannel]:
    if purpose not in {p.value for p in Purpose}:
        raise UserError(_("Choose what the consent is for."))
    if change not in CHANGES:
        raise UserError(_("Choose whether the donor gave or withdrew consent."))
    if channel not in {c.value for c in CONSENT_CHANNELS}:
        raise UserError(_("Choose how the donor said it."))
    return Purpose(purpose), ConsentChannel(channel)
