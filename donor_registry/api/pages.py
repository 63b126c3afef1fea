"""The donor's reply page behind the SMS link: "Tôi sẽ đến" / "Tôi không thể đến" ("I will come" /
"I cannot come"), in the donor's language (?lang=, Accept-Language, else the configured one).

Opening the page (GET) changes nothing, so a phone's link preview cannot answer for the donor;
only the form (POST) records the answer and uses up the one-time link.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from donor_registry.api.deps import SessionDep, SettingsDep, speak
from donor_registry.api.emergency import now_of
from donor_registry.api.html import at, message, render
from donor_registry.donors.models import Donor
from donor_registry.emergency.answers import (
    Outcome,
    TokenProblem,
    answer_by_token,
    callout_for_token,
)
from donor_registry.emergency.models import EmergencyRequest, Hospital, RequestStatus
from donor_registry.emergency.notify import given_name
from donor_registry.i18n import _
from donor_registry.types import blood_group_label

router = APIRouter(tags=["donor pages"], include_in_schema=False, dependencies=[Depends(speak)])

ARRIVAL_CHOICES = (30, 60, 90, 120, 180)


def duration(minutes: int) -> str:
    """'30 phút', '1 giờ', '1 giờ 30 phút' ('30 minutes', '1 hour', '1 hour 30 minutes')."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(_("1 hour") if hours == 1 else _("{hours} hours").format(hours=hours))
    if rest:
        parts.append(_("{minutes} minutes").format(minutes=rest))
    return " ".join(parts)


def _problem_page(http: Request, problem: TokenProblem) -> HTMLResponse:
    if problem.kind == "used":
        return message(http, _("You have already answered"), _(
            "This link works only once and you have already answered. Thank you! "
            "If you change your mind, please call the Red Cross."), status_code=410)
    if problem.kind == "expired":
        return message(http, _("The link has expired"), _(
            "This reply link has expired. If you can still come to give blood, please call the Red Cross. "
            "Thank you!"), status_code=410)
    return message(http, _("Invalid link"), _("No invitation matches this link. Please check the message again."),
                   status_code=404)


def _closed_page(http: Request, request: EmergencyRequest) -> HTMLResponse:
    if request.status == RequestStatus.covered:
        return message(http, _("Enough donors have come forward"), _(
            "The hospital has enough donors. You no longer need to come. Thank you for your kindness!"))
    return message(http, _("The request has ended"), _(
        "The hospital no longer needs more donors for this request. You do not need to come. Thank you!"))


@router.get("/r/{token}", response_class=HTMLResponse)
def reply_page(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The invitation and the two answers."""
    try:
        callout = callout_for_token(session=session, token=token, now=now_of(http))
    except TokenProblem as problem:
        return _problem_page(http, problem)
    request = session.get(EmergencyRequest, callout.request_id)
    if request.status != RequestStatus.open:
        return _closed_page(http, request)
    donor = session.get(Donor, callout.donor_id)
    return render(http, "reply.html", request=request, hospital=session.get(Hospital, request.hospital_id),
                  given_name=given_name(donor.full_name), blood_group=blood_group_label(request.abo, request.rh),
                  needed_by=at(request.needed_by), choices=[(m, duration(m)) for m in ARRIVAL_CHOICES],
                  default_minutes=settings.emergency.default_arrival_minutes)


@router.post("/r/{token}", response_class=HTMLResponse)
def reply(
    token: str, http: Request, session: SessionDep, settings: SettingsDep,
    answer: Annotated[str, Form()], arrive_in: Annotated[int | None, Form()] = None,
) -> HTMLResponse:
    """Record the answer once."""
    if answer not in ("accept", "decline"):
        return message(http, _("Invalid answer"), _("Please choose “{accept}” or “{decline}”.").format(
            accept=_("I will come"), decline=_("I cannot come")), status_code=422)
    minutes = arrive_in if arrive_in in ARRIVAL_CHOICES else None
    try:
        callout, outcome = answer_by_token(session=session, now=now_of(http), settings=settings, token=token,
                                           accept=answer == "accept", arrive_in_minutes=minutes)
    except TokenProblem as problem:
        return _problem_page(http, problem)
    if outcome == Outcome.too_late:
        return _closed_page(http, session.get(EmergencyRequest, callout.request_id))
    if answer == "decline":
        return message(http, _("Thank you for answering"),
                       _("We have noted that you cannot come this time. Thank you!"))
    request = session.get(EmergencyRequest, callout.request_id)
    hospital = session.get(Hospital, request.hospital_id)
    return message(http, _("Thank you!"), _(
        "{hospital} expects you at about {arrival}. Please bring your identity card (CCCD) and tell the "
        "transfusion department when you arrive.").format(hospital=hospital.name,
                                                           arrival=at(callout.expected_arrival_at)))
