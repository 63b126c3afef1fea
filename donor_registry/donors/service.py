"""Registering, finding, listing and updating donors."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from donor_registry.chapters.models import Chapter
from donor_registry.chapters.service import chapter_for_place, in_subtree
from donor_registry.donors import name_words, normalize
from donor_registry.donors.eligibility_sql import eligible_on_clause
from donor_registry.donors.models import Donor, DonorCreate, DonorUpdate
from donor_registry.donors.search import find_donors  # noqa: F401 (callers import it from here)
from donor_registry.eligibility import EligibilityRules
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.i18n import _, formatting
from donor_registry.places import addresses
from donor_registry.privacy import consents
from donor_registry.privacy.models import DonorConsent, Purpose
from donor_registry.text import fold, mask_national_id, normalize_name
from donor_registry.types import ABO, ConsentChannel, Rh


def create_donor(*, session: Session, data: DonorCreate, now: dt.datetime, actor: str = "system",
                 check_address: bool = False) -> Donor:
    """Register a donor after normalising every field; a known national ID is refused, and with
    check_address an address naming no unit (with "did you mean" suggestions)."""
    values = _canonical_fields(data.model_dump(), today=formatting.local(now).date())
    if check_address:
        _refuse_unknown_address(values)
    _refuse_taken_national_id(session, values.get("national_id"))
    donor = Donor(**values, created_at=now, updated_at=now)
    if donor.chapter_id is None:
        chapter = chapter_for_place(session=session, province_code=donor.province_code, commune_code=donor.commune_code)
        donor.chapter_id = chapter.id if chapter else None
    if donor.consent_at is None and donor.consent_channel is not None:
        donor.consent_at = now
    session.add(donor)
    session.flush()
    if donor.consent_at is not None and donor.consent_withdrawn_at is None:
        session.add(DonorConsent(donor_id=donor.id, purpose=Purpose.contact_sms, given_at=donor.consent_at,
                                 channel=donor.consent_channel or ConsentChannel.paper, recorded_by=actor))
    name_words.set_words(session=session, donor_id=donor.id, name_folded=donor.name_folded)
    return donor


def update_donor(*, session: Session, donor_id: int, changes: DonorUpdate, now: dt.datetime,
                 check_address: bool = False) -> Donor:
    """Change the given fields of a donor, with the same normalisation (and checks) as registration."""
    donor = get_donor(session=session, donor_id=donor_id)
    refuse_erased(donor)
    given = changes.model_dump(exclude_unset=True)
    if "phone" in given:
        given["phone_e164"] = given.pop("phone")
    merged = {**donor.model_dump(include=set(DonorCreate.model_fields)), **given}
    # The same field rules as registration (a weight of 5000 kg is refused, naming the field).
    merged = DonorCreate.model_validate(merged).model_dump(include=set(merged))
    values = _canonical_fields(merged, today=formatting.local(now).date())
    if values.get("national_id") != donor.national_id:
        _refuse_taken_national_id(session, values.get("national_id"), except_id=donor.id)
    if "weight_kg" in given and given["weight_kg"] is not None:
        values["weight_measured_on"] = formatting.local(now).date()
    if not {"province", "district", "commune"} & set(given):
        for column in addresses.ADDRESS_COLUMNS:  # a coordinator's pick stays until the address changes
            values.pop(column)
    elif check_address:
        _refuse_unknown_address(values)
    renamed = values["name_folded"] != donor.name_folded
    for key, value in values.items():
        setattr(donor, key, value)
    donor.updated_at = now
    session.add(donor)
    session.flush()
    if renamed:
        name_words.set_words(session=session, donor_id=donor.id, name_folded=donor.name_folded)
    return donor


def _canonical_fields(raw: dict, *, today: dt.date) -> dict:
    values = dict(raw)
    values["full_name"] = normalize_name(values["full_name"])
    values["name_folded"] = fold(values["full_name"])
    values["date_of_birth"], values["birth_year"] = normalize.birth(
        values.get("date_of_birth"), values.get("birth_year"), today
    )
    values["national_id"] = normalize.national_id(values.get("national_id"))
    values["phone_e164"], values["phone_sms_capable"] = normalize.phone(values.get("phone_e164"))
    values["province"], values["commune"] = addresses.names_for_codes(values.get("province"), values.get("commune"))
    for area in ("commune", "district", "province"):
        values[area] = normalize.place(values.get(area))
        values[f"{area}_key"] = normalize.area_key(values[area])
    values.update(addresses.resolve(values["province"], values["district"], values["commune"]))
    return values


def _refuse_unknown_address(values: dict) -> None:
    problems = addresses.misses(values["province"], values["district"], values["commune"])
    if problems:
        raise UserError("; ".join(problems))


def _refuse_taken_national_id(session: Session, national_id: str | None, except_id: int | None = None) -> None:
    if national_id is None:
        return
    holder = session.exec(select(Donor).where(Donor.national_id == national_id)).first()
    if holder is not None and holder.id != except_id:
        raise Conflict(
            _("national ID {national_id} is already registered to donor #{id} ({full_name})").format(
                national_id=mask_national_id(national_id), id=holder.id, full_name=holder.full_name)
        )


def get_donor(*, session: Session, donor_id: int) -> Donor:
    """The donor with this id; a merged duplicate points to the donor it was merged into."""
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(_("no donor #{donor_id}").format(donor_id=donor_id))
    if donor.merged_into_id is not None:
        raise NotFound(_("donor #{donor_id} was merged into donor #{merged_into_id}").format(
                           donor_id=donor_id, merged_into_id=donor.merged_into_id))
    return donor


def refuse_erased(donor: Donor) -> None:
    """An erased donor's record holds no identity any more: it is not changed or merged."""
    if donor.erased_at is not None:
        raise UserError(_("donor #{id} was erased on {day}: the record cannot be changed").format(
            id=donor.id, day=formatting.date(donor.erased_at)))


