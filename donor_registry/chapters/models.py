"""The chapter tree: national, province, commune and unit chapters (school, agency, company, hospital)."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type


class ChapterKind(StrEnum):
    national = "national"
    province = "province"
    commune = "commune"
    school = "school"
    agency = "agency"
    company = "company"
    hospital = "hospital"


UNIT_KINDS = frozenset({ChapterKind.school, ChapterKind.agency, ChapterKind.company, ChapterKind.hospital})


class Chapter(SQLModel, table=True):
    """One chapter. `path` is the materialised path of ids from the root, "/1/7/42/": the chapter
    and everything below it are one index range (`path >= '/1/7/' AND path < '/1/70'`).
    """

    __tablename__ = "chapters"
    __table_args__ = (
        # One province chapter per province, one commune chapter per commune.
        Index("uq_chapters_province_code", "province_code", unique=True,
              sqlite_where="kind = 'province'", postgresql_where="kind = 'province'"),
        Index("uq_chapters_commune_code", "commune_code", unique=True,
              sqlite_where="kind = 'commune'", postgresql_where="kind = 'commune'"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40), unique=True)
    name: str = Field(max_length=200)
    name_folded: str = Field(max_length=200, index=True)
    kind: ChapterKind = Field(sa_type=enum_type(ChapterKind))
    parent_id: int | None = Field(default=None, foreign_key="chapters.id", index=True)
    # Official unit codes (places.units) for province and commune chapters; a unit chapter
    # carries its province's code.
    province_code: str | None = Field(default=None, sa_type=String(8))
    commune_code: str | None = Field(default=None, sa_type=String(8))
    # Byte order on PostgreSQL too ("C"), so the subtree range means the same on both databases.
    path: str = Field(sa_type=String(400).with_variant(String(400, collation="C"), "postgresql"),
                      unique=True)
    created_at: dt.datetime
    updated_at: dt.datetime
