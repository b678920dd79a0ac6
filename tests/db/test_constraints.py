"""The rules the database itself enforces (STYLE: constraints in the database), on SQLite and PostgreSQL.

SQLModel table models skip validation, so each test writes a bad row and expects the database to refuse it,
naming the constraint that refused it (so a test cannot pass on some other error).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError, update_versioned
from models import Company, HoursEntry
from tests.builders import (
    make_commitment,
    make_company,
    make_contract,
    make_hours_entry,
    make_lot,
    make_operation,
    make_participant,
    valid_siret,
)


def check_refused(constraint: str):
    """IntegrityError from the named CHECK constraint (both databases name it in their message)."""
    return pytest.raises(IntegrityError, match=constraint)


def unique_refused(table: str, *columns: str):
    """IntegrityError from the UNIQUE constraint on these columns, as SQLite and PostgreSQL word it."""
    sqlite = "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
    postgres = f"uq_{table}_" + "_".join(columns)
    return pytest.raises(IntegrityError, match=f"{sqlite}|{postgres}")


def foreign_key_refused():
    return pytest.raises(IntegrityError, match="(?i)foreign key constraint")


@pytest.fixture
def session(any_engine):
    with Session(any_engine) as session:
        yield session


# --- Companies ----------------------------------------------------------------------------------------------


def test_duplicate_company_siret_is_refused(session):
    siret = valid_siret()
    make_company(session, siret=siret)
    with unique_refused("company", "siret"):
        make_company(session, siret=siret)


def test_company_siret_shorter_than_14_characters_is_refused(session):
    with check_refused("ck_company_siret_length"):
        make_company(session, siret=valid_siret()[:13])


def test_company_siret_longer_than_14_characters_is_refused(session):
    # SQLite: the CHECK on length; PostgreSQL: VARCHAR(14) refuses it first (DataError).
    with pytest.raises((IntegrityError, DataError)):
        make_company(session, siret=valid_siret() + "0")


def test_valid_siret_is_accepted(session):
    company = make_company(session, siret=valid_siret())
    session.commit()
    assert session.get(Company, company.id).siret == company.siret


# --- Hours entries ------------------------------------------------------------------------------------------


def test_hours_entry_is_unique_per_commitment_participant_and_month(session):
    commitment, participant = make_commitment(session), make_participant(session)
    make_hours_entry(session, commitment=commitment, participant=participant, month=date(2026, 3, 1))
    with unique_refused("hoursentry", "commitment_id", "participant_id", "month"):
        make_hours_entry(session, commitment=commitment, participant=participant, month=date(2026, 3, 1))


def test_hours_entry_of_the_same_person_another_month_is_accepted(session):
    commitment, participant = make_commitment(session), make_participant(session)
    make_hours_entry(session, commitment=commitment, participant=participant, month=date(2026, 3, 1))
    make_hours_entry(session, commitment=commitment, participant=participant, month=date(2026, 4, 1))
    session.commit()
    assert len(session.exec(select(HoursEntry)).all()) == 2


@pytest.mark.parametrize("hours_h100", [0, -100])
def test_hours_entry_of_zero_or_negative_hours_is_refused(session, hours_h100):
    with check_refused("ck_hoursentry_hours_range"):
        make_hours_entry(session, hours_h100=hours_h100)


def test_hours_entry_over_250_hours_is_refused(session):
    with check_refused("ck_hoursentry_hours_range"):
        make_hours_entry(session, hours_h100=25_001)


def test_hours_entry_of_exactly_250_hours_is_accepted(session):
    entry = make_hours_entry(session, hours_h100=25_000)
    session.commit()
    assert session.get(HoursEntry, entry.id).hours_h100 == 25_000


def test_hours_entry_pointing_to_a_missing_commitment_is_refused(session):
    # Proves foreign keys are enforced, i.e. PRAGMA foreign_keys=ON on SQLite.
    with foreign_key_refused():
        make_hours_entry(session, commitment_id=999_999)


# --- Dates --------------------------------------------------------------------------------------------------


def test_lot_execution_end_before_start_is_refused(session):
    with check_refused("ck_lot_dates"):
        make_lot(session, execution_start=date(2026, 6, 1), execution_end=date(2026, 5, 31))


def test_lot_execution_on_a_single_day_is_accepted(session):
    make_lot(session, execution_start=date(2026, 6, 1), execution_end=date(2026, 6, 1))
    session.commit()


def test_operation_planned_end_before_start_is_refused(session):
    with check_refused("ck_operation_dates"):
        make_operation(session, planned_start=date(2026, 6, 1), planned_end=date(2026, 1, 1))


def test_operation_with_only_a_start_date_is_accepted(session):
    make_operation(session, planned_start=date(2026, 6, 1), planned_end=None)
    session.commit()


def test_contract_planned_end_before_start_is_refused(session):
    with check_refused("ck_employmentcontract_planned_end_after_start"):
        make_contract(session, start_date=date(2026, 3, 1), planned_end=date(2026, 2, 28))


def test_contract_actual_end_before_start_is_refused(session):
    with check_refused("ck_employmentcontract_actual_end_after_start"):
        make_contract(session, start_date=date(2026, 3, 1), actual_end=date(2026, 2, 1))


# --- Commitments and enums ----------------------------------------------------------------------------------


def test_commitment_is_unique_per_lot_and_company(session):
    lot, company = make_lot(session), make_company(session)
    make_commitment(session, lot=lot, company=company)
    with unique_refused("commitment", "lot_id", "company_id"):
        make_commitment(session, lot=lot, company=company)


def test_two_companies_may_commit_on_the_same_lot(session):
    lot = make_lot(session)
    make_commitment(session, lot=lot)
    make_commitment(session, lot=lot)
    session.commit()


def test_enum_check_refuses_an_unknown_value_written_in_raw_sql(session):
    company = make_company(session)
    with check_refused("ck_company_companykind"):
        session.execute(text("UPDATE company SET kind = 'inconnu' WHERE id = :id"), {"id": company.id})
        session.flush()


def test_enum_check_accepts_a_known_value_written_in_raw_sql(session):
    company = make_company(session)
    session.execute(text("UPDATE company SET kind = 'geiq' WHERE id = :id"), {"id": company.id})
    session.commit()
    session.expire_all()
    assert session.get(Company, company.id).kind == "geiq"


# --- Optimistic locking (DESIGN §6, many users) -------------------------------------------------------------


def test_update_versioned_saves_and_bumps_the_version(any_engine):
    with Session(any_engine) as session:
        company_id = make_company(session, name="Avant").id
        session.commit()
    with Session(any_engine) as session:
        update_versioned(session, Company, company_id, 1, name="Après")
        session.commit()
    with Session(any_engine) as session:
        company = session.get(Company, company_id)
        assert (company.name, company.version) == ("Après", 2)


def test_second_writer_with_a_stale_version_gets_concurrent_edit_error(any_engine):
    with Session(any_engine) as session:
        company_id = make_company(session, name="Avant").id
        session.commit()
    with Session(any_engine) as first, Session(any_engine) as second:
        first_read = first.get(Company, company_id).version  # both users open the same record
        second_read = second.get(Company, company_id).version
        update_versioned(first, Company, company_id, first_read, name="Premier")
        first.commit()
        with pytest.raises(ConcurrentEditError) as refused:
            update_versioned(second, Company, company_id, second_read, what="l'entreprise", name="Second")
        second.rollback()
    assert str(refused.value) == (
        "Quelqu'un d'autre a modifié l'entreprise pendant votre saisie. "
        "Rechargez la page pour voir sa version, puis refaites votre modification."
    )
    with Session(any_engine) as session:
        company = session.get(Company, company_id)
        assert (company.name, company.version) == ("Premier", 2)


# --- SQLite connection settings -----------------------------------------------------------------------------


def test_sqlite_is_in_wal_mode_with_foreign_keys_on(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
