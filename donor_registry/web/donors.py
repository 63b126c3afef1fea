"""Donor pages of the workspace: search and profile. A donor outside the user's chapter and
below is not found, by URL as by search (the search never even reads another chapter's rows)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from donor_registry.accounts.chapters import names
from donor_registry.accounts.policy import Action, allows
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.donations.service import donor_donations
from donor_registry.donors.models import Donor
from donor_registry.donors.service import find_donors, get_donor
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import N_, _, formatting
from donor_registry.privacy import consents
from donor_registry.sms import service as sms
from donor_registry.types import blood_group_label
from donor_registry.web import donor_views as views
from donor_registry.web.deps import Current, NotFoundHere, Refused, require, speak
from donor_registry.web.templating import render

router = APIRouter(prefix="/donors", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
SEARCH_LIMIT = 20  # a page as one types; more than that asks for more of the name


def donor_here(session: Session, current: Current, donor_id: int, action: Action = Action.read_lists) -> Donor:
    """The donor, if the user may `action` it (its chapter within the user's reach); else 404."""
    try:
        donor = get_donor(session=session, donor_id=donor_id)
    except NotFound:
        raise NotFoundHere() from None
    if not allows(current.actor, Action.read_lists, donor.chapter_id):
        raise NotFoundHere()
    if not allows(current.actor, action, donor.chapter_id):
        raise Refused()
    return donor


#: What the profile says after a consent change (web/consents.py redirects with ?consent=…).
CONSENT_DONE = {"give": N_("The donor's consent is recorded."), "withdraw": N_("The withdrawal of consent is recorded.")}
#: The donor's newest messages shown on the profile (all are in the SMS outbox).
MESSAGES_SHOWN = 20


def today(current: Current):
    return formatting.local(current.now).date()


@router.get("")
def search_page(request: Request, session: SessionDep, current: Reader,
                q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Search by part of a name (diacritics or not), a phone or a national ID; a plain GET form."""
    rows, error, more = [], None, False
    if q.strip():
        try:  # one more than a page tells "more than N" without counting every match
            found = find_donors(session=session, query=q, limit=SEARCH_LIMIT + 1, chapters=current.actor.reach)
        except UserError:
            found, error = [], _("Type part of a name, a phone number or a 9- or 12-digit national ID.")
        more, found = len(found) > SEARCH_LIMIT, found[:SEARCH_LIMIT]
        chapter_names = names(session=session, chapter_ids=[d.chapter_id for d in found])
        in_full = current.may(Action.see_personal_data)
        rows = [views.search_row(d, chapter_names, in_full) for d in found]
    # Search as you type: htmx asks for the results alone (HX-Request), a plain GET gets the page.
    partial = request.headers.get("hx-request") == "true" and "hx-history-restore-request" not in request.headers
    template = "donors/results.html" if partial else "donors/search.html"
    return render(request, template, q=q, rows=rows, error=error, limit=SEARCH_LIMIT, more=more,
                  may_add=current.may(Action.work_donors), headers={"Vary": "HX-Request"})


@router.get("/{donor_id}")
def donor_page(request: Request, session: SessionDep, current: Reader, donor_id: int,
               recorded: int | None = None, saved: bool = False, merged: int | None = None,
               linked: bool = False, consent: Annotated[str, Query(max_length=10)] = "") -> Response:
    """A donor's profile: in full (and audited) for a role that may see phones, masked otherwise."""
    donor = donor_here(session, current, donor_id)
    done = _("Recorded.") if recorded else _("Saved.") if saved else None
    if linked:
        done = _("An SMS with the link to the donor's own record is queued (it expires in 7 days).")
    if consent in CONSENT_DONE:
        done = _(CONSENT_DONE[consent])
    if merged:
        done = _("Donor #{merged} was merged into this donor.").format(merged=merged)
    return render(request, "donor.html", done=done, **profile(request, session, current, donor))


def profile(request: Request, session: Session, current: Current, donor: Donor) -> dict:
    """Everything the profile shows (the record form re-renders it with its warnings)."""
    in_full = allows(current.actor, Action.see_personal_data, donor.chapter_id)
    if in_full and (donor.phone_e164 or donor.national_id):
        audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="donor.show",
                     subject_type="donor", subject_id=donor.id, detail={"shown": "phone, national ID", "via": "web"})
    phone, national_id = views.personal(donor, in_full)
    donations = donor_donations(session=session, donor_id=donor.id)
    works = allows(current.actor, Action.work_donors, donor.chapter_id)
    rules = request.app.state.settings.eligibility
    return {
        "donor": donor, "phone": phone, "national_id": national_id, "in_full": in_full,
        "group": blood_group_label(donor.abo, donor.rh),
        "chapter": names(session=session, chapter_ids=[donor.chapter_id]).get(donor.chapter_id, ""),
        "eligibility": views.eligibility_rows(donor, donations, rules, today(current)),
        "counts": views.counts_by_type(donations), "history": views.history_rows(donations),
        "consents": views.consent_rows(consents.current(session=session, donor_id=donor.id)),
        "messages": views.message_rows(sms.list_messages(session=session, donor_id=donor.id, limit=MESSAGES_SHOWN)),
        "audit": views.audit_rows(audit.about(session=session, subject_type="donor", subject_id=donor.id))
        if works else None,
        "works": works, "types": views.type_choices(),
        "consent_channels": views.consent_channel_choices(),
        "may_send_link": bool(donor.phone_e164) and allows(current.actor, Action.work_sms, donor.chapter_id),
        "record": {"donated_on": today(current).isoformat()}, "errors": {}, "warnings": [],
    }

