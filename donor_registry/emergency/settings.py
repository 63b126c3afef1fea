"""The [emergency] section of config.toml: how call-out waves run."""

from pydantic import BaseModel, ConfigDict, Field


class EmergencySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wave_margin: float = Field(default=1.0, ge=0, le=10)
    wave_wait_minutes: int = Field(default=20, ge=1)
    rotation_days: int = Field(default=30, ge=0)
    reply_token_hours: int = Field(default=12, ge=1)
    default_needed_within_hours: int = Field(default=24, ge=1)
    default_arrival_minutes: int = Field(default=60, ge=5)
    max_units: int = Field(default=50, ge=1)
    job_every_seconds: int = Field(default=30, ge=1)
    status_refresh_seconds: int = Field(default=20, ge=5)
