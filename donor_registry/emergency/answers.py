"""Donors' answers (reply link, SMS, phone), arrivals, and the donation that closes the loop."""

import datetime as dt
from enum import StrEnum

from sqlmodel import Session, select

from donor_registry.audit.service import record
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.emergency import notify, tokens, waves
from donor_registry.emergency.models import (
    Answer,
    AnswerChannel,
    CallOut,
    DonorClaim,
    EmergencyRequest,
    Hospital,
    RequestStatus,
)
from donor_registry.emergency.service import cover_if_enough, get_request
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _


class TokenProblem(UserError):
    """A reply link that cannot be used: unknown, expired or already used."""

    def __init__(self, kind: str, message: str, callout: CallOut | None = None):
        super().__init__(message)
        self.kind, self.callout = kind, callout


class Outcome(StrEnum):
    recorded = "recorded"  # the answer counts
    covered = "covered"  # this acceptance completed the request
    too_late = "too_late"  # accepted after the request closed: thanked, not needed
    unchanged = "unchanged"  # the same answer again


def callout_for_token(*, session: Session, token: str, now: dt.datetime) -> CallOut:
    """The call-out a reply link belongs to, if the link can still be used."""
    callout = session.exec(select(CallOut).where(CallOut.reply_token_hash == tokens.token_hash(token))).first()
    if callout is None:
        raise TokenProblem("unknown", _("this reply link is not valid"))
    if callout.token_used_at is not None:
        raise TokenProblem("used", _("this reply link was already used"), callout)
    if now >= callout.token_expires_at:
        raise TokenProblem("expired", _("this reply link has expired"), callout)
    return callout


def answer_by_token(
    *, session: Session, now: dt.datetime, settings: Settings, token: str, accept: bool,
    arrive_in_minutes: int | None = None,
) -> tuple[CallOut, Outcome]:
    """Record the answer given on the reply page; the link cannot be used again."""
    callout = callout_for_token(session=session, token=token, now=now)
    callout.token_used_at = now
    outcome = answer(session=session, now=now, settings=settings, callout=callout, accept=accept,
                     channel=AnswerChannel.link, actor=f"donor:{callout.donor_id}",
                     arrive_in_minutes=arrive_in_minutes)
    return callout, outcome


def answer_by_phone(
    *, session: Session, now: dt.datetime, settings: Settings, request_id: int, donor_id: int,
    accept: bool, actor: str, arrive_in_minutes: int | None = None,
) -> tuple[CallOut, Outcome]:
    """Record an answer a coordinator took by phone."""
    callout = get_callout(session=session, request_id=request_id, donor_id=donor_id)
    outcome = answer(session=session, now=now, settings=settings, callout=callout, accept=accept,
                     channel=AnswerChannel.phone, actor=actor, arrive_in_minutes=arrive_in_minutes)
    return callout, outcome


def get_callout(*, session: Session, request_id: int, donor_id: int) -> CallOut:
    """The call-out of this donor for this request."""
    get_request(session=session, request_id=request_id)
    callout = session.exec(
        select(CallOut).where(CallOut.request_id == request_id, CallOut.donor_id == donor_id)
    ).first()
    if callout is None:
        raise NotFound(_("donor #{donor_id} was not asked for request #{request_id}").format(
            donor_id=donor_id, request_id=request_id))
    return callout


def latest_callout_for_sms(*, session: Session, donor_id: int, now: dt.datetime) -> CallOut | None:
    """The call-out an SMS reply from this donor answers: the newest whose link has not expired."""
    query = (
        select(CallOut)
        .where(CallOut.donor_id == donor_id, CallOut.token_expires_at > now)
        .order_by(CallOut.asked_at.desc(), CallOut.id.desc())
    )
    return session.exec(query).first()


def answer(
    *, session: Session, now: dt.datetime, settings: Settings, callout: CallOut, accept: bool,
    channel: AnswerChannel, actor: str, arrive_in_minutes: int | None = None,
) -> Outcome:
    """Record a donor's answer; an acceptance may cover the request, a late one is thanked."""
    # Lock the request row: two acceptances at once must not both miss covering it.
    request = session.get(EmergencyRequest, callout.request_id, with_for_update=True, populate_existing=True)
    new = _new_answer(request, callout, accept)
    if new == callout.answer:
        return Outcome.unchanged
    callout.answer, callout.answered_at, callout.answer_channel = new, now, channel
    minutes = arrive_in_minutes or settings.emergency.default_arrival_minutes
    callout.expected_arrival_at = now + dt.timedelta(minutes=minutes) if new == Answer.accepted else None
    session.add(callout)
    record(session=session, now=now, actor=actor, action="emergency.answer", subject_type="donor",
           subject_id=callout.donor_id,
           detail={"request": request.id, "answer": new.value, "channel": channel.value})
    session.flush()
    if new == Answer.too_late:
        _thank_late(session=session, now=now, settings=settings, request=request, callout=callout, channel=channel)
        return Outcome.too_late
    if new == Answer.declined:
        waves.release_claims(session=session, request_id=request.id, donor_id=callout.donor_id)
        return Outcome.recorded
    _reclaim(session=session, request_id=request.id, donor_id=callout.donor_id, now=now)
    covered = cover_if_enough(session=session, now=now, settings=settings, request=request, actor=actor)
    return Outcome.covered if covered else Outcome.recorded


