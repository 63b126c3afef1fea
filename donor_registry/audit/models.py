"""One row per sensitive action: exports, merges, emergency call-outs, views of donor data."""

import datetime as dt

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=60, index=True)
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: int | None = None
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
