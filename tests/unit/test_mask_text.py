"""Phone numbers inside free text (gateway errors, log lines) are masked."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.phones import mask_phones_in

CASES = [
    ("Invalid 'To' Phone Number: +84912345678", "Invalid 'To' Phone Number: +84 91x xxx 678"),
    ("gọi 0912 345 678 sau 17h", "gọi 09xxxxx678 sau 17h"),
    ("0912.345.678 / 0381234567", "09xxxxx678 / 03xxxxx567"),
    ("error 21211 at 2026-06-01 10:00, message #12", "error 21211 at 2026-06-01 10:00, message #12"),
    ("no number here", "no number here"),
]


def test_examples():
    for raw, masked in CASES:
        assert mask_phones_in(raw) == masked, raw


@settings(derandomize=True, max_examples=300)
@given(prefix=st.text(alphabet="abcđ :'()", max_size=12), mobile=st.from_regex(r"9[0-9]{8}", fullmatch=True),
       e164=st.booleans(), suffix=st.text(alphabet="abcđ .,", max_size=12))
def test_no_number_survives_and_its_last_three_digits_stay(prefix, mobile, e164, suffix):
    number = f"+84{mobile}" if e164 else f"0{mobile}"
    masked = mask_phones_in(f"{prefix}{number}{suffix}")
    digits = re.sub(r"\D", "", masked)
    assert mobile not in digits and masked.startswith(prefix) and masked.endswith(mobile[-3:] + suffix)
