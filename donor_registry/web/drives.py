"""Campaigns and drives in the workspace: the month calendar, plan / reschedule / cancel / close a
drive, over the services the CLI uses (campaigns.service, campaigns.drives, campaigns.turnout).
A drive outside the user's chapter and below is not found."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.campaigns import drives as service
from donor_registry.campaigns.drive_edits import edit_drive
from donor_registry.campaigns.models import Campaign, CampaignStatus, Drive, DriveStatus
from donor_registry.campaigns.service import list_campaigns
from donor_registry.campaigns.turnout import chapter_history, expected_turnout
from donor_registry.chapter_settings.service import drive_ring
from donor_registry.chapters.service import get_chapter
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _
from donor_registry.i18n import formatting as fmt
from donor_registry.places.locate import unresolved
from donor_registry.web import booking_views
from donor_registry.web import drive_forms as forms
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.templating import render

router = APIRouter(prefix="/drives", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
Planner = Annotated[Current, Depends(require(Action.work_drives))]
Text = Annotated[str, Form(max_length=1000)]
#: The calendar counts the expected turnout of at most this many drives (about 3 ms each).
MAX_TURNOUTS = 200


def today(current: Current) -> dt.date:
    return fmt.local(current.now).date()


def _settings(request: Request):
    return request.app.state.settings


def _turnout(request: Request, session: Session, drive: Drive, day: dt.date, histories: dict | None = None):
    """The drive's expected turnout; `histories` keeps each chapter's show-rate history for a page of drives."""
    settings = _settings(request)
    history = None
    if histories is not None and drive.date >= day:  # drives to come share their chapter's history
        if drive.chapter_id not in histories:
            histories[drive.chapter_id] = chapter_history(session=session, chapter_id=drive.chapter_id, before=day)
        history = histories[drive.chapter_id]
    return expected_turnout(session=session, drive=drive, rules=settings.eligibility, today=day, history=history,
                            ring=drive_ring(session=session, settings=settings, chapter_id=drive.chapter_id))


def _campaigns(session: Session, current: Current, **filters) -> list[Campaign]:
    """Campaigns of the user's chapter and below, and the registry-wide ones (the yearly seasons)."""
    return [c for c in list_campaigns(session=session, **filters)
            if c.chapter_id is None or current.may(Action.read_lists, c.chapter_id)]


