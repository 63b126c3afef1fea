"""Splitting a drive's hours into slots and spreading its capacity (slots/rules.py), by hand."""

import datetime as dt

import pytest

from donor_registry.errors import UserError
from donor_registry.i18n import use_language
from donor_registry.slots.rules import split_hours

pytestmark = pytest.mark.usefixtures("english")


def _t(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


# (opening, closing, slot minutes, capacity) -> [(start, end, places)], worked out by hand.
TABLE = [
    # Even hours, even capacity.
    (("07:00", "11:00", 60, 40), [("07:00", "08:00", 10), ("08:00", "09:00", 10), ("09:00", "10:00", 10),
                                  ("10:00", "11:00", 10)]),
    # 42 over 4 equal slots: 10 each, the 2 left over to the first two.
    (("07:00", "11:00", 60, 42), [("07:00", "08:00", 11), ("08:00", "09:00", 11), ("09:00", "10:00", 10),
                                  ("10:00", "11:00", 10)]),
    # 4.5 hours: a half slot at the end takes half the places of a whole one.
    (("07:00", "11:30", 60, 45), [("07:00", "08:00", 10), ("08:00", "09:00", 10), ("09:00", "10:00", 10),
                                  ("10:00", "11:00", 10), ("11:00", "11:30", 5)]),
    # 50 × 60/270 = 11.11 (four times), 50 × 30/270 = 5.56: 49 whole, the last place to the .56.
    (("07:00", "11:30", 60, 50), [("07:00", "08:00", 11), ("08:00", "09:00", 11), ("09:00", "10:00", 11),
                                  ("10:00", "11:00", 11), ("11:00", "11:30", 6)]),
    # 100 × 60/270 = 22.22, 100 × 30/270 = 11.11: 99 whole; the tie of .22s goes to the earliest.
    (("07:00", "11:30", 60, 100), [("07:00", "08:00", 23), ("08:00", "09:00", 22), ("09:00", "10:00", 22),
                                   ("10:00", "11:00", 22), ("11:00", "11:30", 11)]),
    # Afternoon, 45-minute slots over 2.5 hours: three whole slots and a quarter-hour one.
    (("13:30", "16:00", 45, 10), [("13:30", "14:15", 3), ("14:15", "15:00", 3), ("15:00", "15:45", 3),
                                  ("15:45", "16:00", 1)]),
    # A slot longer than the drive: one slot, the whole drive.
    (("07:00", "08:00", 90, 7), [("07:00", "08:00", 7)]),
    # 30-minute slots, capacity 7 over 3: 2 each and one more for the first.
    (("07:30", "09:00", 30, 7), [("07:30", "08:00", 3), ("08:00", "08:30", 2), ("08:30", "09:00", 2)]),
]


@pytest.mark.parametrize(("given", "expected"), TABLE)
def test_hours_split_into_slots_holding_the_capacity(given, expected):
    start, end, minutes, capacity = given
    plans = split_hours(_t(start), _t(end), minutes, capacity)
    assert [(f"{p.start:%H:%M}", f"{p.end:%H:%M}", p.capacity) for p in plans] == expected


@pytest.mark.parametrize(("given", "words"), [
    # 3 places over 4 slots: the last one gets none.
    (("07:00", "11:00", 60, 3), "leaves the slot 10:00–11:00 without a place"),
    # 3 × 5/125 = 0.12 for a 5-minute last slot, and the left-over place goes to the first slot.
    (("07:00", "09:05", 60, 3), "leaves the slot 09:00–09:05 without a place"),
    (("07:00", "11:00", 60, 0), "leaves the slot 07:00–08:00 without a place"),
    (("07:00", "11:00", 4, 40), "at least 5 minutes (--slot-minutes 4)"),
    (("07:00", "11:00", 0, 40), "at least 5 minutes (--slot-minutes 0)"),
    (("11:00", "07:00", 60, 40), "the drive ends (07:00) before it starts (11:00)"),
])
def test_what_cannot_be_split_is_refused_with_the_reason(given, words):
    start, end, minutes, capacity = given
    with pytest.raises(UserError, match=words.replace("(", r"\(").replace(")", r"\)")):
        split_hours(_t(start), _t(end), minutes, capacity)


def test_the_refusal_reads_in_vietnamese_by_default():
    with use_language("vi"), pytest.raises(UserError) as refused:
        split_hours(_t("07:00"), _t("11:00"), 60, 3)
    assert "10:00–11:00" in str(refused.value) and "leaves the slot" not in str(refused.value)
