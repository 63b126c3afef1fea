"""Limits on urgent traffic and on what a request may contain, as pure rules.

Each rule takes the counts or times it needs and `now`, and answers whether the next step is
allowed and, when not, how long until it is (the Retry-After of a 429).
"""

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable

from donor_registry.i18n import _

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(hours=24)
#: The largest id the databases store (BIGINT); a path id outside 1 … MAX_ID names nothing.
MAX_ID = 2**63 - 1
def max_stored_id(dialect: str) -> int:
    """The largest id an INTEGER primary key holds: 32 bits on PostgreSQL, 64 on SQLite."""
    return 2**31 - 1 if dialect == "postgresql" else MAX_ID


#: Control characters a multi-line text field may hold.
ALLOWED_CONTROLS = frozenset("\t\n\r")


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def hourly_retry_after(*, filed_at: Iterable[dt.datetime], now: dt.datetime, limit: int) -> int | None:
    """None if a hospital that filed requests at `filed_at` may file one more now; otherwise
    the whole seconds until enough of the last hour's requests have left the hour."""
    recent = sorted(t for t in filed_at if now - HOUR < t <= now)
    if len(recent) < limit:
        return None
    return _seconds_until(recent[len(recent) - limit] + HOUR, now)


def open_retry_after(*, open_needed_by: Iterable[dt.datetime], now: dt.datetime, limit: int) -> int | None:
    """None if a hospital with open requests needed by `open_needed_by` may open one more;
    otherwise the seconds until enough of them have expired at the latest (cancelling one
    frees a place at once)."""
    ends = sorted(open_needed_by)
    if len(ends) < limit:
        return None
    return _seconds_until(ends[len(ends) - limit], now)


def may_call(*, urgent_sms_last_day: int, limit: int) -> bool:
    """Whether a donor who got `urgent_sms_last_day` urgent SMS in the last 24 hours may be
    called: the call and its possible "no longer needed" follow-up must both fit."""
    return urgent_sms_last_day + 2 <= limit


def beyond_horizon(*, needed_by: dt.datetime, now: dt.datetime, max_hours: int) -> bool:
    """Whether a needed-by time is further ahead than a request may hold its donors."""
    return needed_by - now > dt.timedelta(hours=max_hours)


def text_problem(value: str) -> str | None:
    """Why a text field cannot be stored as given (None: it can): lone surrogates are not
    text at all, and control characters other than tab and line breaks are never typed."""
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cs":
            return _("character {position} is not valid text (a lone UTF-16 surrogate)").format(position=index + 1)
        if category == "Cc" and char not in ALLOWED_CONTROLS:
            return _("character {position} is a control character ({code_point})").format(
                position=index + 1, code_point=f"U+{ord(char):04X}")
    return None


def plain_text(value: str) -> str:
    """A pydantic validator: the text as given, or a ValueError saying which character is wrong."""
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value
