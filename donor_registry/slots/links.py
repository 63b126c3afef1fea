"""A donor's personal link to one drive: /b/{token}, for the whole journey of that drive.

The token is 128 random bits (emergency/tokens.py) and only its sha256 is kept, as for record
links, so a link cannot be read back out of the database: each call gives a new token, and every
token of a (donor, drive) opens the same page and the same booking until the link expires (the
end of the day after the drive, slots/rules.link_expires_at, from the drive's current date).
"""

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlmodel import Session

from donor_registry.campaigns.models import Drive
from donor_registry.donors.models import Donor
from donor_registry.emergency.tokens import new_reply_token, token_hash
from donor_registry.errors import NotFound
from donor_registry.i18n import _
from donor_registry.slots.models import DriveLink, DriveSlot
from donor_registry.slots.rules import TIMEZONE, link_expires_at

PATH = "/b/"


class LinkProblem(Exception):
    """The link is unknown, expired, or its donor is gone (the page says nothing more)."""


def actor_of(link: DriveLink) -> str:
    return f"drive-link:{link.id}"


def url_of(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}{token}"


def drive_link(*, session: Session, donor_id: int, drive_id: int, now: dt.datetime, base_url: str) -> str:
    """The donor's personal address for the drive (a new token; earlier ones keep working)."""
    if session.get(Drive, drive_id) is None:
        raise NotFound(_("no drive with id {drive_id}").format(drive_id=drive_id))
    if session.get(Donor, donor_id) is None:
        raise NotFound(_("There is no donor #{id}.").format(id=donor_id))
    return new_links(session=session, drive_id=drive_id, donor_ids=[donor_id], now=now, base_url=base_url)[donor_id]


def new_links(*, session: Session, drive_id: int, donor_ids: Iterable[int], now: dt.datetime,
              base_url: str) -> dict[int, str]:
    """Links for many donors of one drive in one INSERT (reminder planning): {donor id: url}."""
    tokens = {donor_id: new_reply_token() for donor_id in donor_ids}
    if tokens:
        session.execute(insert(DriveLink), [
            {"token_hash": token_hash(token), "donor_id": donor_id, "drive_id": drive_id, "created_at": now}
            for donor_id, token in tokens.items()])
    return {donor_id: url_of(base_url, token) for donor_id, token in tokens.items()}


def has_slots(session: Session, drive_id: int) -> bool:
    return session.execute(select(DriveSlot.id).where(DriveSlot.drive_id == drive_id).limit(1)).first() is not None


def open_link(*, session: Session, token: str, now: dt.datetime,
              timezone: str = TIMEZONE) -> tuple[DriveLink, Donor, Drive]:
    """The link, its donor and its drive; LinkProblem when unknown, expired or the donor is gone."""
    link = session.execute(select(DriveLink).where(DriveLink.token_hash == token_hash(token))).scalar()
    if link is None:
        raise LinkProblem(token)
    donor, drive = session.get(Donor, link.donor_id), session.get(Drive, link.drive_id)
    if donor is None or donor.erased_at is not None or donor.merged_into_id is not None:
        raise LinkProblem(token)
    if drive is None or now >= link_expires_at(drive.date, timezone):
        raise LinkProblem(token)
    return link, donor, drive
