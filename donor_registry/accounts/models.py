"""Users, their sessions and the sign-in attempts counted for throttling."""

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from donor_registry.db import enum_type


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    viewer = "viewer"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=40, unique=True)
    password_hash: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    #: None: the whole registry (the national level, or a registry with one chapter).
    chapter_id: int | None = Field(default=None, index=True, foreign_key="chapters.id")
    disabled: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime
    password_changed_at: dt.datetime


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of its random token is kept."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime
    expires_at: dt.datetime
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None = None
    address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, kept for throttling (the audit log keeps the story)."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    login: str = Field(max_length=40, index=True)
    address: str = Field(max_length=64, index=True)
    succeeded: bool
