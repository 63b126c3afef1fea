"""Emergency requests: file one (first wave at once), read its status, cancel, cover, expire."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator
from sqlalchemy import case, func
from sqlmodel import Session, select

from donor_registry.audit.service import record
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.emergency import limits, notify, waves
from donor_registry.emergency.compatibility import Product
from donor_registry.emergency.models import (
    Answer,
    CallOut,
    EmergencyRequest,
    Hospital,
    RequestStatus,
)
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _, labels
from donor_registry.types import ABO, Rh, blood_group_label, parse_blood_group


class InvalidField(UserError):
    """A value of a request that the rules refuse, naming the field (the API answers 422)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field_name, self.reason = field_name, message


class Suspended(UserError):
    """The chapter suspended this hospital: it may not file requests (the API answers 403)."""


class RateLimited(UserError):
    """Over a limit on urgent traffic; try again after `retry_after` seconds (the API answers 429)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def plain_text(max_length: int):
    """Free text a person typed, at most `max_length` characters: no lone surrogates, and no
    control characters but tab and line breaks."""
    return Annotated[str, Field(max_length=max_length), AfterValidator(limits.plain_text)]


class RequestCreate(BaseModel):
    """What a hospital (API, web form) or a coordinator (CLI) asks for."""

    model_config = ConfigDict(extra="forbid")

    blood_group: str = Field(max_length=8, description="The recipient's group, e.g. O+, AB-.", examples=["O+"])
    product: Product = Field(default=Product.red_cells, description="What the patient needs.")
    units: int = Field(ge=1, description="How many donors must come.")
    needed_by: dt.datetime | None = Field(
        default=None, description="When the blood is needed, at most [emergency] max_horizon_hours "
                                  "ahead (default: within default_needed_within_hours).")
    note: plain_text(500) | None = Field(default=None, description="Anything the chapter should know.")

    @field_validator("blood_group")
    @classmethod
    def _known_group(cls, value: str) -> str:
        abo, rh = parse_blood_group(value)
        if abo is None or rh is None:
            raise ValueError(_("give the full blood group with its Rh, e.g. O+ or AB-"))
        return blood_group_label(abo, rh)

    @field_validator("needed_by")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(_("give a time zone, e.g. 2026-06-01T18:00:00+07:00"))
        return value

    def group(self) -> tuple[ABO, Rh]:
        abo, rh = parse_blood_group(self.blood_group)
        return abo, rh


def request_model(settings: Settings) -> type[RequestCreate]:
    """RequestCreate with the configured most units, so the API schema states the server's limit."""
    most = settings.emergency.max_units
    return create_model(
        "RequestCreate", __base__=RequestCreate, __doc__=RequestCreate.__doc__,
        units=(int, Field(ge=1, le=most, description=f"How many donors must come (at most {most}).")),
    )


def create_request(
    *, session: Session, now: dt.datetime, settings: Settings, hospital_id: int,
    data: RequestCreate, actor: str,
) -> EmergencyRequest:
    """File a request for a hospital and ask its first wave of donors in the same transaction.

    The hospital's row is locked first, so its quotas hold under concurrent requests."""
    hospital = _locked_hospital(session=session, hospital_id=hospital_id)
    if hospital.suspended_at is not None:
        raise Suspended(_("{hospital} is suspended by the Red Cross chapter and cannot file "
                          "requests; call the chapter").format(hospital=hospital.name))
    config = settings.emergency
    if data.units > config.max_units:
        raise InvalidField("units", _("at most {max_units} units per request (ask the chapter for more)")
                           .format(max_units=config.max_units))
    needed_by = data.needed_by or now + dt.timedelta(hours=config.default_needed_within_hours)
    if needed_by <= now:
        raise InvalidField("needed_by", _("the time the blood is needed is already past"))
    if limits.beyond_horizon(needed_by=needed_by, now=now, max_hours=config.max_horizon_hours):
        raise InvalidField("needed_by", _("at most {max_hours} hours ahead (a request holds its donors "
                                          "until then)").format(max_hours=config.max_horizon_hours))
    _check_quotas(session=session, now=now, settings=settings, hospital=hospital)
    abo, rh = data.group()
    request = EmergencyRequest(
        abo=abo, rh=rh, product=data.product, units=data.units, needed_by=needed_by.astimezone(dt.UTC),
        note=data.note, hospital_id=hospital.id, created_at=now, created_by=actor,
        commune_key=hospital.commune_key, district_key=hospital.district_key,
        province_key=hospital.province_key, province_code=hospital.province_code,
        commune_code=hospital.commune_code, latitude=hospital.latitude, longitude=hospital.longitude,
    )
    session.add(request)
    session.flush()
    record(session=session, now=now, actor=actor, action="emergency.request",
           subject_type="emergency_request", subject_id=request.id,
           detail={"hospital": hospital.id, "group": data.blood_group, "product": data.product.value,
                   "units": data.units})
    waves.run_wave(session=session, request=request, settings=settings, now=now, actor=actor)
    return request


