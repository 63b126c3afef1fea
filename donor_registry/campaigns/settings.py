"""Settings of the campaigns domain: section `[campaigns]` of config.toml, with the Vietnamese
yearly rhythm (DESIGN.md "Campaign calendar") as the default templates."""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from donor_registry.campaigns.calendar import (
    TET_HOLIDAY_DAYS_AFTER,
    TET_HOLIDAY_DAYS_BEFORE,
    CampaignTemplate,
    FixedAnchor,
    RangeAnchor,
    TetAnchor,
    WeeklyAnchor,
    unique_keys,
)
from donor_registry.i18n import _
from donor_registry.places.rings import check_rings, ring_km

# Defaults (the Vietnamese yearly rhythm, DESIGN.md "Campaign calendar")
# --------------------------------------------------------------------------------------------

# The same defaults as config.toml text; tests check that this loads to DEFAULT_TEMPLATES.
# Dates, lengths and targets are chapter-configurable; target_units are placeholders.
DEFAULT_TEMPLATES_TOML = """\
# Yearly campaign templates. Dates, lengths and targets are per chapter: edit freely.
# anchor.kind: "fixed" (month, day, days), "tet" (offset_days from Tết, days),
# "range" (start_month, start_day, end_month, end_day) or "weekly" (weekday + range).
# A range whose end is before its start crosses the new year; the campaign of year Y then
# runs from the start in Y-1 to the end in Y (e.g. Chủ nhật Đỏ 2027: Dec 2026 – Mar 2027).

[[campaigns.templates]]
key = "chu-nhat-do"
name = "Chủ nhật Đỏ"
target_units = 2000
anchor = { kind = "weekly", weekday = "sunday", start_month = 12, start_day = 1, end_month = 3, end_day = 31 }

[[campaigns.templates]]
key = "le-hoi-xuan-hong"
name = "Lễ hội Xuân hồng"
target_units = 1500
anchor = { kind = "tet", offset_days = 10, days = 21 }

[[campaigns.templates]]
key = "ngay-toan-dan-hien-mau"
name = "Ngày toàn dân hiến máu tình nguyện"
target_units = 300
anchor = { kind = "fixed", month = 4, day = 7 }

[[campaigns.templates]]
key = "ngay-quoc-te-nguoi-hien-mau"
name = "Ngày Quốc tế người hiến máu"
target_units = 300
anchor = { kind = "fixed", month = 6, day = 14 }

[[campaigns.templates]]
key = "nhung-giot-mau-hong"
name = "Những giọt máu hồng"
target_units = 2500
anchor = { kind = "range", start_month = 6, start_day = 1, end_month = 8, end_day = 31 }

[[campaigns.templates]]
key = "hanh-trinh-do"
name = "Hành trình Đỏ"
target_units = 2000
anchor = { kind = "range", start_month = 7, start_day = 1, end_month = 8, end_day = 31 }
"""

DEFAULT_TEMPLATES: tuple[CampaignTemplate, ...] = (
    CampaignTemplate(
        key="chu-nhat-do", name="Chủ nhật Đỏ", target_units=2000,
        anchor=WeeklyAnchor(weekday="sunday", start_month=12, start_day=1,
                            end_month=3, end_day=31),
    ),
    CampaignTemplate(
        key="le-hoi-xuan-hong", name="Lễ hội Xuân hồng", target_units=1500,
        anchor=TetAnchor(offset_days=10, days=21),
    ),
    CampaignTemplate(
        key="ngay-toan-dan-hien-mau", name="Ngày toàn dân hiến máu tình nguyện",
        target_units=300, anchor=FixedAnchor(month=4, day=7),
    ),
    CampaignTemplate(
        key="ngay-quoc-te-nguoi-hien-mau", name="Ngày Quốc tế người hiến máu",
        target_units=300, anchor=FixedAnchor(month=6, day=14),
    ),
    CampaignTemplate(
        key="nhung-giot-mau-hong", name="Những giọt máu hồng", target_units=2500,
        anchor=RangeAnchor(start_month=6, start_day=1, end_month=8, end_day=31),
    ),
    CampaignTemplate(
        key="hanh-trinh-do", name="Hành trình Đỏ", target_units=2000,
        anchor=RangeAnchor(start_month=7, start_day=1, end_month=8, end_day=31),
    ),
)


class CampaignSettings(BaseModel):
    """The `[campaigns]` settings section: templates, staffing and the Tết-warning window."""

    model_config = ConfigDict(extra="forbid")
    templates: tuple[CampaignTemplate, ...] = DEFAULT_TEMPLATES
    max_drives_per_day: int = Field(default=2, ge=1, le=100)
    calendar_uid_domain: str = Field(default="donor-registry", pattern=r"^[A-Za-z0-9.-]+$")
    tet_holiday_days_before: int = Field(default=TET_HOLIDAY_DAYS_BEFORE, ge=0, le=30)
    tet_holiday_days_after: int = Field(default=TET_HOLIDAY_DAYS_AFTER, ge=0, le=30)
    # The donors a drive invites and expects: those living within this ring of the venue
    # ("commune", "<N>km" or "province"; places/rings.py).
    drive_ring: str = "10km"

    @field_validator("drive_ring")
    @classmethod
    def _drive_ring(cls, value: str) -> str:
        if value not in ("commune", "province") and ring_km(check_rings([value])[0]) is None:
            raise ValueError(_("campaigns.drive_ring must be commune, <N>km (e.g. 10km) or province"))
        return value

    @field_validator("templates")
    @classmethod
    def _unique(cls, value: tuple[CampaignTemplate, ...]) -> tuple[CampaignTemplate, ...]:
        unique_keys(value)
        return value
