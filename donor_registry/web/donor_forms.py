"""Register a donor and edit a donor's details: the CLI's models and services, each field's error
next to it in the reader's words. A donor is registered in, or moved to, a chapter within the
user's reach only."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from donor_registry.accounts.chapters import names
from donor_registry.accounts.policy import Action, allows
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.donors import normalize, service
from donor_registry.donors.models import Donor, DonorCreate, DonorUpdate
from donor_registry.errors import Conflict, UserError
from donor_registry.i18n import _
from donor_registry.i18n.labels import label
from donor_registry.i18n.validation import field_errors
from donor_registry.types import ConsentChannel, blood_group_label, parse_blood_group
from donor_registry.web import donor_views as views
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.donors import donor_here
from donor_registry.web.forms import blank_to_none, day_value
from donor_registry.web.templating import render

router = APIRouter(prefix="/donors", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Worker = Annotated[Current, Depends(require(Action.work_donors))]
Text = Annotated[str, Form(max_length=1000)]
TEXT_FIELDS = ("full_name", "date_of_birth", "birth_year", "sex", "group", "phone", "national_id", "address",
               "commune", "district", "province", "weight_kg", "notes", "chapter", "consent")
ADDRESS = ("province", "district", "commune")
#: A model field -> the form field its error stands next to.
SHOWN_AT = {"phone_e164": "phone", "abo": "group", "rh": "group", "chapter_id": "chapter",
            "consent_channel": "consent"}


async def _form(request: Request) -> dict:
    posted = await request.form()
    form = {name: str(posted.get(name, ""))[:1000] for name in TEXT_FIELDS}
    form["standby"] = bool(posted.get("standby"))
    return form


Posted = Annotated[dict, Depends(_form)]


@router.get("/new")
def new_form(request: Request, session: SessionDep, current: Worker) -> Response:
    chapter = "" if current.actor.chapter_id is None else str(current.actor.chapter_id)
    return _page(request, session, current, None, {"sex": "unknown", "chapter": chapter}, {})


@router.post("/new")
def create(request: Request, session: SessionDep, current: Worker, form: Posted) -> Response:
    values, errors = _values(form, current)
    if not errors:
        try:
            donor = service.create_donor(session=session, data=DonorCreate.model_validate(values), now=current.now,
                                         actor=current.actor.audit_name, check_address=True)
        except UserError as problem:
            errors = _service_error(problem)
        else:
            audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="donor.add",
                         subject_type="donor", subject_id=donor.id, detail={"via": "web"})
            return RedirectResponse(f"/donors/{donor.id}?saved=1", status_code=303)
    return _page(request, session, current, None, form, errors, status_code=422)


@router.get("/{donor_id}/edit")
def edit_form(request: Request, session: SessionDep, current: Worker, donor_id: int) -> Response:
    donor = donor_here(session, current, donor_id, Action.work_donors)
    return _page(request, session, current, donor, _current_values(donor), {})


@router.post("/{donor_id}/edit")
def edit(request: Request, session: SessionDep, current: Worker, donor_id: int, form: Posted) -> Response:
    donor = donor_here(session, current, donor_id, Action.work_donors)
    values, errors = _values(form, current)
    if donor.erased_at is not None:
        errors = {"": _("This donor's record was erased: it cannot be changed.")}
    if not errors:
        changes = _changes(donor, values)
        try:
            if changes:
                service.update_donor(session=session, donor_id=donor.id, changes=DonorUpdate(**changes),
                                     now=current.now, check_address=True)
        except ValidationError as problem:
            errors = _shown_at(field_errors(problem))
        except UserError as problem:
            errors = _service_error(problem)
        else:
            if changes:
                audit.record(session=session, now=current.now, actor=current.actor.audit_name, action="donor.update",
                             subject_type="donor", subject_id=donor.id, detail={"fields": sorted(changes), "via": "web"})
            return RedirectResponse(f"/donors/{donor.id}?saved=1", status_code=303)
    return _page(request, session, current, donor, form, errors, status_code=422)


def _values(form: dict, current: Current) -> tuple[dict, dict]:
    """The form as DonorCreate's fields (validated by it), or {form field: error}."""
    raw = blank_to_none({k: v for k, v in form.items() if k != "standby"})
    errors = {}
    values = {"full_name": raw["full_name"], "birth_year": raw["birth_year"], "sex": raw["sex"] or "unknown",
              "national_id": raw["national_id"], "address": raw["address"], "commune": raw["commune"],
              "district": raw["district"], "province": raw["province"], "weight_kg": raw["weight_kg"],
              "notes": raw["notes"], "standby": form["standby"], "phone_e164": raw["phone"],
              "consent_channel": raw["consent"]}
    values["date_of_birth"], problem = day_value(raw["date_of_birth"])
    if problem:
        errors["date_of_birth"] = problem
    try:
        values["abo"], values["rh"] = parse_blood_group(raw["group"])
    except ValueError:
        errors["group"] = _("is not a blood group; write O+, A-, AB+…")
    try:
        normalize.phone(raw["phone"])
    except UserError:
        errors["phone"] = _("is not a phone number; write 0912 345 678")
    try:
        normalize.national_id(raw["national_id"])
    except UserError:
        errors["national_id"] = _("must be 12 digits (CCCD) or 9 digits (CMND)")
    values["chapter_id"] = int(raw["chapter"]) if (raw["chapter"] or "").isdigit() else None
    if current.actor.reach is not None and not allows(current.actor, Action.work_donors, values["chapter_id"]):
        errors["chapter"] = _("Choose a chapter within yours.")
    given = {k: v for k, v in values.items() if v is not None}
    try:
        model = DonorCreate.model_validate(given)
    except ValidationError as problem:
        return values, {**_shown_at(field_errors(problem)), **errors}
    values.update(model.model_dump(include=set(given)))  # typed as the model reads them
    return values, errors


