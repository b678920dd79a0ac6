"""Migrations keep the data: a database filled at revision 0001 comes up to head with every row, and its
constraints still hold (SQLite rebuilds tables with foreign keys off, then checks them)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from clausier import db
from clausier.services import demo, hours_totals
from clausier.services.reference import load_reference_data


def test_upgrade_from_0001_with_data_keeps_every_row(any_engine):
    with db.session_scope(any_engine) as session:
        load_reference_data(session)
    demo.generate(any_engine, size="S", seed=2, today=date(2026, 3, 15))
    with any_engine.connect() as connection:  # back to the first revision, with the data (the fixture is at head)
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # batch mode rebuilds tables: foreign keys off meanwhile, as db.upgrade does
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            cfg = db.alembic_config(any_engine)
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0001")
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
    assert db.current_revision(any_engine) == "0001"
    with any_engine.connect() as connection:
        before = connection.execute(text("SELECT count(*), sum(amount_cents) FROM lot")).one()
        hours = connection.execute(text("SELECT count(*), sum(hours_h100) FROM hoursentry")).one()
    assert hours[0] > 1000
    db.upgrade(any_engine)
    assert db.current_revision(any_engine) == "0003"
    with Session(any_engine) as session:  # 0003 fills the totals per commitment and month from the rows
        assert hours_totals.mismatches(session) == []
        assert session.execute(text("SELECT sum(hours_h100) FROM commitmentmonthhours")).scalar_one() == hours[1]
    with any_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*), sum(amount_cents) FROM lot")).one() == before
        assert connection.execute(text("SELECT count(*), sum(hours_h100) FROM hoursentry")).one() == hours
        connection.execute(text("UPDATE lot SET amount_cents = 5000000000000 WHERE id = 1"))  # 50 billion €: BIGINT
        with pytest.raises(IntegrityError):
            connection.execute(text("UPDATE lot SET amount_cents = -1 WHERE id = 1"))
