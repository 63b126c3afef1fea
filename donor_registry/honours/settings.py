"""Honours settings: the tiers, what counts as a donation, and who awards each tier."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from donor_registry.honours.rules import HonourLevel
from donor_registry.i18n import _
from donor_registry.types import DonationType

DEFAULT_TIERS = [5, 10, 15, 20, 30, 40, 50, 70, 100]


def _default_level(tier: int) -> HonourLevel:
    if tier <= 10:
        return HonourLevel.commune
    if tier <= 30:
        return HonourLevel.province
    return HonourLevel.national


class HonoursSettings(BaseModel):
    """Quy chế tôn vinh (QĐ 122/QĐ-BCĐQG, 2017): tiers of donations and the level awarding each."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[int] = Field(default_factory=lambda: list(DEFAULT_TIERS))
    # Accepted donations of these types count one each; deferrals never count.
    counted_types: list[DonationType] = Field(default_factory=lambda: list(DonationType))
    levels: dict[int, HonourLevel] = Field(
        default_factory=lambda: {tier: _default_level(tier) for tier in DEFAULT_TIERS}
    )
    list_every_missed_tier: bool = False

    @model_validator(mode="after")
    def _check(self) -> "HonoursSettings":
        if not self.tiers or any(tier < 1 for tier in self.tiers):
            raise ValueError(_("honours.tiers must be a non-empty list of positive counts"))
        if len(set(self.tiers)) != len(self.tiers):
            raise ValueError(_("honours.tiers has a tier twice"))
        self.tiers = sorted(self.tiers)
        if not self.counted_types:
            raise ValueError(_("honours.counted_types must name at least one donation type"))
        return self

    def level_of(self, tier: int) -> HonourLevel:
        """The level that usually awards a tier (configured, else by the default bands)."""
        return self.levels.get(tier, _default_level(tier))

    @property
    def counts_every_type(self) -> bool:
        """True when every accepted donation counts, so Donor.donation_count is the count."""
        return set(self.counted_types) == set(DonationType)
