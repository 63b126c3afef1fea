"""SMS answers to a call, where the gateway carries replies: "1"/"CÓ" accept, "2"/"KHÔNG" decline.

YES is deliberately not an answer: Twilio reserves it as the opt-in keyword.
"""

import datetime as dt

from sqlmodel import Session

from donor_registry.donors.models import Donor
from donor_registry.sms.inbound import INBOUND_HANDLERS, keyword

ACCEPT_WORDS = frozenset({"1", "co"})
DECLINE_WORDS = frozenset({"2", "khong"})


def answer_by_sms(
    *, session: Session, now: dt.datetime, settings, from_phone: str, body: str, donor: Donor | None,
) -> bool:
    """Record an SMS answer to the donor's latest call; False when it is not one."""
    from donor_registry.emergency.answers import answer, latest_callout_for_sms
    from donor_registry.emergency.models import AnswerChannel

    word = keyword(body)
    if donor is None or word not in ACCEPT_WORDS | DECLINE_WORDS:
        return False
    callout = latest_callout_for_sms(session=session, donor_id=donor.id, now=now)
    if callout is None:
        return False
    answer(session=session, now=now, settings=settings, callout=callout,
           accept=word in ACCEPT_WORDS, channel=AnswerChannel.sms, actor=f"donor:{donor.id}")
    return True


if answer_by_sms not in INBOUND_HANDLERS:
    INBOUND_HANDLERS.append(answer_by_sms)
