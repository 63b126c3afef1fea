"""Who may give blood on a given day: pure rules of Thông tư 26/2013/TT-BYT (no database, no clock).

Every number lives in `EligibilityRules`, embedded in the app's settings as `[eligibility]`.
Every function takes the date it judges as a parameter.

Decisions, each of them tested in tests/unit/test_eligibility.py:

* Age. A donor may give from the 18th birthday through the day before the 61st
  (`min_age` 18, `max_age` 60, both inclusive). With only a birth year the check is conservative
  both ways: the minimum age counts from 31 December of that year (the latest possible birthday),
  the maximum from 1 January (the earliest); `lenient_birth_year` (for judging a donation already
  given) takes the other ends, blocking only days surely outside the ages. A 29 February birthday, in a common year, counts as
  1 March for the minimum age and 28 February for the maximum. An unknown age is a warning, not
  a block: the drive's doctor checks the identity card.
* Weight. Women need at least `min_weight_female_kg` (42), men `min_weight_male_kg` (45);
  an unknown sex uses the women's threshold, with a warning. An unknown weight is a warning.
  Weight cannot be predicted, so an underweight donor has no `eligible_from` date.
* Interval (Điều 6: 12 weeks after whole blood or red-cell apheresis, 2 weeks after plasma or
  platelet apheresis; "when types alternate the interval follows the type of the most recent
  donation"). Implemented as: a donor may give from max over past donations of
  (donation.date + interval_days[donation.type]). On a lawful history this is the same as the
  decree's rule, because each donation was itself given after its predecessor's interval, so the
  most recent donation always yields the maximum. On a messy history (a plasma donation recorded
  one week after a whole-blood one) it keeps the 12-week wait of the whole-blood donation instead
  of letting the later plasma record shorten it to 2 weeks.
* Donations dated on or after the day being judged count too (they may be recorded in advance,
  or a check may be run for a past or planned date). The interval rule is applied in both
  directions: a recorded donation X blocks day D when
  ``X.date - interval_days[type asked for] < D < X.date + interval_days[X.type]``, i.e. giving on
  D would come too soon after X, or X would come too soon after a donation on D. So a check of a
  date long before a recorded donation is not blocked by it, but a drive planned 10 days before
  a booked whole-blood donation is. A donation already recorded on D blocks D.
* Deferrals. `Deferral.end` is the first day the donor may give again (the deferral covers
  `start <= day < end`); `end=None` is a permanent deferral. A deferral starting after the day
  judged does not block that day.
* A deceased donor is never eligible.
* `Verdict.eligible_from` is the earliest day on or after the judged day when every blocking
  reason has cleared, or None when no date can be given (too old, permanent deferral, deceased,
  underweight).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from donor_registry.i18n import _, formatting
from donor_registry.i18n.labels import label
from donor_registry.types import DonationType, Sex

DEFAULT_INTERVAL_DAYS: dict[DonationType, int] = {
    DonationType.whole_blood: 84,
    DonationType.red_cell_apheresis: 84,
    DonationType.plasma_apheresis: 14,
    DonationType.platelet_apheresis: 14,
}


class EligibilityRules(BaseModel):
    """The numbers of Thông tư 26/2013/TT-BYT; section `[eligibility]` of config.toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_age: int = Field(18, ge=0)
    max_age: int = Field(60, ge=0)
    min_weight_female_kg: float = Field(42, gt=0)
    min_weight_male_kg: float = Field(45, gt=0)
    full_volume_from_kg: float = Field(45, gt=0)
    max_volume_ml_light: int = Field(250, gt=0)
    ml_per_kg: float = Field(9, gt=0)
    max_volume_ml: int = Field(500, gt=0)
    # Điều 4: apheresis needs at least this weight; at most the first volume, from
    # full_apheresis_volume_from_kg the second.
    min_weight_apheresis_kg: float = Field(50, gt=0)
    max_apheresis_volume_ml: int = Field(500, gt=0)
    full_apheresis_volume_from_kg: float = Field(60, gt=0)
    max_apheresis_volume_ml_full: int = Field(650, gt=0)
    interval_days: dict[DonationType, int] = Field(
        default_factory=lambda: dict(DEFAULT_INTERVAL_DAYS)
    )

    @field_validator("interval_days")
    @classmethod
    def _complete_intervals(cls, value: dict[DonationType, int]) -> dict[DonationType, int]:
        """Fill the types config.toml leaves out with the decree's defaults; refuse days < 1."""
        merged = {**DEFAULT_INTERVAL_DAYS, **value}
        bad = {t.value: d for t, d in merged.items() if d < 1}
        if bad:
            raise ValueError(_("interval_days must be at least 1 day: {bad}").format(bad=bad))
        return merged

    @model_validator(mode="after")
    def _ages_in_order(self) -> "EligibilityRules":
        """Refuse a minimum age above the maximum age."""
        if self.min_age > self.max_age:
            raise ValueError(_("min_age {min_age} is above max_age {max_age}").format(
                min_age=self.min_age, max_age=self.max_age))
        return self


