"""The donor's own record ("My record"): /me asks for a code by phone, /me/{token} shows the record.

Thin over portal/service.py. The page looks the same whether or not the phone is registered;
the token sits in the path (pages send no Referer); forms only, no scripts.
"""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from donor_registry import i18n
from donor_registry.api.deps import SessionDep, SettingsDep, asked_language, speak
from donor_registry.api.emergency import now_of
from donor_registry.api.html import message, redirect, render
from donor_registry.i18n import _
from donor_registry.portal import rules, service
from donor_registry.privacy.models import Purpose

router = APIRouter(tags=["donor pages"], include_in_schema=False, dependencies=[Depends(speak)])
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _invalid_link(http: Request) -> HTMLResponse:
    return message(http, _("The link has expired"), _(
        "This link to your record is not valid any more. You can ask for a new one with your phone number."),
        status_code=410)


@router.get("/me", response_class=HTMLResponse)
def ask_page(http: Request) -> HTMLResponse:
    return render(http, "me_ask.html")


@router.post("/me", response_class=HTMLResponse)
def ask(http: Request, session: SessionDep, phone: Annotated[str, Form(max_length=30)]) -> HTMLResponse:
    """The same answer for every phone; only a rate limit shows, and it counts unknown phones too."""
    client_ip = http.client.host if http.client else "unknown"
    if not service.request_code(session=session, phone=phone, client_ip=client_ip, now=now_of(http)):
        return message(http, _("Too many requests"), _(
            "Too many codes were asked for. Please try again in an hour."), status_code=429)
    return render(http, "me_code.html", phone=phone, minutes=service.CODE_MINUTES)


@router.post("/me/code", response_class=HTMLResponse)
def enter_code(http: Request, session: SessionDep, phone: Annotated[str, Form(max_length=30)],
               code: Annotated[str, Form(max_length=12)]):
    token = service.redeem_code(session=session, phone=phone, code=code, now=now_of(http))
    if token is None:
        return render(http, "me_code.html", phone=phone, minutes=service.CODE_MINUTES, wrong=True,
                      status_code=400)
    return redirect(http, f"/me/{token}")


@router.get("/me/{token}", response_class=HTMLResponse)
def record_page(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    try:
        record = service.open_record(session=session, token=token, now=now_of(http),
                                     eligibility=settings.eligibility, tiers=settings.honours.tiers)
    except service.LinkProblem:
        return _invalid_link(http)
    chosen = record.availability.language if record.availability else None
    if asked_language(http) is None and chosen:
        i18n.set_language(chosen)
    availability = record.availability
    return render(
        http, "me_record.html", record=record, token=token,
        weekdays=[(i, _(name), availability is None or bool(availability.weekdays & (1 << i)))
                  for i, name in enumerate(WEEKDAY_NAMES)],
        from_time=rules.minute_text(availability.from_minute) if availability else "",
        until_time=rules.minute_text(availability.until_minute) if availability else "",
        not_until=availability.not_until.isoformat() if availability and availability.not_until else "",
        purposes=[(p, record.consents.get(p.value)) for p in Purpose])


@router.post("/me/{token}/availability", response_class=HTMLResponse)
def availability(token: str, http: Request, session: SessionDep,
                 days: Annotated[list[int] | None, Form()] = None, from_time: Annotated[str, Form()] = "",
                 until_time: Annotated[str, Form()] = "", not_until: Annotated[str, Form()] = ""):
    try:
        chosen = rules.Availability(weekdays=rules.weekday_bits(days or []), from_minute=rules.parse_minute(from_time),
                                    until_minute=rules.parse_minute(until_time),
                                    not_until=dt.date.fromisoformat(not_until) if not_until.strip() else None)
    except ValueError:
        return message(http, _("Please check the times"), _(
            "Write times as 17:00 and the date as on the form."), status_code=422)
    return _change(http, token, lambda: service.set_availability(
        session=session, token=token, now=now_of(http), availability=chosen))


@router.post("/me/{token}/language", response_class=HTMLResponse)
def language(token: str, http: Request, session: SessionDep, lang: Annotated[str, Form()]):
    if lang not in ("vi", "en"):
        return message(http, _("Invalid answer"), _("Please choose a language."), status_code=422)
    response = _change(http, token, lambda: service.set_language(
        session=session, token=token, now=now_of(http), language=lang))
    if isinstance(response, RedirectResponse):
        return RedirectResponse(f"/me/{token}?lang={lang}", status_code=303)
    return response


@router.post("/me/{token}/withdraw", response_class=HTMLResponse)
def withdraw(token: str, http: Request, session: SessionDep, what: Annotated[str, Form()]):
    if what not in {p.value for p in Purpose} | {"messages"}:
        return message(http, _("Invalid answer"), _("Please choose what to withdraw."), status_code=422)
    return _change(http, token, lambda: service.withdraw(session=session, token=token, now=now_of(http), what=what))


def _change(http: Request, token: str, change):
    try:
        change()
    except service.LinkProblem:
        return _invalid_link(http)
    return redirect(http, f"/me/{token}")
