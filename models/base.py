"""Shared pieces of the tables: naming convention, UTC timestamps, enum columns."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlmodel import Field, SQLModel

from models.enums import enum_type

# Stable constraint names, so that Alembic migrations are the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_field(enum_cls: type[Enum], default: Any = ..., ck: str | None = None, **kwargs: Any) -> Any:
    """A column holding an enum's value (VARCHAR + CHECK), with its default.

    ``ck`` names the CHECK constraint when a table has two columns of the same enum."""
    return Field(default=default, sa_type=enum_type(enum_cls, ck), **kwargs)


def created_field() -> Any:
    return Field(default_factory=utcnow)
