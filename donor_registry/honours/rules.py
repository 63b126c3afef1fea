"""Pure honour rules: which tiers a donation count reaches and which are still to award."""

from collections.abc import Iterable, Sequence
from enum import StrEnum

from donor_registry.i18n import _


class HonourLevel(StrEnum):
    """Who usually holds the ceremony for a tier."""

    commune = "commune"
    province = "province"
    national = "national"
    # Before 2025-07-01 district committees honoured donors; districts are gone, so past
    # ceremonies keep this level and new ones cannot take it.
    district = "district"


def tiers_reached(count: int, tiers: Sequence[int]) -> list[int]:
    """Every tier at or below the count, lowest first."""
    return sorted(tier for tier in tiers if tier <= count)


def tiers_to_award(
    count: int, awarded: Iterable[int], tiers: Sequence[int], *, every_missed: bool = False,
) -> list[int]:
    """The tiers a donor with this count and these active awards should be listed for.

    By default only the highest tier reached, and only when it is above every tier already
    awarded (a legacy donor with 12 donations and no award gets 10, not 5 and 10). With
    every_missed, every reached tier not yet awarded.
    """
    reached = tiers_reached(count, tiers)
    held = set(awarded)
    if every_missed:
        return [tier for tier in reached if tier not in held]
    if not reached or reached[-1] <= max(held, default=0):
        return []
    return [reached[-1]]


def tier_label(tier: int) -> str:
    """How a tier reads on a ceremony list and in the annual report ("10 lần", "10 donations")."""
    return _("{tier} donations").format(tier=tier)
