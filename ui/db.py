"""The process's engine (created and migrated once) and a session scope bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from clausier import config, db
from clausier.setup import prepare_database


@st.cache_resource(show_spinner="Préparation de la base de données…")
def _ready_engine(url: str) -> Engine:
    engine = db.get_engine(url)
    prepare_database(engine)  # Alembic upgrade to head + reference data (idempotent)
    return engine


def engine() -> Engine:
    return _ready_engine(config.database_url())


@contextmanager
def session_scope() -> Iterator[Session]:
    """One user action, one transaction."""
    with db.session_scope(engine()) as session:
        yield session
