"""Online backup and restore of the SQLite database (DESIGN §6, safety of data)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from clausier import db
from clausier.services.backup import BackupError, BackupNotSupported, RestoreRefused, backup, restore
from models import Buyer, Company, HoursEntry, Participant
from tests.builders import make_buyer, make_commitment, make_contract, make_hours_entry, make_participant

NOW = datetime(2026, 3, 31, 18, 45, 12)


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table of the model, in primary key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


def sqlite_file(engine: Engine) -> Path:
    return Path(engine.url.database)


@pytest.fixture
def filled(engine: Engine) -> Engine:
    """Some rows in several tables: buyer, operation, lot, companies, commitment, participants, hours, contract."""
    with db.session_scope(engine) as session:
        commitment = make_commitment(session)
        for month in (date(2026, 1, 1), date(2026, 2, 1)):
            make_hours_entry(session, commitment=commitment, month=month, hours_h100=12_000)
        participant = make_participant(session, last_name="Dupont", first_name="Léa")
        make_hours_entry(session, commitment=commitment, participant=participant, hours_h100=15_167)
        make_contract(session, participant=participant, employer=session.get(Company, commitment.company_id))
    return engine


def test_backup_into_a_directory_gets_a_timestamped_file(filled, tmp_path):
    path = backup(filled, tmp_path / "sauvegardes", now=NOW)
    assert path == tmp_path / "sauvegardes" / "clausier-20260331-184512.db"
    assert path.stat().st_mode & 0o777 == 0o600  # personal data: readable by its owner only
    assert not list(path.parent.glob("*.partial")) and not list(path.parent.glob("*-wal"))


def test_second_backup_in_the_same_second_does_not_overwrite_the_first(filled, tmp_path):
    first = backup(filled, tmp_path, now=NOW)
    second = backup(filled, tmp_path, now=NOW)
    assert first != second and first.exists() and second.exists()


def test_backup_into_an_existing_file_is_refused(filled, tmp_path):
    existing = tmp_path / "garde.db"
    existing.write_bytes(b"ne pas effacer")
    with pytest.raises(BackupError, match="existe déjà"):
        backup(filled, existing)
    assert existing.read_bytes() == b"ne pas effacer"


def test_backup_is_a_self_contained_sqlite_file_with_the_data(filled, tmp_path):
    path = backup(filled, tmp_path)
    assert path.read_bytes()[18:20] == b"\x01\x01"  # header: rollback journal, not WAL (no -wal file needed)
    copy = db.make_engine(f"sqlite:///{path}")
    try:
        assert snapshot(copy) == snapshot(filled)
    finally:
        copy.dispose()


def test_backup_then_restore_gives_back_the_same_data(filled, tmp_path):
    before = snapshot(filled)
    saved = backup(filled, tmp_path / "sauvegardes")

    with db.session_scope(filled) as session:  # changes after the backup
        session.delete(session.scalars(select(HoursEntry)).first())
        session.get(Company, 1).name = "Renommée après la sauvegarde"
        make_buyer(session, name="Créé après la sauvegarde")
        participant = session.scalars(select(Participant).where(Participant.last_name == "Dupont")).one()
        participant.phone = "06 00 00 00 00"
    changed = snapshot(filled)
    assert changed != before

    safety = restore(filled, saved, safety_dir=tmp_path / "securite")

    assert snapshot(filled) == before
    assert db.current_revision(filled) == _head(filled)
    with Session(filled) as session:  # the engine works again after its pool was disposed
        assert session.scalars(select(Buyer).where(Buyer.name == "Créé après la sauvegarde")).first() is None
    # the database as it was just before the restore is kept
    assert safety.parent == tmp_path / "securite"
    safety_engine = db.make_engine(f"sqlite:///{safety}")
    try:
        assert snapshot(safety_engine) == changed
    finally:
        safety_engine.dispose()


def test_restore_keeps_the_live_database_in_wal_mode(filled, tmp_path):
    saved = backup(filled, tmp_path)
    restore(filled, saved, safety_dir=tmp_path / "securite")
    with sqlite3.connect(sqlite_file(filled)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_safety_backup_goes_to_backups_next_to_the_database_by_default(filled, tmp_path):
    saved = backup(filled, tmp_path / "ailleurs")
    safety = restore(filled, saved)
    assert safety.parent == sqlite_file(filled).resolve().parent / "backups"
    assert safety.name.startswith("clausier-") and safety.suffix == ".db"


def test_restoring_a_file_that_is_not_sqlite_is_refused_with_nothing_changed(filled, tmp_path):
    before = snapshot(filled)
    not_a_database = tmp_path / "releve.csv"
    not_a_database.write_text("siret;mois;heures\n40000001400011;2026-03;151,67\n", encoding="utf-8")
    with pytest.raises(RestoreRefused, match="n'est pas une base SQLite"):
        restore(filled, not_a_database, safety_dir=tmp_path / "securite")
    assert snapshot(filled) == before
    assert not (tmp_path / "securite").exists()  # refused before the safety backup: nothing written at all
    assert _leftovers(filled) == []


def test_restoring_a_sqlite_file_without_alembic_version_is_refused_with_nothing_changed(filled, tmp_path):
    before = snapshot(filled)
    other = tmp_path / "autre.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE company (id INTEGER PRIMARY KEY, siret TEXT)")
    with pytest.raises(RestoreRefused, match="pas une sauvegarde de Clausier"):
        restore(filled, other, safety_dir=tmp_path / "securite")
    assert snapshot(filled) == before
    assert not (tmp_path / "securite").exists()
    assert _leftovers(filled) == []


def test_restoring_a_backup_of_an_unknown_schema_revision_is_refused(filled, tmp_path):
    before = snapshot(filled)
    saved = backup(filled, tmp_path)
    with sqlite3.connect(saved) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dcafe9999'")
    with pytest.raises(RestoreRefused, match="f00dcafe9999"):
        restore(filled, saved, safety_dir=tmp_path / "securite")
    assert snapshot(filled) == before


def test_restoring_the_live_database_onto_itself_is_refused(filled):
    with pytest.raises(RestoreRefused, match="base en service"):
        restore(filled, sqlite_file(filled))


def test_backup_works_while_another_connection_holds_an_open_write_transaction(filled, tmp_path):
    writer = sqlite3.connect(sqlite_file(filled), timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock
        writer.execute("UPDATE company SET name = 'pas encore validé'")
        committed = snapshot(filled)  # WAL: readers still see the committed data

        path = backup(filled, tmp_path)

        writer.commit()
    finally:
        writer.close()
    copy = db.make_engine(f"sqlite:///{path}")
    try:
        assert snapshot(copy) == committed  # the open transaction is not in the copy
    finally:
        copy.dispose()


def test_backup_contains_writes_still_in_the_wal_file(filled, tmp_path):
    with filled.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0] == 0
        connection.execute(text("UPDATE company SET name = 'écrit dans le WAL'"))
        connection.commit()
    assert Path(f"{sqlite_file(filled)}-wal").stat().st_size > 0  # not yet in the main file
    path = backup(filled, tmp_path)
    with sqlite3.connect(path) as conn:
        assert {name for (name,) in conn.execute("SELECT name FROM company")} == {"écrit dans le WAL"}


def test_postgresql_backup_gives_the_pg_dump_command_without_the_password(tmp_path):
    engine = db.make_engine("postgresql+psycopg://clausier:motdepasse@db.example:5432/clausier")  # never connects
    with pytest.raises(BackupNotSupported) as refused:
        backup(engine, tmp_path, now=NOW)
    message = str(refused.value)
    assert "pg_dump --format=custom --dbname=postgresql://clausier@db.example:5432/clausier" in message
    assert f"--file={tmp_path / 'clausier-20260331-184512.dump'}" in message
    assert "pg_restore" in message and "motdepasse" not in message
    assert not list(tmp_path.iterdir())


def test_postgresql_restore_gives_the_pg_restore_command(tmp_path):
    engine = db.make_engine("postgresql+psycopg://clausier@db.example/clausier")
    with pytest.raises(BackupNotSupported, match="pg_restore --clean"):
        restore(engine, tmp_path / "clausier.dump")


def _head(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()


def _leftovers(engine: Engine) -> list[str]:
    """Temporary files a refused restore must not leave next to the database."""
    return sorted(p.name for p in sqlite_file(engine).parent.glob(".restore-*"))


def test_database_wal_and_backups_are_private_to_the_servers_user(tmp_path):
    """Issue 10 item 10: personal data on disk — 0600 files in 0700 folders, whatever the umask."""
    import os
    import stat

    from sqlalchemy import text

    from clausier import db as clausier_db
    from clausier.services import backup as backup_service

    old = os.umask(0o022)
    try:
        folder = tmp_path / "donnees"
        engine = clausier_db.make_engine(f"sqlite:///{folder / 'clausier.db'}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:  # keeps the -wal and -shm files open
            conn.execute(text("SELECT * FROM t")).all()
            files = [folder / "clausier.db", folder / "clausier.db-wal", folder / "clausier.db-shm"]
            assert all(f.exists() for f in files)
            assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o600" for f in files}
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        saved = backup_service.backup(engine, tmp_path / "sauvegardes")
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
        engine.dispose()
        shared = tmp_path / "partage"  # a folder that exists already (think /tmp): its rights are not changed
        shared.mkdir(mode=0o755)
        shared.chmod(0o755)
        other = clausier_db.make_engine(f"sqlite:///{shared / 'autre.db'}")
        with other.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        other.dispose()
        assert stat.S_IMODE(shared.stat().st_mode) == 0o755
        assert stat.S_IMODE((shared / "autre.db").stat().st_mode) == 0o600
    finally:
        os.umask(old)
