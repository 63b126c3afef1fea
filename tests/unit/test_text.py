"""Vietnamese text: NFC, tone placement, folding, name parts, collation, masking."""

import ctypes
import ctypes.util
import re
import unicodedata

import pytest

from donor_registry.text import (
    collation_key,
    fold,
    mask_national_id,
    name_parts,
    nfc,
    normalize_name,
    strip_diacritics,
)
from tests.support.tools import missing_tool


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# --- nfc / normalize_name -------------------------------------------------------------


def test_nfc_composes_nfd_input():
    decomposed = nfd("Nguyễn")
    assert decomposed != "Nguyễn"
    assert nfc(decomposed) == "Nguyễn"


def test_normalize_name_nfd_and_nfc_give_the_same_result():
    name = "Nguyễn Thị Hoà"
    assert nfd(name) != name
    assert normalize_name(nfd(name)) == normalize_name(name) == "Nguyễn Thị Hòa"


def test_normalize_name_output_is_nfc():
    result = normalize_name(nfd("Đặng Thị Huệ"))
    assert result == unicodedata.normalize("NFC", result) == "Đặng Thị Huệ"


@pytest.mark.parametrize(
    ("new_style", "classic"),
    [
        ("Hoà", "Hòa"),
        ("Thuý", "Thúy"),
        ("Khoẻ", "Khỏe"),
        ("Thuỷ", "Thủy"),
        ("Thuỳ", "Thùy"),
        ("Thoả", "Thỏa"),
        ("Toạ", "Tọa"),
        ("Hoã", "Hõa"),
        ("Loè", "Lòe"),
        ("Uỷ", "Ủy"),
        ("Oà", "Òa"),
    ],
)
def test_open_oa_oe_uy_move_tone_to_first_vowel(new_style, classic):
    assert normalize_name(new_style) == classic
    assert normalize_name(classic) == classic
    assert normalize_name(nfd(new_style)) == classic


@pytest.mark.parametrize("word", ["Hoàng", "Toán", "Thuyền", "Khoắng", "Hoạch", "Huỳnh", "Tuyết"])
def test_tone_stays_on_second_vowel_with_final_consonant(word):
    assert normalize_name(word) == word


@pytest.mark.parametrize("word", ["Quý", "Quả", "Quỳnh", "Quế", "Quyết", "Quỷ"])
def test_qu_keeps_tone_after_the_u(word):
    assert normalize_name(word) == word


@pytest.mark.parametrize("word", ["Giỏi", "Giàu", "Giáp", "Gìn", "Giữ", "Giang"])
def test_gi_syllables_are_untouched(word):
    assert normalize_name(word) == word


@pytest.mark.parametrize("word", ["Ngoài", "Khuya", "Khuỷu", "Huế", "Thuở", "Loan"])
def test_other_vowel_groups_are_untouched(word):
    assert normalize_name(word) == word


def test_every_word_of_a_full_name_is_normalised():
    assert normalize_name("Hoà Thuý Khoẻ") == "Hòa Thúy Khỏe"


def test_all_caps_is_title_cased_with_tones_fixed():
    assert normalize_name("NGUYỄN VĂN AN") == "Nguyễn Văn An"
    assert normalize_name("LÊ THỊ HOÀ") == "Lê Thị Hòa"
    assert normalize_name("ĐẶNG THUÝ") == "Đặng Thúy"


def test_all_lower_is_title_cased():
    assert normalize_name("đặng thị huệ") == "Đặng Thị Huệ"


def test_mixed_case_is_kept():
    assert normalize_name("Nguyễn McKay") == "Nguyễn McKay"
    assert normalize_name("nguyễn Văn an") == "nguyễn Văn an"


def test_whitespace_is_stripped_and_collapsed():
    assert normalize_name("  Trần \t Văn\u00a0  Bình \n") == "Trần Văn Bình"


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_empty_name_raises(raw):
    with pytest.raises(ValueError):
        normalize_name(raw)


