"""Reading and changing a chapter's own settings (one unit of work per call, audited).

`lookup` serves the places that need one key for many chapters (the reminder planner renders a
text per donor): the table is tiny, so one query reads every row of the key, and each chapter's
value is resolved once.
"""

import datetime as dt
from collections.abc import Callable

from sqlmodel import Session, select

from donor_registry.audit import service as audit
from donor_registry.chapter_settings import rules
from donor_registry.chapter_settings.models import ChapterSetting
from donor_registry.chapters import service as chapters
from donor_registry.chapters.models import Chapter
from donor_registry.errors import UserError
from donor_registry.i18n import _


def path_values(*, session: Session, chapter: Chapter) -> list[tuple[int, dict[str, str]]]:
    """(chapter id, its stored values) from the root down to `chapter`."""
    ids = chapters.ancestor_ids(chapter)
    stored: dict[int, dict[str, str]] = {i: {} for i in ids}
    for row in session.exec(select(ChapterSetting).where(ChapterSetting.chapter_id.in_(ids))):
        stored[row.chapter_id][row.key] = row.value
    return [(i, stored[i]) for i in ids]


def effective_for(*, session: Session, settings, chapter_id: int) -> dict[str, rules.Effective]:
    """Every key's value for the chapter, and where it comes from."""
    chapter = chapters.get_chapter(session=session, chapter_id=chapter_id)
    return rules.effective(settings, path_values(session=session, chapter=chapter))


def value_for(*, session: Session, settings, key: str, chapter_id: int | None):
    """One key's value for a chapter (config.toml's for no chapter)."""
    if chapter_id is None:
        return rules.config_value(settings, key)
    return effective_for(session=session, settings=settings, chapter_id=chapter_id)[key].value


def lookup(*, session: Session, settings, key: str) -> Callable[[int | None], object]:
    """chapter id -> the key's value, for many chapters (each resolved once)."""
    default = rules.config_value(settings, key)
    stored = dict(session.exec(select(ChapterSetting.chapter_id, ChapterSetting.value)
                               .where(ChapterSetting.key == key)).all())
    if not stored:
        return lambda chapter_id: default
    cache: dict[int | None, object] = {None: default}

    def value(chapter_id: int | None):
        if chapter_id not in cache:
            chapter = session.get(Chapter, chapter_id)
            ids = chapters.ancestor_ids(chapter) if chapter is not None else []
            path = [(i, {key: stored[i]} if i in stored else {}) for i in ids]
            cache[chapter_id] = rules.effective(settings, path)[key].value if path else default
        return cache[chapter_id]

    return value


def stored_values(*, session: Session, key: str) -> list[str]:
    """Every value chapters set for the key (for a planner's widest window)."""
    return list(session.exec(select(ChapterSetting.value).where(ChapterSetting.key == key)))


def set_value(*, session: Session, settings, now: dt.datetime, actor: str, chapter_id: int, key: str,
              raw: str) -> ChapterSetting:
    """Give the chapter its own value of `key` (ValueError with the sentence if config would refuse it)."""
    rules.chapter_key(key)
    chapters.get_chapter(session=session, chapter_id=chapter_id)
    value = rules.parse(settings, key, raw)
    text = str(value)
    before = effective_for(session=session, settings=settings, chapter_id=chapter_id)[key]
    row = session.get(ChapterSetting, (chapter_id, key))
    own_before = row.value if row is not None else None
    if row is None:
        row = ChapterSetting(chapter_id=chapter_id, key=key, value=text, updated_at=now, updated_by=actor)
        session.add(row)
    else:
        row.value, row.updated_at, row.updated_by = text, now, actor
    _audit(session, now, actor, chapter_id, key, own_before, before.value, text, value)
    session.flush()
    return row


def reset_value(*, session: Session, settings, now: dt.datetime, actor: str, chapter_id: int, key: str) -> bool:
    """Drop the chapter's own value of `key` (it inherits again); False if it had none."""
    rules.chapter_key(key)
    chapters.get_chapter(session=session, chapter_id=chapter_id)
    row = session.get(ChapterSetting, (chapter_id, key))
    if row is None:
        return False
    before = effective_for(session=session, settings=settings, chapter_id=chapter_id)[key].value
    session.delete(row)
    session.flush()
    after = effective_for(session=session, settings=settings, chapter_id=chapter_id)[key].value
    _audit(session, now, actor, chapter_id, key, row.value, before, None, after)
    return True


def _audit(session, now, actor, chapter_id, key, own_before, before, own_after, after) -> None:
    audit.record(session=session, now=now, actor=actor, action="settings.change", subject_type="chapter",
                 subject_id=chapter_id, detail={"key": key, "own_before": own_before, "own_after": own_after,
                                                "before": _plain(before), "after": _plain(after)})


def _plain(value):
    return value if isinstance(value, int | float | bool | str) or value is None else str(value)


def parse_key(text: str) -> str:
    """A key as typed (the config path, or its last part: drive_ring) -> the key."""
    cleaned = text.strip()
    if cleaned in rules.KEYS:
        return cleaned
    matches = [k for k in rules.KEYS if k.rsplit(".", 1)[1] == cleaned]
    if len(matches) == 1:
        return matches[0]
    raise UserError(_("'{key}' is not a chapter setting (known: {known})").format(key=text, known=", ".join(rules.KEYS)))


def own_values(*, session: Session, chapter_id: int) -> dict[str, str]:
    """The values the chapter set itself."""
    return dict(session.exec(select(ChapterSetting.key, ChapterSetting.value)
                             .where(ChapterSetting.chapter_id == chapter_id)).all())


def change(*, session: Session, settings, now: dt.datetime, actor: str, chapter_id: int,
           values: dict[str, str]) -> dict[str, str]:
    """A form of the chapter's settings: a value sets the key, a blank lets it inherit again. If any
    value is refused nothing changes and the answer is {key: what is wrong}; else {} (changes audited)."""
    chapters.get_chapter(session=session, chapter_id=chapter_id)
    errors: dict[str, str] = {}
    for key, raw in values.items():
        rules.chapter_key(key)
        if raw.strip():
            try:
                rules.parse(settings, key, raw)
            except ValueError as problem:
                errors[key] = str(problem)
    if errors:
        return errors
    own = own_values(session=session, chapter_id=chapter_id)
    for key, raw in values.items():
        if not raw.strip():
            if key in own:
                reset_value(session=session, settings=settings, now=now, actor=actor, chapter_id=chapter_id, key=key)
        elif str(rules.parse(settings, key, raw)) != own.get(key):
            set_value(session=session, settings=settings, now=now, actor=actor, chapter_id=chapter_id, key=key, raw=raw)
    return {}


def drive_ring(*, session: Session, settings, chapter_id: int | None) -> str:
    """The ring a drive of the chapter invites and expects (its own, an ancestor's, else config's)."""
    return value_for(session=session, settings=settings, key=rules.DRIVE_RING, chapter_id=chapter_id)
