"""First-start setup shared by the app and the command line: migrate, then load reference data."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from clausier import db
from clausier.services.reference import LoadReport, load_reference_data


def prepare_database(engine: Engine | None = None) -> LoadReport:
    """Upgrade the schema to head and load the missing reference data (idempotent)."""
    engine = engine or db.get_engine()
    db.upgrade(engine)
    with db.session_scope(engine) as session:
        return load_reference_data(session)
