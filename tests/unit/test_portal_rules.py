"""The donor record's pure rules: availability windows at Vietnam's local time, codes, masking."""

import datetime as dt

import pytest

from donor_registry.portal.rules import (
    WEEKDAYS,
    Availability,
    CodeState,
    available_at,
    code_hash,
    code_matches,
    code_usable,
    mask_name,
    parse_minute,
    weekday_bits,
)

UTC = dt.UTC
# 2026-06-01 is a Monday; Vietnam is UTC+7.
MONDAY_1000 = dt.datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
MONDAY_1700 = dt.datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
MONDAY_1659 = dt.datetime(2026, 6, 1, 9, 59, tzinfo=UTC)
SATURDAY_2000 = dt.datetime(2026, 6, 6, 13, 0, tzinfo=UTC)
SUNDAY_0030_LOCAL = dt.datetime(2026, 6, 6, 17, 30, tzinfo=UTC)  # still Saturday in UTC
AFTER_17 = Availability(weekdays=WEEKDAYS, from_minute=17 * 60)


@pytest.mark.parametrize(("availability", "now", "expected"), [
    (None, MONDAY_1000, True),
    (Availability(), SATURDAY_2000, True),
    (AFTER_17, MONDAY_1000, False),
    (AFTER_17, MONDAY_1659, False),
    (AFTER_17, MONDAY_1700, True),
    (AFTER_17, SATURDAY_2000, False),  # weekdays only
    (Availability(weekdays=0b1000000), SUNDAY_0030_LOCAL, True),  # Sunday in Vietnam
    (Availability(weekdays=0b0100000), SUNDAY_0030_LOCAL, False),  # not Saturday any more
    (Availability(from_minute=8 * 60, until_minute=10 * 60), MONDAY_1000, False),  # end exclusive
    (Availability(from_minute=8 * 60, until_minute=11 * 60), MONDAY_1000, True),
    (Availability(not_until=dt.date(2026, 6, 2)), MONDAY_1000, False),
    (Availability(not_until=dt.date(2026, 6, 1)), MONDAY_1000, True),
])
def test_available_at(availability, now, expected):
    assert available_at(availability, now) is expected


def test_parse_minute_and_weekday_bits():
    assert parse_minute("17:00") == 1020
    assert parse_minute("7") == 420
    assert parse_minute(" ") is None
    for bad in ("25:00", "10:60", "x"):
        with pytest.raises(ValueError):
            parse_minute(bad)
    assert weekday_bits([0, 1, 2, 3, 4]) == WEEKDAYS
    assert weekday_bits([6, 6, 9]) == 64


def test_codes():
    stored = code_hash("123456", "salt")
    assert stored != "123456" and len(stored) == 64
    assert code_matches("123456", "salt", stored)
    assert not code_matches("123457", "salt", stored)
    assert not code_matches("123456", "other", stored)
    assert not code_matches("123456", "salt", None)
    later = MONDAY_1000 + dt.timedelta(minutes=10)
    assert code_usable(CodeState(later, 0, False), MONDAY_1000, 5)
    assert not code_usable(CodeState(later, 5, False), MONDAY_1000, 5)
    assert not code_usable(CodeState(later, 0, True), MONDAY_1000, 5)
    assert not code_usable(CodeState(MONDAY_1000, 0, False), MONDAY_1000, 5)


def test_mask_name():
    assert mask_name("Nguyễn Văn An") == "N. V. An"
    assert mask_name("An") == "An"