# --- fold / strip_diacritics ------------------------------------------------------------


def test_fold_matches_new_and_old_style_and_plain():
    assert fold("Nguyễn Thị Hoà") == fold("nguyen thi hoa") == "nguyen thi hoa"
    assert fold("Nguyễn Thị Hòa") == "nguyen thi hoa"
    assert fold(nfd("NGUYỄN  THỊ HOÀ ")) == "nguyen thi hoa"


def test_fold_maps_d_stroke():
    assert fold("Đặng Đức") == "dang duc"
    assert fold("đ") == "d"


def test_fold_distinguishes_different_names():
    assert fold("Dung") != fold("Dương")


def test_strip_diacritics_keeps_case_and_spacing():
    assert strip_diacritics("Đặng Thị Huệ") == "Dang Thi Hue"
    assert strip_diacritics("  Mời  bạn ") == "  Moi  ban "
    assert strip_diacritics(nfd("Ưu tiên Ơn")) == "Uu tien On"


# --- name_parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Nguyễn Văn An", ("Nguyễn", "Văn", "An")),
        ("Nguyễn Thị Minh Khai", ("Nguyễn", "Thị Minh", "Khai")),
        ("Lê Lợi", ("Lê", "", "Lợi")),
        ("Hương", ("", "", "Hương")),
        ("  Trần   Hưng  Đạo ", ("Trần", "Hưng", "Đạo")),
        ("", ("", "", "")),
    ],
)
def test_name_parts(full, parts):
    assert name_parts(full) == parts


# --- collation --------------------------------------------------------------------------


def vi_sorted(names: list[str]) -> list[str]:
    return sorted(names, key=collation_key)


@pytest.mark.parametrize(
    "expected",
    [
        ["Anh", "Ánh", "Ăn", "Ân"],
        ["Dung", "Dũng", "Đức"],
        ["Ha", "Hà", "Hả", "Hã", "Há", "Hạ"],
        ["On", "Ôn", "Ơn"],
        ["Tú", "Tuấn", "Tư"],
        ["Ngân", "Nghĩa", "Ngọc", "Nhi"],
    ],
)
def test_vietnamese_letter_and_tone_order(expected):
    assert vi_sorted(list(reversed(expected))) == expected
    assert vi_sorted(expected[1:] + expected[:1]) == expected


def test_python_sorted_gets_vietnamese_order_wrong():
    names = ["Ân", "Ăn", "Anh", "Hạ", "Há", "Hà", "Ha"]
    assert sorted(names) != vi_sorted(names)
    assert sorted(["Ăn", "Ân"]) == ["Ân", "Ăn"]  # code points put â (U+00E2) before ă (U+0103)
    assert vi_sorted(["Ăn", "Ân"]) == ["Ăn", "Ân"]


def test_sorted_by_given_then_middle_then_family():
    names = ["Trần Văn Bình", "Nguyễn Thị Bình", "Nguyễn Văn An", "Lê Văn Bình"]
    assert vi_sorted(names) == [
        "Nguyễn Văn An",
        "Nguyễn Thị Bình",
        "Lê Văn Bình",
        "Trần Văn Bình",
    ]


def test_collation_is_case_insensitive_and_form_insensitive():
    assert collation_key("nguyễn văn an") == collation_key("NGUYỄN VĂN AN")
    assert collation_key(nfd("Lê Thị Hoà")) == collation_key("Lê Thị Hòa")


def test_base_letters_compare_before_tones():
    # "Hàn" differs from "Hao" in letters, so its tone must not matter.
    assert vi_sorted(["Hao", "Hàn"]) == ["Hàn", "Hao"]
    assert vi_sorted(["Hạ", "Hai"]) == ["Hạ", "Hai"]


def test_foreign_letters_digits_and_symbols():
    assert vi_sorted(["Giang", "Fan", "Em"]) == ["Em", "Fan", "Giang"]
    assert vi_sorted(["Vy", "Wu", "Xuân", "Zung", "Yến"]) == ["Vy", "Wu", "Xuân", "Yến", "Zung"]
    assert vi_sorted(["A2", "A1", "A?", "Ab"]) == ["Ab", "A1", "A2", "A?"]


