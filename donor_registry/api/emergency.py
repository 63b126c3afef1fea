"""The hospital API: file an emergency request, follow it, cancel it (bearer token per hospital).

A hospital sees only its own requests (another's answers 404, as if it did not exist), and of
the donors only the given name and expected arrival of those who accepted: never a phone
number or a national ID.

The router is built per app (`build_router`) so the schema states the configured limits.
"""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from donor_registry.api.deps import SessionDep, SettingsDep
from donor_registry.config import Settings
from donor_registry.emergency import service
from donor_registry.emergency.hospitals import authenticate
from donor_registry.emergency.limits import MAX_ID
from donor_registry.emergency.models import Hospital
from donor_registry.errors import NotFound, UserError
from donor_registry.thanks import rules as thanks_rules
from donor_registry.thanks import service as thanks
from donor_registry.types import blood_group_label

_bearer = HTTPBearer(auto_error=False, description="The hospital's API token (hsp_…).")


def now_of(request: Request) -> dt.datetime:
    """The current UTC time (tests may pin app.state.clock)."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock else dt.datetime.now(dt.UTC)


def current_hospital(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Hospital:
    """The hospital whose token is presented; 401 for a missing, unknown or revoked token."""
    hospital = authenticate(session=session, token=credentials.credentials if credentials else None)
    if hospital is None:
        raise HTTPException(status_code=401, detail="missing, unknown or revoked hospital token",
                            headers={"WWW-Authenticate": "Bearer"})
    return hospital


HospitalDep = Annotated[Hospital, Depends(current_hospital)]


class Counts(BaseModel):
    asked: int
    accepted: int
    declined: int
    no_answer: int
    late: int = Field(description="Accepted after the request closed; not coming.")
    arrived: int
    donated: int


class ComingDonor(BaseModel):
    given_name: str = Field(description="The donor's given name only.")
    expected_arrival_at: dt.datetime | None
    arrived: bool
    donated: bool


class DonationOut(BaseModel):
    id: int = Field(description="The donation's number (to mark it used).")
    donated_on: dt.date
    used_at: dt.datetime | None = Field(description="When its unit was marked used or released (None: not yet).")


class RequestOut(BaseModel):
    id: int
    hospital: str
    blood_group: str
    product: str
    units: int
    needed_by: dt.datetime
    note: str | None
    status: str
    wave: int
    area_level: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    counts: Counts
    coming: list[ComingDonor]
    donations: list[DonationOut] = Field(default_factory=list, description=(
        "The donations given for this request (not deferred, not voided); no donor named."))


class UsedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    donations: list[Annotated[int, Field(ge=1, le=MAX_ID)] | service.plain_text(50)] = Field(
        min_length=1, max_length=thanks_rules.MAX_MARKS, description=(
            "Donation numbers (as in `donations` of the request) or certificate numbers of donations "
            "given for this request."), examples=[[12, "HM-2026-0001"]])


class UsedOut(BaseModel):
    request: RequestOut
    marked: list[int] = Field(description="Donations recorded as used now: each donor is thanked once by SMS.")
    already: list[int] = Field(description="Donations recorded before: nothing more is sent.")


class CancelIn(BaseModel):
    reason: service.plain_text(300) | None = None


class Problem(BaseModel):
    detail: str


def _problem(description: str) -> dict:
    return {"model": Problem, "description": description}


RETRY_AFTER = {"Retry-After": {"description": "Seconds until a request would be accepted.",
                               "schema": {"type": "integer", "minimum": 1}}}
COMMON = {401: _problem("Missing, unknown or revoked hospital token.")}
BODY = {400: _problem("The body is not JSON (or not UTF-8)."),
        413: _problem("The body is larger than [emergency] max_body_bytes.")}
ONE = {404: _problem("No such request of this hospital (or an id outside 1 … 2^63−1).")}
FILE = {**BODY, 403: _problem("The chapter suspended this hospital."),
        429: {**_problem("Too many requests this hour, or too many open."), "headers": RETRY_AFTER}}
RequestId = Annotated[int, Path(ge=1, le=MAX_ID, description="The request's number.")]


def request_out(view: service.RequestStatusView, session=None) -> RequestOut:
    """The hospital's view of a request (with a session: the donations given for it)."""
    r = view.request
    donations = [DonationOut(id=d.id, donated_on=d.donated_on, used_at=use.used_at if use else None)
                 for d, use in thanks.uses_of_request(session=session, request_id=r.id)] if session else []
    return RequestOut(
        id=r.id, hospital=view.hospital.name, blood_group=blood_group_label(r.abo, r.rh),
        product=r.product.value, units=r.units, needed_by=r.needed_by, note=r.note,
        status=r.status.value, wave=r.wave, area_level=r.area_level, created_at=r.created_at,
        closed_at=r.closed_at, counts=Counts(**view.counts),
        coming=[ComingDonor(**donor) for donor in view.coming], donations=donations,
    )


