"""A chapter's own values of the few settings it owns (chapter_settings.rules.KEYS)."""

import datetime as dt

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class ChapterSetting(SQLModel, table=True):
    """One key set on one chapter; the value is kept as typed and parsed by the key's config model."""

    __tablename__ = "chapter_settings"

    chapter_id: int = Field(foreign_key="chapters.id", primary_key=True)
    key: str = Field(sa_type=String(60), primary_key=True)
    value: str = Field(max_length=200)
    updated_at: dt.datetime
    updated_by: str = Field(max_length=100)
