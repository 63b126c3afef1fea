"""Checks on recording a donation: may this donation have happened as recorded? Pure rules.

`recording_check` judges a new donation against the donor's facts and other recorded
donations, with the numbers of `EligibilityRules` (Thông tư 26/2013/TT-BYT). It reuses
`eligibility.check` for the interval (in both directions), age and weight (with only a birth
year, refusing only a date surely outside 18-60: the donation has happened), and adds what
only a recorded donation has: a second donation on the same day, apheresis below its weight
minimum, a volume above the weight's limit. Deferrals and a death date do not refuse a
record (the drive's doctor decided); only donations are judged, never deferrals.

Each violation names a stable code, a plain message and the first day from which it would
not apply (None when no date can be named: too old, underweight, too much volume).
"""

import datetime as dt
from dataclasses import dataclass, replace

from donor_registry.eligibility import (
    APHERESIS,
    DEFAULT_RULES,
    DonorFacts,
    EligibilityRules,
    PastDonation,
    check,
    max_apheresis_volume_ml,
    max_volume_ml,
)
from donor_registry.i18n import _, formatting
from donor_registry.i18n.labels import label
from donor_registry.types import DonationType

# eligibility.check's reason codes a recorded donation is refused for.
_RECORDING_REASONS = ("interval", "too_young", "too_old", "underweight")


@dataclass(frozen=True)
class NewDonation:
    date: dt.date
    type: DonationType
    volume_ml: int | None = None


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    allowed_from: dt.date | None


@dataclass(frozen=True)
class RecordingCheck:
    """The violations of a donation, and the first day it could be recorded (None: no day)."""

    violations: tuple[Violation, ...]
    allowed_from: dt.date | None

    @property
    def ok(self) -> bool:
        return not self.violations

    def text(self) -> str:
        """'; '-joined messages, then when it would be allowed."""
        reasons = "; ".join(v.message for v in self.violations)
        if self.allowed_from is None:
            return reasons
        allowed_from = formatting.date(self.allowed_from)
        if len(self.violations) == 1 and self.allowed_from == self.violations[0].allowed_from \
                and allowed_from in reasons:
            return reasons  # the message already says from when
        return _("{reasons}; allowed from {day}").format(reasons=reasons, day=allowed_from)


def recording_check(
    facts: DonorFacts, new: NewDonation, rules: EligibilityRules = DEFAULT_RULES
) -> RecordingCheck:
    """Whether `new` may be recorded given the donor's facts and other donations (facts.donations)."""
    judged = replace(facts, deferrals=(), deceased=False)
    same_day = [d for d in judged.donations if d.date == new.date]
    others = replace(judged, donations=tuple(d for d in judged.donations if d.date != new.date))
    verdict = check(others, new.type, new.date, rules, lenient_birth_year=True)
    violations = [_same_day(d, rules) for d in same_day]
    violations += [Violation(r.code, r.message, r.until) for r in verdict.reasons if r.code in _RECORDING_REASONS]
    if not any(v.code == "underweight" for v in violations):
        violations += _apheresis_weight(facts, new, rules)
    violations += _volume(facts, new, rules)
    if not violations:
        return RecordingCheck((), new.date)
    if any(v.allowed_from is None for v in violations):
        return RecordingCheck(tuple(violations), None)
    full = check(judged, new.type, new.date, rules, lenient_birth_year=True)
    return RecordingCheck(tuple(violations), full.eligible_from)


def _same_day(existing: PastDonation, rules: EligibilityRules) -> Violation:
    until = existing.date + dt.timedelta(days=rules.interval_days[existing.type])
    text = _("a {kind} donation is already recorded on {day}").format(
        kind=label(existing.type), day=formatting.date(existing.date))
    return Violation("same_day", text, until)


def _apheresis_weight(facts: DonorFacts, new: NewDonation, rules: EligibilityRules) -> list[Violation]:
    if new.type not in APHERESIS or facts.weight_kg is None or facts.weight_kg >= rules.min_weight_apheresis_kg:
        return []
    text = _("apheresis needs at least {minimum:g} kg; the donor weighs {weight:g} kg").format(
        minimum=rules.min_weight_apheresis_kg, weight=facts.weight_kg)
    return [Violation("apheresis_underweight", text, None)]


def _volume(facts: DonorFacts, new: NewDonation, rules: EligibilityRules) -> list[Violation]:
    if new.volume_ml is None or facts.weight_kg is None:
        return []
    if new.type in APHERESIS:
        limit = max_apheresis_volume_ml(facts.weight_kg, rules)
    else:
        limit = max_volume_ml(facts.weight_kg, facts.sex, rules)
    if limit is None or new.volume_ml <= limit:
        return []  # underweight is its own violation
    text = _("{volume} ml is above the {limit} ml limit for {weight:g} kg").format(
        volume=new.volume_ml, limit=limit, weight=facts.weight_kg)
    return [Violation("volume", text, None)]
