"""Campaign calendar (pure): Tết dates, anchors, year ownership, TOML defaults."""

import tomllib
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from donor_registry.campaigns.calendar import (
    CampaignTemplate,
    FixedAnchor,
    PlannedCampaign,
    RangeAnchor,
    TetAnchor,
    WeeklyAnchor,
    expand,
    in_tet_holiday,
    parse_templates,
    plan_year,
    tet_date,
    tet_holiday,
)
from donor_registry.campaigns.settings import (
    DEFAULT_TEMPLATES,
    DEFAULT_TEMPLATES_TOML,
    CampaignSettings,
)

pytestmark = pytest.mark.usefixtures("english")


def tpl(anchor: dict, key: str = "t", target: int = 100) -> CampaignTemplate:
    return CampaignTemplate.model_validate(
        {"key": key, "name": "Thử nghiệm", "target_units": target, "anchor": anchor}
    )


# ---------------------------------------------------------------------------------- Tết

@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, date(2024, 2, 10)),  # Giáp Thìn
        (2025, date(2025, 1, 29)),  # Ất Tỵ
        (2026, date(2026, 2, 17)),  # Bính Ngọ
        (2027, date(2027, 2, 6)),   # Đinh Mùi
        (2028, date(2028, 1, 26)),  # Mậu Thân
        (2029, date(2029, 2, 13)),  # Kỷ Dậu
    ],
)
def test_tet_published_dates(year, expected):
    assert tet_date(year) == expected


@pytest.mark.parametrize(
    ("year", "vietnam", "china"),
    [
        # Years where the UTC+7 and UTC+8 calendars disagree on Tết.
        (1968, date(1968, 1, 29), date(1968, 1, 30)),
        (1985, date(1985, 1, 21), date(1985, 2, 20)),  # a whole month apart
        (2007, date(2007, 2, 17), date(2007, 2, 18)),
        # New moon ~23:07 UTC+7 on 2 Feb 2030, i.e. 3 Feb in China: Vietnam celebrates first.
        (2030, date(2030, 2, 2), date(2030, 2, 3)),
    ],
)
def test_tet_is_vietnamese_not_chinese(year, vietnam, china):
    assert tet_date(year) == vietnam
    assert tet_date(year) != china


def test_tet_out_of_supported_range():
    with pytest.raises(ValueError):
        tet_date(1850)


def test_tet_holiday_default_window():
    assert tet_holiday(2026) == (date(2026, 2, 15), date(2026, 2, 21))
    assert tet_holiday(2025, days_before=4, days_after=4) == (date(2025, 1, 25), date(2025, 2, 2))
    assert tet_holiday(2027, days_before=0, days_after=0) == (date(2027, 2, 6), date(2027, 2, 6))
    with pytest.raises(ValueError):
        tet_holiday(2027, days_before=-1)


def test_in_tet_holiday():
    assert in_tet_holiday(date(2026, 2, 15))      # 2 days before Tết 2026
    assert in_tet_holiday(date(2026, 2, 21))      # mùng 5
    assert not in_tet_holiday(date(2026, 2, 14))
    assert not in_tet_holiday(date(2026, 2, 22))
    assert in_tet_holiday(date(2026, 2, 22), days_after=5)
    # A wide window of Tết 2028 (26 Jan) reaches back into December 2027.
    assert in_tet_holiday(date(2027, 12, 31), days_before=30)
    assert not in_tet_holiday(date(2027, 12, 31))


# ---------------------------------------------------------------------------------- anchors

def test_fixed_anchor_single_and_multi_day():
    p = expand(tpl({"kind": "fixed", "month": 4, "day": 7}), 2027)
    assert (p.start, p.end, p.days) == (date(2027, 4, 7), date(2027, 4, 7), ())
    p = expand(tpl({"kind": "fixed", "month": 12, "day": 30, "days": 5}), 2027)
    assert (p.start, p.end) == (date(2027, 12, 30), date(2028, 1, 3))
    assert p.year == 2027


def test_tet_anchor_positive_and_negative_offsets():
    p = expand(tpl({"kind": "tet", "offset_days": 10, "days": 21}), 2026)
    assert (p.start, p.end) == (date(2026, 2, 27), date(2026, 3, 19))
    assert p.days == ()
    p = expand(tpl({"kind": "tet", "offset_days": -14, "days": 7}), 2026)
    assert (p.start, p.end) == (date(2026, 2, 3), date(2026, 2, 9))
    # Tết 2028 is 26 January: 30 days before falls in December 2027 but belongs to 2028.
    p = expand(tpl({"kind": "tet", "offset_days": -30, "days": 1}), 2028)
    assert (p.year, p.start, p.end) == (2028, date(2027, 12, 27), date(2027, 12, 27))