def _new_answer(request: EmergencyRequest, callout: CallOut, accept: bool) -> Answer:
    if not accept:
        return Answer.declined
    if request.status == RequestStatus.open or callout.answer == Answer.accepted:
        return Answer.accepted
    return Answer.too_late


def _reclaim(*, session: Session, request_id: int, donor_id: int, now: dt.datetime) -> None:
    # A donor who declined and then accepted was freed; hold them again for this request.
    if session.get(DonorClaim, donor_id) is None:
        session.add(DonorClaim(donor_id=donor_id, request_id=request_id, claimed_at=now))
        session.flush()


def _thank_late(
    *, session: Session, now: dt.datetime, settings: Settings, request: EmergencyRequest,
    callout: CallOut, channel: AnswerChannel,
) -> None:
    """Answer a late SMS acceptance with the polite "đã đủ" text (the reply page says it itself)."""
    if channel != AnswerChannel.sms:
        return
    donor = session.get(Donor, callout.donor_id)
    hospital = session.get(Hospital, request.hospital_id)
    if donor.phone_e164 and donor.sms_opted_out_at is None:
        notify.send_not_needed(session=session, now=now, settings=settings, request=request,
                               hospital=hospital, donor_id=donor.id, full_name=donor.full_name,
                               phone=donor.phone_e164, key_suffix="late")


def mark_arrived(*, session: Session, now: dt.datetime, request_id: int, donor_id: int, actor: str) -> CallOut:
    """Record that an asked donor arrived at the hospital."""
    callout = get_callout(session=session, request_id=request_id, donor_id=donor_id)
    if callout.arrived_at is None:
        callout.arrived_at = now
        session.add(callout)
        record(session=session, now=now, actor=actor, action="emergency.arrived", subject_type="donor",
               subject_id=donor_id, detail={"request": request_id})
        session.flush()
    return callout


def link_donation(*, session: Session, now: dt.datetime, request_id: int, donor_id: int, actor: str) -> CallOut | None:
    """Close the loop for a donation recorded against a request: the donor arrived and gave."""
    request = get_request(session=session, request_id=request_id)
    callout = session.exec(
        select(CallOut).where(CallOut.request_id == request.id, CallOut.donor_id == donor_id)
    ).first()
    if callout is None:
        return None
    callout.arrived_at = callout.arrived_at or now
    callout.donated = True
    session.add(callout)
    record(session=session, now=now, actor=actor, action="emergency.donated", subject_type="donor",
           subject_id=donor_id, detail={"request": request_id})
    session.flush()
    return callout



def unlink_voided_donation(*, session: Session, now: dt.datetime, donation, actor: str) -> CallOut | None:
    """Undo link_donation for a voided donation, unless another counted donation of the donor
    answers the same request."""
    from donor_registry.donations.models import Donation, Outcome

    callout = session.exec(select(CallOut).where(
        CallOut.request_id == donation.emergency_request_id, CallOut.donor_id == donation.donor_id)).first()
    if callout is None or not callout.donated:
        return callout
    still_given = session.exec(select(Donation.id).where(
        Donation.emergency_request_id == donation.emergency_request_id, Donation.donor_id == donation.donor_id,
        Donation.outcome == Outcome.donated, Donation.voided_at.is_(None))).first()
    if still_given is None:
        callout.donated = False
        session.add(callout)
        record(session=session, now=now, actor=actor, action="emergency.donation_voided", subject_type="donor",
               subject_id=donation.donor_id, detail={"request": donation.emergency_request_id,
                                                     "donation": donation.id})
        session.flush()
    return callout


def callouts(*, session: Session, request_id: int) -> list[tuple[CallOut, Donor]]:
    """Every donor asked for a request, in asking order, with the donor (`emergency show`'s list)."""
    return list(session.exec(
        select(CallOut, Donor).join(Donor, Donor.id == CallOut.donor_id)
        .where(CallOut.request_id == request_id).order_by(CallOut.id)))
