"""The [emergency] section of config.toml: how call-out waves run, and the limits on them."""

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from donor_registry.i18n import _
from donor_registry.places.rings import DEFAULT_RINGS, check_rings


class EmergencySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wave_margin: float = Field(default=1.0, ge=0, le=10)
    wave_wait_minutes: int = Field(default=20, ge=1)
    rotation_days: int = Field(default=30, ge=0)
    reply_token_hours: int = Field(default=12, ge=1)
    default_needed_within_hours: int = Field(default=24, ge=1)
    default_arrival_minutes: int = Field(default=60, ge=5)
    max_units: int = Field(default=50, ge=1, le=1000)
    job_every_seconds: int = Field(default=30, ge=1)
    status_refresh_seconds: int = Field(default=20, ge=5)
    # Limits on urgent traffic (urgent SMS skip quiet hours and the weekly cap).
    max_horizon_hours: int = Field(default=72, ge=1)
    max_requests_per_hour: int = Field(default=10, ge=1)
    max_open_requests: int = Field(default=5, ge=1)
    max_urgent_sms_per_donor_day: int = Field(default=4, ge=2)
    max_body_bytes: int = Field(default=65536, ge=4096)
    # Where donors are called from, nearest first (places/rings.py); O− stays last in each ring.
    rings: list[str] = Field(default_factory=lambda: list(DEFAULT_RINGS))
    neighbour_km: float = Field(default=15.0, gt=0, le=100)

    @field_validator("rings")
    @classmethod
    def _rings_widen(cls, rings: list[str]) -> list[str]:
        return check_rings(rings)

    @model_validator(mode="after")
    def _default_within_horizon(self) -> "EmergencySettings":
        if self.default_needed_within_hours > self.max_horizon_hours:
            raise ValueError(_("default_needed_within_hours must not exceed max_horizon_hours"))
        return self
