"""Emergency requests in the workspace: the chapter's open requests with live counts (the page
refreshes itself), a request taken by phone, a donor's answer by phone and an arrival: the paths
of `emergency request`, `answer` and `arrived`, audited as user:<login>. A request of a hospital
outside the user's chapter and below is not found."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.emergency import answers, hospitals, service
from donor_registry.emergency.compatibility import Product
from donor_registry.emergency.models import EmergencyRequest, Hospital, RequestStatus
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label
from donor_registry.phones import mask_phone
from donor_registry.types import blood_group_label
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.drives import attempt
from donor_registry.web.templating import render

router = APIRouter(prefix="/emergency", tags=["workspace"], include_in_schema=False,
                   dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
Responder = Annotated[Current, Depends(require(Action.work_emergency))]
Text = Annotated[str, Form(max_length=1000)]
#: Seconds between the list page's own refreshes (meta refresh: no script).
REFRESH_SECONDS = 30
FIELDS = ("hospital_id", "blood_group", "units", "product", "needed_by", "note")
COUNTS = ("asked", "accepted", "declined", "no_answer", "arrived", "donated")


def _settings(request: Request):
    return request.app.state.settings


def _hospitals(session: Session, current: Current) -> list[Hospital]:
    return [h for h in hospitals.list_hospitals(session=session) if current.may(Action.read_lists, h.chapter_id)]


def _request_view(view: service.RequestStatusView) -> dict:
    r = view.request
    return {"id": r.id, "hospital": view.hospital.name, "group": blood_group_label(r.abo, r.rh),
            "product": label(r.product), "units": r.units, "needed_by": fmt.datetime(r.needed_by),
            "status": r.status.value, "state": label(r.status), "wave": r.wave, "note": r.note or "",
            "next_wave_at": fmt.datetime(r.next_wave_at), "created_by": r.created_by,
            "counts": view.counts}


@router.get("")
def requests_page(request: Request, session: SessionDep, current: Reader) -> Response:
    """The open requests of hospitals of the user's chapter and below, with their counts."""
    return _requests_page(request, session, current)


def _requests_page(request, session, current) -> Response:
    within = None if current.actor.reach is None else [h.id for h in _hospitals(session, current)]
    shown = [_request_view(service.status_view(session=session, request=r))
             for r in service.list_requests(session=session, status=RequestStatus.open, hospital_ids=within)]
    return render(request, "emergency/requests.html", requests=shown, refresh=REFRESH_SECONDS, counts=COUNTS,
                  may_file=current.may(Action.work_emergency), updated=fmt.time(current.now))


def _new_form(request, session, current, *, form=None, errors=None, status_code=200) -> Response:
    """The form for a request taken by phone (a page of its own: the list refreshes itself)."""
    return render(request, "emergency/new.html", status_code=status_code,
                  hospitals=[h for h in _hospitals(session, current) if current.may(Action.work_emergency, h.chapter_id)],
                  products=[(p.value, label(p)) for p in Product], form=form or {"product": Product.red_cells.value},
                  errors=errors or {})


@router.get("/new")
def new_request(request: Request, session: SessionDep, current: Responder) -> Response:
    return _new_form(request, session, current)


def _needed_by(text: str, current: Current) -> dt.datetime | None:
    """'18:00' (today), '01/06/2026 18:00' or '2026-06-01 18:00' in Vietnam's time; '' for the default."""
    text = " ".join(text.split())
    if not text:
        return None
    for pattern in ("%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"):
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        if pattern == "%H:%M":
            parsed = dt.datetime.combine(fmt.local(current.now).date(), parsed.time())
        return parsed.replace(tzinfo=fmt.VIETNAM)
    raise ValueError(text)


def _request_data(form: dict, current: Current, allowed: set[int]) -> tuple[service.RequestCreate | None, int | None, dict]:
    errors = {}
    hospital_id = int(form["hospital_id"]) if form["hospital_id"].isdigit() else None
    if hospital_id not in allowed:
        errors["hospital_id"] = _("Choose a hospital of your chapter.")
    if not form["units"].isdigit() or int(form["units"]) < 1:
        errors["units"] = _("Give the number of donors needed, e.g. 2.")
    try:
        needed_by = _needed_by(form["needed_by"], current)
    except ValueError:
        errors["needed_by"] = _("Write a time as 18:00 or 01/06/2026 18:00.")
        needed_by = None
    if errors:
        return None, hospital_id, errors
    try:
        data = service.RequestCreate(blood_group=form["blood_group"], product=form["product"], units=int(form["units"]),
                                     needed_by=needed_by, note=form["note"] or None)
    except ValidationError as problem:
        messages = {"blood_group": _("Give the full blood group with its Rh, e.g. O+ or AB-."),
                    "product": _("Choose what the patient needs."), "note": _("The note is too long.")}
        for error in problem.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            errors[name if name in messages else ""] = messages.get(name, _("Check the request."))
        return None, hospital_id, errors
    return data, hospital_id, errors