def _shown_at(errors: dict) -> dict:
    return {SHOWN_AT.get(field, field): text for field, text in errors.items()}


def _service_error(problem: UserError) -> dict:
    """The services' refusals, next to their field (a national ID's holder is not named: the
    holder may be another chapter's donor)."""
    if isinstance(problem, Conflict):
        return {"national_id": _("is already registered to another donor")}
    return {"commune": _("The address names no unit we know; check the province and commune."),
            "": str(problem)}


def _changes(donor: Donor, values: dict) -> dict:
    """Only what the form changes (an address is re-resolved only when it changes)."""
    after = {**values, "phone": values["phone_e164"]}
    changes = {}
    for field in DonorUpdate.model_fields:
        old = donor.phone_e164 if field == "phone" else getattr(donor, field)
        new = after.get(field)
        if field == "phone" and new is not None:
            new = normalize.phone(new)[0]
        if new != old:
            changes[field] = after.get(field)
    if set(ADDRESS) & set(changes):
        changes.update({area: after[area] for area in ADDRESS})
    return changes


def _current_values(donor: Donor) -> dict:
    return {"full_name": donor.full_name, "date_of_birth": donor.date_of_birth.isoformat() if donor.date_of_birth else "",
            "birth_year": donor.birth_year or "", "sex": donor.sex.value,
            "group": "" if donor.abo is None else blood_group_label(donor.abo, donor.rh).rstrip("?"),
            "phone": donor.phone_e164 or "", "national_id": donor.national_id or "", "address": donor.address or "",
            "commune": donor.commune or "", "district": donor.district or "", "province": donor.province or "",
            "weight_kg": "" if donor.weight_kg is None else f"{donor.weight_kg:g}", "notes": donor.notes or "",
            "standby": donor.standby, "chapter": "" if donor.chapter_id is None else str(donor.chapter_id)}


def _page(request: Request, session: Session, current: Current, donor: Donor | None, form: dict, errors: dict,
          *, status_code: int = 200) -> Response:
    reach = current.actor.reach
    chapter_ids = [None] if reach is None else sorted(reach)
    if donor is not None and donor.chapter_id not in chapter_ids:
        chapter_ids.append(donor.chapter_id)
    chapter_names = names(session=session, chapter_ids=chapter_ids)
    chapters = [("" if c is None else str(c), chapter_names.get(c) or _("the chapter of the address"))
                for c in chapter_ids]
    return render(request, "donors/form.html", status_code=status_code, donor=donor, form=form, errors=errors,
                  sexes=views.sex_choices(), groups=[(g, g) for g in views.BLOOD_GROUPS], chapters=chapters,
                  consents=[(c.value, label(c)) for c in ConsentChannel])
