"""Outbox administration (list, show, retry, cancel, stats) and building the configured gateway."""

import datetime as dt

from sqlalchemy import func, update
from sqlmodel import Session, select

from donor_registry.donors.models import Donor
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _, labels
from donor_registry.sms.gateway import ConsoleGateway, SmsGateway, TwilioGateway
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.settings import SmsSettings, esms_credentials, twilio_credentials


def gateway_from_settings(settings: SmsSettings) -> SmsGateway:
    """The console printer, or Twilio with credentials from the environment."""
    if settings.gateway == "console":
        return ConsoleGateway(show_links=settings.console_shows_links)
    if settings.gateway == "esms":
        from donor_registry.sms.esms_gateway import EsmsGateway
        from donor_registry.sms.registrations import zns_params_reader

        key, secret = esms_credentials()
        settings.status_callback_url()  # refuses now (one line) if ESMS_CALLBACK_TOKEN is unset
        return EsmsGateway(
            key, secret, brandname=settings.sender, base_url=settings.esms.base_url,
            oa_id=settings.esms.oa_id, unicode=not settings.strip_diacritics,
            sandbox=settings.esms.sandbox, timeout=settings.esms.timeout_seconds,
            zns_params=zns_params_reader(settings),
        )
    sid, token = twilio_credentials()
    sender = {"messaging_service_sid": settings.sender} if settings.uses_messaging_service else {
        "from_": settings.sender
    }
    return TwilioGateway(
        sid, token, base_url=settings.twilio_base_url or None,
        timeout=settings.twilio_timeout_seconds, **sender,
    )


def list_messages(
    *, session: Session, status: OutboxStatus | None = None, kind: str | None = None,
    donor_id: int | None = None, limit: int = 50, donors_within=None,
) -> list[OutboxMessage]:
    """The newest messages first, optionally filtered (`donors_within`: a WHERE clause on
    Donor, e.g. policy.within_reach, for the messages of one chapter's donors)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if donors_within is not None:
        query = query.join(Donor, Donor.id == OutboxMessage.donor_id, isouter=True).where(donors_within)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if donor_id is not None:
        query = query.where(OutboxMessage.donor_id == donor_id)
    return list(session.exec(query))


def get_message(*, session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("no SMS with id {message_id} in the outbox").format(message_id=message_id))
    return message


def retry(*, session: Session, now: dt.datetime, message_id: int) -> OutboxMessage:
    """Queue a failed, undelivered or cancelled message again, due now."""
    message = get_message(session=session, message_id=message_id)
    allowed = {OutboxStatus.failed, OutboxStatus.undelivered, OutboxStatus.cancelled}
    if message.status not in allowed:
        raise UserError(_(
            "SMS {message_id} is {status}: only failed, undelivered or cancelled messages can be retried"
        ).format(message_id=message_id, status=labels.label(message.status)))
    message.status = OutboxStatus.queued
    message.attempts = 0
    message.next_attempt_at = now
    message.error_code = None
    message.error_message = None
    message.updated_at = now
    session.add(message)
    session.flush()
    return message


def cancel(*, session: Session, now: dt.datetime, message_id: int) -> OutboxMessage:
    """Cancel a message that has not gone yet."""
    message = get_message(session=session, message_id=message_id)
    if message.status != OutboxStatus.queued:
        raise UserError(_("SMS {message_id} is {status}: only queued messages can be cancelled").format(
            message_id=message_id, status=labels.label(message.status)))
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.queued)
        .values(status=OutboxStatus.cancelled, error_message="cancelled by a coordinator",
                updated_at=now)
    )
    session.refresh(message)
    return message


def stats(
    *, session: Session, since: dt.datetime | None = None, donors_within=None,
) -> dict[str, dict[str, int]]:
    """Message counts by kind and status (created since `since`, if given)."""
    query = select(OutboxMessage.kind, OutboxMessage.status, func.count()).group_by(
        OutboxMessage.kind, OutboxMessage.status
    )
    if donors_within is not None:
        query = query.join(Donor, Donor.id == OutboxMessage.donor_id, isouter=True).where(donors_within)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    table: dict[str, dict[str, int]] = {}
    for kind, status, count in session.exec(query):
        table.setdefault(kind, {})[OutboxStatus(status).value] = count
    return table


#: Twilio MessageStatus → outbox status. Earlier states only fill in a lost answer.
_FINAL_CALLBACK = {
    "delivered": OutboxStatus.delivered,
    "undelivered": OutboxStatus.undelivered,
    "failed": OutboxStatus.failed,
}
_ACCEPTED_CALLBACK = {"accepted", "scheduled", "queued", "sending", "sent", "read"}


def apply_status_callback(
    *, session: Session, now: dt.datetime, provider_id: str, status: str,
    error_code: int | None = None, outbox_id: int | None = None,
) -> OutboxMessage | None:
    """Record a delivery report; None if it is about no message of ours."""
    message = session.exec(
        select(OutboxMessage).where(OutboxMessage.provider_id == provider_id)
    ).first()
    if message is None and outbox_id is not None:
        candidate = session.get(OutboxMessage, outbox_id)
        # The report beat the dispatcher's own record of the answer (or the answer was lost).
        if candidate is not None and candidate.provider_id is None:
            message = candidate
    if message is None:
        return None
    if message.provider_id is None:
        message.provider_id = provider_id
        message.sent_at = message.sent_at or now
        message.claim_token = None
    new = _FINAL_CALLBACK.get(status)
    if new is not None and message.status != OutboxStatus.delivered:
        message.status = new
        message.error_code = error_code
        message.error_message = f"delivery report: {status}" + (
            f" (error {error_code})" if error_code else ""
        )
    elif status in _ACCEPTED_CALLBACK and message.status in (OutboxStatus.sending, OutboxStatus.queued):
        message.status = OutboxStatus.sent
    message.updated_at = now
    session.add(message)
    session.flush()
    return message


def count_due(*, session: Session, now: dt.datetime) -> int:
    """Messages the dispatcher would pick up now (quiet hours aside)."""
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.queued, OutboxStatus.sending]),
        OutboxMessage.next_attempt_at <= now,
    )
    return session.exec(query).one()
