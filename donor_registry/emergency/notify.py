"""The SMS an emergency sends: the call (with its reply link) and the "no longer needed" notes.

Texts come from the [sms.templates] registered with the carriers. A chapter whose registered
templates have no separate cancellation text ("emergency_cancelled") sends the
"emergency_filled" one: either way the donor learns not to come.
"""

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlmodel import Session

from donor_registry.chapter_settings.rules import ORGANISATION_NAME
from donor_registry.chapter_settings.service import lookup
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.emergency.limits import DAY
from donor_registry.emergency.models import EmergencyRequest, Hospital
from donor_registry.emergency.tokens import REPLY_TOKEN_PLACEHOLDER
from donor_registry.i18n import _
from donor_registry.sms.languages import language_of
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from donor_registry.sms.settings import require_live_links
from donor_registry.sms.templates import render
from donor_registry.text import name_parts
from donor_registry.types import blood_group_label

CALL = "emergency_call"
FILLED = "emergency_filled"
CANCELLED = "emergency_cancelled"
# Where serve listens by default; set [sms] public_base_url to the address donors can reach.
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
# chapter id -> the organisation name that signs the chapter's texts
Signer = Callable[[int | None], str]


def given_name(full_name: str) -> str:
    """The given name (last word) of a Vietnamese full name."""
    return name_parts(full_name)[2]


def reply_link(settings: Settings, token: str) -> str:
    """The public address of a reply page; refuses (UserError) a link donors could not open."""
    require_live_links(settings.sms, refusing=_("no call-out was sent"))
    base = settings.sms.public_base_url or DEFAULT_PUBLIC_BASE_URL
    return f"{base.rstrip('/')}/r/{token}"


def send_call(
    *, session: Session, now: dt.datetime, settings: Settings, request: EmergencyRequest,
    hospital: Hospital, donor_id: int, full_name: str, phone: str, token_hash: str,
    signer: Signer | None = None,
) -> None:
    """Queue the urgent call to one donor (it ignores quiet hours).

    The outbox keeps the link with a placeholder for its token; the dispatcher puts a fresh
    token there when it sends, and moves the call-out's `token_hash` to it.
    """
    link = reply_link(settings, REPLY_TOKEN_PLACEHOLDER)
    fields = _fields(session, settings, request, hospital, donor_id, full_name, signer)
    body = render(CALL, settings, language_of(session, donor_id), **fields, link=link)
    enqueue(session=session, now=now, donor_id=donor_id, to=phone, kind=CALL, body=body,
            idempotency_key=call_key(request.id, donor_id), urgent=True,
            link_token_hash=token_hash)


def call_key(request_id: int, donor_id: int) -> str:
    """The outbox idempotency key of the call to one donor for one request."""
    return f"emergency:{request_id}:{donor_id}:call"


def withdraw_call(*, session: Session, now: dt.datetime, request_id: int, donor_id: int) -> bool:
    """Cancel the call to a donor if it is still queued; True if it was (it never went out).

    The UPDATE only matches a queued row, so a dispatcher that claimed the call first wins and
    the donor is told not to come as usual."""
    return bool(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key == call_key(request_id, donor_id),
               OutboxMessage.status == OutboxStatus.queued)
        .values(status=OutboxStatus.cancelled, updated_at=now,
                error_message="withdrawn: the request closed before the call was sent")
        .execution_options(synchronize_session=False)
    ).rowcount)


def urgent_sms_last_day(*, session: Session, now: dt.datetime, donor_ids: list[int]) -> dict[int, int]:
    """Urgent SMS queued to each of these donors in the last 24 hours (withdrawn ones aside)."""
    if not donor_ids:
        return {}
    return dict(session.execute(
        select(OutboxMessage.donor_id, func.count())
        .where(OutboxMessage.donor_id.in_(donor_ids), OutboxMessage.urgent.is_(True),
               OutboxMessage.created_at > now - DAY, OutboxMessage.status != OutboxStatus.cancelled)
        .group_by(OutboxMessage.donor_id)
    ).all())


def send_not_needed(
    *, session: Session, now: dt.datetime, settings: Settings, request: EmergencyRequest,
    hospital: Hospital, donor_id: int, full_name: str, phone: str, cancelled: bool = False,
    key_suffix: str = "not_needed", signer: Signer | None = None,
) -> None:
    """Tell a donor who was asked that they need not come (covered, cancelled or expired)."""
    kind = CANCELLED if cancelled and CANCELLED in settings.sms.templates else FILLED
    fields = _fields(session, settings, request, hospital, donor_id, full_name, signer)
    body = render(kind, settings, language_of(session, donor_id), **fields)
    enqueue(session=session, now=now, donor_id=donor_id, to=phone, kind=kind, body=body,
            idempotency_key=f"emergency:{request.id}:{donor_id}:{key_suffix}", urgent=True)


def signer_for(*, session: Session, settings: Settings) -> Signer:
    """chapter id -> the organisation name that signs its texts, each chapter resolved once
    (a wave or a closing note texts many donors of few chapters)."""
    return lookup(session=session, settings=settings, key=ORGANISATION_NAME)


def _fields(session: Session, settings: Settings, request: EmergencyRequest, hospital: Hospital, donor_id: int,
            full_name: str, signer: Signer | None) -> dict[str, str]:
    chapter_id = session.execute(select(Donor.chapter_id).where(Donor.id == donor_id)).scalar()
    sign = signer or signer_for(session=session, settings=settings)
    return {
        # The donor's chapter signs the call (its own organisation name, else config.toml's).
        "to_chuc": sign(chapter_id),
        "ten": given_name(full_name),
        "nhom_mau": blood_group_label(request.abo, request.rh),
        "benh_vien": hospital.name,
    }
