"""The waiting list of a drive whose every slot is full: join, leave, and the offer of a freed place.

When a booking is cancelled or moved away from a slot, the place is offered to the first donor
still waiting (by `joined_at`) who may be texted: one SMS through the outbox (kind
"waitlist_offer", once per donor and drive by its idempotency key) with their personal drive
link, and the entry is marked offered. The place is not held: whoever books first gets it, and
the offered donor stays on the list until they book or leave. Consent, opt-out and quiet hours
stay the outbox's and the dispatcher's business, as for every other text.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from donor_registry.audit.service import record as audit
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.chapter_settings import rules as chapter_rules
from donor_registry.chapter_settings import service as chapter_settings
from donor_registry.donors.models import Donor
from donor_registry.slots.links import drive_link
from donor_registry.slots.models import DriveSlot, SlotWaitlist, WaitStatus
from donor_registry.slots.rules import TIMEZONE
from donor_registry.sms.audience import contactable_clause
from donor_registry.sms.languages import language_of
from donor_registry.sms.outbox import enqueue
from donor_registry.sms.templates import render
from donor_registry.text import name_parts

KIND = "waitlist_offer"
ON_LIST = (WaitStatus.waiting, WaitStatus.offered)


def offer_key(drive_id: int, donor_id: int) -> str:
    return f"waitlist_offer:drive:{drive_id}:donor:{donor_id}"


def entry_of(*, session: Session, donor_id: int, drive_id: int) -> SlotWaitlist | None:
    """The donor's entry on the drive's list while they are on it (waiting or offered)."""
    return session.execute(select(SlotWaitlist).where(
        SlotWaitlist.donor_id == donor_id, SlotWaitlist.drive_id == drive_id,
        SlotWaitlist.status.in_(ON_LIST)).execution_options(populate_existing=True)).scalar()


def join(*, session: Session, donor_id: int, drive_id: int, now: dt.datetime, actor: str) -> SlotWaitlist:
    """Put the donor on the drive's list (already on it: their entry, its place kept)."""
    held = entry_of(session=session, donor_id=donor_id, drive_id=drive_id)
    if held is not None:
        return held
    entry = SlotWaitlist(drive_id=drive_id, donor_id=donor_id, joined_at=now)
    savepoint = session.begin_nested()
    try:
        session.add(entry)
        session.flush()
    except IntegrityError:  # the same donor joined in a parallel request
        savepoint.rollback()
        return entry_of(session=session, donor_id=donor_id, drive_id=drive_id)
    savepoint.commit()
    audit(session=session, now=now, actor=actor, action="waitlist.join", subject_type="donor", subject_id=donor_id,
          detail={"drive_id": drive_id})
    return entry


def leave(*, session: Session, donor_id: int, drive_id: int, now: dt.datetime, actor: str) -> bool:
    """Take the donor off the drive's list; False when they were not on it."""
    return _off(session, donor_id, drive_id, WaitStatus.left, now, actor)


def booked(*, session: Session, donor_id: int, drive_id: int, now: dt.datetime, actor: str) -> bool:
    """The donor booked a time at the drive: off its list."""
    return _off(session, donor_id, drive_id, WaitStatus.booked, now, actor)


def offer_freed_place(*, session: Session, settings, slot_id: int, now: dt.datetime, actor: str,
                      timezone: str = TIMEZONE) -> SlotWaitlist | None:
    """Text the first waiting donor of the slot's drive that a place is free (None: nobody to
    offer it to, or the drive or the slot is past booking)."""
    slot = session.get(DriveSlot, slot_id)
    drive = session.get(Drive, slot.drive_id)
    if drive.status != DriveStatus.planned:
        return None
    if dt.datetime.combine(drive.date, slot.start_time, tzinfo=ZoneInfo(timezone)) <= now:
        return None
    waiting = session.execute(
        select(SlotWaitlist.id, Donor).join(Donor, Donor.id == SlotWaitlist.donor_id)
        .where(SlotWaitlist.drive_id == drive.id, SlotWaitlist.status == WaitStatus.waiting, contactable_clause())
        .order_by(SlotWaitlist.joined_at, SlotWaitlist.id)).all()
    for entry_id, donor in waiting:
        # Conditional, so that two cancels at once offer to two donors, never twice to one.
        taken = session.execute(
            update(SlotWaitlist).where(SlotWaitlist.id == entry_id, SlotWaitlist.status == WaitStatus.waiting)
            .values(status=WaitStatus.offered, offered_at=now).execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            continue
        _text(session, settings, drive, slot, donor, now)
        audit(session=session, now=now, actor=actor, action="waitlist.offer", subject_type="donor",
              subject_id=donor.id, detail={"drive_id": drive.id, "slot_id": slot.id})
        entry = session.get(SlotWaitlist, entry_id, populate_existing=True)
        return entry
    return None


def _text(session: Session, settings, drive: Drive, slot: DriveSlot, donor: Donor, now: dt.datetime) -> None:
    organisation = chapter_settings.lookup(session=session, settings=settings, key=chapter_rules.ORGANISATION_NAME)
    url = drive_link(session=session, donor_id=donor.id, drive_id=drive.id, now=now,
                     base_url=settings.sms.public_base_url)
    body = render(KIND, settings, language_of(session, donor.id),
                  ten=name_parts(donor.full_name)[2] or donor.full_name, ho_ten=donor.full_name,
                  to_chuc=organisation(donor.chapter_id), ngay=drive.date.strftime("%d/%m/%Y"),
                  gio=slot.start_time.strftime("%H:%M"), dia_diem=drive.venue, link=url)
    enqueue(session=session, now=now, donor_id=donor.id, to=donor.phone_e164, kind=KIND, body=body,
            idempotency_key=offer_key(drive.id, donor.id))


def _off(session: Session, donor_id: int, drive_id: int, status: WaitStatus, now: dt.datetime, actor: str) -> bool:
    gone = session.execute(
        update(SlotWaitlist).where(SlotWaitlist.donor_id == donor_id, SlotWaitlist.drive_id == drive_id,
                                   SlotWaitlist.status.in_(ON_LIST))
        .values(status=status).execution_options(synchronize_session=False)).rowcount
    if gone:
        audit(session=session, now=now, actor=actor, action=f"waitlist.{status.value}", subject_type="donor",
              subject_id=donor_id, detail={"drive_id": drive_id})
    return bool(gone)