@router.get("")
def calendar_page(request: Request, session: SessionDep, current: Reader,
                  month: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    """The month's drives (of the user's chapter and below) and the campaigns running in it."""
    first = forms.parse_month(month, today(current))
    start, end = forms.month_bounds(first)
    chapter = get_chapter(session=session, chapter_id=current.actor.chapter_id) \
        if current.actor.chapter_id is not None else None
    listed = service.list_drives(session=session, since=start, until=end, chapter=chapter)
    counted = len(listed) <= MAX_TURNOUTS  # one query a drive: a month of the whole country shows none
    histories: dict = {}
    drives = [forms.drive_view(d, _turnout(request, session, d, today(current), histories).total
                               if counted and d.status != DriveStatus.cancelled else None) for d in listed]
    campaigns = [forms.campaign_view(c) for year in (start.year - 1, start.year, start.year + 1)
                 for c in _campaigns(session, current, year=year) if c.start <= end and c.end >= start]
    return render(request, "drives/calendar.html", weeks=forms.month_grid(first, today(current), drives),
                  weekdays=[_(day) for day in forms.WEEKDAYS], month=first, drives=drives, campaigns=campaigns,
                  previous=forms.shift_month(first, -1), next=forms.shift_month(first, 1),
                  may_plan=current.may(Action.work_drives))


def _planned_campaigns(session: Session, current: Current) -> list[Campaign]:
    year = today(current).year
    return [c for y in (year, year + 1)
            for c in _campaigns(session, current, year=y, status=CampaignStatus.planned)]


def _new_form(request, session, current, *, form=None, errors=None, status_code=200) -> Response:
    return render(request, "drives/new.html", status_code=status_code, form=form or {}, errors=errors or {},
                  campaigns=[forms.campaign_view(c) for c in _planned_campaigns(session, current)])


@router.get("/new")
def new_drive(request: Request, session: SessionDep, current: Planner,
              date: Annotated[str, Query(max_length=20)] = "") -> Response:
    return _new_form(request, session, current, form={"date": date, "start_time": "07:00", "end_time": "11:30"})


@router.post("")
def add_drive(request: Request, session: SessionDep, current: Planner, date: Text = "", start_time: Text = "",
              end_time: Text = "", venue: Text = "", commune: Text = "", district: Text = "", province: Text = "",
              campaign_id: Text = "", capacity: Text = "", target_units: Text = "", notes: Text = "") -> Response:
    form = {"date": date, "start_time": start_time, "end_time": end_time, "venue": venue, "commune": commune,
            "district": district, "province": province, "campaign_id": campaign_id, "capacity": capacity,
            "target_units": target_units, "notes": notes}
    data, errors = forms.drive_data(form)
    if data is not None and data.campaign_id is not None and \
            data.campaign_id not in {c.id for c in _planned_campaigns(session, current)}:
        errors["campaign_id"] = _("Choose a campaign of your chapter.")
    if errors:
        return _new_form(request, session, current, form=form, errors=errors, status_code=422)
    try:
        drive = _add_within_reach(request, session, current, data)
    except UserError as problem:
        return _new_form(request, session, current, form=form, errors={"": str(problem)}, status_code=422)
    return RedirectResponse(f"/drives/{drive.id}", status_code=303)


def _add_within_reach(request, session: Session, current: Current, data) -> Drive:
    """The drive in its place's chapter (the service's rule); when that chapter is outside the
    user's, in the user's own chapter instead (a savepoint undoes the first try)."""
    add = lambda values: service.add_drive(session=session, settings=_settings(request).campaigns, data=values,
                                           now=current.now, actor=current.actor.audit_name)[0]
    savepoint = session.begin_nested()
    try:
        drive = add(data)
    except UserError:
        savepoint.rollback()
        raise
    if current.may(Action.work_drives, drive.chapter_id):
        savepoint.commit()
        return drive
    savepoint.rollback()
    return attempt(session, lambda: add(data.model_copy(update={"chapter_id": current.actor.chapter_id})))


def attempt(session: Session, call):
    """The service call, undone (a savepoint) when it refuses: a refused change leaves nothing half done."""
    savepoint = session.begin_nested()
    try:
        result = call()
    except UserError:
        savepoint.rollback()
        raise
    savepoint.commit()
    return result


def drive_within_reach(session: Session, current: Current, drive_id: int, action: Action) -> Drive:
    try:
        drive = service.get_drive(session=session, drive_id=drive_id)
    except NotFound:
        raise NotFoundHere() from None
    if not current.may(Action.read_lists, drive.chapter_id):
        raise NotFoundHere()
    if not current.may(action, drive.chapter_id):
        raise NotFoundHere()
    return drive


def _shown(number: int | None) -> str:
    return "" if number is None else str(number)


def drive_page_response(request, session, current, drive: Drive, *, status_code=200, errors=None, form=None,
                problem=None, details_form=None, check_in=None, outcome=None, outcome_done=None,
                release_problem=None) -> Response:
    from donor_registry.web.drive_release import release_view  # it builds on this module
    turnout = _turnout(request, session, drive, today(current))
    warnings = [w.message for w in service.conflicts(session=session, settings=_settings(request).campaigns,
                                                     drive=drive)]
    if drive.commune and drive.commune_code is None and drive.status != DriveStatus.cancelled:
        place = unresolved(province=drive.province, district=drive.district, commune=drive.commune)
        warnings += [place] if place else []
    campaign = session.get(Campaign, drive.campaign_id) if drive.campaign_id else None
    planned = drive.status == DriveStatus.planned
    view = forms.drive_view(drive, turnout.total)
    details = {"campaign_id": str(drive.campaign_id or ""), "capacity": _shown(drive.capacity),
               "target_units": _shown(drive.target_units), "notes": drive.notes or ""}
    may_check_in = drive.status != DriveStatus.cancelled and current.may(Action.work_drives, drive.chapter_id)
    return render(request, "drives/drive.html", status_code=status_code, drive=view, turnout=turnout,
                  forecast=booking_views.forecast_view(turnout.forecast),
                  counts=booking_views.counts_view(session, drive, current.now),
                  show_rates=booking_views.show_rate_view(session, drive, today(current)),
                  checked_in=booking_views.checked_in_view(session, current, drive) if may_check_in else [],
                  outcome=outcome, outcome_done=outcome_done or {},
                  campaigns=[forms.campaign_view(c) for c in _planned_campaigns(session, current)
                             if c.id != drive.campaign_id] + ([forms.campaign_view(campaign)] if campaign else []),
                  details={**details, **(details_form or {})},
                  warnings=warnings, campaign=forms.campaign_view(campaign) if campaign else None,
                  may_change=planned and current.may(Action.work_drives, drive.chapter_id),
                  may_edit=drive.status != DriveStatus.cancelled and current.may(Action.work_drives, drive.chapter_id),
                  may_close=drive.status != DriveStatus.cancelled and drive.date <= today(current)
                  and current.may(Action.work_drives, drive.chapter_id),
                  in_full=current.may(Action.see_personal_data, drive.chapter_id),
                  may_check_in=may_check_in,
                  check_in=check_in or {}, release=release_view(request, session, current, drive, release_problem),
                  errors=errors or {}, problem=problem, form=form or {
                      "date": fmt.date(drive.date), "start_time": f"{drive.start_time:%H:%M}",
                      "end_time": f"{drive.end_time:%H:%M}", "venue": drive.venue})


@router.get("/{drive_id}")
def drive_page(request: Request, session: SessionDep, current: Reader, drive_id: int,
               outcome: Annotated[int | None, Query()] = None) -> Response:
    """A drive: its facts, conflicts, expected turnout by group, its bookings' counts, and what may be
    done with it; `?outcome=BOOKING` opens the outcome form of a checked-in booking."""
    drive = drive_within_reach(session, current, drive_id, Action.read_lists)
    form = None
    if outcome is not None and drive.status != DriveStatus.cancelled and current.may(Action.work_drives,
                                                                                    drive.chapter_id):
        form = booking_views.outcome_form_for(session, current, drive, outcome)
    return drive_page_response(request, session, current, drive, outcome=form)


@router.post("/{drive_id}/reschedule")
def reschedule(request: Request, session: SessionDep, current: Planner, drive_id: int, date: Text = "",
               start_time: Text = "", end_time: Text = "", venue: Text = "") -> Response:
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    form = {"date": date, "start_time": start_time, "end_time": end_time, "venue": venue}
    values, errors = forms.reschedule_data(drive, form)
    if errors:
        return drive_page_response(request, session, current, drive, status_code=422, errors=errors, form=form)
    try:
        attempt(session, lambda: service.reschedule_drive(
            session=session, settings=_settings(request).campaigns, drive_id=drive.id, now=current.now,
            actor=current.actor.audit_name, **values))
    except UserError as problem:
        return drive_page_response(request, session, current, drive, status_code=422, form=form, problem=str(problem))
    return RedirectResponse(f"/drives/{drive.id}", status_code=303)


@router.post("/{drive_id}/edit")
def edit(request: Request, session: SessionDep, current: Planner, drive_id: int, campaign_id: Text = "",
         capacity: Text = "", target_units: Text = "", notes: Text = "") -> Response:
    """The drive's campaign, capacity, target and notes (`drive_edits.edit_drive`)."""
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    form = {"campaign_id": campaign_id, "capacity": capacity, "target_units": target_units, "notes": notes}
    values, errors = forms.details_data(drive, form)
    allowed = {c.id for c in _planned_campaigns(session, current)} | {drive.campaign_id}
    if values is not None and values["campaign_id"] not in allowed:
        errors["campaign_id"] = _("Choose a campaign of your chapter.")
    if errors:
        return drive_page_response(request, session, current, drive, status_code=422, errors=errors, details_form=form)
    try:
        attempt(session, lambda: edit_drive(session=session, drive_id=drive.id, now=current.now,
                                            actor=current.actor.audit_name, **values))
    except UserError as problem:
        return drive_page_response(request, session, current, drive, status_code=422, problem=str(problem),
                           details_form=form)
    return RedirectResponse(f"/drives/{drive.id}", status_code=303)


@router.post("/{drive_id}/cancel")
def cancel(request: Request, session: SessionDep, current: Planner, drive_id: int) -> Response:
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    try:
        attempt(session, lambda: service.cancel_drive(session=session, drive_id=drive.id, now=current.now,
                                                      actor=current.actor.audit_name))
    except UserError as problem:
        return drive_page_response(request, session, current, drive, status_code=422, problem=str(problem))
    return RedirectResponse(f"/drives/{drive.id}", status_code=303)


@router.post("/{drive_id}/close")
def close(request: Request, session: SessionDep, current: Planner, drive_id: int, registered: Text = "",
          donated: Text = "", deferred: Text = "", units: Text = "") -> Response:
    drive = drive_within_reach(session, current, drive_id, Action.work_drives)
    form = {"registered": registered, "donated": donated, "deferred": deferred, "units": units}
    results, errors = forms.results_data(form)
    if errors:
        return drive_page_response(request, session, current, drive, status_code=422, errors=errors)
    try:
        attempt(session, lambda: service.close_drive(session=session, drive_id=drive.id, today=today(current),
                                                     now=current.now, actor=current.actor.audit_name,
                                                     **results.model_dump()))
    except UserError as problem:
        return drive_page_response(request, session, current, drive, status_code=422, problem=str(problem))
    return RedirectResponse(f"/drives/{drive.id}", status_code=303)
