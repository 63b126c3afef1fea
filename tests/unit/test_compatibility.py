"""Blood-group compatibility for emergency call-outs, cell by cell."""

import pytest

from donor_registry.emergency.compatibility import compatible_donors, donor_preference_rank
from donor_registry.types import ABO, Rh

LABELS = ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"]


def group(label: str) -> tuple[ABO, Rh]:
    return ABO(label[:-1]), Rh(label[-1])


# Written by hand from DESIGN.md, not derived from any rule: row = recipient, column = donor in
# the order of LABELS; 1 = the recipient can take the donor's red cells.
RED_CELLS = {
    #        O- O+ A- A+ B- B+ AB- AB+
    "O-":  [1, 0, 0, 0, 0, 0, 0, 0],
    "O+":  [1, 1, 0, 0, 0, 0, 0, 0],
    "A-":  [1, 0, 1, 0, 0, 0, 0, 0],
    "A+":  [1, 1, 1, 1, 0, 0, 0, 0],
    "B-":  [1, 0, 0, 0, 1, 0, 0, 0],
    "B+":  [1, 1, 0, 0, 1, 1, 0, 0],
    "AB-": [1, 0, 1, 0, 1, 0, 1, 0],
    "AB+": [1, 1, 1, 1, 1, 1, 1, 1],
}

# Plasma: ABO reversed, Rh ignored (AB plasma is universal).
PLASMA = {
    #        O- O+ A- A+ B- B+ AB- AB+
    "O-":  [1, 1, 1, 1, 1, 1, 1, 1],
    "O+":  [1, 1, 1, 1, 1, 1, 1, 1],
    "A-":  [0, 0, 1, 1, 0, 0, 1, 1],
    "A+":  [0, 0, 1, 1, 0, 0, 1, 1],
    "B-":  [0, 0, 0, 0, 1, 1, 1, 1],
    "B+":  [0, 0, 0, 0, 1, 1, 1, 1],
    "AB-": [0, 0, 0, 0, 0, 0, 1, 1],
    "AB+": [0, 0, 0, 0, 0, 0, 1, 1],
}

# Platelets: the plasma ABO rule and the red-cell Rh rule.
PLATELETS = {
    #        O- O+ A- A+ B- B+ AB- AB+
    "O-":  [1, 0, 1, 0, 1, 0, 1, 0],
    "O+":  [1, 1, 1, 1, 1, 1, 1, 1],
    "A-":  [0, 0, 1, 0, 0, 0, 1, 0],
    "A+":  [0, 0, 1, 1, 0, 0, 1, 1],
    "B-":  [0, 0, 0, 0, 1, 0, 1, 0],
    "B+":  [0, 0, 0, 0, 1, 1, 1, 1],
    "AB-": [0, 0, 0, 0, 0, 0, 1, 0],
    "AB+": [0, 0, 0, 0, 0, 0, 1, 1],
}


def cells(matrix):
    return [
        pytest.param(recipient, donor, bool(allowed), id=f"{recipient}<-{donor}")
        for recipient, row in matrix.items()
        for donor, allowed in zip(LABELS, row, strict=True)
    ]


@pytest.mark.parametrize("recipient, donor, allowed", cells(RED_CELLS))
@pytest.mark.parametrize("product", ["red_cells", "whole_blood"])
def test_red_cells_table(product, recipient, donor, allowed):
    assert (group(donor) in compatible_donors(group(recipient), product)) is allowed


@pytest.mark.parametrize("recipient, donor, allowed", cells(PLASMA))
def test_plasma_table(recipient, donor, allowed):
    assert (group(donor) in compatible_donors(group(recipient), "plasma")) is allowed


@pytest.mark.parametrize("recipient, donor, allowed", cells(PLATELETS))
def test_platelets_table(recipient, donor, allowed):
    assert (group(donor) in compatible_donors(group(recipient), "platelets")) is allowed


def test_red_cell_donor_counts():
    counts = {r: len(compatible_donors(group(r), "red_cells")) for r in LABELS}
    assert counts == {"O-": 1, "O+": 2, "A-": 2, "A+": 4, "B-": 2, "B+": 4, "AB-": 4, "AB+": 8}


def test_universal_donors():
    for r in LABELS:
        assert group("O-") in compatible_donors(group(r), "red_cells")
        assert group("AB-") in compatible_donors(group(r), "plasma")
        assert group("AB+") in compatible_donors(group(r), "plasma")


def test_returns_a_frozenset_of_enum_pairs():
    result = compatible_donors((ABO.O, Rh.positive), "red_cells")
    assert result == frozenset({(ABO.O, Rh.negative), (ABO.O, Rh.positive)})
    assert isinstance(result, frozenset)


def test_accepts_plain_strings_for_the_group():
    assert compatible_donors(("A", "-"), "red_cells") == {(ABO.O, Rh.negative), (ABO.A, Rh.negative)}


@pytest.mark.parametrize("bad", [(None, Rh.positive), (ABO.A, None), ("X", "+")])
def test_unknown_recipient_group_is_refused(bad):
    with pytest.raises(ValueError):
        compatible_donors(bad, "red_cells")


def test_unknown_product_is_refused():
    with pytest.raises(ValueError):
        compatible_donors((ABO.O, Rh.positive), "granulocytes")


# --- call order --------------------------------------------------------------------------------

def order(recipient: str, product: str = "red_cells") -> list[list[str]]:
    """Compatible donor groups bucketed by rank, best first, each bucket sorted."""
    ranks: dict[int, list[str]] = {}
    for d in LABELS:
        if group(d) in compatible_donors(group(recipient), product):
            ranks.setdefault(donor_preference_rank(group(d), group(recipient), product), []).append(d)
    return [sorted(ranks[k]) for k in sorted(ranks)]


@pytest.mark.parametrize(
    "recipient, expected",
    [
        ("O-", [["O-"]]),
        ("O+", [["O+"], ["O-"]]),
        ("A-", [["A-"], ["O-"]]),
        ("A+", [["A+"], ["O+"], ["A-"], ["O-"]]),
        ("B+", [["B+"], ["O+"], ["B-"], ["O-"]]),
        ("AB-", [["AB-"], ["A-", "B-"], ["O-"]]),
        ("AB+", [["AB+"], ["A+", "B+"], ["O+"], ["AB-"], ["A-", "B-"], ["O-"]]),
    ],
)
def test_red_cell_call_order(recipient, expected):
    assert order(recipient) == expected


def test_exact_group_ranks_zero_and_o_negative_last_for_red_cells():
    for r in LABELS:
        ranks = {d: donor_preference_rank(group(d), group(r))
                 for d in LABELS if group(d) in compatible_donors(group(r), "red_cells")}
        assert ranks[r] == 0
        assert ranks["O-"] == max(ranks.values())
        if r != "O-":
            assert sorted(ranks.values()).count(ranks["O-"]) == 1


def test_plasma_call_order_keeps_ab_for_last():
    assert order("O+", "plasma") == [["O+"], ["A+", "B+"], ["AB+"], ["O-"], ["A-", "B-"], ["AB-"]]
    assert order("A-", "plasma") == [["A-"], ["AB-"], ["A+"], ["AB+"]]


def test_rank_of_an_incompatible_donor_is_refused():
    with pytest.raises(ValueError):
        donor_preference_rank(group("A+"), group("O+"))
    with pytest.raises(ValueError):
        donor_preference_rank(group("O+"), group("A+"), "plasma")