def test_tet_anchor_default_length_is_one_day():
    p = expand(tpl({"kind": "tet", "offset_days": 0}), 2025)
    assert (p.start, p.end) == (date(2025, 1, 29), date(2025, 1, 29))


def test_range_anchor_within_year():
    p = expand(tpl({"kind": "range", "start_month": 6, "start_day": 1,
                    "end_month": 8, "end_day": 31}), 2027)
    assert (p.start, p.end, p.days) == (date(2027, 6, 1), date(2027, 8, 31), ())


def test_range_crossing_new_year_belongs_to_year_it_ends_in():
    anchor = {"kind": "range", "start_month": 12, "start_day": 1, "end_month": 3, "end_day": 31}
    p = expand(tpl(anchor), 2027)
    assert (p.year, p.start, p.end) == (2027, date(2026, 12, 1), date(2027, 3, 31))
    # Consecutive seasons tile without overlap.
    nxt = expand(tpl(anchor), 2028)
    assert nxt.start == date(2027, 12, 1)
    assert nxt.start > p.end
    assert RangeAnchor.model_validate(anchor).crosses_new_year


def test_single_day_range_is_not_cross_year():
    p = expand(tpl({"kind": "range", "start_month": 5, "start_day": 1,
                    "end_month": 5, "end_day": 1}), 2027)
    assert (p.start, p.end) == (date(2027, 5, 1), date(2027, 5, 1))


def test_weekly_sundays_of_chu_nhat_do_2027():
    anchor = {"kind": "weekly", "weekday": "sunday", "start_month": 12, "start_day": 1,
              "end_month": 3, "end_day": 31}
    p = expand(tpl(anchor), 2027)
    # 1 Jan 2027 is a Friday: Sundays Dec 2026 (6,13,20,27) + Jan (3..31: 5) + Feb (4) + Mar (4).
    assert len(p.days) == 17
    assert p.days[0] == date(2026, 12, 6) == p.start
    assert p.days[-1] == date(2027, 3, 28) == p.end
    assert date(2027, 1, 3) in p.days
    assert all(d.weekday() == 6 for d in p.days)
    assert all(b - a == timedelta(days=7) for a, b in zip(p.days, p.days[1:]))


def test_weekly_sundays_leap_season_2024_includes_range_ends():
    anchor = {"kind": "weekly", "weekday": "Sunday", "start_month": 12, "start_day": 3,
              "end_month": 3, "end_day": 31}
    p = expand(tpl(anchor), 2024)
    # 3 Dec 2023 and 31 Mar 2024 are both Sundays: inclusive bounds, 5 + 4 + 4 + 5 Sundays.
    assert p.start == date(2023, 12, 3)
    assert p.end == date(2024, 3, 31)
    assert len(p.days) == 18


def test_weekly_other_weekday_within_year():
    p = expand(tpl({"kind": "weekly", "weekday": "saturday", "start_month": 7, "start_day": 1,
                    "end_month": 7, "end_day": 31}), 2027)
    # July 2027: 1st is a Thursday, Saturdays 3, 10, 17, 24, 31.
    assert p.days == tuple(date(2027, 7, d) for d in (3, 10, 17, 24, 31))


# ---------------------------------------------------------------------------------- validation

@pytest.mark.parametrize(
    "anchor",
    [
        {"kind": "fixed", "month": 2, "day": 29},
        {"kind": "fixed", "month": 4, "day": 31},
        {"kind": "fixed", "month": 4, "day": 7, "days": 0},
        {"kind": "tet", "offset_days": 10, "days": 0},
        {"kind": "range", "start_month": 13, "start_day": 1, "end_month": 1, "end_day": 1},
        {"kind": "range", "start_month": 6, "start_day": 31, "end_month": 8, "end_day": 31},
        {"kind": "weekly", "weekday": "sunday", "start_month": 5, "start_day": 1,
         "end_month": 5, "end_day": 6},   # too short to always contain a Sunday
        {"kind": "weekly", "weekday": "funday", "start_month": 5, "start_day": 1,
         "end_month": 6, "end_day": 1},
        {"kind": "lunar", "month": 1, "day": 15},                     # unknown kind
        {"kind": "fixed", "month": 4, "day": 7, "offset_days": 3},    # extra field (typo)
    ],
)
def test_invalid_anchors_rejected(anchor):
    with pytest.raises(ValidationError):
        tpl(anchor)


