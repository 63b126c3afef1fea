"""Which encoding a CSV file is in, or a plain sentence saying why it cannot be read.

Chapters' lists come as UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text"),
Windows-1258, and now and then in the pre-Unicode Vietnamese font encodings TCVN3 (ABC,
the .VnTime fonts) and VNI-Windows. The last two put Vietnamese letters where Windows-1258
has other letters or symbols, so a file in them decodes without an error into nonsense; they
are told apart by how many of the file's words are Vietnamese syllables when read each way.
No maintained library converts them, and TCVN3 does not even record upper case (it comes
from the font), so such a file is refused with what to do rather than guessed at.
"""

import codecs
import mmap
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from donor_registry.errors import UserError
from donor_registry.i18n import _

_BLOCK = 1 << 20
_SAMPLE = 1 << 18  # bytes scored to tell Windows-1258 from TCVN3 and VNI
# The first bytes of files people attach by mistake: PNG, JPEG, GIF, PDF, gzip, 7-Zip, RAR.
# Their NUL count alone does not tell a short one from a list with a stray NUL in a cell.
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF-", b"\x1f\x8b",
                 b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07")

# TCVN 5712:1993 (TCVN3, "ABC"), bytes 0xA1-0xFE; the same as glibc iconv's TCVN5712-1 there.
TCVN3 = dict(zip(
    bytes([*range(0xA1, 0xAF), *range(0xB5, 0xBA), *range(0xBB, 0xBF), *range(0xC6, 0xCD),
           *range(0xCE, 0xD9), *range(0xDC, 0xE0), *range(0xE1, 0xF0), *range(0xF1, 0xFF)]),
    "ĂÂÊÔƠƯĐăâêôơưđ" "àảãáạ" "ằẳẵắ" "ặầẩẫấậè" "ẻẽéẹềểễếệìỉ" "ĩíịò" "ỏõóọồổỗốộờởỡớợù" "ủũúụừửữứựỳỷỹýỵ",
    strict=True,
))
_TCVN3_TABLE = str.maketrans({chr(byte): letter for byte, letter in TCVN3.items()})

# VNI-Windows: a letter is its base letter followed by a mark byte (read here as Windows-1252).
# Lower case; upper case uses the upper-case base and mark (AÙ = Á).
VNI = {
    "á": "aù", "à": "aø", "ả": "aû", "ã": "aõ", "ạ": "aï",
    "ă": "aê", "ắ": "aé", "ằ": "aè", "ẳ": "aú", "ẵ": "aü", "ặ": "aë",
    "â": "aâ", "ấ": "aá", "ầ": "aà", "ẩ": "aå", "ẫ": "aã", "ậ": "aä",
    "é": "eù", "è": "eø", "ẻ": "eû", "ẽ": "eõ", "ẹ": "eï",
    "ê": "eâ", "ế": "eá", "ề": "eà", "ể": "eå", "ễ": "eã", "ệ": "eä",
    "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
    "ó": "où", "ò": "oø", "ỏ": "oû", "õ": "oõ", "ọ": "oï",
    "ô": "oâ", "ố": "oá", "ồ": "oà", "ổ": "oå", "ỗ": "oã", "ộ": "oä",
    "ơ": "ô", "ớ": "ôù", "ờ": "ôø", "ở": "ôû", "ỡ": "ôõ", "ợ": "ôï",
    "ú": "uù", "ù": "uø", "ủ": "uû", "ũ": "uõ", "ụ": "uï",
    "ư": "ö", "ứ": "öù", "ừ": "öø", "ử": "öû", "ữ": "öõ", "ự": "öï",
    "ý": "yù", "ỳ": "yø", "ỷ": "yû", "ỹ": "yõ", "ỵ": "î", "đ": "ñ",
}
VNI |= {letter.upper(): spelled.upper() for letter, spelled in VNI.items()}
_VNI_SPELLED = sorted(((spelled, letter) for letter, spelled in VNI.items()), key=lambda pair: -len(pair[0]))
_VNI_PATTERN = re.compile("|".join(re.escape(spelled) for spelled, _ in _VNI_SPELLED))
_VNI_LETTER = dict(_VNI_SPELLED)

# A well-formed UTF-8 sequence of two to four bytes.
_UTF8_SEQUENCE = re.compile(
    rb"[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}"
    rb"|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2}")
