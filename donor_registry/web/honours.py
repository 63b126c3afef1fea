"""Honours in the workspace: candidates by tier, ceremonies (plan, award, revoke) and their lists as
XLSX and PDF, over the services and exports the CLI uses (honours.service, honours.export).
A ceremony outside the user's chapter and below is not found; every write and download is audited."""

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from donor_registry.accounts.chapters import names
from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.chapters.models import Chapter
from donor_registry.chapters.service import list_chapters
from donor_registry.errors import NotFound, UserError
from donor_registry.honours import export, service
from donor_registry.honours.models import Ceremony
from donor_registry.i18n import _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label
from donor_registry.web import honours_forms as forms
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.drives import attempt
from donor_registry.web.templating import HEADERS, render

router = APIRouter(prefix="/honours", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
Honourer = Annotated[Current, Depends(require(Action.work_honours))]
Text = Annotated[str, Form(max_length=1000)]
Day = Annotated[str | None, Query(max_length=20)]
#: A page lists at most this many donors (the downloads hold them all).
MAX_SHOWN = 1000
#: At most this many donors awarded by one form.
MAX_AWARDED = 5000


def today(current: Current) -> dt.date:
    return fmt.local(current.now).date()


def _settings(request: Request):
    return request.app.state.settings


def _own_chapter(session: Session, current: Current) -> Chapter | None:
    """The user's chapter (None: a whole-registry account, which honours everyone)."""
    return session.get(Chapter, current.actor.chapter_id) if current.actor.chapter_id is not None else None


def _as_of(raw: str | None, current: Current) -> tuple[dt.date, str | None]:
    """The day asked for (default today) and the problem with it, if any."""
    if not raw:
        return today(current), None
    day = forms.parse_day(raw)
    if day is None:
        return today(current), _("Write the date as dd/mm/yyyy.")
    if day > today(current):
        return today(current), _("The date {day} is in the future.").format(day=fmt.date(day))
    return day, None


def _candidates(request, session: Session, current: Current, day: dt.date):
    return service.candidates(session=session, settings=_settings(request).honours, today=today(current),
                              as_of=day, chapter=_own_chapter(session, current))


def _title(request, session: Session, chapter_id: int | None) -> str:
    return names(session=session, chapter_ids=[chapter_id]).get(chapter_id) or \
        _settings(request).general.chapter_name


@router.get("")
def candidates_page(request: Request, session: SessionDep, current: Reader, as_of: Day = None) -> Response:
    """Donors of the user's chapter and below who reached a tier not yet awarded, by tier."""
    day, problem = _as_of(as_of, current)
    rows = _candidates(request, session, current, day)
    shown = forms.vietnamese_order(rows)[:MAX_SHOWN]
    return render(request, "honours/candidates.html", groups=forms.candidate_groups(shown, _settings(request).honours),
                  total=len(rows), shown=len(shown), day=fmt.date(day), as_of=as_of or "", problem=problem,
                  query=f"?{urlencode({'as_of': fmt.date(day)})}" if as_of and not problem else "")


def _refused(request, problem: str) -> Response:
    return render(request, "error.html", status_code=422, status=422, text=problem)


def _download(data: bytes, fmt_: export.ExportFormat, name: str) -> Response:
    return Response(data, media_type=forms.CONTENT_TYPES[fmt_], headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="{name}.{fmt_.value}"'})


def _candidates_file(request, session: Session, current: Current, as_of: str | None, fmt_) -> Response:
    day, problem = _as_of(as_of, current)
    if problem:
        return _refused(request, problem)
    rows = _candidates(request, session, current, day)
    donors = service.donors_by_id(session=session, donor_ids=[r.donor_id for r in rows])
    entries = [export.entry(donors[r.donor_id], donation_count=r.donation_count, tier=r.tier) for r in rows]
    title = [_title(request, session, current.actor.chapter_id),
             _("Donors proposed for honours as of {day}").format(day=fmt.date(day))]
    try:
        data, written = forms.list_bytes(entries, title_lines=title, fmt_=fmt_)
    except UserError as refusal:  # the PDF without its fonts, say
        return _refused(request, str(refusal))
    audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="honours.export_candidates",
                 detail={"format": fmt_.value, "rows": written, "as_of": day.isoformat(), "via": "web",
                         "chapter_id": current.actor.chapter_id})
    return _download(data, fmt_, f"honours-candidates-{day.isoformat()}")


@router.get("/candidates.xlsx")
def candidates_xlsx(request: Request, session: SessionDep, current: Reader, as_of: Day = None) -> Response:
    return _candidates_file(request, session, current, as_of, export.ExportFormat.xlsx)


@router.get("/candidates.pdf")
def candidates_pdf(request: Request, session: SessionDep, current: Reader, as_of: Day = None) -> Response:
    return _candidates_file(request, session, current, as_of, export.ExportFormat.pdf)


def _plannable(session: Session, current: Current) -> list[Chapter]:
    """The chapters the user may hold a ceremony for: its own and those below it."""
    listed = list_chapters(session=session, root_id=current.actor.chapter_id)
    return [c for c in listed if current.may(Action.work_honours, c.id)]


def _ceremonies_page(request, session: Session, current: Current, *, form=None, errors=None,
                     status_code=200) -> Response:
    listed = [(c, n) for c, n in service.list_ceremonies(session=session) if current.may(Action.read_lists, c.chapter_id)]
    chapter_names = names(session=session, chapter_ids=[c.chapter_id for c, _n in listed])
    may_plan = current.may(Action.work_honours)
    chapters = _plannable(session, current) if may_plan else []
    return render(request, "honours/ceremonies.html", status_code=status_code,
                  ceremonies=[forms.ceremony_view(c, n, chapter_names.get(c.chapter_id, "")) for c, n in listed],
                  may_plan=may_plan, chapters=[(c.id, f"{c.code} {c.name}") for c in chapters],
                  levels=[(level.value, label(level)) for level in forms.LEVELS],
                  form=form or {"chapter_id": str(current.actor.chapter_id or "")}, errors=errors or {})


@router.get("/ceremonies")
def ceremonies_page(request: Request, session: SessionDep, current: Reader) -> Response:
    """The ceremonies of the user's chapter and below, newest first, and the form to plan one."""
    return _ceremonies_page(request, session, current)


@router.post("/ceremonies")
def plan_ceremony(request: Request, session: SessionDep, current: Honourer, name: Text = "", held_on: Text = "",
                  level: Text = "", chapter_id: Text = "") -> Response:
    form = {"name": name, "held_on": held_on, "level": level, "chapter_id": chapter_id}
    allowed: set[int | None] = {c.id for c in _plannable(session, current)}
    data, errors = forms.ceremony_data(form, allowed)
    if errors:
        return _ceremonies_page(request, session, current, form=form, errors=errors, status_code=422)
    try:
        ceremony = attempt(session, lambda: service.create_ceremony(session=session, data=data, now=current.now))
    except UserError as problem:
        return _ceremonies_page(request, session, current, form=form, errors={"": str(problem)}, status_code=422)
    audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="honours.ceremony_create",
                 subject_type="ceremony", subject_id=ceremony.id,
                 detail={"name": ceremony.name, "held_on": ceremony.held_on.isoformat(),
                         "level": ceremony.level.value, "chapter_id": ceremony.chapter_id, "via": "web"})
    return RedirectResponse(f"/honours/ceremonies/{ceremony.id}", status_code=303)