DEFAULT_RULES = EligibilityRules()


@dataclass(frozen=True)
class PastDonation:
    """One recorded donation: its local date and type."""

    date: date
    type: DonationType


@dataclass(frozen=True)
class Deferral:
    """A deferral from `start` until `end`, the first day the donor may give again (None = permanent)."""

    start: date
    end: date | None
    reason: str


@dataclass(frozen=True)
class DonorFacts:
    """What the rules need to know about a donor; None means unknown."""

    date_of_birth: date | None
    birth_year: int | None
    sex: Sex
    weight_kg: float | None
    donations: Sequence[PastDonation] = ()
    deferrals: Sequence[Deferral] = ()
    deceased: bool = False


@dataclass(frozen=True)
class Reason:
    """Why a donor may not give: a stable code, a plain-English message, the day it clears (None = never)."""

    code: str
    message: str
    until: date | None


@dataclass(frozen=True)
class Verdict:
    """The answer of `check`: blocking reasons, the earliest eligible day, non-blocking warnings."""

    eligible: bool
    reasons: tuple[Reason, ...]
    eligible_from: date | None
    warnings: tuple[str, ...]


def anniversary(born: date, years: int, *, early: bool) -> date:
    """The `years`th birthday; a 29 February birthday falls on 28 Feb (early) or 1 Mar in common years."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 2, 28) if early else date(born.year + years, 3, 1)


def _old_enough_from(facts: DonorFacts, rules: EligibilityRules, lenient: bool = False) -> date | None:
    """The first day the donor is surely (lenient: possibly) `min_age` years old, or None if the
    age is unknown."""
    if facts.date_of_birth is not None:
        return anniversary(facts.date_of_birth, rules.min_age, early=False)
    if facts.birth_year is not None:
        year = facts.birth_year + rules.min_age
        return date(year, 1, 1) if lenient else date(year, 12, 31)
    return None


def _too_old_from(facts: DonorFacts, rules: EligibilityRules, lenient: bool = False) -> date | None:
    """The first day the donor may be (lenient: is surely) past `max_age`, or None if the age is unknown."""
    if facts.date_of_birth is not None:
        return anniversary(facts.date_of_birth, rules.max_age + 1, early=True)
    if facts.birth_year is not None:
        year = facts.birth_year + rules.max_age + 1
        return date(year, 12, 31) if lenient else date(year, 1, 1)
    return None


def _born_text(facts: DonorFacts) -> str:
    """'born 01/05/2008' or 'born in 2008 (birth year only)' for messages."""
    if facts.date_of_birth is not None:
        return _("born {day}").format(day=formatting.date(facts.date_of_birth))
    return _("born in {year} (birth year only)").format(year=facts.birth_year)


def _age_reasons(facts: DonorFacts, on: date, rules: EligibilityRules, lenient: bool = False) -> list[Reason]:
    """Too young (until the minimum age is reached) or too old (for good)."""
    old_enough = _old_enough_from(facts, rules, lenient)
    too_old = _too_old_from(facts, rules, lenient)
    if old_enough is not None and on < old_enough:
        text = _("under {age}: {born}; may give from {day}").format(
            age=rules.min_age, born=_born_text(facts), day=formatting.date(old_enough))
        return [Reason("too_young", text, old_enough)]
    if too_old is not None and on >= too_old:
        text = _("over {age}: {born}; too old since {day}").format(
            age=rules.max_age, born=_born_text(facts), day=formatting.date(too_old))
        return [Reason("too_old", text, None)]
    return []


def _weight_threshold(sex: Sex, rules: EligibilityRules) -> float:
    """The minimum weight for a sex; an unknown sex uses the women's threshold."""
    return rules.min_weight_male_kg if sex == Sex.male else rules.min_weight_female_kg


