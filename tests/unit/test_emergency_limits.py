"""The pure rules behind the limits on urgent traffic, by example and as properties."""

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.emergency import limits

pytestmark = pytest.mark.usefixtures("english")

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
BOUNDED = settings(derandomize=True, max_examples=300, deadline=None, database=None)


def _at(*minutes_ago: float) -> list[dt.datetime]:
    return [NOW - dt.timedelta(minutes=m) for m in minutes_ago]


@pytest.mark.parametrize("filed, limit, expected", [
    ([], 1, None),
    (_at(59), 2, None),
    (_at(59, 30), 2, 60),  # the 59-minutes-ago one leaves the hour in a minute
    (_at(50, 40, 30), 2, 20 * 60),  # two must leave: the second oldest leaves in 20 minutes
    (_at(61, 30), 2, None),  # the older one already left
    (_at(60), 1, None),  # exactly an hour ago is outside the hour
])
def test_hourly_quota_by_example(filed, limit, expected):
    assert limits.hourly_retry_after(filed_at=filed, now=NOW, limit=limit) == expected


@BOUNDED
@given(ago=st.lists(st.integers(min_value=0, max_value=7200), max_size=15), limit=st.integers(1, 8))
def test_retry_after_is_the_least_wait_that_makes_room(ago, limit):
    filed = [NOW - dt.timedelta(seconds=s) for s in ago]

    def in_hour(moment):  # counted independently of the rule
        return sum(1 for t in filed if moment - dt.timedelta(hours=1) < t <= moment)

    wait = limits.hourly_retry_after(filed_at=filed, now=NOW, limit=limit)
    if wait is None:
        assert in_hour(NOW) < limit
    else:
        later = NOW + dt.timedelta(seconds=wait)
        assert in_hour(later) < limit <= in_hour(later - dt.timedelta(seconds=1))


@BOUNDED
@given(ahead=st.lists(st.integers(min_value=1, max_value=72 * 3600), max_size=10), limit=st.integers(1, 6))
def test_open_quota_waits_until_enough_have_expired(ahead, limit):
    ends = [NOW + dt.timedelta(seconds=s) for s in ahead]
    wait = limits.open_retry_after(open_needed_by=ends, now=NOW, limit=limit)
    if wait is None:
        assert len(ends) < limit
    else:
        later = NOW + dt.timedelta(seconds=wait)
        assert sum(1 for e in ends if e > later) < limit <= sum(1 for e in ends if e > later - dt.timedelta(seconds=1))


@pytest.mark.parametrize("sent, limit, allowed", [(0, 2, True), (1, 2, False), (2, 4, True), (3, 4, False)])
def test_a_call_is_made_only_if_it_and_its_follow_up_fit(sent, limit, allowed):
    assert limits.may_call(urgent_sms_last_day=sent, limit=limit) is allowed


def test_the_horizon_is_inclusive():
    assert not limits.beyond_horizon(needed_by=NOW + dt.timedelta(hours=72), now=NOW, max_hours=72)
    assert limits.beyond_horizon(needed_by=NOW + dt.timedelta(hours=72, seconds=1), now=NOW, max_hours=72)


FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@BOUNDED
@given(st.text(alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"]),
                                  st.characters(max_codepoint=0x9F)), max_size=30))
def test_text_is_refused_exactly_for_surrogates_and_controls_other_than_tab_and_line_breaks(value):
    assert (limits.text_problem(value) is None) == (FORBIDDEN.search(value) is None)


@pytest.mark.parametrize("value, problem", [
    ("Mổ cấp cứu\r\n\tphòng 3", None),
    ("a\x00b", "character 2 is a control character (U+0000)"),
    ("\ud800", "character 1 is not valid text (a lone UTF-16 surrogate)"),
])
def test_text_problems_name_the_character(value, problem):
    assert limits.text_problem(value) == problem


def test_the_default_needed_by_must_lie_within_the_horizon():
    from pydantic import ValidationError

    from donor_registry.emergency.settings import EmergencySettings

    assert EmergencySettings(default_needed_within_hours=72, max_horizon_hours=72)
    with pytest.raises(ValidationError, match="must not exceed max_horizon_hours"):
        EmergencySettings(default_needed_within_hours=73, max_horizon_hours=72)
