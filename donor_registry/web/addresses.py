"""Addresses to review: the donors' addresses that name no single commune since 2025-07-01 (an
old commune split, a name fitting several units, or none), with their candidates, and the pick.

The same services as `addresses review` and `addresses pick` of the CLI; a user sees only the
donors of their chapter and below, and each pick is audited with what the address was before."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from donor_registry.accounts.policy import Action, within_reach
from donor_registry.api.deps import SessionDep
from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.places import review, units
from donor_registry.places.status import FLAGGED, STATUS_LABELS, AddressStatus
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.donors import donor_here
from donor_registry.web.templating import render

router = APIRouter(prefix="/addresses", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
Worker = Annotated[Current, Depends(require(Action.work_donors))]
PAGE = 50


@router.get("")
def review_page(request: Request, session: SessionDep, current: Reader,
                status: Annotated[str, Query(max_length=20)] = "",
                after: Annotated[int, Query(ge=0, le=2**62)] = 0, picked: int | None = None) -> Response:
    chosen = AddressStatus(status) if status in {s.value for s in FLAGGED} else None
    return _page(request, session, current, chosen, after,
                 done=_("The address of donor #{id} is set.").format(id=picked) if picked else None)


@router.post("/{donor_id}/pick")
def pick(request: Request, session: SessionDep, current: Worker, donor_id: int,
         commune_code: Annotated[str, Form(max_length=20)] = "") -> Response:
    donor = donor_here(session, current, donor_id, Action.work_donors)
    try:
        if not commune_code.strip():
            raise UserError(_("Choose a commune, or type its code."))
        review.pick(session=session, donor_id=donor.id, commune_code=commune_code, now=current.now,
                    actor=current.actor.audit_name)
    except UserError as problem:
        return _page(request, session, current, None, max(donor.id - 1, 0), problem=str(problem), status_code=422)
    return RedirectResponse(f"/addresses?picked={donor.id}", status_code=303)


def _page(request, session, current, status, after, *, done=None, problem=None, status_code=200) -> Response:
    found = review.page(session=session, status=status, after_id=after, limit=PAGE,
                        where=within_reach(current.actor, Donor.chapter_id))
    return render(request, "addresses/review.html", status_code=status_code, rows=[_row(f) for f in found],
                  statuses=[(s.value, _(STATUS_LABELS[s.value])) for s in FLAGGED],
                  status=status.value if status else "", may_pick=current.may(Action.work_donors),
                  next_after=found[-1].donor_id if len(found) == PAGE else None, done=done, problem=problem)


def _row(found: review.FlaggedAddress) -> dict:
    candidates = []
    for code in found.candidates:
        commune = units.commune(code)
        if commune is not None:
            candidates.append((commune.code, f"{commune.name}, {units.province(commune.province_code).name}"))
    province = units.province(found.province_code) if found.province_code else None
    return {"donor_id": found.donor_id, "name": found.full_name,
            "entered": ", ".join(p for p in (found.commune, found.district, found.province) if p),
            "why": _(STATUS_LABELS[found.status.value]), "candidates": candidates,
            "province": province.name if province else ""}
