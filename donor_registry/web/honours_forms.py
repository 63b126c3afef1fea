"""What the honours pages show and read: candidates grouped by tier, a ceremony's facts, the plan
form (checked by CeremonyCreate, as the CLI is), and the lists of honours.export as bytes."""

import datetime as dt
import tempfile
from itertools import groupby
from pathlib import Path

from pydantic import ValidationError

from donor_registry.honours import export
from donor_registry.honours.models import Ceremony, CeremonyCreate
from donor_registry.honours.rules import HonourLevel, tier_label
from donor_registry.honours.settings import HonoursSettings
from donor_registry.i18n import _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label
from donor_registry.i18n.validation import field_errors
from donor_registry.text import collation_key

#: The levels a new ceremony may take (districts were abolished on 2025-07-01).
LEVELS = (HonourLevel.commune, HonourLevel.province, HonourLevel.national)
CONTENT_TYPES = {export.ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 export.ExportFormat.pdf: "application/pdf"}


def parse_day(raw: str | None) -> dt.date | None:
    """14/06/2026 or 2026-06-14 (a phone without a date picker); None for anything else."""
    text = (raw or "").strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def vietnamese_order(rows, name=lambda row: row.full_name, tier=lambda row: row.tier, key=lambda row: row.donor_id):
    """Highest tier first, then names in Vietnamese order (given name, middle, family), as the CLI sorts."""
    return sorted(rows, key=lambda row: (-tier(row), collation_key(name(row)), key(row)))


def candidate_groups(rows, settings: HonoursSettings) -> list[dict]:
    """[{tier, title, level, rows}] highest tier first; rows are the service's candidates."""
    groups = []
    for tier, members in groupby(vietnamese_order(rows), key=lambda row: row.tier):
        members = list(members)
        groups.append({"tier": tier, "title": tier_label(tier), "level": label(settings.level_of(tier)),
                       "rows": [{"donor_id": r.donor_id, "full_name": r.full_name, "district": r.district or "",
                                 "donation_count": r.donation_count} for r in members]})
    return groups


def ceremony_view(ceremony: Ceremony, awards: int | None = None, chapter_name: str = "") -> dict:
    return {"id": ceremony.id, "name": ceremony.name, "held_on": fmt.date(ceremony.held_on),
            "level": label(ceremony.level), "district": ceremony.district or "", "chapter": chapter_name,
            "awards": awards}


def award_views(awards) -> list[dict]:
    """A ceremony's active awards (with their donors), highest tier first, in Vietnamese order."""
    ordered = vietnamese_order(awards, name=lambda pair: pair[1].full_name, tier=lambda pair: pair[0].tier,
                               key=lambda pair: pair[1].id)
    return [{"donor_id": donor.id, "full_name": donor.full_name, "tier": held.tier, "tier_label": tier_label(held.tier),
             "donation_count": held.donation_count, "awarded_on": fmt.date(held.awarded_on)}
            for held, donor in ordered]


def ceremony_data(form: dict[str, str], chapters: set[int | None]) -> tuple[CeremonyCreate | None, dict[str, str]]:
    """The plan form through CeremonyCreate: the model, or {field: error}."""
    errors: dict[str, str] = {}
    held_on = parse_day(form.get("held_on"))
    if held_on is None:
        errors["held_on"] = _("Write the date as dd/mm/yyyy.")
    level = form.get("level", "").strip()
    if level not in {item.value for item in LEVELS}:
        errors["level"] = _("Choose commune, province or national.")
    chapter = form.get("chapter_id", "").strip()
    chapter_id = int(chapter) if chapter.isdigit() else None
    if chapter_id not in chapters:
        errors["chapter_id"] = _("Choose a chapter within yours.")
    if errors:
        return None, errors
    name = " ".join((form.get("name") or "").split()) or \
        _("Honours ceremony {day}").format(day=fmt.date(held_on))
    try:
        return CeremonyCreate(name=name, held_on=held_on, level=HonourLevel(level), chapter_id=chapter_id), {}
    except ValidationError as problem:
        return None, field_errors(problem)


def list_bytes(entries, *, title_lines, fmt_: export.ExportFormat) -> tuple[bytes, int]:
    """The list honours.export writes (the CLI's file, never phone or ID), as bytes, and its row count."""
    with tempfile.TemporaryDirectory(prefix="honours-") as folder:
        path = Path(folder) / f"list.{fmt_.value}"
        written = export.write(export.build_list(entries, title_lines=title_lines), path, fmt_)
        return path.read_bytes(), written
