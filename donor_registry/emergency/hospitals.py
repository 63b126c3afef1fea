"""Hospitals and their API tokens: issue once, store hashed, revoke, rotate, authenticate."""

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

from donor_registry.audit.service import record
from donor_registry.chapters.service import chapter_for_place
from donor_registry.donors.normalize import area_key, place
from donor_registry.emergency import tokens
from donor_registry.emergency.models import EmergencyRequest, Hospital, RequestStatus
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.i18n import _, formatting
from donor_registry.places.locate import locate


def add_hospital(
    *, session: Session, now: dt.datetime, name: str, district: str | None = None,
    commune: str | None = None, province: str | None = None, latitude: float | None = None,
    longitude: float | None = None, chapter_id: int | None = None, actor: str = "cli",
) -> tuple[Hospital, str]:
    """Register a hospital and issue its first API token; the token is returned only here.

    Its place is an address as entered (new two-level or old three-level), resolved to the
    official commune that emergency matching measures distance from."""
    name = " ".join(name.split())
    if not name:
        raise UserError(_("the hospital needs a name"))
    if not any(part and part.strip() for part in (commune, district, province)):
        raise UserError(_("the hospital needs its commune and province (--commune, --province)"))
    if session.exec(select(Hospital).where(Hospital.name == name)).first() is not None:
        raise Conflict(_("a hospital named '{name}' is already registered").format(name=name))
    where = locate(province=province, district=district, commune=commune, latitude=latitude, longitude=longitude)
    if chapter_id is None:
        found = chapter_for_place(session=session, province_code=where.province_code, commune_code=where.commune_code)
        chapter_id = found.id if found else None
    hospital = Hospital(
        name=name, commune=place(commune), district=place(district) or "", province=place(province),
        commune_key=area_key(commune), district_key=area_key(district) or "", province_key=area_key(province),
        province_code=where.province_code, commune_code=where.commune_code, latitude=where.latitude,
        longitude=where.longitude, chapter_id=chapter_id, created_at=now,
    )
    session.add(hospital)
    session.flush()
    token = _issue(session=session, hospital=hospital, now=now, actor=actor, action="hospital.token_issued")
    return hospital, token


def get_hospital(*, session: Session, hospital_id: int) -> Hospital:
    """The hospital with this id."""
    hospital = session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(_("no hospital #{hospital_id}").format(hospital_id=hospital_id))
    return hospital


def find_hospital(*, session: Session, ref: str) -> Hospital:
    """A hospital by number (#id or id) or exact name."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit():
        return get_hospital(session=session, hospital_id=int(ref))
    hospital = session.exec(select(Hospital).where(Hospital.name == " ".join(ref.split()))).first()
    if hospital is None:
        raise NotFound(_("no hospital named '{name}'").format(name=ref))
    return hospital


def list_hospitals(*, session: Session) -> list[Hospital]:
    """Every hospital, by name."""
    return list(session.exec(select(Hospital).order_by(Hospital.name)))


def revoke_token(*, session: Session, now: dt.datetime, hospital_id: int, actor: str = "cli") -> Hospital:
    """Revoke the hospital's token at once; it has none until rotate-token issues a new one."""
    hospital = get_hospital(session=session, hospital_id=hospital_id)
    if hospital.token_hash is None:
        raise UserError(_("hospital #{hospital_id} has no active token").format(hospital_id=hospital_id))
    hospital.token_hash, hospital.token_revoked_at = None, now
    session.add(hospital)
    record(session=session, now=now, actor=actor, action="hospital.token_revoked",
           subject_type="hospital", subject_id=hospital.id, detail={"prefix": hospital.token_prefix})
    session.flush()
    return hospital


def rotate_token(*, session: Session, now: dt.datetime, hospital_id: int, actor: str = "cli") -> tuple[Hospital, str]:
    """Replace the hospital's token (the old one stops working at once); returns the new one."""
    hospital = get_hospital(session=session, hospital_id=hospital_id)
    token = _issue(session=session, hospital=hospital, now=now, actor=actor, action="hospital.token_rotated")
    return hospital, token


def suspend(
    *, session: Session, now: dt.datetime, hospital_id: int, reason: str | None = None, actor: str = "cli",
) -> Hospital:
    """Stop the hospital filing requests (its token still signs in, to follow and cancel)."""
    hospital = get_hospital(session=session, hospital_id=hospital_id)
    if hospital.suspended_at is not None:
        raise UserError(_("hospital #{hospital_id} is already suspended (since {since})").format(
            hospital_id=hospital_id, since=formatting.datetime(hospital.suspended_at)))
    reason = " ".join((reason or "").split()) or None
    if reason and len(reason) > 300:
        raise UserError(_("the reason is longer than 300 characters"))
    hospital.suspended_at, hospital.suspended_reason = now, reason
    session.add(hospital)
    record(session=session, now=now, actor=actor, action="hospital.suspended",
           subject_type="hospital", subject_id=hospital.id, detail={"reason": reason})
    session.flush()
    return hospital


def resume(*, session: Session, now: dt.datetime, hospital_id: int, actor: str = "cli") -> Hospital:
    """Let a suspended hospital file requests again."""
    hospital = get_hospital(session=session, hospital_id=hospital_id)
    if hospital.suspended_at is None:
        raise UserError(_("hospital #{hospital_id} is not suspended").format(hospital_id=hospital_id))
    hospital.suspended_at, hospital.suspended_reason = None, None
    session.add(hospital)
    record(session=session, now=now, actor=actor, action="hospital.resumed",
           subject_type="hospital", subject_id=hospital.id)
    session.flush()
    return hospital


def open_request_count(*, session: Session, hospital_id: int) -> int:
    """How many of the hospital's requests are still calling donors."""
    return session.scalar(select(func.count()).select_from(EmergencyRequest).where(
        EmergencyRequest.hospital_id == hospital_id, EmergencyRequest.status == RequestStatus.open))


def authenticate(*, session: Session, token: str | None) -> Hospital | None:
    """The hospital holding this token, or None for a missing, unknown or revoked token."""
    if not token or not token.strip():
        return None
    return session.exec(select(Hospital).where(Hospital.token_hash == tokens.token_hash(token))).first()


def _issue(*, session: Session, hospital: Hospital, now: dt.datetime, actor: str, action: str) -> str:
    token = tokens.new_hospital_token()
    hospital.token_hash = tokens.token_hash(token)
    hospital.token_prefix = tokens.display_prefix(token)
    hospital.token_issued_at, hospital.token_revoked_at = now, None
    session.add(hospital)
    record(session=session, now=now, actor=actor, action=action, subject_type="hospital",
           subject_id=hospital.id, detail={"prefix": hospital.token_prefix})
    session.flush()
    return token
