"""Hospital web pages: sign in with the API token, file a request, watch its live status.

The token pasted into the sign-in form is kept in an HttpOnly, SameSite=Strict cookie limited
to /h, and checked on every page, so revoking a token signs the hospital out at once; the
strict cookie is not sent with cross-site form posts, which keeps other sites from filing or
cancelling requests in the hospital's name.
"""

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Cookie, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from donor_registry.api.deps import SessionDep, SettingsDep, speak
from donor_registry.api.emergency import now_of
from donor_registry.api.guards import short_message
from donor_registry.api.html import at, message, redirect, render
from donor_registry.emergency import service
from donor_registry.emergency.compatibility import ALL_GROUPS, Product
from donor_registry.emergency.hospitals import authenticate
from donor_registry.emergency.limits import MAX_ID
from donor_registry.emergency.models import Hospital, RequestStatus
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import NP_, _, pgettext
from donor_registry.i18n.validation import field_label, sentence
from donor_registry.thanks import rules as thanks_rules
from donor_registry.thanks import service as thanks
from donor_registry.types import blood_group_label

router = APIRouter(prefix="/h", tags=["hospital pages"], include_in_schema=False, dependencies=[Depends(speak)])

COOKIE = "dr_hospital"
GROUPS = sorted(blood_group_label(*g) for g in ALL_GROUPS)
#: A request's status as the hospital reads it (its own words, not the coordinators' labels).
STATUS = {RequestStatus.open: NP_("hospital status", "Calling donors"),
          RequestStatus.covered: NP_("hospital status", "Enough donors"),
          RequestStatus.cancelled: NP_("hospital status", "Cancelled"),
          RequestStatus.expired: NP_("hospital status", "Expired")}
#: The counts on the status page, in this order.
COUNTS = (("asked", NP_("hospital counts", "Invited")), ("accepted", NP_("hospital counts", "Coming")),
          ("declined", NP_("hospital counts", "Cannot come")), ("no_answer", NP_("hospital counts", "No answer yet")),
          ("arrived", NP_("hospital counts", "Arrived")), ("donated", NP_("hospital counts", "Donated")))
TokenCookie = Annotated[str | None, Cookie(alias=COOKIE)]
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]  # outside it: 404 (api/guards.py)


def status_words(status: RequestStatus) -> str:
    return pgettext("hospital status", STATUS[status])


def _signed_in(session, token: str | None) -> Hospital | None:
    return authenticate(session=session, token=token)