def record_consent(
    *, session: Session, donor_id: int, channel: ConsentChannel, now: dt.datetime,
    purpose: Purpose = Purpose.contact_sms, actor: str = "system",
) -> Donor:
    """Record the donor's explicit consent to one purpose (default: being contacted by SMS)."""
    donor = get_donor(session=session, donor_id=donor_id)
    consents.give(session=session, donor=donor, purpose=purpose, channel=channel, now=now, actor=actor)
    return donor


def withdraw_consent(
    *, session: Session, donor_id: int, now: dt.datetime, purpose: Purpose = Purpose.contact_sms,
    actor: str = "system",
) -> Donor:
    """Record the withdrawal of consent to one purpose (default: the donor is no longer contacted)."""
    donor = get_donor(session=session, donor_id=donor_id)
    consents.withdraw(session=session, donor=donor, purpose=purpose, now=now, actor=actor)
    return donor


@dataclass(frozen=True)
class DonorFilters:
    abo: ABO | None = None
    rh: Rh | None = None
    commune: str | None = None
    district: str | None = None
    province: str | None = None
    standby: bool | None = None
    eligible_on: dt.date | None = None
    chapter: Chapter | None = None  # this chapter and its sub-chapters


def list_donors(
    *, session: Session, filters: DonorFilters, rules: EligibilityRules, limit: int = 100, offset: int = 0
) -> list[Donor]:
    """Active donors (not merged, not erased) matching every given filter, ordered by folded name."""
    query = _filtered(select(Donor), filters, rules)
    return list(session.exec(query.order_by(Donor.name_folded, Donor.id).limit(limit).offset(offset)))


def count_donors(*, session: Session, filters: DonorFilters, rules: EligibilityRules) -> int:
    """How many active donors match the filters."""
    return session.exec(_filtered(select(func.count()).select_from(Donor), filters, rules)).one()


def _filtered(query, filters: DonorFilters, rules: EligibilityRules):
    query = query.where(Donor.merged_into_id.is_(None), Donor.erased_at.is_(None))
    if filters.abo is not None:
        query = query.where(Donor.abo == filters.abo)
    if filters.rh is not None:
        query = query.where(Donor.rh == filters.rh)
    for area in ("commune", "district", "province"):
        wanted = getattr(filters, area)
        if wanted:
            query = query.where(getattr(Donor, f"{area}_key") == normalize.area_key(wanted))
    if filters.chapter is not None:
        query = query.where(in_subtree(Donor.chapter_id, filters.chapter))
    if filters.standby is not None:
        query = query.where(Donor.standby.is_(filters.standby))
    if filters.eligible_on is not None:
        query = query.where(eligible_on_clause(filters.eligible_on, rules))
    return query

