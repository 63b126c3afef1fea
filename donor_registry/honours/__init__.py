"""Honours: tiers of donations, ceremonies, awards and ceremony lists."""
