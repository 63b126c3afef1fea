"""The SMS pages of the workspace: the outbox of the chapter's donors (phones masked), retry or
cancel a message, counts by kind and state and this month's cost; the configured templates with
a preview of a typed text. Over the services `sms outbox`, `sms stats` and `sms preview` use."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from donor_registry.accounts.policy import Action, within_reach
from donor_registry.api.deps import SessionDep
from donor_registry.audit.service import record
from donor_registry.donors.models import Donor
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label, message_kind
from donor_registry.phones import mask_phone, mask_phones_in
from donor_registry.sms import costs, service
from donor_registry.sms.encoding import analyse
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.preview import SAMPLE_FIELDS
from donor_registry.sms.registrations import cost_vnd
from donor_registry.sms.reminders import plan_reminders
from donor_registry.sms.settings import require_live_links
from donor_registry.sms.templates import placeholders
from donor_registry.sms.templates import render as render_text
from donor_registry.text import strip_diacritics
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.drives import attempt
from donor_registry.web.templating import render

router = APIRouter(prefix="/sms", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
Sender = Annotated[Current, Depends(require(Action.work_sms))]
#: The outbox page lists at most this many messages, newest first.
LISTED = 100
#: A typed text longer than this is not previewed (ten parts of UCS-2 is already 670 characters).
MAX_PREVIEW = 2000


def _masked(phone: str) -> str:
    try:
        return mask_phone(phone)
    except ValueError:
        return "…"


def _chapter_of(session: Session, message: OutboxMessage) -> int | None:
    donor = session.get(Donor, message.donor_id) if message.donor_id is not None else None
    return donor.chapter_id if donor is not None else None


def _message_view(message: OutboxMessage, may_act: bool) -> dict:
    return {"id": message.id, "to": _masked(message.to_phone), "kind": message_kind(message.kind),
            "status": message.status.value, "state": label(message.status), "attempts": message.attempts,
            "send_after": fmt.datetime(message.send_after), "sent_at": fmt.datetime(message.sent_at),
            "error": mask_phones_in(message.error_message) if message.error_message else "",
            "may_retry": may_act and message.status in (OutboxStatus.failed, OutboxStatus.undelivered,
                                                         OutboxStatus.cancelled),
            "may_cancel": may_act and message.status == OutboxStatus.queued}


def _month_start(current: Current) -> dt.datetime:
    return fmt.local(current.now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@router.get("")
def outbox_page(request: Request, session: SessionDep, current: Reader,
                state: Annotated[str, Query(max_length=20)] = "",
                planned: Annotated[int | None, Query(ge=0, le=10**9)] = None) -> Response:
    """The newest messages to donors of the user's chapter and below, counts and this month's cost."""
    done = None if planned is None else _("Queued today's due reminders and invitations: {n} new messages.").format(
        n=fmt.number(planned))
    return _outbox(request, session, current, state=state, done=done)


@router.post("/reminders")
def queue_reminders(request: Request, session: SessionDep, current: Sender) -> Response:
    """Queue the reminders and invitations due today for donors of the user's chapter and below
    (`reminders plan`, which `serve` also runs each day): nothing is queued twice."""
    settings = request.app.state.settings
    try:
        require_live_links(settings.sms, refusing=_("nothing was queued"))
        report = attempt(session, lambda: plan_reminders(
            session=session, settings=settings, now=current.now, chapters=current.actor.reach))
    except UserError as problem:
        return _outbox(request, session, current, problem=str(problem), status_code=422)
    planned = sum(report.planned.values())
    record(session=session, now=current.now, actor=current.actor.audit_name, action="sms.plan",
           detail={"planned": dict(report.planned), "already": sum(report.existing.values()),
                   "over_cap": sum(report.over_cap.values())})
    return RedirectResponse(f"/sms?planned={planned}", status_code=303)


def _outbox(request: Request, session: Session, current: Current, *, state: str = "", problem: str | None = None,
            status_code: int = 200, done: str | None = None) -> Response:
    chosen = OutboxStatus(state) if state in set(OutboxStatus) else None
    within = within_reach(current.actor, Donor.chapter_id)
    messages = service.list_messages(session=session, status=chosen, limit=LISTED, donors_within=within)
    may_act = current.may(Action.work_sms)
    table = service.stats(session=session, donors_within=within)
    month = costs.monthly_costs(session=session, since=_month_start(current).astimezone(dt.UTC),
                                timezone=request.app.state.settings.general.timezone, donors_within=within)
    return render(request, "sms/outbox.html", status_code=status_code,
                  messages=[_message_view(m, may_act) for m in messages], state=state,
                  states=[(s.value, label(s)) for s in OutboxStatus],
                  stats=[(message_kind(kind), [counts.get(s.value, 0) for s in OutboxStatus], sum(counts.values()))
                         for kind, counts in sorted(table.items())],
                  month=fmt.local(current.now).strftime("%m/%Y"),
                  sent_this_month=sum(r["messages"] for r in month),
                  cost_this_month=fmt.money(sum(r["cost_vnd"] for r in month)), problem=problem, done=done,
                  may_plan=current.may(Action.work_sms))


def _message_within_reach(session: Session, current: Current, message_id: int) -> OutboxMessage:
    try:
        message = service.get_message(session=session, message_id=message_id)
    except NotFound:
        raise NotFoundHere() from None
    if not current.may(Action.work_sms, _chapter_of(session, message)):
        raise NotFoundHere()
    return message


def _act(request: Request, session: Session, current: Current, message_id: int, change, action: str) -> Response:
    message = _message_within_reach(session, current, message_id)
    before = message.status.value

    def changed():
        done = change(session=session, now=current.now, message_id=message.id)
        record(session=session, now=current.now, actor=current.actor.audit_name, action=action,
               subject_type="sms", subject_id=message.id, detail={"from": before, "to": done.status.value})
        return done

    try:
        attempt(session, changed)
    except UserError as problem:
        return _outbox(request, session, current, problem=str(problem), status_code=422)
    return RedirectResponse("/sms", status_code=303)


@router.post("/{message_id}/retry")
def retry(request: Request, session: SessionDep, current: Sender, message_id: int) -> Response:
    """Queue a failed, undelivered or cancelled message again (`sms outbox retry`)."""
    return _act(request, session, current, message_id, service.retry, "sms.retry")


@router.post("/{message_id}/cancel")
def cancel(request: Request, session: SessionDep, current: Sender, message_id: int) -> Response:
    """Cancel a queued message so it is never sent (`sms outbox cancel`)."""
    return _act(request, session, current, message_id, service.cancel, "sms.cancel")


def _measure(request: Request, text: str) -> dict:
    """Encoding, length, parts and the price table's cost of one SMS (what `sms preview` reports)."""
    sms = request.app.state.settings.sms
    info = analyse(text)
    return {"encoding": info.encoding, "characters": info.characters, "segments": info.segments,
            "too_long": info.segments > sms.max_segments, "cost": fmt.money(cost_vnd(sms, channel="sms", text=text))}


