"""Honour tiers: boundaries, skipped tiers, the every-missed option, and the settings."""

import pytest
from pydantic import ValidationError

from donor_registry.honours.rules import HonourLevel, tiers_reached, tiers_to_award
from donor_registry.honours.settings import DEFAULT_TIERS, HonoursSettings
from donor_registry.types import DonationType


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, []), (4, []), (5, [5]), (9, [5]), (10, [10]), (99, [70]), (100, [100]), (250, [100])],
)
def test_highest_tier_at_the_boundaries(count, expected):
    assert tiers_to_award(count, [], DEFAULT_TIERS) == expected


def test_tiers_reached_lists_every_tier_up_to_the_count():
    assert tiers_reached(12, DEFAULT_TIERS) == [5, 10]
    assert tiers_reached(4, DEFAULT_TIERS) == []


def test_a_legacy_donor_who_skipped_tiers_gets_the_highest_only_unless_asked():
    assert tiers_to_award(12, [], DEFAULT_TIERS) == [10]
    assert tiers_to_award(12, [], DEFAULT_TIERS, every_missed=True) == [5, 10]
    assert tiers_to_award(12, [5], DEFAULT_TIERS, every_missed=True) == [10]


def test_an_awarded_tier_is_never_listed_again():
    assert tiers_to_award(9, [5], DEFAULT_TIERS) == []
    assert tiers_to_award(10, [5], DEFAULT_TIERS) == [10]
    # A higher tier held (say from an old list) hides the lower one by default.
    assert tiers_to_award(12, [20], DEFAULT_TIERS) == []


def test_settings_sort_tiers_and_give_every_tier_a_level():
    settings = HonoursSettings(tiers=[10, 5, 25])
    assert settings.tiers == [5, 10, 25]
    assert settings.level_of(5) == HonourLevel.commune
    assert settings.level_of(25) == HonourLevel.province  # not configured: default band
    assert HonoursSettings().level_of(40) == HonourLevel.national
    # TOML keys are strings: "15" = "national" reaches tier 15.
    assert HonoursSettings(levels={"15": "national"}).level_of(15) == HonourLevel.national


def test_settings_refuse_nonsense():
    with pytest.raises(ValidationError):
        HonoursSettings(tiers=[5, 5])
    with pytest.raises(ValidationError):
        HonoursSettings(tiers=[0, 5])
    with pytest.raises(ValidationError):
        HonoursSettings(counted_types=[])
    with pytest.raises(ValidationError):
        HonoursSettings(unknown_key=1)


def test_only_every_type_counted_lets_the_cached_count_answer():
    assert HonoursSettings().counts_every_type
    assert not HonoursSettings(counted_types=[DonationType.whole_blood]).counts_every_type
