"""Call-out waves: ask the next donors, claim them in the database, queue their SMS.

All state lives in the request row (wave, area_level, next_wave_at) and the call-out and
claim rows, written in the caller's transaction, so a process killed between waves picks up
where it stopped and a wave killed half-way is rolled back whole.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from donor_registry.audit.service import record
from donor_registry.config import Settings
from donor_registry.donors.models import Donor
from donor_registry.emergency import limits, matching, notify, tokens
from donor_registry.emergency.models import (
    Answer,
    CallOut,
    DonorClaim,
    EmergencyRequest,
    Hospital,
    RequestStatus,
)


def local_day(now: dt.datetime, settings: Settings) -> dt.date:
    """The chapter's calendar day at `now` (eligibility is decided per local day)."""
    return now.astimezone(ZoneInfo(settings.general.timezone)).date()


def accepted_count(*, session: Session, request_id: int) -> int:
    """Donors who said they will come for this request."""
    return session.scalar(
        select(func.count()).select_from(CallOut)
        .where(CallOut.request_id == request_id, CallOut.answer == Answer.accepted)
    )


def run_wave(
    *, session: Session, request: EmergencyRequest, settings: Settings, now: dt.datetime,
    actor: str = "scheduler",
) -> list[CallOut]:
    """Ask the next wave of donors for an open request and schedule the wave after it."""
    config = settings.emergency
    want = matching.wave_size(
        units=request.units, accepted=accepted_count(session=session, request_id=request.id),
        margin=config.wave_margin,
    )
    callouts = _call(session=session, request=request, settings=settings, now=now, want=want, actor=actor)
    if callouts:
        request.wave += 1
    request.next_wave_at = now + dt.timedelta(minutes=config.wave_wait_minutes)
    session.add(request)
    record(session=session, now=now, actor=actor, action="emergency.wave",
           subject_type="emergency_request", subject_id=request.id,
           detail={"wave": request.wave, "wanted": want, "asked": len(callouts),
                   "area": request.area_level})
    session.flush()
    return callouts


def run_due_wave(*, session: Session, request_id: int, settings: Settings, now: dt.datetime) -> bool:
    """Run the request's next wave if it is due and nobody else took it; True if this call did."""
    taken = session.execute(
        update(EmergencyRequest)
        .where(EmergencyRequest.id == request_id, EmergencyRequest.status == RequestStatus.open,
               EmergencyRequest.next_wave_at <= now)
        .values(next_wave_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return False
    request = session.get(EmergencyRequest, request_id, populate_existing=True)
    run_wave(session=session, request=request, settings=settings, now=now)
    return True


def due_request_ids(*, session: Session, now: dt.datetime) -> list[int]:
    """Open requests whose next wave is due, oldest first."""
    query = (
        select(EmergencyRequest.id)
        .where(EmergencyRequest.status == RequestStatus.open, EmergencyRequest.next_wave_at <= now)
        .order_by(EmergencyRequest.next_wave_at, EmergencyRequest.id)
    )
    return list(session.scalars(query))


def release_claims(*, session: Session, request_id: int, donor_id: int | None = None) -> None:
    """Free the donors this request holds (all of them, or one who declined)."""
    query = delete(DonorClaim).where(DonorClaim.request_id == request_id)
    if donor_id is not None:
        query = query.where(DonorClaim.donor_id == donor_id)
    session.execute(query)


def _call(
    *, session: Session, request: EmergencyRequest, settings: Settings, now: dt.datetime, want: int,
    actor: str,
) -> list[CallOut]:
    """Pick, claim and ask up to `want` donors; donors another request claims meanwhile are replaced."""
    hospital = session.get(Hospital, request.hospital_id)
    exclude: set[int] = set()
    asked_phones = set(session.scalars(
        select(Donor.phone_e164).join(CallOut, CallOut.donor_id == Donor.id)
        .where(CallOut.request_id == request.id)
    ))
    callouts: list[CallOut] = []
    signer = notify.signer_for(session=session, settings=settings)
    while len(callouts) < want:
        picked, level = matching.pick(
            session=session, request=request, want=want - len(callouts), now=now,
            on=local_day(now, settings), rules=settings.eligibility,
            rotation_days=settings.emergency.rotation_days, rings=settings.emergency.rings,
            neighbour_km=settings.emergency.neighbour_km, exclude=exclude, skip_phones=asked_phones,
        )
        if not picked:
            break
        picked = _within_urgent_cap(session=session, now=now, settings=settings, picked=picked,
                                    exclude=exclude)
        claimed = _claim(session=session, request_id=request.id, donor_ids=[c.donor_id for c in picked], now=now)
        for candidate in picked:
            exclude.add(candidate.donor_id)
            if candidate.donor_id in claimed:
                asked_phones.add(candidate.phone)
                callouts.append(_ask(session=session, request=request, hospital=hospital,
                                     candidate=candidate, settings=settings, now=now, actor=actor,
                                     signer=signer))
        request.area_level = matching.wider_ring(request.area_level, level, settings.emergency.rings)
    return callouts


def _within_urgent_cap(
    *, session: Session, now: dt.datetime, settings: Settings, picked: list[matching.Candidate],
    exclude: set[int],
) -> list[matching.Candidate]:
    """The candidates who may take another urgent SMS today; the others are excluded."""
    sent = notify.urgent_sms_last_day(session=session, now=now, donor_ids=[c.donor_id for c in picked])
    cap = settings.emergency.max_urgent_sms_per_donor_day
    keep = [c for c in picked if limits.may_call(urgent_sms_last_day=sent.get(c.donor_id, 0), limit=cap)]
    kept = {c.donor_id for c in keep}
    exclude.update(c.donor_id for c in picked if c.donor_id not in kept)
    return keep


def _claim(*, session: Session, request_id: int, donor_ids: list[int], now: dt.datetime) -> set[int]:
    """Claim donors for this request; returns those claimed (the rest belong to another request).

    INSERT … ON CONFLICT DO NOTHING: on PostgreSQL a concurrent claim of the same donor waits
    for the other transaction and then yields; SQLite serialises writers (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.flush()
    rows = [{"donor_id": donor_id, "request_id": request_id, "claimed_at": now} for donor_id in donor_ids]
    statement = insert(DonorClaim).on_conflict_do_nothing(index_elements=["donor_id"]).returning(DonorClaim.donor_id)
    return set(session.scalars(statement, rows)) if rows else set()


def _ask(
    *, session: Session, request: EmergencyRequest, hospital: Hospital,
    candidate: matching.Candidate, settings: Settings, now: dt.datetime, actor: str,
    signer: notify.Signer,
) -> CallOut:
    # A placeholder hash: the token that works is drawn when the SMS is sent (reply_links.py).
    token_hash = tokens.token_hash(tokens.new_reply_token())
    callout = CallOut(
        request_id=request.id, donor_id=candidate.donor_id, wave=request.wave + 1, asked_at=now,
        reply_token_hash=token_hash,
        token_expires_at=now + dt.timedelta(hours=settings.emergency.reply_token_hours),
    )
    session.add(callout)
    notify.send_call(session=session, now=now, settings=settings, request=request, hospital=hospital,
                     donor_id=candidate.donor_id, full_name=candidate.full_name, phone=candidate.phone,
                     token_hash=token_hash, signer=signer)
    record(session=session, now=now, actor=actor, action="emergency.callout",
           subject_type="donor", subject_id=candidate.donor_id,
           detail={"request": request.id, "wave": request.wave + 1})
    return callout