REALISTIC = [
    "Nguyễn Văn An",
    "Trần Thị Ánh",
    "Phạm Thị Bình",
    "Lê Văn Bình",
    "Đỗ Văn Cường",
    "Hoàng Thị Dung",
    "Vũ Văn Dũng",
    "Bùi Minh Đức",
    "Ngô Thị Hà",
    "Đặng Thị Hạ",
    "Lý Văn Hải",
    "Nguyễn Thị Hòa",
    "Trương Văn Hoàng",
    "Phan Thị Thu Ngân",
    "Võ Văn Ơn",
    "Dương Thị Thủy",
    "Hồ Thị Thúy",
]


def test_realistic_list():
    shuffled = REALISTIC[7:] + REALISTIC[:7]
    shuffled.reverse()
    assert vi_sorted(shuffled) == REALISTIC


def test_realistic_list_is_not_what_python_sorts():
    assert sorted(REALISTIC, key=lambda n: n.split()[-1]) != REALISTIC


# --- check against ICU's "vi" collator when it can be reached ------------------------------


def _icu_sort_key():
    """A sort-key function from PyICU, else from libicu via ctypes, else None."""
    try:
        import icu  # type: ignore[import-not-found]

        collator = icu.Collator.createInstance(icu.Locale("vi"))
        return collator.getSortKey
    except ImportError:
        pass
    path = ctypes.util.find_library("icui18n")
    match = re.search(r"\.so\.(\d+)", path or "")
    if not match:
        return None
    lib = ctypes.CDLL(path)
    try:
        open_ = getattr(lib, f"ucol_open_{match.group(1)}")
        get_key = getattr(lib, f"ucol_getSortKey_{match.group(1)}")
    except AttributeError:
        return None
    open_.restype = ctypes.c_void_p
    get_key.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_char_p,
                        ctypes.c_int32]
    status = ctypes.c_int(0)
    collator = open_(b"vi", ctypes.byref(status))
    if status.value > 0 or not collator:
        return None

    def key(s: str) -> bytes:
        data = s.encode("utf-16-le")
        buf = ctypes.create_string_buffer(1024)
        n = get_key(collator, data, len(data) // 2, buf, len(buf))
        return buf.raw[:n]

    return key


ICU_WORDS = [
    "anh", "ánh", "ăn", "ân", "bảo", "bình", "châu", "chi", "cường", "dung", "dũng", "đào",
    "đạt", "đức", "em", "fan", "gia", "giang", "ha", "hà", "hả", "hã", "há", "hạ", "hải",
    "hạnh", "hào", "hằng", "hoa", "hòa", "hóa", "hoàng", "jim", "khánh", "linh", "loan", "lộc",
    "mai", "minh", "my", "mỹ", "nga", "ngân", "nghĩa", "ngọc", "nhi", "nhung", "on", "ôn", "ơn",
    "phúc", "phương", "quang", "quý", "sơn", "tâm", "thảo", "thắng", "thùy", "thủy", "thúy",
    "trang", "trâm", "tú", "tuấn", "tùng", "tư", "uốc", "ước", "vân", "việt", "vy", "wu",
    "xuân", "yên", "yến", "zung",
]


def test_collation_agrees_with_icu_vi():
    icu_key = _icu_sort_key()
    if icu_key is None:
        missing_tool("neither PyICU nor libicu is available")
    words = [nfc(w) for w in ICU_WORDS]
    assert sorted(words, key=icu_key) == words  # the expected order above is ICU's
    assert vi_sorted(list(reversed(words))) == words


# --- masking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("001234567123", "*********123"),
        ("012345678", "******678"),
        ("0012 3456 7123", "*********123"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_national_id(raw, masked):
    assert mask_national_id(raw) == masked
