"""Export complet: one sheet per table with the database's column names, formula-looking cells neutralised,
personal data only for admin, every export logged, long tables continued on a second sheet."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlmodel import Session, SQLModel, select

from clausier.config import ROOT
from clausier.errors import PermissionDenied
from clausier.services import full_export
from clausier.services.users import CurrentUser, hash_password
from models import AuditEvent, User
from models.enums import CompanyKind, Modality, Role
from tests.builders import make_buyer, make_commitment, make_company, make_hours_entry, make_participant

ADMIN = CurrentUser(login="admin", name="Admin", role=Role.ADMIN)
SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)
NOW = datetime(2026, 5, 10, 14, 30, tzinfo=UTC)
ALL_TABLES = sorted(SQLModel.metadata.tables)


def _seed(session: Session) -> dict:
    person = make_participant(
        session,
        last_name='=HYPERLINK("http://evil.test","clic")',
        first_name="Awa",
        name_key="hyperlink awa",
        phone="06 12 34 56 78",
        email="awa.secret@mail.test",
        address="12 rue des Dunes",
        notes="@SUM(A1) suivi social",
        birth_date=date(1994, 2, 3),
    )
    make_buyer(session, name="-1+1 Ville piégée")
    company = make_company(session, name="+33 Bâtiment", kind=CompanyKind.ETTI)
    commitment = make_commitment(session, company=company, hours_committed_h100=83_300)
    make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 3, 1), hours_h100=15_167)
    session.add(User(login="marie", name="Marie", email="marie.perso@plie.test", password_hash=hash_password("x" * 12)))
    session.add(AuditEvent(who="marie", action="connexion", summary="connexion réussie"))
    session.commit()
    return {"person": person}


def _workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(book: openpyxl.Workbook, sheet: str) -> list[dict]:
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _all_text(book: openpyxl.Workbook) -> str:
    return "\n".join(
        str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row
    )


def test_one_sheet_per_table_with_the_database_column_names(engine):
    with Session(engine) as session:
        _seed(session)
        result = full_export.build(session, ADMIN, now=NOW)
    book = _workbook(result.data)
    assert book.sheetnames == ["lisez-moi"] + [t for t in ALL_TABLES if t not in ("loginthrottle", "loginsession")]
    assert result.file_name == "clausier-export-complet-2026-05-10.xlsx"
    for table in ("participant", "hoursentry", "lot", "meeting", "training"):
        header = [c.value for c in book[table][1]]
        expected = [c.name for c in SQLModel.metadata.tables[table].columns]
        assert header == expected, table
    entry = _rows(book, "hoursentry")[0]
    assert (entry["hours_h100"], entry["modality"], entry["month"]) == (
        15_167,
        Modality.DIRECT_HIRE.value,
        datetime(2026, 3, 1),
    )
    assert book["hoursentry"]["E2"].number_format == "DD/MM/YYYY"
    assert result.rows["hoursentry"] == 1 and result.rows["commitment"] == 1
    assert book["trainingparticipant"].max_row == 1  # an empty table keeps its header


def test_formula_looking_cells_are_neutralised(engine):
    with Session(engine) as session:
        _seed(session)
        book = _workbook(full_export.build(session, ADMIN, now=NOW).data)
    person = _rows(book, "participant")[0]
    assert person["last_name"] == '\'=HYPERLINK("http://evil.test","clic")'
    assert person["notes"] == "'@SUM(A1) suivi social"
    assert _rows(book, "buyer")[0]["name"] == "'-1+1 Ville piégée"
    assert _rows(book, "company")[0]["name"] == "'+33 Bâtiment"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)


def test_no_personal_data_for_saisie_and_nothing_for_lecture(engine):
    with Session(engine) as session:
        _seed(session)
        result = full_export.build(session, SAISIE, now=NOW)
        with pytest.raises(PermissionDenied):
            full_export.build(session, LECTURE, now=NOW)
    book = _workbook(result.data)
    assert result.file_name == "clausier-export-complet-sans-donnees-personnelles-2026-05-10.xlsx"
    assert "auditevent" not in book.sheetnames and "loginthrottle" not in book.sheetnames
    assert "loginsession" not in book.sheetnames
    assert result.left_out_tables == ["auditevent"]
    header = [c.value for c in book["participant"][1]]
    for column in ("last_name", "first_name", "birth_date", "phone", "email", "address", "notes", "external_id"):
        assert column not in header
    assert {"id", "sex", "commune_id", "qualification_level", "status"} <= set(header)
    assert "email" not in [c.value for c in book["app_user"][1]]
    text = _all_text(book)
    for secret in (
        "HYPERLINK",
        "Awa",
        "06 12 34 56 78",
        "awa.secret",
        "12 rue des Dunes",
        "suivi social",
        "marie.perso@plie.test",
        "$2b$",
        "connexion réussie",
    ):
        assert secret not in text, secret
    notes = [row[0] for row in book["lisez-moi"].iter_rows(values_only=True)]
    assert any("sauf les données personnelles" in str(n) for n in notes)
    assert any("participant (last_name, first_name" in str(n) for n in notes)


def test_admin_gets_personal_data_but_never_password_hashes(engine):
    with Session(engine) as session:
        _seed(session)
        book = _workbook(full_export.build(session, ADMIN, now=NOW).data)
    assert "auditevent" in book.sheetnames
    users = _rows(book, "app_user")
    assert users[0]["email"] == "marie.perso@plie.test" and "password_hash" not in users[0]
    assert "$2b$" not in _all_text(book)
    assert _rows(book, "participant")[0]["email"] == "awa.secret@mail.test"


def test_each_export_is_logged(engine):
    with Session(engine) as session:
        _seed(session)
        result = full_export.export(session, SAISIE, now=NOW)
        session.commit()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.who, event.table_name) == ("sophie", "export-complet")
    assert event.summary == f"{result.file_name} : {result.total_rows} ligne(s)"


def test_a_table_longer_than_a_sheet_goes_on_in_a_second_sheet(engine, monkeypatch):
    monkeypatch.setattr(full_export, "SHEET_ROWS", 2)
    with Session(engine) as session:
        commitment = make_commitment(session)
        for month in (1, 2, 3):
            make_hours_entry(session, commitment=commitment, month=date(2026, month, 1))
        session.commit()
        book = _workbook(full_export.build(session, ADMIN, now=NOW).data)
    assert book.sheetnames.index("hoursentry_2") == book.sheetnames.index("hoursentry") + 1
    assert [r["month"] for r in _rows(book, "hoursentry")] == [datetime(2026, 1, 1), datetime(2026, 2, 1)]
    assert [r["month"] for r in _rows(book, "hoursentry_2")] == [datetime(2026, 3, 1)]


def test_readme_documents_every_sheet_with_its_columns_in_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Export complet : colonnes", 1)[1]
    documented = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            name, columns = (part.strip() for part in line.strip("|").split("|"))
            documented[name.strip("`")] = [c.strip() for c in columns.split(",")]
    sheets, _ = full_export.plan(ADMIN)
    assert documented == {s.table: s.columns for s in sheets}
    for table, columns in full_export.PERSONAL_COLUMNS.items():
        for column in columns:
            assert f"`{column}`" in section and f"`{table}`" in section, (table, column)
