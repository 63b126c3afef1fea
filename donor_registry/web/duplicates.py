"""Possible duplicates side by side with their reasons, and the merge of one pair (the CLI's
`donors duplicates` and `donors merge`), for coordinators, within their chapter and below."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from donor_registry.accounts.chapters import names
from donor_registry.accounts.policy import Action, within_reach
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.donors import duplicates
from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.i18n import _, formatting
from donor_registry.i18n.labels import label
from donor_registry.types import blood_group_label
from donor_registry.web import donor_views as views
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.donors import donor_here
from donor_registry.web.templating import render

router = APIRouter(prefix="/donors", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Worker = Annotated[Current, Depends(require(Action.work_donors))]
Number = Annotated[str, Form(max_length=20)]

def _side(donor: Donor, chapter_names: dict) -> dict:
    phone, national_id = views.personal(donor, in_full=False)  # masked here: open the profile for more
    born = formatting.date(donor.date_of_birth) if donor.date_of_birth else (donor.birth_year or "")
    return {"id": donor.id, "name": donor.full_name, "born": born, "sex": label(donor.sex),
            "group": blood_group_label(donor.abo, donor.rh), "phone": phone, "national_id": national_id,
            "place": ", ".join(p for p in (donor.address, donor.commune, donor.district, donor.province) if p),
            "chapter": chapter_names.get(donor.chapter_id, ""), "count": donor.donation_count,
            "registered": formatting.date(donor.created_at)}


def _listing(request: Request, session: Session, current: Current, *, error: str | None = None,
             status_code: int = 200) -> Response:
    pairs = duplicates.find_duplicates(session=session, settings=request.app.state.settings.duplicates,
                                       where=within_reach(current.actor, Donor.chapter_id))
    chapter_names = names(session=session, chapter_ids=[d.chapter_id for p in pairs for d in (p.first, p.second)])
    rows = [{"first": _side(p.first, chapter_names), "second": _side(p.second, chapter_names),
             "reasons": p.reasons} for p in pairs]
    return render(request, "donors/duplicates.html", status_code=status_code, pairs=rows, error=error)


@router.get("/duplicates")
def duplicates_page(request: Request, session: SessionDep, current: Worker) -> Response:
    return _listing(request, session, current)


@router.post("/duplicates/merge")
def merge(request: Request, session: SessionDep, current: Worker, keep_id: Number = "",
          duplicate_id: Number = "") -> Response:
    if not (keep_id.isdigit() and duplicate_id.isdigit()):
        return _listing(request, session, current, error=_("Choose which donor of the pair to keep."),
                        status_code=422)
    keep = donor_here(session, current, int(keep_id), Action.work_donors)
    duplicate = donor_here(session, current, int(duplicate_id), Action.work_donors)
    try:
        record = duplicates.merge_donors(session=session, keep_id=keep.id, duplicate_id=duplicate.id,
                                         rules=request.app.state.settings.eligibility, now=current.now,
                                         command=f"web merge {keep.id} {duplicate.id} by {current.actor.audit_name}")
    except UserError:  # into itself, or an erased record
        return _listing(request, session, current, status_code=422,
                        error=_("These two records cannot be merged (the same donor, or an erased record)."))
    audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="donor.merge",
                 subject_type="donor", subject_id=keep.id,
                 detail={"merged_id": duplicate.id, "moved": record.moved, "via": "web"})
    return RedirectResponse(f"/donors/{keep.id}?merged={duplicate.id}", status_code=303)
