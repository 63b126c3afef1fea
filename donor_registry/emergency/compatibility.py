"""Which donors' blood a recipient can take, by product, and whom to call first (pure rules).

These rules choose whom to *call* in an emergency; the hospital's blood bank still types and
crossmatches every unit before transfusion.

Decisions:

* "red_cells": the table of DESIGN.md (recipient <- donor): a donor's red cells must carry no
  ABO antigen the recipient lacks, and an Rh- recipient takes only Rh- cells.
* "whole_blood" means red cells: the donor gives whole blood, which the blood bank separates,
  and the unit the recipient needs from it is the red-cell concentrate.
* "plasma" runs the other way: the donor's plasma must carry no antibody against the recipient's
  ABO antigens, so the donor's ABO group must contain the recipient's antigens (O <- O, A, B, AB;
  A <- A, AB; B <- B, AB; AB <- AB; AB plasma is universal). Rh does not matter for plasma (it
  carries almost no red cells, and anti-D is not naturally present): donors of both Rh are listed.
* "platelets": the plasma ABO rule (a platelet unit is suspended in the donor's plasma) and the
  red-cell Rh rule (a platelet unit carries some red cells, which can immunise an Rh- recipient),
  the stricter of the two tables, so a called donor is never one the blood bank must refuse.
* Preference (lower rank is called first): the exact group first; Rh- donors, scarce in Vietnam,
  are kept for Rh- recipients; the universal donor of the product (O for red cells, AB for plasma
  and platelets) is kept for last, so O- comes last for red cells whenever others suffice.
"""

from enum import StrEnum

from donor_registry.types import ABO, Rh

BloodGroup = tuple[ABO, Rh]


class Product(StrEnum):
    red_cells = "red_cells"
    plasma = "plasma"
    platelets = "platelets"
    whole_blood = "whole_blood"


ALL_GROUPS: frozenset[BloodGroup] = frozenset((abo, rh) for abo in ABO for rh in Rh)

_ANTIGENS: dict[ABO, frozenset[str]] = {
    ABO.O: frozenset(),
    ABO.A: frozenset("A"),
    ABO.B: frozenset("B"),
    ABO.AB: frozenset("AB"),
}


def _group(value: tuple[object, object]) -> BloodGroup:
    """Coerce ('O', '-') or (ABO.O, Rh.negative) to a blood group; ValueError if unknown."""
    abo, rh = value
    if abo is None or rh is None:
        raise ValueError(f"blood group must be known (ABO and Rh), got {value!r}")
    return ABO(abo), Rh(rh)


def _red_cells_abo_ok(donor: ABO, recipient: ABO) -> bool:
    """The donor's red cells carry no ABO antigen the recipient lacks."""
    return _ANTIGENS[donor] <= _ANTIGENS[recipient]


def _plasma_abo_ok(donor: ABO, recipient: ABO) -> bool:
    """The donor's plasma carries no antibody against the recipient's ABO antigens."""
    return _ANTIGENS[recipient] <= _ANTIGENS[donor]


def _rh_ok(donor: Rh, recipient: Rh) -> bool:
    """An Rh- recipient takes only Rh- cells."""
    return recipient == Rh.positive or donor == Rh.negative


def _is_compatible(donor: BloodGroup, recipient: BloodGroup, product: Product) -> bool:
    """Whether `donor` may give `product` to `recipient`."""
    if product in (Product.red_cells, Product.whole_blood):
        return _red_cells_abo_ok(donor[0], recipient[0]) and _rh_ok(donor[1], recipient[1])
    if product == Product.plasma:
        return _plasma_abo_ok(donor[0], recipient[0])
    return _plasma_abo_ok(donor[0], recipient[0]) and _rh_ok(donor[1], recipient[1])


def compatible_donors(recipient: BloodGroup, product: str) -> frozenset[BloodGroup]:
    """The donor groups whose `product` the recipient can take; ValueError for an unknown product."""
    wanted, kind = _group(recipient), Product(product)
    return frozenset(g for g in ALL_GROUPS if _is_compatible(g, wanted, kind))


def _abo_penalty(donor: ABO, recipient: ABO, product: Product) -> int:
    """0 for the same ABO group, 2 for the product's universal donor, 1 in between."""
    if donor == recipient:
        return 0
    universal = ABO.O if product in (Product.red_cells, Product.whole_blood) else ABO.AB
    return 2 if donor == universal else 1


def donor_preference_rank(
    donor_group: BloodGroup, recipient_group: BloodGroup, product: str = "red_cells"
) -> int:
    """Call order of a compatible donor (0 = exact group, first); ValueError if incompatible."""
    donor, recipient, kind = _group(donor_group), _group(recipient_group), Product(product)
    if not _is_compatible(donor, recipient, kind):
        raise ValueError(
            f"{donor[0].value}{donor[1].value} cannot give {kind.value} to "
            f"{recipient[0].value}{recipient[1].value}"
        )
    rh_penalty = 0 if donor[1] == recipient[1] else 1
    return 3 * rh_penalty + _abo_penalty(donor[0], recipient[0], kind)
