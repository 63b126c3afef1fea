"""The questionnaire's questions and deferral rules, read from a versioned TOML file shipped in
the package (forms/<version>.toml); the file is checked when read, so a malformed form never
reaches a donor."""

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FORMS = Path(__file__).parent / "forms"
#: The form the donor pages ask now.
CURRENT = "2026-1"
DEFERRALS = ("days", "months", "doctor", "while", "permanent")
_FIXED = ("days", "months")


class FormError(ValueError):
    """The form file is not well formed (a packaging mistake, never the donor's)."""


@dataclass(frozen=True)
class Question:
    id: str
    vi: str
    en: str
    defers_on: bool | None = None  # the answer that defers; None: the question defers nothing
    defer: str | None = None  # one of DEFERRALS
    period: int | None = None  # days or months, for a fixed deferral
    asked_of: str | None = None  # "women", or None: everyone
    note_vi: str = ""
    note_en: str = ""

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.vi

    def note(self, language: str) -> str:
        return self.note_en if language == "en" else self.note_vi


@dataclass(frozen=True)
class Form:
    version: str
    written: dt.date
    source: str
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def asked(self, sex: str | None) -> tuple[Question, ...]:
        """The questions put to a donor of this sex ("male", "female", "unknown")."""
        return tuple(q for q in self.questions if q.asked_of != "women" or sex != "male")


def _question(raw: dict, where: str) -> Question:
    known = {"id", "vi", "en", "defers_on", "defer", "period", "asked_of", "note_vi", "note_en"}
    if unknown := set(raw) - known:
        raise FormError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("id", "vi", "en"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise FormError(f"{where}: '{key}' must be a non-empty text")
    defers_on, defer, period = raw.get("defers_on"), raw.get("defer"), raw.get("period")
    if (defers_on is None) != (defer is None):
        raise FormError(f"{where}: 'defers_on' and 'defer' go together")
    if defers_on is not None and defers_on not in ("yes", "no"):
        raise FormError(f"{where}: 'defers_on' must be \"yes\" or \"no\"")
    if defer is not None and defer not in DEFERRALS:
        raise FormError(f"{where}: 'defer' must be one of {', '.join(DEFERRALS)}")
    if defer in _FIXED:
        if not isinstance(period, int) or isinstance(period, bool) or not 1 <= period <= 3650:
            raise FormError(f"{where}: a deferral in {defer} needs a whole 'period' from 1")
    elif period is not None:
        raise FormError(f"{where}: only a deferral in days or months has a 'period'")
    if raw.get("asked_of") not in (None, "women"):
        raise FormError(f"{where}: 'asked_of' can only be \"women\"")
    if bool(raw.get("note_vi")) != bool(raw.get("note_en")):
        raise FormError(f"{where}: a note needs both languages")
    return Question(id=raw["id"], vi=raw["vi"].strip(), en=raw["en"].strip(),
                    defers_on=None if defers_on is None else defers_on == "yes", defer=defer, period=period,
                    asked_of=raw.get("asked_of"), note_vi=raw.get("note_vi", ""), note_en=raw.get("note_en", ""))


def parse(data: dict) -> Form:
    """A form from the TOML's data; FormError when it is not well formed."""
    for key, kind in (("version", str), ("written", dt.date), ("source", str)):
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), dt.datetime):
            raise FormError(f"the form needs '{key}'")
    questions = tuple(_question(raw, f"question {n}") for n, raw in enumerate(data.get("question", []), start=1))
    if not questions:
        raise FormError("the form has no question")
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise FormError("two questions have the same id")
    return Form(version=data["version"], written=data["written"], source=data["source"].strip(), questions=questions)


@cache
def load(version: str = CURRENT) -> Form:
    """The form of this version (FileNotFoundError for a version never shipped)."""
    path = FORMS / f"{version}.toml"
    form = parse(tomllib.loads(path.read_text(encoding="utf-8")))
    if form.version != version:
        raise FormError(f"{path.name} says it is version {form.version}")
    return form


def versions() -> list[str]:
    return sorted(path.stem for path in FORMS.glob("*.toml"))
