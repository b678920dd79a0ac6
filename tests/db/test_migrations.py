"""Migrations keep the data: a database filled at revision 0001 comes up to head with every row, and its
constraints still hold (SQLite rebuilds tables with foreign keys off, then checks them)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from clausier import db, demo
from clausier.rules.followup import Due, DueKind
from clausier.services import derived, followup, hours_totals
from clausier.services.reference import load_reference_data
from models import EmploymentContract
from models.enums import FollowUpKind
from tests.builders import make_contract, make_follow_up, set_setting

HEAD = "0006"


def _downgrade(engine, revision: str) -> None:
    """Back to ``revision`` with the data (the fixture is at head)."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # batch mode rebuilds tables: foreign keys off meanwhile, as db.upgrade does
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            cfg = db.alembic_config(engine)
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, revision)
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
    assert db.current_revision(engine) == revision


def test_upgrade_from_0001_with_data_keeps_every_row(any_engine):
    with db.session_scope(any_engine) as session:
        load_reference_data(session)
    demo.generate(any_engine, size="S", seed=2, today=date(2026, 3, 15))
    _downgrade(any_engine, "0001")
    with any_engine.connect() as connection:
        before = connection.execute(text("SELECT count(*), sum(amount_cents) FROM lot")).one()
        hours = connection.execute(text("SELECT count(*), sum(hours_h100) FROM hoursentry")).one()
    assert hours[0] > 1000
    db.upgrade(any_engine)
    assert db.current_revision(any_engine) == HEAD
    with Session(any_engine) as session:  # 0003 fills the totals per commitment and month from the rows
        assert hours_totals.mismatches(session) == []
        assert derived.next_due_mismatches(session) == []  # 0004 the next follow-up due of each contract
        assert session.execute(text("SELECT sum(hours_h100) FROM commitmentmonthhours")).scalar_one() == hours[1]
    with any_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*), sum(amount_cents) FROM lot")).one() == before
        assert connection.execute(text("SELECT count(*), sum(hours_h100) FROM hoursentry")).one() == hours
        connection.execute(text("UPDATE lot SET amount_cents = 5000000000000 WHERE id = 1"))  # 50 billion €: BIGINT
        with pytest.raises(IntegrityError):
            connection.execute(text("UPDATE lot SET amount_cents = -1 WHERE id = 1"))


def test_0004_fills_the_next_follow_up_due_of_the_running_contracts(any_engine):
    demo.generate(any_engine, size="S", seed=2, today=date(2026, 3, 15))
    with db.session_scope(any_engine) as session:  # a setting of this database, not the default, and a contract
        set_setting(session, "followup_interval_days", 21, by="admin")  # whose next due date depends on it
        called = make_contract(session, start_date=date(2026, 2, 2), planned_end=None, in_charge="sophie").id
        make_follow_up(session, contract_id=called, on=date(2026, 3, 2), kind=FollowUpKind.SITE_VISIT)
    _downgrade(any_engine, "0003")
    columns = {c["name"] for c in inspect(any_engine).get_columns("employmentcontract")}
    assert not {"next_due_on", "next_due_kind"} & columns
    assert "ix_employmentcontract_running_due" not in {
        i["name"] for i in inspect(any_engine).get_indexes("employmentcontract")
    }

    db.upgrade(any_engine)
    assert db.current_revision(any_engine) == HEAD
    assert "ix_employmentcontract_running_due" in {
        i["name"] for i in inspect(any_engine).get_indexes("employmentcontract")
    }
    c = EmploymentContract
    with Session(any_engine) as session:
        assert derived.next_due_mismatches(session) == []
        kept = session.execute(
            select(c.id, c.next_due_on, c.next_due_kind).where(c.actual_end.is_(None)).order_by(c.id)
        ).all()
        assert len(kept) > 20 and all(on is not None for _, on, _ in kept)
        assert {kind for _, _, kind in kept} >= {DueKind.CONTACT.value}
        for cid, on, kind in kept:
            assert Due(on, DueKind(kind)) == followup.next_due_of(session, cid)
        ended = session.execute(
            select(c.next_due_on, c.next_due_kind).where(c.actual_end.is_not(None)).distinct()
        ).all()
        assert ended == [(None, None)]
        # The setting of this database was used.
        assert (session.get(c, called).next_due_on, session.get(c, called).next_due_kind) == (
            date(2026, 3, 23),
            DueKind.CONTACT.value,
        )


def test_0005_adds_the_home_page_indexes_and_drops_them_on_the_way_back(any_engine):
    wanted = {
        "eligibility": {"ix_eligibility_validated_on_participant", "ix_eligibility_participant_validated_on"},
        "employmentcontract": {"ix_employmentcontract_actual_end_start", "ix_employmentcontract_six_month_due"},
    }

    def present() -> dict[str, set[str]]:
        found = inspect(any_engine)
        return {table: {i["name"] for i in found.get_indexes(table)} & names for table, names in wanted.items()}

    assert present() == wanted
    _downgrade(any_engine, "0004")
    assert present() == {"eligibility": set(), "employmentcontract": set()}
    db.upgrade(any_engine)
    assert db.current_revision(any_engine) == HEAD and present() == wanted


def test_0006_adds_the_login_sessions_and_drops_them_on_the_way_back(any_engine):
    assert "loginsession" in inspect(any_engine).get_table_names()
    _downgrade(any_engine, "0005")
    assert "loginsession" not in inspect(any_engine).get_table_names()
    db.upgrade(any_engine)
    assert db.current_revision(any_engine) == HEAD
    assert {i["name"] for i in inspect(any_engine).get_indexes("loginsession")} == {"ix_loginsession_user_id"}


def test_the_migrations_build_the_schema_the_models_describe(any_engine):
    """No table, column, type or index of ``models`` is missing from the migrations, nor the reverse."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import models  # noqa: F401  (every table registered on the metadata)

    with any_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