@pytest.mark.parametrize("key", ["Tet 2", "tet_2", "-tet", "tet-", ""])
def test_key_must_be_slug(key):
    with pytest.raises(ValidationError):
        tpl({"kind": "fixed", "month": 4, "day": 7}, key=key)


def test_discriminator_builds_right_anchor_types():
    assert isinstance(tpl({"kind": "fixed", "month": 4, "day": 7}).anchor, FixedAnchor)
    assert isinstance(tpl({"kind": "tet", "offset_days": -3}).anchor, TetAnchor)
    assert isinstance(
        tpl({"kind": "weekly", "weekday": "sunday", "start_month": 1, "start_day": 1,
             "end_month": 1, "end_day": 31}).anchor, WeeklyAnchor)


def test_duplicate_keys_rejected():
    a = tpl({"kind": "fixed", "month": 4, "day": 7}, key="same")
    b = tpl({"kind": "fixed", "month": 6, "day": 14}, key="same")
    with pytest.raises(ValueError, match="duplicate"):
        plan_year([a, b], 2027)
    with pytest.raises(ValueError, match="duplicate"):
        parse_templates([a.model_dump(), b.model_dump()])
    with pytest.raises(ValidationError):
        CampaignSettings(templates=[a, b])


# ---------------------------------------------------------------------------------- defaults

def test_default_toml_loads_to_default_templates():
    data = tomllib.loads(DEFAULT_TEMPLATES_TOML)
    assert parse_templates(data["campaigns"]["templates"]) == DEFAULT_TEMPLATES
    settings = CampaignSettings.model_validate(data["campaigns"])
    assert settings.templates == DEFAULT_TEMPLATES
    assert CampaignSettings().templates == DEFAULT_TEMPLATES


def test_model_dump_round_trip():
    dumped = [t.model_dump() for t in DEFAULT_TEMPLATES]
    assert parse_templates(dumped) == DEFAULT_TEMPLATES


def test_default_templates_cover_design_rhythm():
    names = {t.name for t in DEFAULT_TEMPLATES}
    assert names == {
        "Chủ nhật Đỏ", "Lễ hội Xuân hồng", "Ngày toàn dân hiến máu tình nguyện",
        "Ngày Quốc tế người hiến máu", "Những giọt máu hồng", "Hành trình Đỏ",
    }


def test_plan_2027_defaults():
    plan = plan_year(DEFAULT_TEMPLATES, 2027)
    by_key = {p.template_key: p for p in plan}
    assert [p.template_key for p in plan] == [
        "chu-nhat-do", "le-hoi-xuan-hong", "ngay-toan-dan-hien-mau",
        "nhung-giot-mau-hong", "ngay-quoc-te-nguoi-hien-mau", "hanh-trinh-do",
    ]
    assert by_key["le-hoi-xuan-hong"].start == date(2027, 2, 16)   # Tết 6 Feb + 10
    assert by_key["le-hoi-xuan-hong"].end == date(2027, 3, 8)      # 21 days
    assert by_key["ngay-toan-dan-hien-mau"].start == date(2027, 4, 7)
    assert by_key["ngay-quoc-te-nguoi-hien-mau"].end == date(2027, 6, 14)
    assert (by_key["hanh-trinh-do"].start, by_key["hanh-trinh-do"].end) == (
        date(2027, 7, 1), date(2027, 8, 31))
    assert by_key["chu-nhat-do"].start == date(2026, 12, 6)
    assert all(p.year == 2027 for p in plan)
    assert all(isinstance(p, PlannedCampaign) for p in plan)


def test_plan_year_is_sorted_and_deterministic():
    shuffled = list(reversed(DEFAULT_TEMPLATES))
    a = plan_year(DEFAULT_TEMPLATES, 2028)
    b = plan_year(shuffled, 2028)
    assert a == b
    assert [(p.start, p.end, p.template_key) for p in a] == sorted(
        (p.start, p.end, p.template_key) for p in a)
    # Ties on start are broken by end, then by key.
    same = [tpl({"kind": "fixed", "month": 4, "day": 7, "days": 3}, key="b"),
            tpl({"kind": "fixed", "month": 4, "day": 7}, key="z"),
            tpl({"kind": "fixed", "month": 4, "day": 7}, key="a")]
    assert [p.template_key for p in plan_year(same, 2027)] == ["a", "z", "b"]


def test_planned_campaign_is_frozen():
    p = expand(DEFAULT_TEMPLATES[0], 2027)
    with pytest.raises(AttributeError):
        p.start = date(2027, 1, 1)  # type: ignore[misc]
