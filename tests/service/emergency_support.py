"""Builders shared by the emergency tests: donors of a group in a place, hospitals, requests."""

import datetime as dt
import itertools

from sqlmodel import Session, select

from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.emergency import reply_links
from donor_registry.emergency.hospitals import add_hospital
from donor_registry.emergency.models import CallOut
from donor_registry.emergency.service import RequestCreate, create_request
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.types import ConsentChannel, parse_blood_group

_numbers = itertools.count(1)
HOME = {"commune": "Phường Võ Thị Sáu", "district": "Quận 3", "province": "TP Hồ Chí Minh"}
NEXT_DISTRICT = {"commune": "Phường Bến Nghé", "district": "Quận 1", "province": "TP Hồ Chí Minh"}
OTHER_PROVINCE = {"commune": "Phường 1", "district": "Thành phố Tân An", "province": "Long An"}


def donor(session: Session, now: dt.datetime, group: str = "O+", *, name: str | None = None,
          place: dict | None = None, standby: bool = True, consent: bool = True, **extra) -> int:
    """A standby donor (aged 30, 60 kg, consented, SMS-able phone) of `group` in `place`."""
    n = next(_numbers)
    abo, rh = parse_blood_group(group)
    values = {
        "full_name": name or f"Nguyễn Văn Thử{n}", "birth_year": 1996, "weight_kg": 60, "abo": abo,
        "rh": rh, "phone_e164": f"090{n:07d}", "standby": standby,
        "consent_channel": ConsentChannel.paper if consent else None, **(place or HOME), **extra,
    }
    data = DonorCreate(**values)
    return create_donor(session=session, now=now, data=data).id


def hospital(session: Session, now: dt.datetime, name: str = "Bệnh viện Bình Dân", place: dict | None = None):
    """A hospital and its API token."""
    where = place or HOME
    return add_hospital(session=session, now=now, name=name, **where)


def request(session, now, settings, hospital_id: int, group: str = "O+", units: int = 1, **extra):
    """File a request (first wave included)."""
    return create_request(session=session, now=now, settings=settings, hospital_id=hospital_id,
                          data=RequestCreate(blood_group=group, units=units, **extra), actor="test")


def asked(session: Session, request_id: int) -> list[int]:
    """Donor ids asked for a request, in asking order."""
    query = select(CallOut.donor_id).where(CallOut.request_id == request_id).order_by(CallOut.id)
    return list(session.exec(query))


def messages(session: Session, kind: str | None = None) -> list[OutboxMessage]:
    """Queued SMS, oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.exec(query))


def reply_token(session: Session, message: OutboxMessage) -> str:
    """The reply-link token of a call SMS, issued as the dispatcher does when it sends it."""
    body, _ = reply_links.issue(session=session, message_id=message.id, stored_body=message.body,
                                old_hash=message.link_token_hash)
    return body.rsplit("/r/", 1)[1].split()[0]


def mark_sent(session: Session, now: dt.datetime) -> int:
    """Mark every queued SMS as accepted by the provider (what the dispatcher would do)."""
    rows = [m for m in messages(session) if m.status == OutboxStatus.queued]
    for message in rows:
        message.status, message.sent_at, message.updated_at = OutboxStatus.sent, now, now
        session.add(message)
    session.flush()
    return len(rows)
