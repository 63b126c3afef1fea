"""Phone numbers: VN forms to E.164, legacy 11-digit mapping, kinds, errors, masking."""

import random

import phonenumbers
import pytest

from donor_registry import phones
from donor_registry.phones import InvalidPhone, Phone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84 912345678",
        "+84912345678",
        "84912345678",
        "0084 912 345 678",
        "(+84) 91-234-5678",
        "+84 (0) 912 345 678",
        " 0912 345 678 ",
        "912345678",  # a spreadsheet number cell that lost its leading 0
    ],
)
def test_mobile_forms(raw):
    assert normalize_phone(raw) == Phone(e164="+84912345678", kind="mobile")


# (old prefix, new prefix); the last 7 digits stay.
LEGACY = [
    *[(f"016{d}", f"03{d}") for d in "23456789"],
    ("0120", "070"), ("0121", "079"), ("0122", "077"), ("0126", "076"), ("0128", "078"),
    ("0123", "083"), ("0124", "084"), ("0125", "085"), ("0127", "081"), ("0129", "082"),
    ("0186", "056"), ("0188", "058"),
    ("0199", "059"),
]


def test_legacy_table_is_complete():
    assert len(LEGACY) == 21
    assert {old[1:]: new[1:] for old, new in LEGACY} == phones.LEGACY_PREFIXES


@pytest.mark.parametrize(("old", "new"), LEGACY)
def test_legacy_prefix_maps_in_every_form(old, new):
    expected = Phone(e164=f"+84{new[1:]}4567890", kind="mobile")
    rest = old[1:]
    for raw in [
        f"{old}4567890",
        f"{old} 456 7890",
        f"{old}.456.7890",
        f"+84 {rest}4567890",
        f"84{rest}4567890",
        f"(+84) {rest}-456-7890",
    ]:
        assert normalize_phone(raw) == expected, raw


def test_legacy_form_is_invalid_without_the_mapping():
    # phonenumbers itself rejects the old form, which is why we map first.
    assert not phonenumbers.is_valid_number(phonenumbers.parse("01621234567", "VN"))
    assert normalize_phone("01621234567").e164 == "+84321234567"


def test_unknown_old_prefix_is_not_mapped():
    with pytest.raises(InvalidPhone):
        normalize_phone("01301234567")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("024 3825 7214", "+842438257214"),  # Hà Nội
        ("028 3829 5555", "+842838295555"),  # TP Hồ Chí Minh
        ("0236 3822 222", "+842363822222"),  # Đà Nẵng
        ("+84 24 3825 7214", "+842438257214"),
    ],
)
def test_landlines(raw, e164):
    phone = normalize_phone(raw)
    assert phone == Phone(e164=e164, kind="landline")
    assert not phone.sms_capable


def test_mobile_is_sms_capable():
    assert normalize_phone("0862 123 456").sms_capable
    assert normalize_phone("0393 123 456").kind == "mobile"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("abc", "only digits"),
        ("123", "too few"),
        ("", "empty"),
        ("   ", "empty"),
        ("0912", "too few"),
        ("091234567", "not a Vietnamese"),
        ("0912 345 6789", "not a Vietnamese"),
        ("0912-ABC-678", "only digits"),
        ("+1 650 253 0000", "+84"),
        ("+44 7911 123456", "+84"),
        ("001 650 253 0000", "+84"),
        ("1900 1234", "premium-rate"),
        ("1800 1234", "toll-free"),
    ],
)
def test_invalid_inputs(raw, reason):
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw)
    message = str(info.value)
    assert repr(raw) in message
    assert reason in message
    assert info.value.raw == raw


def test_invalid_phone_is_a_value_error():
    with pytest.raises(ValueError):
        normalize_phone("abc")


def test_non_ascii_digits_are_rejected():
    with pytest.raises(InvalidPhone):
        normalize_phone("٠٩١٢٣٤٥٦٧٨")  # Arabic-Indic digits


def test_results_and_errors_are_cached():
    phones._lookup.cache_clear()
    normalize_phone("0912 345 678")
    normalize_phone("0912 345 678")
    for _ in range(2):
        with pytest.raises(InvalidPhone):
            normalize_phone("abc")
    info = phones._lookup.cache_info()
    assert (info.hits, info.misses) == (2, 2)
    assert info.maxsize >= 2**19


def test_fast_path_agrees_with_phonenumbers():
    rng = random.Random(84)
    prefixes = ["3", "5", "7", "8", "9", "2", "1", "6"]
    seen = set()
    for _ in range(3000):
        national = rng.choice(prefixes) + "".join(rng.choices("0123456789", k=rng.choice([8, 9])))
        if national[:3] in phones.LEGACY_PREFIXES:
            continue  # mapped on purpose; covered above
        number = phonenumbers.PhoneNumber(country_code=84, national_number=int(national))
        kind = phonenumbers.number_type(number)
        try:
            got = normalize_phone("0" + national).kind
        except InvalidPhone:
            got = None
        seen.add(got)
        if kind == phonenumbers.PhoneNumberType.MOBILE:
            assert got == "mobile", national
        elif kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.VOIP):
            assert got == "landline", national
        elif kind == phonenumbers.PhoneNumberType.UNKNOWN:
            assert got is None, national
    assert seen == {"mobile", "landline", None}


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+84912345678", "+84 91x xxx 678"),
        ("+842438257214", "+84 24xx xxx 214"),
        ("+16502530000", "+1 65xx xxx 000"),
    ],
)
def test_mask_phone(e164, masked):
    assert mask_phone(e164) == masked


def test_mask_phone_hides_the_middle_digits():
    masked = mask_phone("+84987654321")
    assert "765" not in masked.replace(" ", "")
    assert masked.endswith("321")


@pytest.mark.parametrize("bad", ["0912345678", "+84 912 345 678", ""])
def test_mask_phone_needs_e164(bad):
    with pytest.raises(ValueError):
        mask_phone(bad)
