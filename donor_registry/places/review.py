"""Flagged addresses: the list a coordinator goes through, and the commune they pick."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, func, select

from donor_registry.audit import service as audit
from donor_registry.donors.models import Donor
from donor_registry.donors.service import get_donor, refuse_erased
from donor_registry.errors import UserError
from donor_registry.i18n import _, formatting
from donor_registry.places import units
from donor_registry.places.status import FLAGGED, AddressStatus

# Written out as the partial index ix_donors_address_flagged says it, so that both databases
# see the query is inside the index (a bound IN list hides that from SQLite).
_FLAGGED = text("donors.address_status IN ('split', 'ambiguous', 'unknown')")


@dataclass(frozen=True)
class FlaggedAddress:
    donor_id: int
    full_name: str
    province: str | None
    district: str | None
    commune: str | None
    status: AddressStatus
    province_code: str | None
    candidates: tuple[str, ...]


def counts(*, session: Session) -> dict[str, int]:
    """How many active donors' addresses stand in each status (one pass over the donors: not
    part of a review page, which must stay cheap)."""
    rows = session.exec(select(Donor.address_status, func.count())
                        .where(Donor.merged_into_id.is_(None), Donor.erased_at.is_(None))
                        .group_by(Donor.address_status))
    return {status.value: count for status, count in rows}


def page(*, session: Session, status: AddressStatus | None = None, province_code: str | None = None,
         after_id: int = 0, limit: int = 50, where=None) -> list[FlaggedAddress]:
    """The flagged addresses after donor #after_id, by donor id (one range of the flagged index);
    `where`: a further condition, such as the workspace user's chapters."""
    if status is not None and status not in FLAGGED:
        raise UserError(_("only split, ambiguous and unknown addresses wait for a choice"))
    query = (select(Donor.id, Donor.full_name, Donor.province, Donor.district, Donor.commune,
                    Donor.address_status, Donor.province_code, Donor.address_candidates)
             .where(_FLAGGED, Donor.id > after_id, Donor.merged_into_id.is_(None), Donor.erased_at.is_(None)))
    if status is not None:
        query = query.where(Donor.address_status == status)
    if province_code is not None:
        query = query.where(Donor.province_code == province_code)
    if where is not None:
        query = query.where(where)
    return [FlaggedAddress(*row[:7], tuple((row[7] or "").split()))
            for row in session.exec(query.order_by(Donor.id).limit(limit))]


def pick(*, session: Session, donor_id: int, commune_code: str, now: dt.datetime, actor: str) -> Donor:
    """Resolve a flagged address to one commune: a candidate, or for an unknown address any
    commune (of its province, when that is known). Audited with what it was before."""
    donor = get_donor(session=session, donor_id=donor_id)
    refuse_erased(donor)
    if donor.address_status not in FLAGGED:
        raise UserError(_("the address of donor #{id} is not waiting for a choice (it is {status})")
                        .format(id=donor.id, status=donor.address_status.value))
    commune = units.commune(commune_code.strip())
    if commune is None:
        raise UserError(_("there is no commune with code {code} in the units since {date}")
                        .format(code=commune_code, date=formatting.date(units.UNITS_DATE)))
    candidates = (donor.address_candidates or "").split()
    if candidates and commune.code not in candidates:
        raise UserError(_("{code} ({name}) is not one of the candidates for donor #{id}: {candidates}")
                        .format(code=commune.code, name=commune.name, id=donor.id,
                                candidates=", ".join(candidates)))
    if not candidates and donor.province_code not in (None, commune.province_code):
        province = units.province(donor.province_code)
        raise UserError(_("{name} is not in {province}, the province of donor #{id}'s address")
                        .format(name=commune.name, province=province.name, id=donor.id))
    before = {"status": donor.address_status.value, "province_code": donor.province_code,
              "candidates": candidates}
    donor.address_status = AddressStatus.picked
    donor.province_code, donor.commune_code = commune.province_code, commune.code
    donor.units_date = units.UNITS_DATE
    donor.updated_at = now
    session.add(donor)
    audit.record(session=session, now=now, actor=actor, action="address.pick", subject_type="donor",
                 subject_id=donor.id, detail={"before": before, "commune_code": commune.code,
                                              "units_date": units.UNITS_DATE.isoformat()})
    session.flush()
    return donor
