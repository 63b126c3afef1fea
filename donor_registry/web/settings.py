"""The settings page of a chapter: the few settings a chapter owns (chapter_settings), for an
admin of the chapter or of one above it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from donor_registry.accounts.chapters import names
from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.chapter_settings import rules
from donor_registry.chapter_settings import service as chapter_settings
from donor_registry.chapters import service as chapters
from donor_registry.chapters.models import Chapter
from donor_registry.i18n import _
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.templating import render

router = APIRouter(prefix="/admin", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Admin = Annotated[Current, Depends(require(Action.manage_settings))]
Text = Annotated[str, Form(max_length=1000)]
#: The form's field of each key: its last part (chapter_name, drive_ring, invitation_days_before).
FIELDS = {key: spec.field for key, spec in rules.KEYS.items()}


def _reachable(session: Session, current: Current) -> list[Chapter]:
    """The chapters the admin manages, in tree order (everything for a whole-registry admin)."""
    return chapters.list_chapters(session=session, root_id=current.actor.chapter_id)


def _chapter(session: Session, current: Current, raw: str) -> Chapter | None:
    """The chapter asked for (else the admin's own, or the first of the tree); 404 outside the reach."""
    text = raw.strip()
    if not text:
        if current.actor.chapter_id is not None:
            return session.get(Chapter, current.actor.chapter_id)
        listed = _reachable(session, current)
        return listed[0] if listed else None
    chapter = session.get(Chapter, int(text)) if text.isdigit() else None
    if chapter is None or not current.may(Action.manage_settings, chapter.id):
        raise NotFoundHere()
    return chapter


def _page(request: Request, session: Session, current: Current, chapter: Chapter | None, *, status_code=200,
          errors=None, form=None, saved=False) -> Response:
    rows = []
    if chapter is not None:
        found = chapter_settings.effective_for(session=session, settings=request.app.state.settings,
                                               chapter_id=chapter.id)
        own = chapter_settings.own_values(session=session, chapter_id=chapter.id)
        parents = names(session=session, chapter_ids=[e.from_chapter_id for e in found.values()])
        for key, spec in rules.KEYS.items():
            held = found[key]
            rows.append({
                "key": key, "field": spec.field, "label": _(spec.label), "help": _(spec.help),
                "value": held.value, "source": held.source.value,
                "parent": parents.get(held.from_chapter_id, ""),
                "own": (form or {}).get(key, own.get(key, "")), "has_own": key in own,
                "error": (errors or {}).get(key),
            })
    reachable = _reachable(session, current)
    return render(request, "admin/settings.html", status_code=status_code, chapter=chapter, rows=rows,
                  chapters=[(c.id, f"{'— ' * chapters.depth(c)}{c.code} {c.name}") for c in reachable],
                  saved=saved)


@router.get("/settings")
def settings_page(request: Request, session: SessionDep, current: Admin,
                  chapter: Annotated[str, Query(max_length=20)] = "",
                  saved: Annotated[str, Query(max_length=1)] = "") -> Response:
    return _page(request, session, current, _chapter(session, current, chapter), saved=saved == "1")


@router.post("/settings")
def change_settings(request: Request, session: SessionDep, current: Admin, chapter: Text = "",
                    chapter_name: Text = "", drive_ring: Text = "", invitation_days_before: Text = "",
                    reset: Text = "") -> Response:
    """Save the form (a blank field inherits again), or reset one key (`reset` names it)."""
    found = _chapter(session, current, chapter)
    if found is None:  # a whole-registry admin of a registry without chapters
        raise NotFoundHere()
    given = {"chapter_name": chapter_name, "drive_ring": drive_ring, "invitation_days_before": invitation_days_before}
    if reset:
        if reset not in rules.KEYS:
            raise NotFoundHere()
        values = {reset: ""}
    else:
        values = {key: given[field] for key, field in FIELDS.items()}
    errors = chapter_settings.change(session=session, settings=request.app.state.settings, now=current.now,
                                     actor=current.actor.audit_name, chapter_id=found.id, values=values)
    if errors:
        return _page(request, session, current, found, status_code=422, errors=errors, form=values)
    return RedirectResponse(f"/admin/settings?chapter={found.id}&saved=1", status_code=303)
