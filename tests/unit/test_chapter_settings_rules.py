"""A chapter's own settings: its value, else its nearest ancestor's, else config.toml's; values
checked with the same limits config.toml has."""

import pytest

from donor_registry.chapter_settings.rules import (
    KEYS,
    Effective,
    Source,
    config_value,
    effective,
    parse,
)
from donor_registry.config import Settings
from donor_registry.errors import UserError

pytestmark = pytest.mark.usefixtures("english")

NAME, RING, DAYS = "general.chapter_name", "campaigns.drive_ring", "sms.reminders.invitation_days_before"
CONFIG = Settings(general={"chapter_name": "Hội Chữ thập đỏ tỉnh"}, campaigns={"drive_ring": "10km"},
                  sms={"reminders": {"invitation_days_before": 5}})

# (path from the root: (chapter id, its own values)), expected {key: (value, source, from chapter)}
CASES = [
    ([], {NAME: ("Hội Chữ thập đỏ tỉnh", Source.config, None), RING: ("10km", Source.config, None),
          DAYS: (5, Source.config, None)}),
    ([(1, {}), (7, {})], {NAME: ("Hội Chữ thập đỏ tỉnh", Source.config, None),
                          RING: ("10km", Source.config, None), DAYS: (5, Source.config, None)}),
    ([(1, {RING: "25km"}), (7, {NAME: "Hội CTĐ phường Ninh Kiều"})],
     {NAME: ("Hội CTĐ phường Ninh Kiều", Source.chapter, 7), RING: ("25km", Source.parent, 1),
      DAYS: (5, Source.config, None)}),
    # The nearest ancestor wins over the root; the chapter's own over both.
    ([(1, {DAYS: "3", RING: "commune"}), (7, {DAYS: "7"}), (42, {DAYS: "2"})],
     {NAME: ("Hội Chữ thập đỏ tỉnh", Source.config, None), RING: ("commune", Source.parent, 1),
      DAYS: (2, Source.chapter, 42)}),
    ([(1, {DAYS: "3"}), (7, {DAYS: "7"}), (42, {})],
     {NAME: ("Hội Chữ thập đỏ tỉnh", Source.config, None), RING: ("10km", Source.config, None),
      DAYS: (7, Source.parent, 7)}),
    # A stored value config would refuse now is passed over (the parent's holds).
    ([(1, {DAYS: "3"}), (7, {DAYS: "99"})],
     {NAME: ("Hội Chữ thập đỏ tỉnh", Source.config, None), RING: ("10km", Source.config, None),
      DAYS: (3, Source.parent, 1)}),
]


@pytest.mark.parametrize("path, expected", CASES)
def test_the_nearest_value_holds(path, expected):
    assert effective(CONFIG, path) == {k: Effective(*v) for k, v in expected.items()}


def test_the_keys_a_chapter_owns_and_their_config_values():
    assert list(KEYS) == [NAME, RING, DAYS]
    assert [config_value(CONFIG, key) for key in KEYS] == ["Hội Chữ thập đỏ tỉnh", "10km", 5]


@pytest.mark.parametrize("key, raw, value", [
    (NAME, "  Hội CTĐ xã Tân Phú ", "Hội CTĐ xã Tân Phú"), (RING, "province", "province"),
    (RING, "7.5km", "7.5km"), (DAYS, "1", 1), (DAYS, "60", 60),
])
def test_values_config_accepts(key, raw, value):
    assert parse(CONFIG, key, raw) == value


@pytest.mark.parametrize("key, raw, error", [
    (NAME, "", "is required"),
    (NAME, "x" * 101, "is longer than 100 characters"),
    (RING, "everywhere", "campaigns.drive_ring must be commune, <N>km (e.g. 10km) or province"),
    (RING, "0km", "ring '0km' must be more than 0 km"),
    (DAYS, "0", "must be at least 1"),
    (DAYS, "61", "must be at most 60"),
    (DAYS, "năm", "must be a whole number"),
])
def test_values_config_refuses_name_what_is_wrong(key, raw, error):
    with pytest.raises(ValueError) as refused:
        parse(CONFIG, key, raw)
    assert str(refused.value) == error


def test_a_key_no_chapter_owns_is_refused():
    with pytest.raises(UserError, match="'sms.gateway' is not a chapter setting"):
        parse(CONFIG, "sms.gateway", "twilio")
