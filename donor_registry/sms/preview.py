"""What a kind of message will look like and cost, before anything is sent."""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from donor_registry.config import Settings
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.sms.encoding import analyse
from donor_registry.sms.registrations import cost_vnd
from donor_registry.sms.reminders import audience
from donor_registry.sms.templates import placeholders, render, text_key
from donor_registry.text import name_parts

#: Stand-ins for a template's placeholders when there is nobody to send to yet.
SAMPLE_FIELDS = {
    "ten": "Hương", "ho_ten": "Nguyễn Thị Thu Hương", "ngay": "14/06/2026", "gio": "07:30",
    "dia_diem": "Nhà văn hóa phường Bến Nghé", "so_lan": 10, "nhom_mau": "O+",
    "benh_vien": "Bệnh viện Chợ Rẫy", "link": "https://hm.vn/r/AbC123",
}


@dataclass
class Preview:
    kind: str
    text: str  # the longest message
    encoding: str
    characters: int
    segments: int  # of the longest message
    recipients: int
    total_segments: int
    max_segments: int
    channel: str = "sms"  # "zns_sms": ZNS to donors with Zalo, SMS to the others
    cost_vnd_each: int = 0  # the price table's cost of the longest message on that channel
    cost_vnd_total: int = 0  # every recipient by the channel they would get


def preview(
    *, session: Session, settings: Settings, now: dt.datetime, kind: str, drive_id: int | None = None
) -> Preview:
    """The texts a kind would send now, their encoding and segments; refused over the cap."""
    people = audience(session=session, settings=settings, now=now, kind=kind, drive_id=drive_id)
    texts = [
        render(text_key(kind, settings, has_link=bool(fields.get("link"))), settings,
               ten=name_parts(name)[2] or name, ho_ten=name, **fields)
        for name, fields in people
    ]
    if not texts:
        template = settings.sms.templates.get(kind, "")
        sample = {k: v for k, v in SAMPLE_FIELDS.items() if k in placeholders(template)}
        texts = [render(kind, settings, **sample)]
    infos = [analyse(text) for text in texts]
    longest = max(range(len(texts)), key=lambda i: (infos[i].segments, infos[i].characters))
    channel = "zns_sms" if _zns_possible(settings, kind) else "sms"
    each = cost_vnd(settings.sms, channel=channel, text=texts[longest])
    result = Preview(
        kind=kind, text=texts[longest], encoding=infos[longest].encoding,
        characters=infos[longest].characters, segments=infos[longest].segments,
        recipients=len(people), total_segments=sum(i.segments for i in infos) if people else 0,
        max_segments=settings.sms.max_segments, channel=channel, cost_vnd_each=each,
        cost_vnd_total=_total_cost(settings, people, texts, channel),
    )
    if result.segments > settings.sms.max_segments:
        raise UserError(_(
            "the {kind} SMS takes {parts} parts ({encoding}, {characters} characters), more than "
            "sms.max_segments = {most}: shorten [sms.templates] {kind} or set strip_diacritics = true"
        ).format(kind=kind, parts=result.segments, encoding=result.encoding, characters=result.characters,
                 most=settings.sms.max_segments))
    return result


def _zns_possible(settings: Settings, kind: str) -> bool:
    sms = settings.sms
    return sms.gateway == "esms" and bool(sms.esms.oa_id) and kind in sms.esms.zns


def _total_cost(settings: Settings, people, texts: list[str], channel: str) -> int:
    """SMS price for each text, ZNS price where it can go by Zalo (every donor is assumed to
    have Zalo unless recorded otherwise: the audience carries no donor ids here)."""
    if not people:
        return 0
    return sum(cost_vnd(settings.sms, channel=channel, text=text) for text in texts)
