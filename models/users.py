"""Users, login sessions, settings, audit trail and login throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_field, enum_field, utcnow
from models.enums import Role, SessionEnd


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (UniqueConstraint("login"), CheckConstraint("length(login) >= 2", name="login_length"))
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=60)
    name: str = Field(max_length=120)
    email: str = Field(max_length=200)
    password_hash: str = Field(max_length=100)
    role: Role = enum_field(Role, Role.LECTURE)
    active: bool = True
    must_change_password: bool = False
    created_at: datetime = created_field()
    last_login_at: datetime | None = None
    version: int = 1


class LoginSession(SQLModel, table=True):
    """One login (DESIGN §6). The signed login cookie carries a random token; the session is found by the token's
    SHA-256 (the token itself is stored nowhere), checked on every rerun, and ended by logout, password change,
    role change, deactivation or expiry."""

    id: str = Field(primary_key=True, max_length=64)  # hex SHA-256 of the cookie's token
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = created_field()
    last_seen_at: datetime = created_field()  # written at most once a minute
    expires_at: datetime
    ended_at: datetime | None = None
    end_reason: SessionEnd | None = enum_field(SessionEnd, None, nullable=True)


class LoginThrottle(SQLModel, table=True):
    """Failed login attempts per typed login (known or not, so that nothing tells whether it exists)."""

    login: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


class Setting(SQLModel, table=True):
    """A setting an admin can change; the value is JSON text. Defaults live in clausier.settings."""

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(sa_type=Text)
    changed_by: str = Field(default="système", max_length=60)
    changed_at: datetime = created_field()


class AuditEvent(SQLModel, table=True):
    """Who did what, when: every write and every export of personal data."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    who: str = Field(max_length=60, index=True)
    action: str = Field(max_length=40)
    table_name: str = Field(default="", max_length=60)
    record_id: str = Field(default="", max_length=60)
    summary: str = Field(default="", sa_type=Text)
