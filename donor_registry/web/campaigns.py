"""Campaign pages: add a campaign of the user's chapter, see one with its drives and totals,
cancel it (its planned drives with it), over the services `campaigns add / show / cancel` use."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.campaigns import service
from donor_registry.campaigns.models import Campaign, CampaignCreate, CampaignStatus, Drive
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _
from donor_registry.i18n.validation import field_errors
from donor_registry.web import drive_forms as forms
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.templating import render

router = APIRouter(prefix="/campaigns", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
Planner = Annotated[Current, Depends(require(Action.work_drives))]
Text = Annotated[str, Form(max_length=1000)]
FIELDS = ("name", "start", "end", "target_units", "notes")


def campaign_data(form: dict[str, str], chapter_id: int | None) -> tuple[CampaignCreate | None, dict[str, str]]:
    """The form through CampaignCreate (dates as typed on a phone too): the model, or {field: error}."""
    values = {name: (form.get(name) or "").strip() or None for name in FIELDS}
    errors = {name: _("is required") for name in ("name", "start", "end") if not values[name]}
    for name in ("start", "end"):
        if values[name]:
            values[name] = forms.day_text(values[name])
    year = (values["start"] or "")[:4]
    try:
        data = CampaignCreate.model_validate({**{k: v for k, v in values.items() if v is not None},
                                              "year": int(year) if year.isdigit() else 0, "chapter_id": chapter_id})
    except ValidationError as problem:
        return None, {**field_errors(problem), **errors}
    return (None, errors) if errors else (data, {})


def _campaign_here(session: Session, current: Current, campaign_id: int, action: Action) -> Campaign:
    """The campaign if the user may `action` on it (a registry-wide season is read by everyone)."""
    try:
        campaign = service.get_campaign(session=session, campaign_id=campaign_id)
    except NotFound:
        raise NotFoundHere() from None
    shared = campaign.chapter_id is None and action == Action.read_lists
    if not shared and not current.may(action, campaign.chapter_id):
        raise NotFoundHere()
    return campaign


def _form(request, *, form=None, errors=None, status_code=200) -> Response:
    return render(request, "campaigns/new.html", status_code=status_code, form=form or {}, errors=errors or {})


@router.get("/new")
def new_campaign(request: Request, current: Planner) -> Response:
    return _form(request)


@router.post("")
def add_campaign(request: Request, session: SessionDep, current: Planner, name: Text = "", start: Text = "",
                 end: Text = "", target_units: Text = "", notes: Text = "") -> Response:
    form = {"name": name, "start": start, "end": end, "target_units": target_units, "notes": notes}
    data, errors = campaign_data(form, current.actor.chapter_id)
    if errors:
        return _form(request, form=form, errors=errors, status_code=422)
    try:
        campaign = service.add_campaign(session=session, data=data, now=current.now, actor=current.actor.audit_name)
    except UserError as problem:
        return _form(request, form=form, errors={"": str(problem)}, status_code=422)
    return RedirectResponse(f"/campaigns/{campaign.id}", status_code=303)


@router.get("/{campaign_id}")
def campaign_page(request: Request, session: SessionDep, current: Reader, campaign_id: int,
                  cancelled: bool = False) -> Response:
    campaign = _campaign_here(session, current, campaign_id, Action.read_lists)
    drives = session.exec(select(Drive).where(Drive.campaign_id == campaign.id).order_by(Drive.date, Drive.id)).all()
    visible = [forms.drive_view(d, None) for d in drives if current.may(Action.read_lists, d.chapter_id)]
    return render(request, "campaigns/campaign.html", campaign=forms.campaign_view(campaign), drives=visible,
                  totals=service.campaign_totals(session=session, campaign_id=campaign.id),
                  done=_("The campaign is cancelled, and its planned drives with it.") if cancelled else None,
                  may_cancel=campaign.status == CampaignStatus.planned
                  and current.may(Action.work_drives, campaign.chapter_id) and campaign.chapter_id is not None)


@router.post("/{campaign_id}/cancel")
def cancel_campaign(session: SessionDep, current: Planner, campaign_id: int) -> Response:
    campaign = _campaign_here(session, current, campaign_id, Action.work_drives)
    try:
        service.cancel_campaign(session=session, campaign_id=campaign.id, now=current.now,
                                actor=current.actor.audit_name)
    except UserError:
        pass  # already cancelled: the page says so
    return RedirectResponse(f"/campaigns/{campaign.id}?cancelled=1", status_code=303)
