"""What belongs to a chapter and the chapters below it (for `chapters show`)."""

from sqlalchemy import func, select
from sqlmodel import Session

from donor_registry.campaigns.models import Campaign, Drive
from donor_registry.chapters.models import Chapter, ChapterKind
from donor_registry.chapters.service import in_subtree, subtree_clause
from donor_registry.donors.models import Donor
from donor_registry.emergency.models import Hospital
from donor_registry.honours.models import Ceremony


def chapter_counts(*, session: Session, chapter: Chapter) -> dict[str, int]:
    """Donors (not merged), drives, campaigns, ceremonies and hospitals of the chapter and below."""
    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(in_subtree(model.chapter_id, chapter), *where))

    return {"donors": count(Donor, Donor.merged_into_id.is_(None)), "drives": count(Drive),
            "campaigns": count(Campaign), "ceremonies": count(Ceremony), "hospitals": count(Hospital)}


def unmapped(*, session: Session, chapter: Chapter | None = None) -> dict:
    """What sits at a province or the national chapter because its commune is not known (a split
    or unknown old address): donors counted per chapter (their addresses are in `addresses
    review`), drives, hospitals and ceremonies listed."""
    above_commune = select(Chapter.id).where(Chapter.kind.in_([ChapterKind.national, ChapterKind.province]))
    if chapter is not None:
        above_commune = above_commune.where(subtree_clause(chapter))

    def rows(model, *columns):
        return session.execute(select(model.id, *columns, Chapter.code).join(Chapter, Chapter.id == model.chapter_id)
                               .where(model.chapter_id.in_(above_commune), model.commune_code.is_(None))
                               .order_by(model.id)).all()

    donors = session.execute(
        select(Chapter.code, func.count()).select_from(Donor).join(Chapter, Chapter.id == Donor.chapter_id)
        .where(Donor.chapter_id.in_(above_commune), Donor.commune_code.is_(None), Donor.merged_into_id.is_(None))
        .group_by(Chapter.code).order_by(Chapter.code)).all()
    ceremonies = session.execute(
        select(Ceremony.id, Ceremony.name, Ceremony.district, Chapter.code).join(Chapter, Chapter.id == Ceremony.chapter_id)
        .where(Ceremony.chapter_id.in_(above_commune), Ceremony.district.is_not(None)).order_by(Ceremony.id)).all()
    return {
        "donors": {code: n for code, n in donors},
        "drives": [{"id": i, "venue": v, "commune": c, "district": d, "chapter": code}
                   for i, v, c, d, code in rows(Drive, Drive.venue, Drive.commune, Drive.district)],
        "hospitals": [{"id": i, "name": n, "commune": c, "district": d, "chapter": code}
                      for i, n, c, d, code in rows(Hospital, Hospital.name, Hospital.commune, Hospital.district)],
        "ceremonies": [{"id": i, "name": n, "district": d, "chapter": code} for i, n, d, code in ceremonies],
    }