def _sign_in_page(http: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(http, "hospital_sign_in.html", status_code=status_code, error=error)


def _not_found(http: Request) -> HTMLResponse:
    return message(http, _("Not found"), _("This request was not found."), status_code=404)


@router.get("", response_class=HTMLResponse)
def home(http: Request, session: SessionDep, token: TokenCookie = None) -> HTMLResponse:
    """Sign-in form, or the hospital's requests."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return _sign_in_page(http)
    requests = [{"id": r.id, "blood_group": blood_group_label(r.abo, r.rh), "units": r.units,
                 "status": status_words(r.status), "created_at": r.created_at}
                for r in service.list_requests(session=session, hospital_id=hospital.id, limit=30)]
    service.record_view(session=session, now=now_of(http), actor=f"hospital:{hospital.id}", request_id=None)
    return render(http, "hospital_home.html", hospital=hospital, requests=requests)


@router.post("/login")
def login(http: Request, session: SessionDep, token: Annotated[str, Form()]):
    """Check the pasted token and keep it in the session cookie."""
    if _signed_in(session, token) is None:
        return _sign_in_page(http, _("The access code is wrong or has been revoked."), status_code=401)
    response = redirect(http, "/h")
    response.set_cookie(COOKIE, token.strip(), max_age=12 * 3600, path="/h", httponly=True,
                        samesite="strict", secure=http.url.scheme == "https")
    return response


@router.post("/logout")
def logout(http: Request):
    """Forget the token."""
    response = redirect(http, "/h")
    response.delete_cookie(COOKIE, path="/h")
    return response


def _request_form(http: Request, settings, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(http, "hospital_request_form.html", status_code=status_code, error=error, groups=GROUPS,
                  products=list(Product), max_units=settings.emergency.max_units,
                  default_hours=settings.emergency.default_needed_within_hours)


@router.get("/new", response_class=HTMLResponse)
def new_request_form(http: Request, session: SessionDep, settings: SettingsDep, token: TokenCookie = None):
    """The request form."""
    if _signed_in(session, token) is None:
        return redirect(http, "/h")
    return _request_form(http, settings)


@router.post("/requests")
def file_request(
    http: Request, session: SessionDep, settings: SettingsDep,
    blood_group: Annotated[str, Form()], units: Annotated[int, Form()],
    product: Annotated[str, Form()] = "red_cells", needed_by: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "", token: TokenCookie = None,
):
    """File the request and show its status page."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return redirect(http, "/h")
    try:
        data = service.RequestCreate(
            blood_group=blood_group, product=product, units=units, note=note.strip() or None,
            needed_by=_local_datetime(needed_by, settings.general.timezone))
        request = service.create_request(session=session, now=now_of(http), settings=settings,
                                         hospital_id=hospital.id, data=data, actor=f"hospital:{hospital.id}")
    except service.Suspended as exc:
        return _request_form(http, settings, _(
            "The Red Cross has suspended this hospital's right to file requests; please call the chapter. "
            "({reason})").format(reason=exc), status_code=403)
    except service.RateLimited as exc:
        response = _request_form(http, settings, _(
            "Over the limit on requests; please try again later. ({reason})").format(reason=exc), status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except (ValidationError, UserError, ValueError) as exc:
        return _request_form(http, settings, _plain(exc), status_code=422)
    return redirect(http, f"/h/requests/{request.id}")


def _local_datetime(raw: str, timezone: str) -> dt.datetime | None:
    if not raw.strip():
        return None
    return dt.datetime.fromisoformat(raw.strip()).replace(tzinfo=ZoneInfo(timezone))


def _plain(exc: Exception) -> str:
    """A refusal in the reader's words where the catalogs have them (the field's label first)."""
    if isinstance(exc, ValidationError):
        return short_message(sentence(exc))
    if isinstance(exc, service.InvalidField):
        return short_message(f"{field_label(exc.field_name)}: {exc.reason}")
    if isinstance(exc, UserError):
        return short_message(str(exc))
    return _("The date and time needed are not valid.")


def _own_request(http: Request, session, token: str | None, request_id: int):
    """(the signed-in hospital, its request), or the page to answer instead: the sign-in form
    for no hospital, "not found" for a request that is not its own."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return redirect(http, "/h")
    try:
        return hospital, service.get_request(session=session, request_id=request_id, hospital_id=hospital.id)
    except NotFound:
        return _not_found(http)


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def status_page(request_id: RequestId, http: Request, session: SessionDep, settings: SettingsDep,
                token: TokenCookie = None):
    """The live status of one request (refreshes itself)."""
    found = _own_request(http, session, token, request_id)
    if isinstance(found, Response):
        return found
    hospital, request = found
    return _status(http, session, settings, hospital, request)


def _status(http: Request, session, settings, hospital: Hospital, request, *, used: dict | None = None,
            status_code: int = 200) -> HTMLResponse:
    service.record_view(session=session, now=now_of(http), actor=f"hospital:{hospital.id}", request_id=request.id)
    view = service.status_view(session=session, request=request)
    is_open = request.status == RequestStatus.open
    refresh = settings.emergency.status_refresh_seconds
    return render(http, "hospital_status.html", status_code=status_code,
                  refresh_seconds=refresh if is_open and not used else None, request=request,
                  blood_group=blood_group_label(request.abo, request.rh), status=status_words(request.status),
                  needed_by=at(request.needed_by), is_open=is_open, refresh_every=refresh, coming=view.coming,
                  counts=[(pgettext("hospital counts", words), view.counts[key]) for key, words in COUNTS],
                  donations=thanks.uses_of_request(session=session, request_id=request.id), used=used or {})


@router.post("/requests/{request_id}/used")
def mark_used(request_id: RequestId, http: Request, session: SessionDep, settings: SettingsDep,
              donation: Annotated[list[str] | None, Form()] = None, numbers: Annotated[str, Form()] = "",
              token: TokenCookie = None):
    """Mark the units of the ticked (or typed) donations used; each donor is thanked once."""
    found = _own_request(http, session, token, request_id)
    if isinstance(found, Response):
        return found
    hospital, request = found
    refs = [*(donation or []), *thanks_rules.refs_of(numbers)]
    try:
        outcome = thanks.mark_used(session=session, settings=settings, now=now_of(http), request_id=request.id,
                                   hospital_id=hospital.id, refs=refs, actor=f"hospital:{hospital.id}")
    except UserError as exc:
        return _status(http, session, settings, hospital, request, status_code=422,
                       used={"problem": short_message(str(exc)), "numbers": numbers})
    return _status(http, session, settings, hospital, request,
                   used={"marked": len(outcome.new), "already": len(outcome.already)})


@router.post("/requests/{request_id}/cancel")
def cancel(request_id: RequestId, http: Request, session: SessionDep, settings: SettingsDep, token: TokenCookie = None):
    """Cancel the request; the donors asked are told."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return redirect(http, "/h")
    try:
        service.cancel_request(session=session, now=now_of(http), settings=settings, request_id=request_id,
                               actor=f"hospital:{hospital.id}", hospital_id=hospital.id)
    except NotFound:
        return _not_found(http)
    except UserError:
        pass  # already closed: the status page says so
    return redirect(http, f"/h/requests/{request_id}")
