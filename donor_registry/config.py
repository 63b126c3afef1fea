"""Settings: config.toml, overridden by DONOR_REGISTRY_<SECTION>__<KEY> environment variables.

Each domain owns the model of its own section (e.g. eligibility.EligibilityRules); this module
only assembles them. Secrets (Twilio credentials, tokens) never live here: they come from the
environment where they are used.
"""

import os
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from donor_registry.accounts.settings import AccountSettings, WebSettings
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.donors.settings import DuplicateSettings
from donor_registry.eligibility import EligibilityRules
from donor_registry.emergency.settings import EmergencySettings
from donor_registry.errors import UserError
from donor_registry.honours.settings import HonoursSettings
from donor_registry.i18n import _
from donor_registry.privacy.settings import PrivacySettings
from donor_registry.sms.settings import SmsSettings

CONFIG_ENV_VAR = "DONOR_REGISTRY_CONFIG"
DEFAULT_CONFIG_FILE = Path("config.toml")


class GeneralSettings(BaseModel):
    # Also a chapter's own setting (chapter_settings): the same limits hold there.
    chapter_name: str = Field(default="Hội Chữ thập đỏ", min_length=1, max_length=100)
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///donor_registry.db"
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    echo: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DONOR_REGISTRY_", env_nested_delimiter="__", extra="ignore"
    )

    general: GeneralSettings = GeneralSettings()
    database: DatabaseSettings = DatabaseSettings()
    eligibility: EligibilityRules = EligibilityRules()
    duplicates: DuplicateSettings = DuplicateSettings()
    campaigns: CampaignSettings = CampaignSettings()
    sms: SmsSettings = SmsSettings()
    honours: HonoursSettings = HonoursSettings()
    emergency: EmergencySettings = EmergencySettings()
    privacy: PrivacySettings = PrivacySettings()
    accounts: AccountSettings = AccountSettings()
    web: WebSettings = WebSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file, which beats the defaults.
        toml_file = settings_cls.model_config.get("toml_file")
        file_source = TomlConfigSettingsSource(settings_cls, toml_file=toml_file)
        return (init_settings, env_settings, file_source)


def config_path(explicit: Path | None = None) -> Path | None:
    """The config file to read: --config, then $DONOR_REGISTRY_CONFIG, then ./config.toml if present."""
    if explicit is not None:
        if not explicit.is_file():
            raise UserError(_("config file not found: {path}").format(path=explicit))
        return explicit
    from_env = os.environ.get(CONFIG_ENV_VAR)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise UserError(_("config file not found: {path} (from ${variable})").format(
                path=path, variable=CONFIG_ENV_VAR))
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(path: Path | None = None, **overrides) -> Settings:
    """Load settings from the chosen TOML file and the environment; overrides win over both."""
    toml_file = config_path(path)

    class _FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=toml_file)

    try:
        loaded = _FileSettings(**overrides)
    except ValueError as exc:
        raise UserError(_("invalid configuration in {file}: {problem}").format(
            file=toml_file or _("defaults"), problem=exc)) from exc
    return loaded
