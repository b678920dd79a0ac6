"""The command line: help, upgrade, create-user, backup and restore, on a real SQLite file."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlmodel import Session, select

from clausier import db
from clausier.cli import main
from models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    db.dispose_engines()


def test_help_lists_the_commands_in_french():
    result = subprocess.run([sys.executable, "-m", "clausier", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("upgrade", "create-user", "demo", "check", "backup", "restore"):
        assert command in result.stdout
    assert "sauvegarder la base" in result.stdout


def test_upgrade_creates_the_database_then_does_nothing_more(cli_db, capsys):
    assert main(["upgrade"]) == 0
    out = capsys.readouterr().out
    head = ScriptDirectory.from_config(db.alembic_config(db.get_engine(cli_db))).get_current_head()
    assert f"révision {head}" in out and "532 métiers ROME" in out
    assert main(["upgrade"]) == 0
    assert "métiers ROME" not in capsys.readouterr().out


def test_create_user_reads_the_password_from_stdin(cli_db, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Tilleul-Velo-Maree-42\n"))
    assert (
        main(
            [
                "create-user",
                "--login",
                "mdupont",
                "--name",
                "Marie Dupont",
                "--email",
                "m@plie.test",
                "--role",
                "admin",
                "--password-stdin",
            ]
        )
        == 0
    )
    with Session(db.get_engine(cli_db)) as session:
        user = session.exec(select(User)).one()
    assert (user.login, user.role.value) == ("mdupont", "admin")
    monkeypatch.setattr(sys, "stdin", io.StringIO("court\n"))
    assert main(["create-user", "--login", "autre", "--name", "X", "--email", "x@plie.test", "--password-stdin"]) == 2
    assert "au moins 10 caractères" in capsys.readouterr().err


def test_backup_then_restore_through_the_command_line(cli_db, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Tilleul-Velo-Maree-42\n"))
    main(["create-user", "--login", "anne", "--name", "Anne", "--email", "a@plie.test", "--password-stdin"])
    assert main(["backup", "--to", str(tmp_path / "sauvegardes")]) == 0
    backup_file = next((tmp_path / "sauvegardes").glob("clausier-*.db"))
    with Session(db.get_engine(cli_db)) as session:
        session.delete(session.exec(select(User)).one())
        session.commit()
    assert main(["restore", str(backup_file), "--yes"]) == 0
    with Session(db.get_engine(cli_db)) as session:
        assert session.exec(select(User.login)).all() == ["anne"]
    assert main(["restore", str(tmp_path / "absent.db"), "--yes"]) == 2


def test_anonymise_counts_then_applies_for_an_admin_only(cli_db, capsys):
    from datetime import datetime, timedelta

    from clausier.services.users import hash_password
    from models import Participant
    from models.enums import Role
    from tests.builders import make_participant

    assert main(["upgrade"]) == 0
    long_ago = datetime.now(UTC) - timedelta(days=6 * 366)
    with Session(db.get_engine(cli_db)) as session:
        for login, role in (("chef", Role.ADMIN), ("sophie", Role.SAISIE)):
            session.add(User(login=login, name=login, email=f"{login}@plie.test", role=role,
                             password_hash=hash_password("Tilleul-Velo-Maree-42")))  # fmt: skip
        old = make_participant(session, last_name="Oublié", first_name="Jean", created_at=long_ago)
        new = make_participant(session, last_name="Récent", first_name="Léa")
        session.commit()
        old_id, new_id = old.id, new.id
    capsys.readouterr()
    assert main(["anonymise", "--user", "sophie"]) == 2
    assert main(["anonymise", "--user", "chef"]) == 0
    assert "1 participant(s) sans activité" in capsys.readouterr().out
    with Session(db.get_engine(cli_db)) as session:
        assert session.get(Participant, old_id).anonymised_at is None  # counted only
    assert main(["anonymise", "--user", "chef", "--apply"]) == 0
    assert "1 participant(s) anonymisé(s)." in capsys.readouterr().out
    with Session(db.get_engine(cli_db)) as session:
        assert session.get(Participant, old_id).anonymised_at is not None
        assert session.get(Participant, new_id).last_name == "Récent"


def test_check_reports_values_written_behind_the_application_then_repairs_them(cli_db, capsys):
    from datetime import date

    from sqlalchemy import text

    from models import FollowUp
    from models.enums import FollowUpKind
    from tests.builders import make_contract, make_hours_entry

    assert main(["upgrade"]) == 0
    with Session(db.get_engine(cli_db)) as session:
        entry = make_hours_entry(session)  # kept totals follow, as the services do
        contract = make_contract(session, start_date=date(2026, 3, 2), planned_end=None)
        session.commit()
        entry_id, contract_id = entry.id, contract.id
    capsys.readouterr()
    assert main(["check"]) == 0
    assert "Totaux d'heures conservés : à jour." in capsys.readouterr().out

    with db.get_engine(cli_db).begin() as connection:  # a script writing straight into the tables
        connection.execute(text("UPDATE hoursentry SET hours_h100 = 1000 WHERE id = :i"), {"i": entry_id})
    with Session(db.get_engine(cli_db)) as session:  # a follow-up added without the service
        session.add(FollowUp(contract_id=contract_id, on=date(2026, 3, 5), kind=FollowUpKind.CALL, by="x"))
        session.commit()
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "Totaux d'heures conservés : 1 écart(s)." in out
    assert "03/2026 : 151,67 h conservées, 10,00 h saisies" in out
    assert "Prochains suivis conservés sur les contrats : 1 écart(s)." in out
    assert f"contrat n° {contract_id} : 09/03/2026 (premier_contact) conservé" in out
    assert "--repair" in out
    assert main(["check", "--repair"]) == 0
    assert "Recalculés." in capsys.readouterr().out
    assert main(["check"]) == 0


def test_a_missing_file_is_a_french_message_not_a_traceback(cli_db, capsys, tmp_path):
    assert main(["upgrade"]) == 0
    capsys.readouterr()
    assert main(["import-hours", str(tmp_path / "absent.csv"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "Fichier introuvable" in err and "absent.csv" in err and "Traceback" not in err
    assert main(["import-hours", str(tmp_path), "--dry-run"]) == 2
    assert "est un dossier" in capsys.readouterr().err


def test_an_unexpected_error_apologises_in_french_with_a_reference_in_the_log(cli_db, capsys, caplog, monkeypatch):
    from clausier import cli

    def broken(args):
        raise ZeroDivisionError("boom")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    for action in parser._subparsers._group_actions:  # noqa: SLF001 — every command fails the same way
        for sub in action.choices.values():
            sub.set_defaults(func=broken)
    assert main(["upgrade"]) == 70
    err = capsys.readouterr().err
    assert "Désolé" in err and "référence" in err and "Traceback" not in err and "boom" not in err
    reference = err.rsplit("référence à l'administrateur : ", 1)[1].strip().rstrip(".")
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is ZeroDivisionError
