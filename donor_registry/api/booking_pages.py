"""The donor's personal drive page (/b/{token}): the drive, the free slots, whether the donor
may give that day, and book / move / cancel, or wait for a place when every time is full. Thin over slots/journey.py; forms only, no scripts.

A bad or expired link is a 404 that says nothing about whose it was; a refused change changes
nothing and says why in plain words.
"""

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from donor_registry import i18n
from donor_registry.api.deps import SessionDep, SettingsDep, asked_language, speak
from donor_registry.api.emergency import now_of
from donor_registry.api.html import message, redirect, render
from donor_registry.i18n import N_, _
from donor_registry.portal import service as portal
from donor_registry.portal.models import DonorAvailability
from donor_registry.slots import journey
from donor_registry.slots.links import LinkProblem, open_link
from donor_registry.web.donor_views import reason_text

router = APIRouter(tags=["donor pages"], include_in_schema=False, dependencies=[Depends(speak)])

#: Why a change was refused, as the donor reads it (409: the slot or the booking is not as the form thought).
REFUSALS = {
    "full": (N_("This time is full"), N_("Every place at this time is taken. Nothing was changed; please choose "
                                         "another time.")),
    "begun": (N_("This time has passed"), N_("This time has already begun. Please choose a later one.")),
    "closed": (N_("No more bookings"), N_("This drive takes no bookings any more. Nothing was changed.")),
    "not_eligible": (N_("You cannot book this drive"), N_(
        "On the day of this drive you may not give blood yet. The page shows why and from when.")),
    "already": (N_("You already have a booking"), N_("You already booked a time at this drive: move or cancel it.")),
    "no_booking": (N_("No booking"), N_("You have no booking at this drive.")),
    "unknown_slot": (N_("Please choose a time"), N_("Please choose one of the times shown on the page.")),
    "checked_in": (N_("You are checked in"), N_("You are already checked in at this drive. Nothing was changed.")),
    "free_slot": (N_("A time is free"), N_("A time is still free at this drive: please book it instead of waiting.")),
    "not_waiting": (N_("Not on the waiting list"), N_("You are not on the waiting list of this drive.")),
}
#: The QR code's module size in CSS pixels: a version-1 code (21 modules and its border) is 232 px wide.
QR_SCALE = 8


def qr_svg(code: str) -> Markup:
    """The check-in code as a QR code, an inline SVG (no script, no image request): never a Micro QR,
    which many phone cameras do not read."""
    return Markup(segno.make_qr(code, error="m").svg_inline(scale=QR_SCALE, title=code))


def _not_found(http: Request) -> HTMLResponse:
    return message(http, _("Link not found"), _(
        "This link is not valid or has expired. The Red Cross sends a new link with each invitation."),
        status_code=404)


def _speak_chosen(donor_id: int, http: Request, session) -> None:
    """The language the donor chose on the record page, unless the visitor asked for one."""
    chosen = session.get(DonorAvailability, donor_id)
    if asked_language(http) is None and chosen is not None and chosen.language:
        i18n.set_language(chosen.language)


@router.get("/b/{token}", response_class=HTMLResponse)
def drive_page(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    try:
        page = journey.open_journey(session=session, token=token, now=now_of(http),
                                    eligibility=settings.eligibility, timezone=settings.general.timezone)
    except LinkProblem:
        return _not_found(http)
    _speak_chosen(page.donor.id, http, session)
    code = page.booking.check_in_code if page.booking else None
    return render(http, "booking.html", page=page, token=token, code=code, qr=qr_svg(code) if code else None,
                  reasons=[reason_text(r.code, r.until) for r in page.reasons])


@router.post("/b/{token}/book", response_class=HTMLResponse)
def book(token: str, http: Request, session: SessionDep, settings: SettingsDep,
         slot_id: Annotated[int, Form()] = 0) -> HTMLResponse:
    return _change(http, token, lambda **common: journey.book(session=session, token=token, slot_id=slot_id,
                                                               **common), settings, session)


@router.post("/b/{token}/move", response_class=HTMLResponse)
def move(token: str, http: Request, session: SessionDep, settings: SettingsDep,
         slot_id: Annotated[int, Form()] = 0) -> HTMLResponse:
    return _change(http, token, lambda **common: journey.move(session=session, token=token, slot_id=slot_id,
                                                               settings=settings, **common), settings, session)


@router.post("/b/{token}/cancel", response_class=HTMLResponse)
def cancel(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return _change(http, token, lambda **common: journey.cancel(session=session, token=token, settings=settings,
                                                                 **common), settings, session)


@router.post("/b/{token}/wait", response_class=HTMLResponse)
def wait(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return _change(http, token, lambda **common: journey.wait(session=session, token=token, **common), settings,
                   session)


@router.post("/b/{token}/unwait", response_class=HTMLResponse)
def unwait(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return _change(http, token, lambda **common: journey.unwait(session=session, token=token, **common), settings,
                   session)


@router.post("/b/{token}/record", response_class=HTMLResponse)
def my_record(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Open the donor's own record (/me) from their drive link: a new record link, at once."""
    try:
        record_token = portal.link_from_drive_page(session=session, drive_token=token, now=now_of(http),
                                                   timezone=settings.general.timezone)
    except LinkProblem:
        return _not_found(http)
    return redirect(http, f"/me/{record_token}")


def _change(http: Request, token: str, change, settings, session) -> HTMLResponse:
    try:
        change(now=now_of(http), eligibility=settings.eligibility, timezone=settings.general.timezone)
    except LinkProblem:
        return _not_found(http)
    except journey.Refused as refused:
        _link, donor, _drive = open_link(session=session, token=token, now=now_of(http),
                                         timezone=settings.general.timezone)
        _speak_chosen(donor.id, http, session)  # the refusal in the donor's language, as the page
        title, text = REFUSALS[refused.why]
        return render(http, "booking_refused.html", title=_(title), text=_(text), token=token, here=f"/b/{token}",
                      status_code=409)
    return redirect(http, f"/b/{token}")
