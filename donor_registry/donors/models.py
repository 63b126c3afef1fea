"""Donor tables and the models the CLI and API read and write."""

import datetime as dt

from pydantic import field_validator
from sqlalchemy import JSON, Column, Index, String, Text, column, literal_column, text
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type, index_where_set
from donor_registry.i18n import _
from donor_registry.places.status import FLAGGED, AddressStatus
from donor_registry.types import ABO, ConsentChannel, DonationType, Rh, Sex


class DonorBase(SQLModel):
    full_name: str = Field(max_length=200)
    date_of_birth: dt.date | None = None
    birth_year: int | None = None
    sex: Sex = Field(default=Sex.unknown, sa_type=enum_type(Sex))
    abo: ABO | None = Field(default=None, sa_type=enum_type(ABO))
    rh: Rh | None = Field(default=None, sa_type=enum_type(Rh))
    phone_e164: str | None = Field(default=None, sa_type=String(20), index=True)
    phone_sms_capable: bool = False
    national_id: str | None = Field(default=None, sa_type=String(12), unique=True)
    address: str | None = Field(default=None, max_length=300)
    commune: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, max_length=100)
    province: str | None = Field(default=None, max_length=100)
    weight_kg: float | None = Field(default=None, gt=0, lt=300)
    weight_measured_on: dt.date | None = None
    consent_at: dt.datetime | None = None
    consent_channel: ConsentChannel | None = Field(
        default=None, sa_type=enum_type(ConsentChannel)
    )
    consent_withdrawn_at: dt.datetime | None = None
    standby: bool = False
    sms_opted_out_at: dt.datetime | None = None
    deceased_on: dt.date | None = None
    notes: str | None = None
    # The chapter the donor belongs to (chapters.service.chapter_for_place by default).
    chapter_id: int | None = Field(default=None, foreign_key="chapters.id")