def _template_views(request: Request) -> list[dict]:
    """Each configured template, filled with the sample values `sms preview` uses when nobody is due."""
    settings = request.app.state.settings
    views = []
    for kind, template in sorted(settings.sms.templates.items()):
        sample = {k: v for k, v in SAMPLE_FIELDS.items() if k in placeholders(template)}
        try:
            text = render_text(kind, settings, **sample)
        except UserError as problem:
            views.append({"kind": kind, "label": message_kind(kind), "template": template, "text": "",
                          "problem": str(problem)})
            continue
        views.append({"kind": kind, "label": message_kind(kind), "template": template, "text": text, "problem": None,
                      **_measure(request, text)})
    return views


def _templates_page(request: Request, *, text: str = "", status_code: int = 200) -> Response:
    sms = request.app.state.settings.sms
    typed = _measure(request, text) if text.strip() else None
    stripped = _measure(request, strip_diacritics(text)) if typed and sms.strip_diacritics else None
    return render(request, "sms/templates.html", status_code=status_code, templates=_template_views(request),
                  text=text, typed=typed, stripped=stripped, plain=strip_diacritics(text) if stripped else "",
                  max_segments=sms.max_segments, max_length=MAX_PREVIEW,
                  problem=_("The text is too long to preview.") if status_code == 422 else None)


@router.get("/templates")
def templates_page(request: Request, current: Reader) -> Response:
    """The configured templates with their encoding, parts and cost, and a form to try a text."""
    return _templates_page(request)


@router.post("/templates/preview")
def preview_text(request: Request, current: Reader, text: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """A typed text's encoding (GSM-7 or UCS-2), SMS parts and cost; nothing is written or sent."""
    if len(text) > MAX_PREVIEW:
        return _templates_page(request, text=text[:MAX_PREVIEW], status_code=422)
    return _templates_page(request, text=text)
