"""eSMS delivery reports (../shared/esms/esms-api/callback-url.md): GET requests to
{public_base_url}/sms/esms/status/{ESMS_CALLBACK_TOKEN}/{outbox id}.

eSMS signs nothing, so the URL's secret token is what keeps strangers out; each report is
then checked against the row it names (RequestId when eSMS fills it in, else SMSID) and
applied idempotently: a repeated report changes nothing, a final state is never undone.
SendStatus 5 = finished (SendSuccess / SendFailed say how), 4 = refused; TypeId 2 = SMS,
24 / 25 = ZNS. A ZNS part that failed in a ZNS→SMS message is not the end (eSMS sends the
SMS next); when Zalo's error says the person has no Zalo or blocked the OA, the donor gets
SMS from then on.
"""

import datetime as dt
import json
from collections.abc import Mapping

from sqlmodel import Session

from donor_registry.sms.channels import mark_zalo_unavailable
from donor_registry.sms.esms_codes import NO_ZALO_ERRORS
from donor_registry.sms.esms_gateway import request_id_for
from donor_registry.sms.models import OutboxMessage, OutboxStatus

ZNS_TYPES = {"24", "25"}
FINAL = {OutboxStatus.delivered, OutboxStatus.undelivered, OutboxStatus.failed, OutboxStatus.cancelled}


def zalo_error(error_info: str | None) -> int | None:
    """Zalo's error number in error_info (a JSON text, sometimes JSON-quoted twice)."""
    value = error_info
    for _ in range(3):
        if not isinstance(value, str) or not value.strip():
            return None
        try:
            value = json.loads(value)
        except ValueError:
            return None
        if isinstance(value, dict):
            try:
                return int(value.get("error"))
            except (TypeError, ValueError):
                return None
    return None


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def belongs(row: OutboxMessage, params: Mapping[str, str]) -> bool:
    request_id = (params.get("RequestId") or "").strip()
    if request_id:
        ours = request_id_for(row.idempotency_key)
        return request_id in (ours, ours + "z")
    smsid = (params.get("SMSID") or "").strip()
    return bool(smsid) and smsid == row.provider_id


def apply_callback(
    *, session: Session, now: dt.datetime, outbox_id: int, params: Mapping[str, str]
) -> OutboxMessage | None:
    """Record one report; None when it names no row of ours (or does not match it)."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None or not belongs(row, params):
        return None
    status = (params.get("SendStatus") or "").strip()
    zns = (params.get("TypeId") or "").strip() in ZNS_TYPES
    succeeded = _number(params.get("SendSuccess")) > 0
    failed = status == "4" or (status == "5" and not succeeded)
    if row.status in (OutboxStatus.sending, OutboxStatus.queued):  # the report beat our record
        row.status, row.claim_token = OutboxStatus.sent, None
        row.provider_id = row.provider_id or (params.get("SMSID") or None)
        row.sent_at = row.sent_at or now
    if zns and failed and row.donor_id is not None and zalo_error(params.get("error_info")) in NO_ZALO_ERRORS:
        mark_zalo_unavailable(session=session, now=now, donor_id=row.donor_id)
    if row.status not in FINAL:
        if status == "5" and succeeded:
            row.status = OutboxStatus.delivered
            row.channel = "zns" if zns else "sms"
            row.price_vnd = round(_number(params.get("TotalPrice")))
            row.error_code, row.error_message = None, None
        elif failed and not (zns and row.channel == "zns_sms"):  # ZNS failed: the SMS is next
            row.status = OutboxStatus.undelivered
            row.error_message = f"delivery report: {'refused' if status == '4' else 'not delivered'}"
            row.price_vnd = round(_number(params.get("TotalPrice")))
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def poll_statuses(
    *, session: Session, gateway, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(minutes=30),
    limit: int = 500,
) -> dict[str, int]:
    """Ask eSMS (GetSendStatus) about messages sent over `older_than` ago with no report yet.

    Rows answered "duplicate" (provider id "rid:…") have no SMSID to ask about and wait for
    their callback. Returns how many were asked, settled, and are still pending.
    """
    from sqlmodel import select

    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.sent, OutboxMessage.sent_at <= now - older_than,
            OutboxMessage.provider_id.is_not(None), OutboxMessage.provider_id.not_like("rid:%"),
        ).order_by(OutboxMessage.sent_at).limit(limit)
    ).all()
    counts = {"asked": 0, "settled": 0, "pending": 0}
    for row in rows:
        counts["asked"] += 1
        answer = gateway.status(row.provider_id)
        if answer is None or str(answer.get("SendStatus")) not in ("4", "5"):
            counts["pending"] += 1
            continue
        params = {"SMSID": row.provider_id, "SendStatus": str(answer.get("SendStatus")),
                  "SendSuccess": str(answer.get("SendSuccess", 0)), "SendFailed": str(answer.get("SendFailed", 0)),
                  "TotalPrice": str(answer.get("TotalPrice", 0)),
                  "TypeId": "25" if row.channel == "zns" else "2"}
        if row.channel == "zns_sms":  # the query does not say which channel reached the phone
            params["TypeId"] = "2"
        apply_callback(session=session, now=now, outbox_id=row.id, params=params)
        counts["settled"] += 1
    return counts
