"""The questionnaire's verdict, pure: the answers, the day they were given and the drive's date
give whether the donor may give at the drive, and if not until when and why.

A fixed deferral ("in the last N …") counts from the day of the answer: the event it covers lies
on or before that day, so the donor may give again from answered_on + N at the latest. If that
day is on or before the drive, the answer does not keep the donor from this drive (staff still
see it). The verdict is the gravest finding: permanent, then deferred (a date, or none for "while
the condition lasts"), then ask the doctor, then may give.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from donor_registry.questionnaire.form import Form


class Result(StrEnum):
    may_give = "may_give"
    see_doctor = "see_doctor"
    deferred = "deferred"
    permanent = "permanent"


@dataclass(frozen=True)
class Finding:
    """A deferring answer: its question, the deferral's kind and, for a fixed one, the first day
    the donor may give again; `defers` says whether it keeps the donor from this drive."""

    question_id: str
    defer: str
    until: dt.date | None
    defers: bool


@dataclass(frozen=True)
class Verdict:
    result: Result
    until: dt.date | None  # for `deferred`: the first day the donor may give (None: no date can be given)
    findings: tuple[Finding, ...]


class MissingAnswers(ValueError):
    def __init__(self, question_ids: list[str]) -> None:
        super().__init__(", ".join(question_ids))
        self.question_ids = question_ids


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months; the 31st becomes the month's last day (31/1 + 1 month = 28 or 29/2)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _finding(question, answered_on: dt.date, drive_date: dt.date) -> Finding:
    if question.defer == "days":
        until = answered_on + dt.timedelta(days=question.period)
    elif question.defer == "months":
        until = add_months(answered_on, question.period)
    else:
        return Finding(question.id, question.defer, None, question.defer in ("while", "permanent"))
    return Finding(question.id, question.defer, until, until > drive_date)


def evaluate(form: Form, answers: dict[str, bool], *, drive_date: dt.date, answered_on: dt.date,
             sex: str | None = None) -> Verdict:
    """The verdict on `answers` ({question id: yes?}); every question asked of this sex must be
    answered (MissingAnswers), answers to questions not on the form are ignored."""
    asked = form.asked(sex)
    missing = [q.id for q in asked if q.id not in answers]
    if missing:
        raise MissingAnswers(missing)
    findings = tuple(_finding(q, answered_on, drive_date) for q in asked
                     if q.defers_on is not None and answers[q.id] == q.defers_on)
    kinds = {f.defer for f in findings if f.defers}
    if "permanent" in kinds:
        return Verdict(Result.permanent, None, findings)
    if "while" in kinds:
        return Verdict(Result.deferred, None, findings)
    dated = [f.until for f in findings if f.defers and f.until is not None]
    if dated:
        return Verdict(Result.deferred, max(dated), findings)
    if any(f.defer == "doctor" for f in findings):
        return Verdict(Result.see_doctor, None, findings)
    return Verdict(Result.may_give, None, findings)