def _weight_reasons(facts: DonorFacts, rules: EligibilityRules) -> list[Reason]:
    """Underweight for the donor's sex; an unknown weight does not block."""
    if facts.weight_kg is None:
        return []
    threshold = _weight_threshold(facts.sex, rules)
    if facts.weight_kg >= threshold:
        return []
    who = _("men") if facts.sex == Sex.male else _("women") if facts.sex == Sex.female else _("unknown sex")
    text = _("weight {weight:g} kg is below the {minimum:g} kg minimum ({who})").format(
        weight=facts.weight_kg, minimum=threshold, who=who)
    return [Reason("underweight", text, None)]


def _label(donation_type: DonationType) -> str:
    """'whole blood', 'plasma apheresis' (in the reader's language) for messages."""
    return label(donation_type)


def _interval_message(
    blocking: PastDonation, until: date, on: date, donation_type: DonationType, facts: DonorFacts
) -> str:
    """Explain which recorded donation blocks `on` and when the wait ends."""
    kind, when, next_day = _label(blocking.type), formatting.date(blocking.date), formatting.date(until)
    if blocking.date > on:
        return _("{kind} donation recorded on {day}, less than the {wanted} interval after {on}; "
                 "next from {next_day}").format(kind=kind, day=when, wanted=_label(donation_type),
                                                on=formatting.date(on), next_day=next_day)
    if blocking.date == on:
        return _("{kind} donation already recorded on {day}; next from {next_day}").format(
            kind=kind, day=when, next_day=next_day)
    latest = max(d.date for d in facts.donations if d.date <= on)
    if blocking.date == latest:
        return _("last {kind} donation on {day}; next from {next_day}").format(kind=kind, day=when, next_day=next_day)
    return _("{kind} donation on {day}; next from {next_day}").format(kind=kind, day=when, next_day=next_day)


def _interval_reasons(
    facts: DonorFacts, donation_type: DonationType, on: date, rules: EligibilityRules
) -> list[Reason]:
    """The recorded donation that keeps the donor waiting longest, if any blocks `on`."""
    ahead = timedelta(days=rules.interval_days[donation_type])
    blocking = [
        (d.date + timedelta(days=rules.interval_days[d.type]), d)
        for d in facts.donations
        if d.date - ahead < on < d.date + timedelta(days=rules.interval_days[d.type])
    ]
    if not blocking:
        return []
    until, worst = max(blocking, key=lambda pair: (pair[0], pair[1].date))
    return [Reason("interval", _interval_message(worst, until, on, donation_type, facts), until)]


def _deferral_reasons(facts: DonorFacts, on: date) -> list[Reason]:
    """Deferrals in force on `on` (start <= on < end); permanent ones never clear."""
    reasons = []
    for d in facts.deferrals:
        if d.start > on:
            continue
        if d.end is None:
            text = _("permanently deferred since {day} ({reason})").format(day=formatting.date(d.start),
                                                                           reason=d.reason)
            reasons.append(Reason("deferred_permanently", text, None))
        elif on < d.end:
            text = _("deferred from {day} ({reason}); may give from {until}").format(
                day=formatting.date(d.start), reason=d.reason, until=formatting.date(d.end))
            reasons.append(Reason("deferred", text, d.end))
    return reasons


