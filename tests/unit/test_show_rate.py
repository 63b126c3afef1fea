"""The turnout forecast and the show rate by month (slots/counts.py) as pure rules: hand-worked
cases, and properties over any history (fixed seed, bounded examples)."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.slots.counts import (
    DEFAULT_SHOW_RATE,
    PastDrive,
    ShowHistory,
    by_month,
    forecast,
    half_up,
)


def _history(*rows):
    return ShowHistory(tuple(PastDrive(n, day, booked, checked, walk) for n, (day, booked, checked, walk)
                             in enumerate(rows)))


def test_hand_worked_forecasts():
    assert forecast(7, _history()).total == 6  # 7 × 0.8 = 5.6
    # (3 + 3) / (4 + 6) = 0.6; walk-ins (2 + 1) / 2 = 1.5 → 2; 5 × 0.6 = 3
    history = _history((dt.date(2026, 5, 10), 4, 3, 2), (dt.date(2026, 4, 20), 6, 3, 1))
    assert forecast(5, history).total == 5
    assert forecast(5, history).from_history == 2
    assert forecast(0, history).total == 2  # only the walk-ins
    assert [half_up(x) for x in (0.5, 1.5, 2.5, 2.49)] == [1, 2, 3, 2]


drives = st.lists(st.tuples(st.dates(dt.date(2025, 1, 1), dt.date(2026, 5, 31)),
                            st.integers(1, 60), st.integers(0, 60), st.integers(0, 20)), max_size=12) \
    .map(lambda rows: [(day, booked, min(checked, booked), walk) for day, booked, checked, walk in rows])


@settings(derandomize=True, max_examples=200, deadline=None)
@given(drives, st.integers(0, 500))
def test_the_forecast_lies_between_nobody_and_everyone_booked_plus_the_walk_ins(rows, booked):
    history = _history(*rows)
    made = forecast(booked, history)
    assert 0 <= made.show_rate <= 1
    assert 0 <= made.total - made.expected_walk_ins <= booked
    if not rows:
        assert (made.show_rate, made.expected_walk_ins) == (DEFAULT_SHOW_RATE, 0)
    else:
        assert made.show_rate == sum(r[2] for r in rows) / sum(r[1] for r in rows)
    assert forecast(booked + 1, history).total >= made.total


@settings(derandomize=True, max_examples=200, deadline=None)
@given(drives)
def test_the_months_add_up_to_the_history(rows):
    months = by_month(_history(*rows))
    assert sum(m.drives for m in months) == len(rows)
    assert sum(m.booked for m in months) == sum(r[1] for r in rows)
    assert sum(m.checked_in for m in months) == sum(r[2] for r in rows)
    assert [m.month for m in months] == sorted({r[0].replace(day=1) for r in rows}, reverse=True)
