"""Imports started from the workspace: one row per uploaded file, from its check to its outcome.

The row is the job's state (status, counts, the dry run's report) and, once ended, a line of the
chapter's import history. Its `token` (random, 256 bits) names it in URLs; the id never leaves
the server.
"""

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type


class ImportStatus(StrEnum):
    checking = "checking"  # the dry run is queued or running
    checked = "checked"  # the preview waits for Confirm or Cancel
    importing = "importing"  # the import is queued or running
    done = "done"  # the import ended (`written` says whether anything was saved)
    failed = "failed"  # the file could not be read, or the job stopped
    cancelled = "cancelled"  # cancelled after the preview; the upload is deleted

    @property
    def active(self) -> bool:
        return self in (ImportStatus.checking, ImportStatus.importing)


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_runs"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)  # donations | donors
    file_name: str = Field(max_length=200)
    #: The uploader's chapter (None: the whole registry); the run is seen within its reach.
    chapter_id: int | None = Field(default=None, foreign_key="chapters.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    login: str = Field(max_length=40)
    status: ImportStatus = Field(sa_type=enum_type(ImportStatus))
    skip_invalid: bool = False
    total: int = 0  # bytes (CSV) or rows (XLSX), the progress bar's end
    created_at: dt.datetime = Field(index=True)
    finished_at: dt.datetime | None = None
    rows_read: int | None = None
    imported: int | None = None
    matched: int | None = None
    created: int | None = None
    rejected_rows: int | None = None
    repeated_rows: int | None = None
    written: bool = False
    #: The last report's other parts (encoding, unknown columns, addresses, consents, repeats).
    report: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=1000)
