"""SMS encoding and segment counts: GSM-7 vs UCS-2 and their boundaries."""

import unicodedata

import pytest

from donor_registry.sms.encoding import GSM_BASIC, GSM_EXTENSION, SegmentInfo, analyse
from donor_registry.text import strip_diacritics


def test_gsm_tables_have_the_standard_sizes():
    assert len(GSM_BASIC) == 127  # 128 code points minus the escape
    assert len(GSM_EXTENSION) == 10


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_boundaries(length, segments):
    assert analyse("a" * length) == SegmentInfo("GSM-7", length, segments)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_boundaries(length, segments):
    assert analyse("ệ" * length) == SegmentInfo("UCS-2", length, segments)


@pytest.mark.parametrize("ch", list("^{}\\[~]|€"))
def test_extension_characters_take_two_septets(ch):
    assert analyse(ch) == SegmentInfo("GSM-7", 2, 1)
    assert analyse("a" * 158 + ch).segments == 1
    assert analyse("a" * 159 + ch) == SegmentInfo("GSM-7", 161, 2)


def test_escape_pair_is_not_split_between_parts():
    # 152 septets then "€": the pair cannot straddle parts, so part 2 starts with it.
    assert analyse("a" * 152 + "€" + "a" * 152).segments == 3
    assert analyse("a" * 151 + "€" + "a" * 153).segments == 2


@pytest.mark.parametrize("ch", list("àèéìòùÉÄÖÑÜßäöñüÇØøÅåÆæ£¥§¿¡ΔΩ@$_"))
def test_gsm_basic_accents_stay_gsm7(ch):
    assert analyse(f"Xin chao {ch}").encoding == "GSM-7"


@pytest.mark.parametrize("ch", list("áảãạăâđêôơưỳýÀÈçÒ"))
def test_other_letters_force_ucs2(ch):
    assert analyse(f"Xin chao {ch}").encoding == "UCS-2"


def test_astral_characters_count_two_utf16_units():
    assert analyse("🩸") == SegmentInfo("UCS-2", 2, 1)
    assert analyse("🩸" * 35) == SegmentInfo("UCS-2", 70, 1)
    assert analyse("🩸" * 36) == SegmentInfo("UCS-2", 72, 2)
    # 66 units then a surrogate pair: it goes whole into part 2.
    assert analyse("ệ" * 66 + "🩸" + "ệ" * 66).segments == 3


def test_empty_text_is_zero_segments():
    assert analyse("") == SegmentInfo("GSM-7", 0, 0)


SENTENCE = (
    "Hội Chữ thập đỏ mời bạn tham gia hiến máu tình nguyện ngày 14/6 tại Nhà văn hóa "
    "quận. Một giọt máu cho đi, một cuộc đời ở lại. Trả lời HUY để từ chối."
)


def test_vietnamese_sentence_with_and_without_diacritics():
    with_marks = analyse(SENTENCE)
    assert with_marks.encoding == "UCS-2"
    assert with_marks.characters == len(SENTENCE) == 150
    assert with_marks.segments == 3
    plain = analyse(strip_diacritics(SENTENCE))
    assert plain == SegmentInfo("GSM-7", 150, 1)


def test_nfd_text_is_counted_as_nfc():
    text = "Bà Hà"
    assert analyse(unicodedata.normalize("NFD", text)) == analyse(text) == SegmentInfo(
        "GSM-7", 5, 1
    )
