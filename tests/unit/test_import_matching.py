"""The matching rules as a table: each case is a registered donor, a row, and what the row is."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.importing.matching import (
    NAME_AND_BIRTH,
    PHONE_AND_NAME,
    Ambiguous,
    Conflict,
    Known,
    Matcher,
    _agrees,
    compact,
    conflicts,
)
from donor_registry.types import ABO, Rh, Sex


def row(folded, *, born=None, year=None, sex=Sex.unknown, abo=None, rh=None, phone=None, national_id=None,
        commune=None) -> tuple:
    """A donor part as rows.RowParser gives it (DONOR_COLUMNS order; a date of birth gives the year)."""
    return ("", folded, born, year or (born.year if born else None), sex, abo, rh, phone, False, national_id, None, None, commune,
            None, None, None, None, None, None, None)


LAN = Known(1, compact("001190000001"), "nguyen thi lan", None, 1990, "xa tan lap", Sex.female, ABO.A, Rh.positive,
            compact("+84912000001"))

# (what the row says, the donor it is: 1, None for a new donor, or the exception)
CASES = [
    (row("nguyen thi lan", national_id="001190000001"), 1),
    (row("nguyen thi lan", national_id="001190000001", year=1990, sex=Sex.female, abo=ABO.A), 1),
    (row("tran van be", national_id="001190000001"), Conflict),
    (row("nguyen thi lan", national_id="001190000001", sex=Sex.male), Conflict),
    (row("nguyen thi lan", national_id="001190000001", abo=ABO.B), Conflict),
    (row("nguyen thi lan", national_id="001190000001", year=1991), Conflict),
    (row("nguyen thi lan", phone="+84912000001"), 1),
    (row("nguyen van tu", phone="+84912000001"), None),  # a family phone
    (row("nguyen thi lan", phone="+84912000001", abo=ABO.O), None),
    (row("nguyen thi lan", phone="+84912000001", national_id="001190000009"), None),
    (row("nguyen thi lan", year=1990), 1),
    (row("nguyen thi lan", born=dt.date(1990, 4, 1), commune="xa tan lap", rh=Rh.positive), 1),
    (row("nguyen thi lan", year=1990, national_id="001190000002"), None),
    (row("nguyen thi lan", year=1990, abo=ABO.O), None),
    (row("nguyen thi lan", year=1990, sex=Sex.male), None),
    (row("nguyen thi lan", year=1990, phone="+84912000002"), None),
    (row("nguyen thi lan", year=1990, commune="xa ha mo"), None),
    (row("nguyen thi lan", year=1991), None),
    (row("nguyen thi lan"), None),  # a name alone proves nothing
]


@pytest.mark.parametrize(("donor", "expected"), CASES)
def test_matching_rules(donor, expected):
    matcher = Matcher()
    matcher.add(LAN)
    if isinstance(expected, type):
        with pytest.raises(expected):
            matcher.match(donor)
    else:
        found = matcher.match(donor)
        assert (found.id if found else None) == expected


def test_a_full_birth_date_conflicts_with_another_date_of_the_same_year():
    matcher = Matcher()
    matcher.add(LAN._replace(date_of_birth=dt.date(1990, 1, 1)))
    assert matcher.match(row("nguyen thi lan", born=dt.date(1990, 2, 2), year=1990)) is None


def test_two_namesakes_a_row_fits_equally_are_ambiguous():
    matcher = Matcher()
    matcher.add(LAN._replace(national_id=None, abo=None, rh=None, phone=None, commune_key=None))
    matcher.add(LAN._replace(id=2, national_id=None, abo=None, rh=None, phone=None, commune_key=None))
    with pytest.raises(Ambiguous):
        matcher.match(row("nguyen thi lan", year=1990))


def _maybe(*values):
    return st.sampled_from([None, *values])


@settings(derandomize=True, max_examples=300, deadline=None)
@given(born=_maybe(dt.date(1990, 1, 1), dt.date(1990, 2, 2)), year=_maybe(1990, 1991),
       sex=st.sampled_from(list(Sex)), abo=_maybe(ABO.A, ABO.O), rh=_maybe(Rh.positive, Rh.negative),
       phone=_maybe("+84912000001", "+84912000002"), national_id=_maybe("001190000001", "001190000002"),
       commune=_maybe("xa tan lap", "xa ha mo"), strict=st.booleans())
def test_the_written_out_check_is_the_rule_table(born, year, sex, abo, rh, phone, national_id, commune, strict):
    donor = row("nguyen thi lan", born=born, year=year, sex=sex, abo=abo, rh=rh, phone=phone,
                national_id=national_id, commune=commune)
    for known in (LAN, LAN._replace(date_of_birth=dt.date(1990, 1, 1), sex=Sex.unknown, abo=None, phone=None)):
        expected = not conflicts(known, donor, NAME_AND_BIRTH if strict else PHONE_AND_NAME)
        assert _agrees(known, donor, strict=strict) == expected


@pytest.mark.parametrize(("one", "other"), [
    ("036190000001", "36190000001"),  # a leading zero is kept
    ("001190000001", "+001190000001"),  # an ID and a phone-like text never meet
    ("+84912000001", "+84912000002"),
    ("123456789", "000123456789"),  # CMND (9 digits) and CCCD (12)
])
def test_compact_keys_are_equal_only_for_equal_texts(one, other):
    assert compact(one) == compact(one) and compact(other) == compact(other)
    assert compact(one) != compact(other)


def test_compact_keeps_what_is_not_ascii_digits():
    assert [compact(text) for text in (None, "", "AB123", "١٢٣", "+84 912")] == [None, "", "AB123", "١٢٣", "+84 912"]
    assert isinstance(compact("001190000001"), int) and isinstance(compact("+84912000001"), int)
