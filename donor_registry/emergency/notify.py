"""The SMS an emergency sends: the call (with its reply link) and the "no longer needed" notes.

Texts come from the [sms.templates] registered with the carriers. A chapter whose registered
templates have no separate cancellation text ("emergency_cancelled") sends the
"emergency_filled" one: either way the donor learns not to come.
"""

import datetime as dt

from sqlmodel import Session

from donor_registry.config import Settings
from donor_registry.emergency.models import EmergencyRequest, Hospital
from donor_registry.emergency.tokens import REPLY_TOKEN_PLACEHOLDER
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


def given_name(full_name: str) -> str:
    """The given name (last word) of a Vietnamese full name."""
    return name_parts(full_name)[2]


def reply_link(settings: Settings, token: str) -> str:
    """The public address of a reply page; refuses (UserError) a link donors could not open."""
    require_live_links(settings.sms, refusing="no call-out was sent")
    base = settings.sms.public_base_url or DEFAULT_PUBLIC_BASE_URL
    return f"{base.rstrip('/')}/r/{token}"


def send_call(
    *, session: Session, now: dt.datetime, settings: Settings, request: EmergencyRequest,
    hospital: Hospital, donor_id: int, full_name: str, phone: str, token_hash: str,
) -> None:
    """Queue the urgent call to one donor (it ignores quiet hours).

    The outbox keeps the link with a placeholder for its token; the dispatcher puts a fresh
    token there when it sends, and moves the call-out's `token_hash` to it.
    """
    link = reply_link(settings, REPLY_TOKEN_PLACEHOLDER)
    body = render(CALL, settings, **_fields(request, hospital, full_name), link=link)
    enqueue(session=session, now=now, donor_id=donor_id, to=phone, kind=CALL, body=body,
            idempotency_key=f"emergency:{request.id}:{donor_id}:call", urgent=True,
            link_token_hash=token_hash)


def send_not_needed(
    *, session: Session, now: dt.datetime, settings: Settings, request: EmergencyRequest,
    hospital: Hospital, donor_id: int, full_name: str, phone: str, cancelled: bool = False,
    key_suffix: str = "not_needed",
) -> None:
    """Tell a donor who was asked that they need not come (covered, cancelled or expired)."""
    kind = CANCELLED if cancelled and CANCELLED in settings.sms.templates else FILLED
    body = render(kind, settings, **_fields(request, hospital, full_name))
    enqueue(session=session, now=now, donor_id=donor_id, to=phone, kind=kind, body=body,
            idempotency_key=f"emergency:{request.id}:{donor_id}:{key_suffix}", urgent=True)


def _fields(request: EmergencyRequest, hospital: Hospital, full_name: str) -> dict[str, str]:
    return {
        "ten": given_name(full_name),
        "nhom_mau": blood_group_label(request.abo, request.rh),
        "benh_vien": hospital.name,
    }