def _locked_hospital(*, session: Session, hospital_id: int) -> Hospital:
    hospital = session.exec(select(Hospital).where(Hospital.id == hospital_id).with_for_update()).first()
    if hospital is None:
        raise NotFound(_("no hospital #{hospital_id}").format(hospital_id=hospital_id))
    return hospital


def _check_quotas(*, session: Session, now: dt.datetime, settings: Settings, hospital: Hospital) -> None:
    """RateLimited if the hospital filed too many requests this hour or has too many open."""
    config = settings.emergency
    filed_at = session.exec(select(EmergencyRequest.created_at).where(
        EmergencyRequest.hospital_id == hospital.id, EmergencyRequest.created_at > now - limits.HOUR))
    wait = limits.hourly_retry_after(filed_at=filed_at, now=now, limit=config.max_requests_per_hour)
    if wait is not None:
        raise RateLimited(_("at most {max_requests} requests an hour per hospital; try again in {wait}").format(
            max_requests=config.max_requests_per_hour, wait=_minutes(wait)), retry_after=wait)
    open_needed_by = session.exec(select(EmergencyRequest.needed_by).where(
        EmergencyRequest.hospital_id == hospital.id, EmergencyRequest.status == RequestStatus.open))
    wait = limits.open_retry_after(open_needed_by=open_needed_by, now=now, limit=config.max_open_requests)
    if wait is not None:
        raise RateLimited(_("at most {max_open} open requests per hospital; cancel one that is no longer "
                            "needed, or wait until one closes").format(max_open=config.max_open_requests),
                          retry_after=wait)


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return _("1 minute") if minutes == 1 else _("{minutes} minutes").format(minutes=minutes)


def get_request(*, session: Session, request_id: int, hospital_id: int | None = None) -> EmergencyRequest:
    """The request; for a hospital, only its own (another's is reported as not found)."""
    if not 1 <= request_id <= limits.max_stored_id(session.get_bind().dialect.name):
        raise NotFound(_("no emergency request #{request_id}").format(request_id=request_id))
    request = session.get(EmergencyRequest, request_id)
    if request is None or (hospital_id is not None and request.hospital_id != hospital_id):
        raise NotFound(_("no emergency request #{request_id}").format(request_id=request_id))
    return request


def list_requests(
    *, session: Session, status: RequestStatus | None = None, hospital_id: int | None = None,
    limit: int = 100, hospital_ids: list[int] | None = None,
) -> list[EmergencyRequest]:
    """Requests, newest first (`hospital_ids`: only these hospitals', e.g. a chapter's)."""
    query = select(EmergencyRequest).order_by(EmergencyRequest.id.desc()).limit(limit)
    if hospital_ids is not None:
        query = query.where(EmergencyRequest.hospital_id.in_(hospital_ids))
    if status is not None:
        query = query.where(EmergencyRequest.status == status)
    if hospital_id is not None:
        query = query.where(EmergencyRequest.hospital_id == hospital_id)
    return list(session.exec(query))


def cancel_request(
    *, session: Session, now: dt.datetime, settings: Settings, request_id: int, actor: str,
    hospital_id: int | None = None, reason: str | None = None,
) -> EmergencyRequest:
    """Cancel an open request; every donor asked who has not declined is told not to come,
    except those whose call is still queued: that call is withdrawn instead (typically a
    request cancelled within minutes of being filed)."""
    request = get_request(session=session, request_id=request_id, hospital_id=hospital_id)
    if request.status != RequestStatus.open:
        raise UserError(_("request #{request_id} is already {status}").format(
            request_id=request_id, status=labels.label(request.status)))
    close(session=session, now=now, settings=settings, request=request, status=RequestStatus.cancelled,
          reason=reason or "cancelled", actor=actor, tell={Answer.none, Answer.accepted})
    return request