@router.post("")
def file_request(request: Request, session: SessionDep, current: Responder, hospital_id: Text = "",
                 blood_group: Text = "", units: Text = "", product: Text = "", needed_by: Text = "",
                 note: Text = "") -> Response:
    """A request a hospital made by phone: filed as `emergency request` does (first wave at once)."""
    form = dict(zip(FIELDS, (hospital_id, blood_group, units, product, needed_by, note), strict=True))
    allowed = {h.id for h in _hospitals(session, current) if current.may(Action.work_emergency, h.chapter_id)}
    data, chosen, errors = _request_data(form, current, allowed)
    if errors:
        return _new_form(request, session, current, form=form, errors=errors, status_code=422)
    try:
        filed = attempt(session, lambda: service.create_request(
            session=session, now=current.now, settings=_settings(request), hospital_id=chosen, data=data,
            actor=current.actor.audit_name))
    except service.InvalidField as problem:
        errors = {problem.field_name if problem.field_name in FIELDS else "": problem.reason}
        return _new_form(request, session, current, form=form, errors=errors, status_code=422)
    except UserError as problem:
        return _new_form(request, session, current, form=form, errors={"": str(problem)}, status_code=422)
    return RedirectResponse(f"/emergency/{filed.id}", status_code=303)


def request_within_reach(session: Session, current: Current, request_id: int, action: Action) -> EmergencyRequest:
    try:
        found = service.get_request(session=session, request_id=request_id)
    except NotFound:
        raise NotFoundHere() from None
    if not current.may(action, hospitals.get_hospital(session=session, hospital_id=found.hospital_id).chapter_id):
        raise NotFoundHere()
    return found


def _phone(phone: str | None, in_full: bool) -> str:
    if not phone:
        return ""
    if in_full:
        return phone
    try:
        return mask_phone(phone)
    except ValueError:
        return "…"


@router.get("/{request_id}")
def request_page(request: Request, session: SessionDep, current: Reader, request_id: int) -> Response:
    """A request, its counts, every donor asked (phones in full only for a role that may see them,
    and that view audited) and, for a coordinator, the forms for answers and arrivals."""
    return _request_page(request, session, current, request_within_reach(session, current, request_id,
                                                                          Action.read_lists))


def _request_page(request, session, current, found: EmergencyRequest, *, problem=None, status_code=200) -> Response:
    view = service.status_view(session=session, request=found)
    chapter_id = view.hospital.chapter_id
    in_full = current.may(Action.see_personal_data, chapter_id)
    donors = [{"id": donor.id, "name": donor.full_name, "phone": _phone(donor.phone_e164, in_full),
               "wave": callout.wave, "asked_at": fmt.datetime(callout.asked_at), "answer": label(callout.answer),
               "channel": label(callout.answer_channel) if callout.answer_channel else "",
               "expected": fmt.datetime(callout.expected_arrival_at), "arrived": fmt.datetime(callout.arrived_at),
               "donated": callout.donated}
              for callout, donor in answers.callouts(session=session, request_id=found.id)]
    if in_full:
        service.record_view(session=session, now=current.now, actor=current.actor.audit_name, request_id=found.id)
    return render(request, "emergency/request.html", status_code=status_code, request_=_request_view(view),
                  donors=donors, counts=COUNTS, problem=problem, outcome=_outcome(request),
                  may_act=current.may(Action.work_emergency, chapter_id))


def _outcome(request: Request) -> str | None:
    return {answers.Outcome.recorded.value: _("The answer is recorded."),
            answers.Outcome.covered.value: _("The answer is recorded; the request is now covered and the others are told."),
            answers.Outcome.too_late.value: _("The request is closed: tell the donor it is no longer needed."),
            answers.Outcome.unchanged.value: _("The donor had already given that answer."),
            "arrived": _("The arrival is recorded.")}.get(request.query_params.get("done", ""))


def _donor_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@router.post("/{request_id}/answer")
def record_answer(request: Request, session: SessionDep, current: Responder, request_id: int, donor_id: Text = "",
                  answer: Text = "", arrive_in: Text = "") -> Response:
    """An answer a donor gave by phone (`emergency answer`)."""
    found = request_within_reach(session, current, request_id, Action.work_emergency)
    donor, minutes = _donor_id(donor_id), arrive_in.strip()
    if donor is None or answer not in ("accept", "decline") or (minutes and not (minutes.isdigit() and 0 < int(minutes) < 1440)):
        return _request_page(request, session, current, found, status_code=422,
                             problem=_("Choose a donor, accept or decline, and minutes until arrival (or nothing)."))
    try:
        outcome = attempt(session, lambda: answers.answer_by_phone(
            session=session, now=current.now, settings=_settings(request), request_id=found.id, donor_id=donor,
            accept=answer == "accept", actor=current.actor.audit_name, arrive_in_minutes=int(minutes) if minutes else None))[1]
    except UserError as problem:
        return _request_page(request, session, current, found, status_code=422, problem=str(problem))
    return RedirectResponse(f"/emergency/{found.id}?done={outcome.value}", status_code=303)


@router.post("/{request_id}/arrived")
def record_arrival(request: Request, session: SessionDep, current: Responder, request_id: int,
                   donor_id: Text = "") -> Response:
    """A donor who was asked has arrived at the hospital (`emergency arrived`)."""
    found = request_within_reach(session, current, request_id, Action.work_emergency)
    donor = _donor_id(donor_id)
    if donor is None:
        return _request_page(request, session, current, found, status_code=422, problem=_("Choose a donor."))
    try:
        attempt(session, lambda: answers.mark_arrived(session=session, now=current.now, request_id=found.id,
                                                      donor_id=donor, actor=current.actor.audit_name))
    except UserError as problem:
        return _request_page(request, session, current, found, status_code=422, problem=str(problem))
    return RedirectResponse(f"/emergency/{found.id}?done=arrived", status_code=303)
