"""What messages cost, by month, area and channel (the chapter dashboard's numbers).

Chapters are not in the registry yet: the area is the donor's province and commune keys as
stored (donors.province_key / commune_key). A message's price is the provider's (from its
delivery report) or the config's price table at send time (registrations.cost_vnd).
"""

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from donor_registry.donors.models import Donor
from donor_registry.sms.models import OutboxMessage

SENT_STATES = ("sent", "delivered", "undelivered")


def monthly_costs(
    *, session: Session, since: dt.datetime | None = None, by: str = "province",
    timezone: str = "Asia/Ho_Chi_Minh", donors_within=None,
) -> list[dict]:
    """Rows of month (local time), area, channel, messages and đồng, oldest month first."""
    if by not in ("province", "commune"):
        raise ValueError("by must be 'province' or 'commune'")
    area = Donor.province_key if by == "province" else Donor.commune_key
    query = (
        select(OutboxMessage.sent_at, area, OutboxMessage.channel, OutboxMessage.price_vnd)
        .join(Donor, Donor.id == OutboxMessage.donor_id, isouter=True)
        .where(OutboxMessage.status.in_(SENT_STATES), OutboxMessage.sent_at.is_not(None))
    )
    if since is not None:
        query = query.where(OutboxMessage.sent_at >= since)
    if donors_within is not None:  # a WHERE clause on Donor (policy.within_reach): one chapter's donors
        query = query.where(donors_within)
    zone = ZoneInfo(timezone)
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for sent_at, place, channel, price in session.exec(query.execution_options(yield_per=10_000)):
        month = sent_at.astimezone(zone).strftime("%Y-%m")
        cell = totals[(month, place or "(no area)", channel or "sms")]
        cell[0] += 1
        cell[1] += price or 0
    return [
        {"month": month, by: place, "channel": channel, "messages": n, "cost_vnd": cost}
        for (month, place, channel), (n, cost) in sorted(totals.items())
    ]


def by_channel(*, session: Session, since: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Message counts by channel and state (messages not sent yet count as 'unsent')."""
    query = select(OutboxMessage.channel, OutboxMessage.status)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    table: dict[str, dict[str, int]] = {}
    for channel, status in session.exec(query):
        row = table.setdefault(channel or "unsent", {})
        key = getattr(status, "value", status)
        row[key] = row.get(key, 0) + 1
    return table
