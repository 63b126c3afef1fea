"""The shared vocabulary of the registry: plain enums with no database or I/O attached."""

from enum import StrEnum

from donor_registry.i18n import _


class Sex(StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"


class DonationType(StrEnum):
    whole_blood = "whole_blood"
    platelet_apheresis = "platelet_apheresis"
    plasma_apheresis = "plasma_apheresis"
    red_cell_apheresis = "red_cell_apheresis"


class ABO(StrEnum):
    O = "O"
    A = "A"
    B = "B"
    AB = "AB"


class Rh(StrEnum):
    positive = "+"
    negative = "-"


class ConsentChannel(StrEnum):
    paper = "paper"
    sms = "sms"
    web = "web"
    verbal = "verbal"
    import_file = "import"


def blood_group_label(abo: ABO | None, rh: Rh | None) -> str:
    """'O+', 'AB-', 'A?' for an unknown Rh, '?' when nothing is known."""
    if abo is None:
        return "?"
    return f"{abo.value}{rh.value if rh else '?'}"


_ABO_WORDS = {"O": ABO.O, "A": ABO.A, "B": ABO.B, "AB": ABO.AB}
_RH_WORDS = {
    "+": Rh.positive, "POS": Rh.positive, "DUONG": Rh.positive, "DƯƠNG": Rh.positive,
    "-": Rh.negative, "NEG": Rh.negative, "AM": Rh.negative, "ÂM": Rh.negative,
}


def parse_blood_group(raw: str | None) -> tuple[ABO | None, Rh | None]:
    """Parse 'O+', 'ab-', 'A Rh+', 'B', 'O Rh(D) âm' into (ABO, Rh); empty or '?' is unknown.

    Raises ValueError for anything that is not a blood group (e.g. 'X').
    """
    text = (raw or "").strip().upper().replace("RH(D)", "").replace("RH", "").replace(" ", "")
    if text in ("", "?", "-", "CHUA", "CHƯA", "UNKNOWN"):
        return None, None
    for word in ("AB", "O", "A", "B"):
        if text.startswith(word):
            rest = text[len(word):]
            if rest == "":
                return _ABO_WORDS[word], None
            if rest in _RH_WORDS:
                return _ABO_WORDS[word], _RH_WORDS[rest]
            break
    raise ValueError(_("'{raw}' is not a blood group (expected O, A, B or AB with + or -)").format(
                         raw=raw))
