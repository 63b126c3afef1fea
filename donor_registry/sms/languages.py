"""The language a donor's texts are written in: the one they chose on their record page (/me,
kept in donor_availability.language), else Vietnamese."""

from sqlalchemy import select
from sqlmodel import Session

from donor_registry.portal.models import DonorAvailability

VIETNAMESE, ENGLISH = "vi", "en"


def language_of(session: Session, donor_id: int | None) -> str:
    """One donor's language (for a text sent to one donor)."""
    if donor_id is None:
        return VIETNAMESE
    chosen = session.execute(select(DonorAvailability.language)
                             .where(DonorAvailability.donor_id == donor_id)).scalar()
    return chosen or VIETNAMESE


def english_speakers(session: Session) -> frozenset[int]:
    """Every donor who chose English (few: read once for a whole plan of texts)."""
    return frozenset(session.execute(select(DonorAvailability.donor_id)
                                     .where(DonorAvailability.language == ENGLISH)).scalars())
