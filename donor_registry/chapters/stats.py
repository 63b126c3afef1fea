"""What belongs to a chapter and the chapters below it (for `chapters show`)."""

from sqlalchemy import func, select
from sqlmodel import Session

from donor_registry.campaigns.models import Campaign, Drive
from donor_registry.chapters.models import Chapter
from donor_registry.chapters.service import in_subtree
from donor_registry.donors.models import Donor
from donor_registry.emergency.models import Hospital
from donor_registry.honours.models import Ceremony


def chapter_counts(*, session: Session, chapter: Chapter) -> dict[str, int]:
    """Donors (not merged), drives, campaigns, ceremonies and hospitals of the chapter and below."""
    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(in_subtree(model.chapter_id, chapter), *where))

    return {"donors": count(Donor, Donor.merged_into_id.is_(None)), "drives": count(Drive),
            "campaigns": count(Campaign), "ceremonies": count(Ceremony), "hospitals": count(Hospital)}