def ceremony_within_reach(session: Session, current: Current, ceremony_id: int, action: Action) -> Ceremony:
    try:
        ceremony = service.get_ceremony(session=session, ref=ceremony_id)
    except NotFound:
        raise NotFoundHere() from None
    if not current.may(Action.read_lists, ceremony.chapter_id) or not current.may(action, ceremony.chapter_id):
        raise NotFoundHere()
    return ceremony


def _proposed(request, session: Session, current: Current, ceremony: Ceremony):
    """The ceremony's proposed list: today's candidates of its chapter and below (and its old district)."""
    chapter = session.get(Chapter, ceremony.chapter_id) if ceremony.chapter_id else None
    return service.candidates(session=session, settings=_settings(request).honours, today=today(current),
                              district=ceremony.district, chapter=chapter)


def _ceremony_page(request, session: Session, current: Current, ceremony: Ceremony, *, status_code=200,
                   problem=None, errors=None, form=None) -> Response:
    rows = forms.vietnamese_order(_proposed(request, session, current, ceremony))
    awards = forms.award_views(service.ceremony_awards(session=session, ceremony_id=ceremony.id))
    chapter_name = names(session=session, chapter_ids=[ceremony.chapter_id]).get(ceremony.chapter_id, "")
    return render(request, "honours/ceremony.html", status_code=status_code,
                  ceremony=forms.ceremony_view(ceremony, len(awards), chapter_name),
                  groups=forms.candidate_groups(rows[:MAX_SHOWN], _settings(request).honours),
                  total=len(rows), shown=min(len(rows), MAX_SHOWN), awards=awards,
                  may_award=current.may(Action.work_honours, ceremony.chapter_id),
                  problem=problem, errors=errors or {}, form=form or {})


@router.get("/ceremonies/{ceremony_id}")
def ceremony_page(request: Request, session: SessionDep, current: Reader, ceremony_id: int) -> Response:
    """A ceremony: its facts, the donors proposed for it, those awarded, the downloads."""
    ceremony = ceremony_within_reach(session, current, ceremony_id, Action.read_lists)
    return _ceremony_page(request, session, current, ceremony)