def close(
    *, session: Session, now: dt.datetime, settings: Settings, request: EmergencyRequest,
    status: RequestStatus, reason: str, actor: str, tell: set[Answer],
) -> None:
    """Close the request, free its donors, and tell those with an answer in `tell` not to come."""
    request.status, request.closed_at, request.close_reason = status, now, reason
    request.next_wave_at = None
    session.add(request)
    waves.release_claims(session=session, request_id=request.id)
    hospital = session.get(Hospital, request.hospital_id)
    rows = session.exec(
        select(CallOut, Donor).join(Donor, Donor.id == CallOut.donor_id)
        .where(CallOut.request_id == request.id, CallOut.answer.in_(list(tell)))
    )
    told = withdrawn = 0
    signer = notify.signer_for(session=session, settings=settings)
    for callout, donor in rows:
        if status == RequestStatus.cancelled and notify.withdraw_call(
                session=session, now=now, request_id=request.id, donor_id=donor.id):
            withdrawn += 1  # cancelled before the call went out: there is nobody to tell
        elif donor.phone_e164 and donor.sms_opted_out_at is None:
            notify.send_not_needed(session=session, now=now, settings=settings, request=request,
                                   hospital=hospital, donor_id=donor.id, full_name=donor.full_name,
                                   phone=donor.phone_e164, cancelled=status != RequestStatus.covered,
                                   signer=signer)
            told += 1
    record(session=session, now=now, actor=actor, action=f"emergency.{status.value}",
           subject_type="emergency_request", subject_id=request.id,
           detail={"reason": reason, "told": told, "withdrawn": withdrawn})
    session.flush()


def cover_if_enough(*, session: Session, now: dt.datetime, settings: Settings, request: EmergencyRequest, actor: str) -> bool:
    """Close the request as covered once enough donors accepted; True if it just closed."""
    if request.status != RequestStatus.open:
        return False
    if waves.accepted_count(session=session, request_id=request.id) < request.units:
        return False
    close(session=session, now=now, settings=settings, request=request, status=RequestStatus.covered,
          reason="enough donors accepted", actor=actor, tell={Answer.none})
    return True


def expire_overdue(*, session: Session, now: dt.datetime, settings: Settings) -> list[int]:
    """Close open requests whose needed-by time has passed; the unanswered are told."""
    overdue = list(session.exec(
        select(EmergencyRequest)
        .where(EmergencyRequest.status == RequestStatus.open, EmergencyRequest.needed_by <= now)
        .with_for_update()
    ))
    for request in overdue:
        close(session=session, now=now, settings=settings, request=request, status=RequestStatus.expired,
              reason="the needed-by time passed", actor="scheduler", tell={Answer.none})
    return [request.id for request in overdue]


@dataclass
class RequestStatusView:
    """What a hospital may see of a request: counts, and accepted donors' given names."""

    request: EmergencyRequest
    hospital: Hospital
    counts: dict[str, int]
    coming: list[dict] = field(default_factory=list)


def status_view(*, session: Session, request: EmergencyRequest) -> RequestStatusView:
    """Counts of asked, accepted, declined, no answer, late, arrived and donated, and who is coming."""
    by_answer = dict(session.execute(
        select(CallOut.answer, func.count()).where(CallOut.request_id == request.id).group_by(CallOut.answer)
    ).all())
    arrived, donated = session.execute(
        select(func.count(CallOut.arrived_at), func.coalesce(func.sum(case((CallOut.donated, 1), else_=0)), 0))
        .where(CallOut.request_id == request.id)
    ).one()
    counts = {
        "asked": sum(by_answer.values()),
        "accepted": by_answer.get(Answer.accepted, 0),
        "declined": by_answer.get(Answer.declined, 0),
        "no_answer": by_answer.get(Answer.none, 0),
        "late": by_answer.get(Answer.too_late, 0),
        "arrived": arrived,
        "donated": int(donated),
    }
    coming = [
        {"given_name": notify.given_name(name), "expected_arrival_at": callout.expected_arrival_at,
         "arrived": callout.arrived_at is not None, "donated": callout.donated}
        for callout, name in session.execute(
            select(CallOut, Donor.full_name).join(Donor, Donor.id == CallOut.donor_id)
            .where(CallOut.request_id == request.id, CallOut.answer == Answer.accepted)
            .order_by(CallOut.expected_arrival_at, CallOut.id)
        ).all()
    ]
    hospital = session.get(Hospital, request.hospital_id)
    return RequestStatusView(request=request, hospital=hospital, counts=counts, coming=coming)


def record_view(*, session: Session, now: dt.datetime, actor: str, request_id: int | None) -> None:
    """Write a view of a request (None: the list of requests) to the audit trail."""
    record(session=session, now=now, actor=actor, action="emergency.view",
           subject_type="emergency_request", subject_id=request_id)

