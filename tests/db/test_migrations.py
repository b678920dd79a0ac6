"""Migrations keep the data: a database filled at revision 0001 comes up to head with every row, and its
constraints still hold (SQLite rebuilds tables with foreign keys off, then checks them)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from clausier import db
from clausier.services import demo
from clausier.services.reference import load_reference_data


def test_upgrade_from_0001_with_data_keeps_every_row(any_engine):
    with any_engine.begin() as connection:  # back to the first revision (the fixture's database is at head)
        cfg = db.alembic_config(any_engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0001")
    assert db.current_revision(any_engine) == "0001"
    with db.session_scope(any_engine) as session:
        load_reference_data(session)
    demo.generate(any_engine, size="S", seed=2, today=date(2026, 3, 15))
    with any_engine.connect() as connection:
        before = connection.execute(text("SELECT count(*), sum(amount_cents) FROM lot")).one()
        hours = connection.execute(text("SELECT count(*), sum(hours_h100) FROM hoursentry")).one()
    db.upgrade(any_engine)
    assert db.current_revision(any_engine) == "0002"
    with any_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*), sum(amount_cents) FROM lot")).one() == before
        assert connection.execute(text("SELECT count(*), sum(hours_h100) FROM hoursentry")).one() == hours
        connection.execute(text("UPDATE lot SET amount_cents = 5000000000000 WHERE id = 1"))  # 50 billion €: BIGINT
        with pytest.raises(IntegrityError):
            connection.execute(text("UPDATE lot SET amount_cents = -1 WHERE id = 1"))
