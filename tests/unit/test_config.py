"""config.toml documents every setting with its default; env vars override; errors are plain."""

import tomllib
from pathlib import Path

import pytest

from donor_registry.config import Settings, load_settings
from donor_registry.errors import UserError

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def _keys(value, prefix=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _keys(inner, f"{prefix}{key}.")
    else:
        yield prefix.rstrip(".")


def test_config_toml_holds_every_setting_at_its_default(monkeypatch):
    monkeypatch.delenv("DONOR_REGISTRY_DATABASE__URL", raising=False)
    from_file = load_settings(CONFIG)
    assert from_file.model_dump() == Settings().model_dump()
    in_file = set(_keys(tomllib.loads(CONFIG.read_text(encoding="utf-8"))))
    expected = set(_keys(Settings().model_dump(mode="json")))
    assert expected - in_file == set(), "settings missing from config.toml"


def test_environment_overrides_the_file(monkeypatch):
    monkeypatch.setenv("DONOR_REGISTRY_DATABASE__URL", "postgresql+psycopg://x@h/db")
    monkeypatch.setenv("DONOR_REGISTRY_ELIGIBILITY__MAX_AGE", "65")
    settings = load_settings(CONFIG)
    assert settings.database.url == "postgresql+psycopg://x@h/db"
    assert settings.eligibility.max_age == 65


def test_missing_or_invalid_file_is_a_plain_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[eligibility]\nmin_age = 70\n", encoding="utf-8")
    with pytest.raises(UserError, match="invalid configuration"):
        load_settings(bad)
