"""Settings of the donors domain: section `[duplicates]` of config.toml."""

from pydantic import BaseModel, ConfigDict


class DuplicateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match_phone: bool = True
    match_name_birth_commune: bool = True
