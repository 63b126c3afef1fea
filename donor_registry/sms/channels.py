"""A channel per donor: Zalo ZNS (SMS when it fails), SMS only, or nothing.

The donor's preference is donors.message_channel; a per-channel opt-out from Zalo
(zalo_opted_out_at) and a ZNS answer "no Zalo account / OA blocked" (zalo_unavailable_at,
set by the delivery report) both mean SMS from then on. The SMS opt-out (TU CHOI) and
"none" stop every message (sms/audience.py).
"""

import datetime as dt

from sqlalchemy import update
from sqlmodel import Session, select

from donor_registry.donors.models import Donor
from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _

PREFERENCES = ("zalo", "sms", "none")


def channel_for(*, preference: str, zalo_opted_out: bool, zalo_unavailable: bool,
                zalo_possible: bool) -> str | None:
    """"zns_sms", "sms" or None (no message) for one donor."""
    if preference == "none":
        return None
    if preference == "zalo" and zalo_possible and not (zalo_opted_out or zalo_unavailable):
        return "zns_sms"
    return "sms"


def channels_of(*, session: Session, donor_ids: set[int], zalo_possible: bool) -> dict[int, str | None]:
    """channel_for every donor in `donor_ids` (donors not found: SMS)."""
    if not donor_ids:
        return {}
    rows = session.exec(select(Donor.id, Donor.message_channel, Donor.zalo_opted_out_at,
                               Donor.zalo_unavailable_at).where(Donor.id.in_(donor_ids)))
    return {
        donor_id: channel_for(preference=pref or "zalo", zalo_opted_out=opted is not None,
                              zalo_unavailable=gone is not None, zalo_possible=zalo_possible)
        for donor_id, pref, opted, gone in rows
    }


def set_preference(*, session: Session, now: dt.datetime, donor_id: int, channel: str,
                   zalo_opt_out: bool | None = None) -> Donor:
    """Record how a donor wants messages (and, optionally, their Zalo opt-out)."""
    if channel not in PREFERENCES:
        raise UserError(_("channel '{channel}' is not one of {channels}").format(
            channel=channel, channels=", ".join(PREFERENCES)))
    donor = session.get(Donor, donor_id)
    if donor is None or donor.merged_into_id is not None:
        raise NotFound(_("no donor with id {donor_id}").format(donor_id=donor_id))
    donor.message_channel = channel
    if zalo_opt_out is not None:
        donor.zalo_opted_out_at = (donor.zalo_opted_out_at or now) if zalo_opt_out else None
    if channel == "zalo" and zalo_opt_out is False:
        donor.zalo_unavailable_at = None  # the donor says Zalo works again
    donor.updated_at = now
    session.add(donor)
    session.flush()
    return donor


def mark_zalo_unavailable(*, session: Session, now: dt.datetime, donor_id: int) -> None:
    session.execute(update(Donor).where(Donor.id == donor_id, Donor.zalo_unavailable_at.is_(None))
                    .values(zalo_unavailable_at=now, updated_at=now))