@router.post("/ceremonies/{ceremony_id}/award")
def award(request: Request, session: SessionDep, current: Honourer, ceremony_id: int,
          donor_id: Annotated[list[str] | None, Form()] = None) -> Response:
    """Award the donors ticked on the proposed list (`honours award --donor`); the service refuses a
    donor with no tier left to award, and then nobody is awarded."""
    ceremony = ceremony_within_reach(session, current, ceremony_id, Action.work_honours)
    if not donor_id or len(donor_id) > MAX_AWARDED or not all(value.strip().isdigit() for value in donor_id):
        return _ceremony_page(request, session, current, ceremony, status_code=422,
                              problem=_("Tick at least one donor to award."))
    chosen = sorted({int(value) for value in donor_id})
    found = service.donors_by_id(session=session, donor_ids=chosen)
    outside = [i for i in chosen if i not in found or not current.may(Action.read_lists, found[i].chapter_id)]
    if outside:  # another chapter's donor reads as no donor at all: nothing about them is shown
        return _ceremony_page(request, session, current, ceremony, status_code=422,
                              problem=_("no donor #{donor_id}").format(donor_id=outside[0]))
    try:
        awards = attempt(session, lambda: service.award(
            session=session, ceremony_id=ceremony.id, settings=_settings(request).honours, now=current.now,
            today=today(current), donor_ids=chosen))
    except UserError as problem:
        return _ceremony_page(request, session, current, ceremony, status_code=422, problem=str(problem))
    audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="honours.award",
                 subject_type="ceremony", subject_id=ceremony.id,
                 detail={"awards": [[a.donor_id, a.tier] for a in awards], "via": "web"})
    return RedirectResponse(f"/honours/ceremonies/{ceremony.id}", status_code=303)


@router.post("/ceremonies/{ceremony_id}/revoke")
def revoke(request: Request, session: SessionDep, current: Honourer, ceremony_id: int, donor_id: Text = "",
           tier: Text = "", reason: Text = "") -> Response:
    """Revoke an award given at this ceremony by mistake, with the reason (`honours revoke`)."""
    ceremony = ceremony_within_reach(session, current, ceremony_id, Action.work_honours)
    form = {"donor_id": donor_id, "tier": tier, "reason": reason}
    given = {(a["donor_id"], a["tier"]) for a in forms.award_views(
        service.ceremony_awards(session=session, ceremony_id=ceremony.id))}
    key = (int(donor_id), int(tier)) if donor_id.strip().isdigit() and tier.strip().isdigit() else None
    if key not in given:
        return _ceremony_page(request, session, current, ceremony, status_code=422, form=form,
                              problem=_("That award was not given at this ceremony."))
    if not reason.strip():
        return _ceremony_page(request, session, current, ceremony, status_code=422, form=form,
                              errors={f"reason-{donor_id}-{tier}": _("A revocation needs a reason.")})
    try:
        attempt(session, lambda: service.revoke(session=session, donor_id=key[0], tier=key[1], reason=reason,
                                                now=current.now))
    except UserError as problem:
        return _ceremony_page(request, session, current, ceremony, status_code=422, problem=str(problem), form=form)
    audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="honours.revoke",
                 subject_type="donor", subject_id=key[0],
                 detail={"tier": key[1], "ceremony_id": ceremony.id, "reason": reason.strip(), "via": "web"})
    return RedirectResponse(f"/honours/ceremonies/{ceremony.id}", status_code=303)


def _ceremony_file(request, session: Session, current: Current, ceremony_id: int, fmt_) -> Response:
    ceremony = ceremony_within_reach(session, current, ceremony_id, Action.read_lists)
    entries = [export.entry(donor, donation_count=a.donation_count, tier=a.tier)
               for a, donor in service.ceremony_awards(session=session, ceremony_id=ceremony.id)]
    title = [_title(request, session, ceremony.chapter_id), ceremony.name,
             _("Held on {day}").format(day=fmt.date(ceremony.held_on))]
    try:
        data, written = forms.list_bytes(entries, title_lines=title, fmt_=fmt_)
    except UserError as refusal:  # the PDF without its fonts, say
        return _refused(request, str(refusal))
    audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="honours.export",
                 subject_type="ceremony", subject_id=ceremony.id,
                 detail={"format": fmt_.value, "rows": written, "via": "web"})
    return _download(data, fmt_, f"ceremony-{ceremony.id}-{ceremony.held_on.isoformat()}")


@router.get("/ceremonies/{ceremony_id}/list.xlsx")
def ceremony_xlsx(request: Request, session: SessionDep, current: Reader, ceremony_id: int) -> Response:
    return _ceremony_file(request, session, current, ceremony_id, export.ExportFormat.xlsx)


@router.get("/ceremonies/{ceremony_id}/list.pdf")
def ceremony_pdf(request: Request, session: SessionDep, current: Reader, ceremony_id: int) -> Response:
    return _ceremony_file(request, session, current, ceremony_id, export.ExportFormat.pdf)
