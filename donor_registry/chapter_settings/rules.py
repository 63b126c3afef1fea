"""The few settings a chapter owns, and which value holds for a chapter (pure, no session).

A chapter may set its own organisation name (the {to_chuc} of its donors' SMS), the ring its
drives invite, and how many days before a drive its donors are invited. A chapter without its
own value takes its nearest ancestor's, and the root takes config.toml's. Values are validated
by the config section's own model, so a chapter can never hold a value config.toml would refuse.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ValidationError

from donor_registry.errors import UserError
from donor_registry.i18n import N_, _
from donor_registry.i18n.validation import field_errors


@dataclass(frozen=True)
class ChapterKey:
    key: str  # the config.toml path, e.g. "campaigns.drive_ring"
    label: str  # msgid
    help: str  # msgid

    @property
    def section(self) -> tuple[str, ...]:
        return tuple(self.key.split(".")[:-1])

    @property
    def field(self) -> str:
        return self.key.rsplit(".", 1)[1]


ORGANISATION_NAME = "general.chapter_name"
DRIVE_RING = "campaigns.drive_ring"
INVITATION_DAYS = "sms.reminders.invitation_days_before"

KEYS: dict[str, ChapterKey] = {k.key: k for k in (
    ChapterKey(ORGANISATION_NAME, N_("Organisation name"),
               N_("Signs the chapter's SMS ({to_chuc}) to its donors.")),
    ChapterKey(DRIVE_RING, N_("Drive invitation ring"),
               N_("The donors a drive of the chapter invites and expects: commune, <N>km (e.g. 10km) or province.")),
    ChapterKey(INVITATION_DAYS, N_("Invitation days before a drive"),
               N_("Donors are invited this many days before a drive of the chapter (1 to 60).")),
)}


class Source(StrEnum):
    chapter = "chapter"  # set on this chapter
    parent = "parent"  # set on an ancestor
    config = "config"  # config.toml (or its default)


@dataclass(frozen=True)
class Effective:
    value: object
    source: Source
    from_chapter_id: int | None  # the chapter whose value holds (None: config.toml)


def chapter_key(key: str) -> ChapterKey:
    """The key, or a plain error naming the keys a chapter may set."""
    if key not in KEYS:
        raise UserError(_("'{key}' is not a chapter setting (known: {known})").format(
            key=key, known=", ".join(KEYS)))
    return KEYS[key]


def _section(settings, key: ChapterKey) -> BaseModel:
    section = settings
    for part in key.section:
        section = getattr(section, part)
    return section


def config_value(settings, key: str):
    """The value config.toml (or its default) gives the key."""
    spec = chapter_key(key)
    return getattr(_section(settings, spec), spec.field)


def parse(settings, key: str, raw: str):
    """The typed value of `raw` for the key, checked by its config section's model (with every
    constraint and validator config.toml gets); ValueError with the sentence to show otherwise."""
    spec = chapter_key(key)
    section = _section(settings, spec)
    text = raw.strip() if isinstance(raw, str) else raw
    if text == "":
        raise ValueError(_("is required"))
    try:
        checked = type(section).model_validate({**section.model_dump(), spec.field: text})
    except ValidationError as exc:
        errors = field_errors(exc)
        raise ValueError(errors.get(spec.field) or next(iter(errors.values()))) from None
    return getattr(checked, spec.field)


def effective(settings, chapter_path_values: Sequence[tuple[int, Mapping[str, str]]]) -> dict[str, Effective]:
    """Each key's value for the last chapter of `chapter_path_values` ((chapter id, its stored
    values) from the root down to the chapter): its own, else its nearest ancestor's, else config's.

    A stored value config no longer accepts (its validation tightened since) is passed over.
    """
    found: dict[str, Effective] = {}
    own_id = chapter_path_values[-1][0] if chapter_path_values else None
    for key in KEYS:
        result = Effective(config_value(settings, key), Source.config, None)
        for chapter_id, values in reversed(chapter_path_values):
            if key not in values:
                continue
            try:
                value = parse(settings, key, values[key])
            except ValueError:
                continue
            result = Effective(value, Source.chapter if chapter_id == own_id else Source.parent, chapter_id)
            break
        found[key] = result
    return found
