"""Properties of reading import files: no bytes make a traceback, and the encodings are told apart."""

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donor_registry.errors import UserError
from donor_registry.importing.encodings import detect_encoding, is_syllable
from donor_registry.importing.readers import open_table
from scripts.datagen import encode_cp1258
from tests.cli.test_import_files import to_tcvn3, to_vni

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

SETTINGS = settings(derandomize=True, max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Hand-picked syllables of Vietnamese names and places (every tone, every modified vowel).
SYLLABLES = ["nguyễn", "thị", "hòa", "trần", "văn", "bình", "lê", "phương", "phạm", "đức", "hoàng", "thúy",
             "võ", "minh", "tuấn", "đặng", "quốc", "việt", "bùi", "ngọc", "ánh", "huỳnh", "khỏe", "giang",
             "xã", "đông", "huyện", "tỉnh", "phường", "thượng", "lưu", "hiển", "ỷ", "quyền", "dũng", "mỹ"]
NOT_SYLLABLES = ["nguyeăn", "nguyÔn", "tröông", "hå", "hµ", "thÞ", "vâăn", "ñoâng", "æ", "tª"]


@pytest.mark.parametrize("word", SYLLABLES)
def test_vietnamese_syllables_are_recognised(word):
    assert is_syllable(word) and is_syllable(word.upper())


@pytest.mark.parametrize("word", NOT_SYLLABLES)
def test_legacy_bytes_read_as_windows_1258_are_not_syllables(word):
    assert not is_syllable(word)


names = st.lists(st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=4).map(" ".join),
                 min_size=3, max_size=30)


def _write(tmp_path, data: bytes):
    path = tmp_path / "ds.csv"
    path.write_bytes(data)
    return path


@SETTINGS
@given(people=names)
def test_each_encoding_of_the_same_list_is_told_apart(tmp_path, people):
    listing = "họ và tên,ngày hiến\r\n" + "".join(f"{name},01/03/2026\r\n" for name in people)
    assert detect_encoding(_write(tmp_path, listing.encode())) == "utf-8-sig"
    assert detect_encoding(_write(tmp_path, encode_cp1258(listing))) == "cp1258"
    assert detect_encoding(_write(tmp_path, listing.encode("utf-16"))) == "utf-16"
    for encode, name in ((to_tcvn3, "TCVN3"), (to_vni, "VNI")):
        with pytest.raises(UserError, match=f"looks like {name}"):
            detect_encoding(_write(tmp_path, encode(unicodedata.normalize("NFC", listing))))


@SETTINGS
@given(data=st.binary(max_size=600) | st.lists(st.sampled_from(
    [b"H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan", b",", b"\r\n", b"\"", b"\x00", b"\xff\xfe", b"\xea\xde", b"\x81",
     b"PK\x03\x04", b"01/03/2026", b"\xd8\x00", b";", b"\t"]), max_size=40).map(b"".join))
def test_no_bytes_make_a_traceback(tmp_path, data):
    """Whatever the file holds, reading it gives rows or one UserError, never another exception."""
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"ds{suffix}"
        path.write_bytes(data)
        try:
            with open_table(path, kind="donations") as table:
                for _ in table.rows:
                    pass
        except UserError as exc:
            assert "\n" not in str(exc)