def _blocking_reasons(
    facts: DonorFacts, donation_type: DonationType, on: date, rules: EligibilityRules, lenient: bool = False
) -> list[Reason]:
    """Every reason the donor may not give `donation_type` on `on`."""
    reasons = [Reason("deceased", _("recorded as deceased"), None)] if facts.deceased else []
    reasons += _age_reasons(facts, on, rules, lenient)
    reasons += _weight_reasons(facts, rules)
    reasons += _interval_reasons(facts, donation_type, on, rules)
    reasons += _deferral_reasons(facts, on)
    return reasons


def _warnings(facts: DonorFacts) -> list[str]:
    """Gaps in the facts that do not block but should be checked at the drive."""
    warnings = []
    if facts.date_of_birth is None and facts.birth_year is None:
        warnings.append(_("birth date unknown: age not checked"))
    elif (
        facts.date_of_birth is not None
        and facts.birth_year is not None
        and facts.date_of_birth.year != facts.birth_year
    ):
        warnings.append(_("birth year {year} disagrees with date of birth {day}; the date of birth was "
                          "used").format(year=facts.birth_year, day=formatting.date(facts.date_of_birth)))
    if facts.weight_kg is None:
        warnings.append(_("weight unknown: weight not checked"))
    elif facts.sex not in (Sex.male, Sex.female):
        warnings.append(_("sex unknown: the women's minimum weight was used"))
    return warnings


def next_eligible_date(
    facts: DonorFacts,
    donation_type: DonationType,
    on_or_after: date,
    rules: EligibilityRules = DEFAULT_RULES,
    *,
    lenient_birth_year: bool = False,
) -> date | None:
    """The first day on or after `on_or_after` the donor may give, or None if no day can be named."""
    day = on_or_after
    while True:
        reasons = _blocking_reasons(facts, donation_type, day, rules, lenient_birth_year)
        if not reasons:
            return day
        if any(r.until is None for r in reasons):
            return None
        # Each reason blocks a run of consecutive days up to its `until`, so none is free before
        # the latest one; every step moves forward, and there are finitely many `until` dates.
        later = max(r.until for r in reasons if r.until is not None)
        if later <= day:
            raise RuntimeError(f"eligibility reasons blocking {day} do not clear after it")
        day = later


def check(
    facts: DonorFacts,
    donation_type: DonationType,
    on: date,
    rules: EligibilityRules = DEFAULT_RULES,
    *,
    lenient_birth_year: bool = False,
) -> Verdict:
    """Whether the donor may give `donation_type` on `on`, why not, and from when.

    lenient_birth_year: with only a birth year, block only a day surely outside the ages (for
    judging a donation already given, recording.py), instead of any day possibly outside."""
    reasons = tuple(_blocking_reasons(facts, donation_type, on, rules, lenient_birth_year))
    eligible_from = on if not reasons else next_eligible_date(
        facts, donation_type, on, rules, lenient_birth_year=lenient_birth_year)
    return Verdict(not reasons, reasons, eligible_from, tuple(_warnings(facts)))


def max_volume_ml(
    weight_kg: float | None, sex: Sex, rules: EligibilityRules = DEFAULT_RULES
) -> int | None:
    """Most whole blood (ml) a donor of this weight may give, or None if unknown or underweight."""
    if weight_kg is None or weight_kg < _weight_threshold(sex, rules):
        return None
    if weight_kg < rules.full_volume_from_kg:
        return rules.max_volume_ml_light
    by_weight = math.floor(round(weight_kg * rules.ml_per_kg, 6))
    return min(by_weight, rules.max_volume_ml)


APHERESIS = frozenset({
    DonationType.red_cell_apheresis, DonationType.plasma_apheresis, DonationType.platelet_apheresis,
})


def max_apheresis_volume_ml(weight_kg: float | None, rules: EligibilityRules = DEFAULT_RULES) -> int | None:
    """Most an apheresis may take (ml) at this weight, or None if unknown or under the minimum."""
    if weight_kg is None or weight_kg < rules.min_weight_apheresis_kg:
        return None
    if weight_kg < rules.full_apheresis_volume_from_kg:
        return rules.max_apheresis_volume_ml
    return rules.max_apheresis_volume_ml_full
