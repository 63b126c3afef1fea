"""Donor pages of the workspace. A donor outside the user's chapter and below is not found."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from donor_registry.accounts.chapters import names
from donor_registry.accounts.policy import Action, allows
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.donors.service import get_donor
from donor_registry.errors import NotFound
from donor_registry.phones import mask_phone
from donor_registry.text import mask_national_id
from donor_registry.types import blood_group_label
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.templating import render

router = APIRouter(prefix="/donors", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]


@router.get("/{donor_id}")
def donor_page(request: Request, session: SessionDep, current: Reader, donor_id: int) -> Response:
    """A donor's card: in full (and audited) for a role that may see phones, masked otherwise."""
    try:
        donor = get_donor(session=session, donor_id=donor_id)
    except NotFound:
        raise NotFoundHere() from None
    if not allows(current.actor, Action.read_lists, donor.chapter_id):
        raise NotFoundHere()
    in_full = allows(current.actor, Action.see_personal_data, donor.chapter_id)
    phone, national_id = donor.phone_e164 or "", donor.national_id or ""
    if in_full and (phone or national_id):
        audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="donor.show",
                     subject_type="donor", subject_id=donor.id, detail={"shown": "phone, national ID", "via": "web"})
    if not in_full:
        phone, national_id = mask_phone(phone) if phone else "", mask_national_id(national_id) if national_id else ""
    return render(request, "donor.html", donor=donor, phone=phone, national_id=national_id, in_full=in_full,
                  group=blood_group_label(donor.abo, donor.rh),
                  chapter=names(session=session, chapter_ids=[donor.chapter_id]).get(donor.chapter_id, ""))
