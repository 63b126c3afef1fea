"""The questionnaire answers a donor gave for a drive, kept only under the health-data consent.

A later submission for the same drive supersedes the current one (its `superseded_at` is set)
instead of replacing it: the history stays, and the database keeps one current row per donor
and drive. Erasure scrubs the answers and the result (privacy/erasure.py)."""

import datetime as dt

from sqlalchemy import JSON, Column, Index, String, text
from sqlmodel import Field, SQLModel

_CURRENT = text("superseded_at IS NULL")


class QuestionnaireAnswer(SQLModel, table=True):
    __tablename__ = "questionnaire_answers"
    __table_args__ = (
        Index("uq_questionnaire_answers_current", "donor_id", "drive_id", unique=True,
              sqlite_where=_CURRENT, postgresql_where=_CURRENT),
    )

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donors.id", index=True)
    drive_id: int = Field(foreign_key="drives.id", index=True)
    booking_id: int | None = Field(default=None, foreign_key="slot_bookings.id")
    form_version: str = Field(sa_type=String(20))
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # {question id: yes?}
    result: str = Field(sa_type=String(12))  # questionnaire.rules.Result, or "[erased]"
    may_give_from: dt.date | None = None  # for a dated deferral: the first day the donor may give
    submitted_at: dt.datetime
    superseded_at: dt.datetime | None = None
    erased_at: dt.datetime | None = None