_UTF8_LEAD = re.compile(rb"[\xC2-\xF4][\x80-\xBF]")
_HIGH_BYTE = re.compile(rb"[\x80-\xFF]")

_WORD = re.compile(r"[^\s!-@\[-`{-~]+")  # a run of anything but white space, ASCII digits and punctuation
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VIETNAMESE_VOWELS = frozenset("aăâeêioôơuưy")
_CLUSTERS = frozenset({
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu",
    "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi", "oo", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa",
    "ưi", "ươ", "ưu", "yê", "iêu", "yêu", "oai", "oao", "oay", "oeo", "uây", "uôi", "ươi", "ươu", "uya", "uyê",
    "uyu"})
_INITIALS = frozenset({"", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
                       "nh", "p", "ph", "q", "qu", "r", "s", "t", "th", "tr", "v", "x"})
_FINALS = frozenset({"", "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "o", "u", "y"})


def detect_encoding(path: Path) -> str:
    """The codec name to read the CSV file with, or a UserError naming the line and byte at fault."""
    status = path.stat()
    return _detect(path.resolve(), status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=8)
def _detect(path: Path, size: int, modified_ns: int) -> str:
    """Read the whole file once per version of it (the CLI opens a file twice: to check it, then to import it)."""
    with path.open("rb") as raw:
        head = raw.read(4096)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(path, "utf-16")
    if bare := _bare_utf16(head):
        return _checked(path, bare)
    if head.startswith(_BINARY_MAGIC) or head.count(0) > max(2, len(head) // 100):  # a stray NUL in a cell is refused with its row instead
        raise UserError(_("{name} holds binary data, not text: it is not a CSV list (an image, "
                          "a PDF or a program?)").format(name=path.name))
    offset = _first_error(path, "utf-8")
    if offset is None:
        return "utf-8-sig"
    with path.open("rb") as raw, mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _not_utf8(path, data, offset, bom=head.startswith(codecs.BOM_UTF8))


def _not_utf8(path: Path, data: mmap.mmap, offset: int, *, bom: bool) -> str:
    """Windows-1258, or a UserError: the file mixes encodings, is TCVN3 or VNI, or is neither."""
    if bom or _has_utf8(data):
        _refuse_mixed(path, data, offset)
    legacy = _legacy_encoding(data[:_SAMPLE])
    if legacy is not None:
        raise UserError(
            _("{name} looks like {legacy}, an old Vietnamese font encoding: open it in Excel "
              "(or convert it with Unikey) and save it as Unicode (CSV UTF-8), then import it "
              "again").format(name=path.name, legacy=legacy))
    bad = _first_error(path, "cp1258")
    if bad is not None:
        raise UserError(_("{name}, {where}: this byte is in neither UTF-8 nor Windows-1258; "
                          "save the file as CSV UTF-8 and import it again").format(
                            name=path.name, where=_where(data, bad)))
    return "cp1258"


def _bare_utf16(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 without its BOM: Vietnamese and ASCII text in it has
    a 0 in one byte of many letters and in neither byte of almost none (binary data has zeros anywhere)."""
    if len(head) < 16:
        return None
    even, odd = head[0::2].count(0) / len(head[0::2]), head[1::2].count(0) / len(head[1::2])
    if odd > 0.3 and even < 0.02:
        return "utf-16-le"
    if even > 0.3 and odd < 0.02:
        return "utf-16-be"
    return None


def _checked(path: Path, encoding: str) -> str:
    bad = _first_error(path, encoding)
    if bad is not None:
        data = path.read_bytes()
        bad = min(bad, len(data) - 1)
        line = data[:bad].decode(encoding, "replace").count("\n") + 1
        raise UserError(_("{name}, line {line} (byte {offset} of the file, 0x{code:02X}): not "
                          "valid {encoding} (a damaged or cut-off file); save it again and "
                          "import it").format(
                            name=path.name, line=line, offset=bad + 1, code=data[bad],
                            encoding=encoding.upper()))
    return encoding


def _first_error(path: Path, encoding: str) -> int | None:
    """The offset in the file of the first byte that does not decode, or None."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    with path.open("rb") as raw:
        while True:
            block = raw.read(_BLOCK)
            pending = len(decoder.getstate()[0])  # bytes of a letter cut by the previous block
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                return max(done - pending + exc.start, 0)
            if not block:
                return None
            done += len(block)


def _has_utf8(data: mmap.mmap) -> bool:
    """Whether the bytes hold a well-formed UTF-8 letter; a two-byte pattern finds the candidates
    five times faster than the full one scans a file."""
    position = 0
    while candidate := _UTF8_LEAD.search(data, position):
        if _UTF8_SEQUENCE.match(data, candidate.start()):
            return True
        position = candidate.start() + 1
    return False


def _refuse_mixed(path: Path, data: mmap.mmap, offset: int) -> None:
    """UTF-8 in some places and something else in others: name where the minority starts."""
    sequences = _UTF8_SEQUENCE.findall(data)
    others = len(_HIGH_BYTE.findall(data)) - sum(map(len, sequences))
    if len(sequences) < others:  # mostly another encoding: the first UTF-8 letter is at fault
        offset = _UTF8_SEQUENCE.search(data).start()
        text = _("{name}, {where}: this byte is UTF-8 while the rest of the file is not (the file mixes "
                 "encodings); save it again as CSV UTF-8 and import it again")
    else:
        text = _("{name}, {where}: this byte is not UTF-8 while the rest of the file is (the file mixes "
                 "encodings); save it again as CSV UTF-8 and import it again")
    raise UserError(text.format(name=path.name, where=_where(data, offset)))


def _where(data: mmap.mmap, offset: int) -> str:
    line = data[:offset].count(b"\n") + 1
    byte = offset - data.rfind(b"\n", 0, offset)
    return _("line {line}, byte {byte} (0x{code:02X})").format(line=line, byte=byte, code=data[offset])


def _legacy_encoding(sample: bytes) -> str | None:
    """'TCVN3' or 'VNI' when the sample reads as Vietnamese in that encoding and not in Windows-1258."""
    as_cp1258 = _vietnamese_share(unicodedata.normalize("NFC", sample.decode("cp1258", "replace")))
    if as_cp1258 is None or as_cp1258 >= 0.6:
        return None
    latin = sample.decode("latin-1")
    shares = {
        "TCVN3 (ABC, .VnTime fonts)": _vietnamese_share(latin.translate(_TCVN3_TABLE)),
        "VNI-Windows (VNI-Times fonts)": _vietnamese_share(
            _VNI_PATTERN.sub(lambda match: _VNI_LETTER[match.group()], sample.decode("cp1252", "replace"))),
    }
    name, share = max(shares.items(), key=lambda item: item[1] or 0)
    return name if share is not None and share >= 0.8 and share > as_cp1258 + 0.3 else None


def _vietnamese_share(text: str) -> float | None:
    """The share of the words holding a non-ASCII letter that are Vietnamese syllables (None: no such word)."""
    words = [word for word in _WORD.findall(text) if not word.isascii()]
    if not words:
        return None
    return sum(map(is_syllable, words)) / len(words)


@lru_cache(maxsize=4096)
def is_syllable(word: str) -> bool:
    """Whether a word is one Vietnamese syllable: consonants, one vowel cluster, at most one tone."""
    marks = unicodedata.normalize("NFD", word.lower())
    if sum(mark in _TONE_MARKS for mark in marks) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(mark for mark in marks if mark not in _TONE_MARKS))
    if not all(letter in _VIETNAMESE_VOWELS or "a" <= letter <= "z" or letter == "đ" for letter in bare):
        return False
    start = next((i for i, letter in enumerate(bare) if letter in _VIETNAMESE_VOWELS), None)
    if start is None:
        return False
    end = start
    while end < len(bare) and bare[end] in _VIETNAMESE_VOWELS:
        end += 1
    initial, vowels, final = bare[:start], bare[start:end], bare[end:]
    if initial in ("q", "g") and len(vowels) > 1 and vowels[0] == ("u" if initial == "q" else "i"):
        initial, vowels = initial + vowels[0], vowels[1:]
    if vowels[-1] in "iouy" and len(vowels) > 1 and not final and vowels not in _CLUSTERS:
        vowels, final = vowels[:-1], vowels[-1]
    return initial in _INITIALS and vowels in _CLUSTERS and final in _FINALS