class Donor(DonorBase, table=True):
    __tablename__ = "donors"
    # commune_key, district_key and commune_code are indexed in campaigns/models.py.
    __table_args__ = (
        index_where_set("ix_donors_merged_into_id", "merged_into_id"),
        # "Donors of this chapter and below": chapter_id IN (the subtree). No merged_into_id
        # after it: SQLite would skip-scan it for `merged_into_id IS NULL` (migration 0030).
        Index("ix_donors_chapter_id", "chapter_id"),
        # PostgreSQL only (0043): a chapter's honour candidates as one index-only range.
        Index("ix_donors_honours", "chapter_id", "donation_count",
              postgresql_include=["id", "deceased_on", "full_name", "district"],
              postgresql_where=text("merged_into_id IS NULL")).ddl_if(dialect="postgresql"),
        # The active donors by name (`donors find`, lists): `merged_into_id IS NULL` selects it.
        Index("ix_donors_active_name", "name_folded", "id",
              sqlite_where=text("merged_into_id IS NULL"), postgresql_where=text("merged_into_id IS NULL")),
        # PostgreSQL only (pg_trgm): find's `' ' || name_folded LIKE '% word%'` by trigrams; the
        # expression must stay the query's own (donors.search._name_clauses).
        Index("ix_donors_name_trigrams", (literal_column("' '") + column("name_folded", String)).label("padded"),
              postgresql_using="gin", postgresql_ops={"padded": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        # A search within a chapter reads its names in order and stops at a page (donors.search).
        Index("ix_donors_chapter_id_name_folded", "chapter_id", "name_folded", "id"),
        # `addresses review` pages the flagged addresses by id: only they are indexed.
        Index("ix_donors_address_flagged", "id", "address_status",
              sqlite_where=text(f"address_status IN {tuple(s.value for s in FLAGGED)}"),
              postgresql_where=text(f"address_status IN {tuple(s.value for s in FLAGGED)}")),
        # `addresses review --province` pages a province's flagged addresses by id (0037).
        Index("ix_donors_flagged_province", "province_code", "id", "address_status",
              sqlite_where=text(f"address_status IN {tuple(s.value for s in FLAGGED)}"),
              postgresql_where=text(f"address_status IN {tuple(s.value for s in FLAGGED)}")),
        # The dashboard counts a chapter's flagged addresses (0034); address_status in it too, so
        # that SQLite prefers it to ix_donors_chapter_id, which reads every donor of the chapter.
        Index("ix_donors_flagged_chapter", "chapter_id", "address_status",
              sqlite_where=text(f"address_status IN {tuple(s.value for s in FLAGGED)}"),
              postgresql_where=text(f"address_status IN {tuple(s.value for s in FLAGGED)}")),
    )

    id: int | None = Field(default=None, primary_key=True)
    name_folded: str = Field(index=True, max_length=200)
    commune_key: str | None = Field(default=None, max_length=100)
    district_key: str | None = Field(default=None, max_length=100)
    province_key: str | None = Field(default=None, max_length=100)
    # The address by the official units (places/): province, commune and the date of the unit
    # list the codes belong to (codes are reused with new meanings). province / district /
    # commune above keep the address as entered; address_status says how it resolved, and a
    # flagged one keeps the new commune codes a person chooses from (space-separated).
    province_code: str | None = Field(default=None, sa_type=String(2))
    commune_code: str | None = Field(default=None, sa_type=String(5))
    units_date: dt.date | None = None
    address_status: AddressStatus = Field(
        default=AddressStatus.empty, sa_type=enum_type(AddressStatus),
        sa_column_kwargs={"server_default": AddressStatus.empty.value},
    )
    address_candidates: str | None = Field(default=None, sa_type=Text)
    # Kept up to date by donations.service.refresh_donor_stats after every write, so lists,
    # honours and matching over a million donors need no aggregate over every donation.
    donation_count: int = 0
    last_donation_on: dt.date | None = None
    last_donation_type: DonationType | None = Field(
        default=None, sa_type=enum_type(DonationType)
    )
    eligible_again_on: dt.date | None = Field(default=None, index=True)
    deferred_until: dt.date | None = None
    merged_into_id: int | None = Field(default=None, foreign_key="donors.id")
    # Set by privacy.erasure: identity and contact data removed, donations kept de-identified.
    erased_at: dt.datetime | None = None
    # How the donor wants messages (sms/channels.py): "zalo" (ZNS, SMS when it fails), "sms"
    # or "none"; a ZNS answer "no Zalo / OA blocked" sets zalo_unavailable_at: SMS from then on.
    message_channel: str = Field(
        default="zalo", sa_type=String(8), sa_column_kwargs={"server_default": "zalo"}
    )
    zalo_opted_out_at: dt.datetime | None = None
    zalo_unavailable_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class DonorCreate(DonorBase):
    """What a coordinator or an import gives; service.create_donor normalises and checks it."""

    @field_validator("full_name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(_("full name is empty"))
        return value


class DonorUpdate(SQLModel):
    full_name: str | None = None
    date_of_birth: dt.date | None = None
    birth_year: int | None = None
    sex: Sex | None = None
    abo: ABO | None = None
    rh: Rh | None = None
    phone: str | None = None
    national_id: str | None = None
    address: str | None = None
    commune: str | None = None
    district: str | None = None
    province: str | None = None
    weight_kg: float | None = None
    standby: bool | None = None
    notes: str | None = None
    chapter_id: int | None = None


class DonorMerge(SQLModel, table=True):
    """One merge of a duplicate into the donor kept: what moved, and the duplicate as it was."""

    __tablename__ = "donor_merges"

    id: int | None = Field(default=None, primary_key=True)
    kept_id: int = Field(foreign_key="donors.id", index=True)
    merged_id: int = Field(foreign_key="donors.id", index=True)
    merged_at: dt.datetime
    command: str = Field(max_length=200)
    moved: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DonorNameWord(SQLModel, table=True):
    """One word of a donor's folded name: the index `donors find` searches by word prefix."""

    __tablename__ = "donor_name_words"

    # Byte order on PostgreSQL ("C"), as in SQLite, so `word >= tok AND word < tok || U+FFFF`
    # selects exactly the words starting with tok whatever the database's collation.
    word: str = Field(primary_key=True, sa_type=String(50).with_variant(String(50, collation="C"), "postgresql"))
    donor_id: int = Field(foreign_key="donors.id", primary_key=True, index=True)
