"""Twilio webhooks: delivery reports and inbound SMS, both refused (403) unless signed."""

import datetime as dt
import hmac
import os
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.datastructures import ImmutableMultiDict

from donor_registry.api.deps import SessionDep, SettingsDep
from donor_registry.sms import esms_callbacks, inbound, service
from donor_registry.sms.gateway import validate_twilio_signature

router = APIRouter(prefix="/sms", tags=["sms"], responses={
    400: {"description": "A field Twilio always sends is missing."},
    403: {"description": "X-Twilio-Signature does not sign the request."},
    413: {"description": "The body is larger than [emergency] max_body_bytes."},
})

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signed_url(request: Request, public_base_url: str) -> str:
    """The URL Twilio called: the configured public address + this path and query."""
    if not public_base_url:
        return str(request.url)
    query = request.url.query
    return public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def verified_form(request: Request, settings) -> ImmutableMultiDict:
    """The POSTed form, or 403 when X-Twilio-Signature does not sign it."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    form = ImmutableMultiDict(parse_qsl(raw, keep_blank_values=True))
    ok = validate_twilio_signature(
        os.environ.get("TWILIO_AUTH_TOKEN", ""),
        signed_url(request, settings.sms.public_base_url),
        form,
        request.headers.get("X-Twilio-Signature"),
        signature_settings=request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
    )
    if not ok:
        raise HTTPException(status_code=403, detail="invalid or missing Twilio signature")
    return form


def _now(request: Request) -> dt.datetime:
    clock = getattr(request.app.state, "clock", None)  # tests pin it
    return clock() if clock else dt.datetime.now(dt.UTC)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@router.post("/status", status_code=204)
async def status_callback(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Twilio's delivery report for a message we sent (?outbox_id= names our row)."""
    form = await verified_form(request, settings)
    sid, status = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus")
    if not sid or not status:
        raise HTTPException(status_code=400, detail="MessageSid and MessageStatus are required")
    service.apply_status_callback(
        session=session, now=_now(request), provider_id=sid, status=status,
        error_code=_int(form.get("ErrorCode")), outbox_id=_int(request.query_params.get("outbox_id")),
    )
    return Response(status_code=204)


@router.get("/esms/status/{token}/{outbox_id}", status_code=204,
            responses={404: {"description": "Not the callback token, or the gateway is not esms."}})
async def esms_status_callback(
    token: str, outbox_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """eSMS's delivery report (GET, unsigned): the path's secret token must match."""
    expected = os.environ.get("ESMS_CALLBACK_TOKEN", "")
    if settings.sms.gateway != "esms" or len(expected) < 24 or not hmac.compare_digest(
        token.encode(), expected.encode()
    ):
        raise HTTPException(status_code=404)
    esms_callbacks.apply_callback(session=session, now=_now(request), outbox_id=outbox_id,
                                  params=dict(request.query_params))
    return Response(status_code=204)


@router.post("/inbound", response_class=Response,
             responses={200: {"description": "Empty TwiML (no reply).", "content": {"text/xml": {}}}})
async def inbound_sms(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """An SMS a donor sent: opt-out / opt-in words, or a reply for the other features."""
    form = await verified_form(request, settings)
    sender = form.get("From")
    if not sender:
        raise HTTPException(status_code=400, detail="From is required")
    inbound.receive(
        session=session, now=_now(request), settings=settings, from_phone=sender,
        body=form.get("Body", ""), to_phone=form.get("To"), provider_id=form.get("MessageSid"),
    )
    return Response(content=EMPTY_TWIML, media_type="text/xml")