def invalid(exc: service.InvalidField) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, naming the field."""
    return HTTPException(status_code=422, detail=[
        {"type": "value_error", "loc": ["body", exc.field_name], "msg": exc.reason}])


def build_router(settings: Settings) -> APIRouter:
    """The API routes, with the request body's limits taken from the settings."""
    router = APIRouter(prefix="/api/v1/emergency-requests", tags=["emergency"], responses=COMMON)
    request_create = service.request_model(settings)

    @router.post("", status_code=201, response_model=RequestOut, responses=FILE)
    def file_request(
        data: request_create, http: Request, session: SessionDep, settings: SettingsDep,
        hospital: HospitalDep,
    ) -> RequestOut:
        """Ask for donors of a blood group; the first wave of SMS is queued before this returns.

        Per hospital at most [emergency] max_requests_per_hour requests an hour and
        max_open_requests open at once (429 with Retry-After beyond); needed_by at most
        max_horizon_hours ahead."""
        return _file(data, http, session, settings, hospital)

    router.get("", response_model=list[RequestOut])(list_requests)
    router.get("/{request_id}", response_model=RequestOut, responses=ONE)(show_request)
    router.post("/{request_id}/cancel", response_model=RequestOut, responses={**ONE, **BODY, 409: _problem(
        "The request is already closed.")})(cancel_request)
    router.post("/{request_id}/used", response_model=UsedOut, responses={**ONE, **BODY})(mark_used)
    return router


def _file(data, http, session, settings, hospital) -> RequestOut:
    try:
        request = service.create_request(session=session, now=now_of(http), settings=settings,
                                         hospital_id=hospital.id, data=data, actor=f"hospital:{hospital.id}")
    except service.InvalidField as exc:
        raise invalid(exc) from exc
    except service.Suspended as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except service.RateLimited as exc:
        raise HTTPException(status_code=429, detail=str(exc),
                            headers={"Retry-After": str(exc.retry_after)}) from exc
    return request_out(service.status_view(session=session, request=request), session)


def list_requests(http: Request, session: SessionDep, hospital: HospitalDep) -> list[RequestOut]:
    """This hospital's requests, newest first."""
    requests = service.list_requests(session=session, hospital_id=hospital.id, limit=50)
    service.record_view(session=session, now=now_of(http), actor=f"hospital:{hospital.id}", request_id=None)
    return [request_out(service.status_view(session=session, request=r), session) for r in requests]


def show_request(request_id: RequestId, http: Request, session: SessionDep, hospital: HospitalDep) -> RequestOut:
    """Status and counts of one of this hospital's requests."""
    request = _own(session, request_id, hospital)
    service.record_view(session=session, now=now_of(http), actor=f"hospital:{hospital.id}", request_id=request.id)
    return request_out(service.status_view(session=session, request=request), session)


def cancel_request(
    request_id: RequestId, http: Request, session: SessionDep, settings: SettingsDep, hospital: HospitalDep,
    body: CancelIn | None = None,
) -> RequestOut:
    """Cancel one of this hospital's open requests; the donors asked are told not to come."""
    _own(session, request_id, hospital)
    try:
        request = service.cancel_request(
            session=session, now=now_of(http), settings=settings, request_id=request_id,
            actor=f"hospital:{hospital.id}", hospital_id=hospital.id, reason=body.reason if body else None)
    except UserError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return request_out(service.status_view(session=session, request=request), session)


def _own(session, request_id: int, hospital: Hospital):
    try:
        return service.get_request(session=session, request_id=request_id, hospital_id=hospital.id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


def own_request(request_id: RequestId, session: SessionDep, hospital: HospitalDep):
    """One of this hospital's requests (404 for another's), checked before the body is."""
    return _own(session, request_id, hospital)


def mark_used(
    body: UsedIn, http: Request, session: SessionDep, settings: SettingsDep, hospital: HospitalDep,
    request: Annotated[object, Depends(own_request)],
) -> UsedOut:
    """The units of these donations, given for this request, were used: each donor gets one
    thank-you SMS naming the hospital (never the patient), within quiet hours. A number that is
    not a donation given for this request refuses the whole call (422), nothing changed; a
    donation marked before is listed in `already` and nothing more is sent."""
    try:
        outcome = thanks.mark_used(session=session, settings=settings, now=now_of(http), request_id=request.id,
                                   hospital_id=hospital.id, refs=[str(ref) for ref in body.donations],
                                   actor=f"hospital:{hospital.id}")
    except UserError as exc:
        raise invalid(service.InvalidField("donations", str(exc))) from exc
    view = request_out(service.status_view(session=session, request=request), session)
    return UsedOut(request=view, marked=outcome.new, already=outcome.already)

