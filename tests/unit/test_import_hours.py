"""Hours statement import (DESIGN §5.1): reading, every check with its line, apply, idempotence, undo."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from clausier.errors import DomainError, PermissionDenied
from clausier.rules.names import name_key
from clausier.services import hours_totals
from clausier.services import import_hours as ih
from clausier.services.users import CurrentUser
from models import CommitmentHours, CommitmentMonthHours, HoursEntry
from models.enums import Modality, Role
from models.hours import HoursChange, ImportBatch
from tests.builders import make_commitment, make_company, make_contract, make_lot, make_participant

TODAY = date(2026, 4, 15)
SAISIE = CurrentUser(login="claire", name="Claire", role=Role.SAISIE)
ADMIN = CurrentUser(login="admin", name="Admin", role=Role.ADMIN)
HEADER = "siret;nom;prenom;date_naissance;mois;heures"


def person(session, last, first, **kw):
    return make_participant(session, last_name=last, first_name=first, name_key=name_key(last, first), **kw)


@pytest.fixture
def world(engine):
    with Session(engine) as session:
        solo = make_company(session)
        lot_a = make_lot(session, reference="LOT-A", execution_start=date(2025, 1, 1), execution_end=date(2026, 12, 31))
        c_solo = make_commitment(session, lot=lot_a, company=solo)
        multi = make_company(session)
        lot1 = make_lot(session, reference="Lot 01", execution_start=date(2025, 1, 1), execution_end=date(2025, 12, 31))
        lot2 = make_lot(session, reference="Lot 02", execution_start=date(2026, 1, 1), execution_end=date(2026, 12, 31))
        c1 = make_commitment(session, lot=lot1, company=multi, usual_modality=Modality.PROVISION)
        c2 = make_commitment(session, lot=lot2, company=multi)
        idle = make_company(session)
        helene = person(session, "Dupont", "Hélène", birth_date=date(1990, 5, 17))
        kevin = person(session, "Martin", "Kévin", birth_date=date(1985, 1, 2), external_id="PLIE-000042")
        jean = person(session, "Lefèvre-Cœur", "Jean", birth_date=date(1979, 3, 3))
        make_contract(session, participant=helene, employer=solo)
        session.commit()
        return {
            "solo": solo.siret, "multi": multi.siret, "idle": idle.siret, "c_solo": c_solo.id, "c1": c1.id,
            "c2": c2.id, "helene": helene.id, "kevin": kevin.id, "jean": jean.id, "engine": engine,
        }  # fmt: skip


def preview_of(engine, content, name="releve.csv", encoding="utf-8", today=TODAY, **kw):
    data = content.encode(encoding) if isinstance(content, str) else content
    raw = ih.read_statement(data, name, **kw)
    with Session(engine) as session:
        return ih.classify(session, raw, today)


def import_file(engine, content, name="releve.csv", encoding="utf-8", user=SAISIE):
    data = content.encode(encoding)
    with Session(engine, expire_on_commit=False) as session:
        pv = ih.classify(session, ih.read_statement(data, name), TODAY)
        batch = ih.apply(session, pv, user)
        session.commit()
        return pv, batch


def stored(engine):
    with Session(engine) as session:
        rows = session.exec(select(HoursEntry.commitment_id, HoursEntry.participant_id, HoursEntry.month,
                                   HoursEntry.hours_h100)).all()  # fmt: skip
        return {(c, p, m): h for c, p, m, h in rows}


def reasons(pv):
    return [(e.line, e.column, e.reason) for e in pv.errors]


# --- reading -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [";", ","])
def test_encodings_and_separators_are_detected(world, encoding, sep):
    hours = "151,67" if sep == ";" else '"151,67"'
    content = f"Siret{sep}Nom{sep}Prénom{sep}Mois{sep}Heures\r\n{world['solo']}{sep}DUPONT{sep}Hélène{sep}03/2026{sep}{hours}\r\n"
    pv = preview_of(world["engine"], content, encoding=encoding)
    assert pv.errors == []
    assert [(r.participant_id, r.month, r.hours_h100) for r in pv.to_add] == [
        (world["helene"], date(2026, 3, 1), 15167)
    ]


def test_header_aliases_ignore_case_accents_spaces_and_underscores(world):
    content = f"SIRET;Référence;NOM;Prénom;Date de naissance;Période;Nombre d'heures;Modalité\n{world['multi']};Lot 01;martin;kevin;02/01/1985;mars 2025;10;formation\n"
    pv = preview_of(world["engine"], content)
    assert pv.errors == []
    row = pv.to_add[0]
    assert (row.commitment_id, row.participant_id, row.modality) == (world["c1"], world["kevin"], Modality.TRAINING)


def test_missing_required_column_is_a_french_file_error(world):
    with pytest.raises(ih.FileError, match="Colonne.*absente.*heures"):
        ih.read_statement(b"siret;nom;prenom;mois\n1;2;3;4\n", "x.csv")


@pytest.mark.parametrize(
    ("value", "h100"),
    [("151,67", 15167), ("151.67", 15167), ("1 234,5", 123450), ("7", 700), ("0,5", 50), ("1\u00a0234", 123400),
     (" 35 ", 3500), (12, 1200), (7.5, 750), (151.67, 15167)],
)  # fmt: skip
def test_decimal_forms(value, h100):
    assert ih.parse_hours(value) == h100


@pytest.mark.parametrize(
    "value",
    ["12,345", "1_5", "1e2", "1E2", "١٥", "１５", "1.234,5", "1,234.5", "1,,5", "1.", ",5", "-5", "+5", "0x10", "5h",
     "1 23", "12 345 6", "inf", "nan", "1e999999", "9" * 5000, "=10+5", "15 heures", "7.333", 7.333, float("nan"),
     True],
)  # fmt: skip
def test_hours_grammar_refuses_every_other_shape(value):
    """Issue 10 item 5: one strict grammar — ASCII digits, one « , » or « . », two decimals at most, spaces as
    thousands separators; nothing else is read as a number, nothing is rounded."""
    with pytest.raises(ValueError):
        ih.parse_hours(value)


@pytest.mark.parametrize(
    "value",
    ["2026-03", "03/2026", "3/2026", "mars 2026", "Mars 2026", "31/03/2026", "2026-03-31", "MARS-2026",
     datetime(2026, 3, 31), date(2026, 3, 2)],
)  # fmt: skip
def test_month_forms(value):
    assert ih.parse_month(value) == date(2026, 3, 1)


def test_large_numbers_with_thousands_separator_are_capped_by_the_setting():
    assert ih.parse_hours("1 234,5") == 123450


def test_xlsx_first_or_chosen_sheet_with_date_and_number_cells(world):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["rien"])
    ws = book.create_sheet("Mars")
    ws.append(["siret", "nom", "prenom", "mois", "heures"])
    ws.append([int(world["solo"]), "Dupont", "Helene", datetime(2026, 3, 31), 151.67])
    ws.append([None, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ih.FileError):
        ih.read_statement(buffer.getvalue(), "releve.xlsx")  # the first sheet has no header
    pv = preview_of(world["engine"], buffer.getvalue(), name="releve.xlsx", sheet="Mars")
    assert pv.errors == [] and pv.to_add[0].hours_h100 == 15167 and pv.to_add[0].month == date(2026, 3, 1)
    assert pv.ignored == [(3, "ligne vide")]


# --- blank and total lines -----------------------------------------------------------------------------------


def test_blank_lines_and_a_matching_total_line_are_ignored(world):
    s = world["solo"]
    content = f"{HEADER}\n{s};Dupont;Hélène;;01/2026;10\n;;;;;\n{s};Dupont;Hélène;;02/2026;5,5\nTotal;;;;;15,5\n\n"
    pv = preview_of(world["engine"], content)
    assert pv.errors == [] and len(pv.to_add) == 2
    assert pv.ignored == [(3, "ligne vide"), (5, "ligne de total"), (6, "ligne vide")]


def test_total_line_without_label_is_ignored_only_when_it_sums(world):
    s = world["solo"]
    good = f"{HEADER}\n{s};Dupont;Hélène;;01/2026;10\n{s};Dupont;Hélène;;02/2026;5\n;;;;;15\n"
    assert preview_of(world["engine"], good).errors == []
    bad = good.replace(";;;;;15", ";;;;;16")
    assert [(e.line, e.column) for e in preview_of(world["engine"], bad).errors] == [(4, "heures")]


# --- each error with its line --------------------------------------------------------------------------------


def test_each_error_kind_is_reported_with_its_line_column_and_reason(world):
    s, m = world["solo"], world["multi"]
    bad_key = s[:-1] + str((int(s[-1]) + 1) % 10)
    lines = [
        f"{bad_key};Dupont;Hélène;;03/2026;10",  # 2 SIRET key
        "73282932000074;Dupont;Hélène;;03/2026;10",  # 3 unknown company (valid SIRET)
        f"{world['idle']};Dupont;Hélène;;03/2026;10",  # 4 no commitment
        f"{m};Martin;Kévin;;03/2025;10",  # 5 several commitments open… only Lot 01 in 2025 → fine
        f"{s};Dupond;Helene;;03/2026;10",  # 6 unknown person, suggestion
        f"{s};Dupont;Hélène;;01/2026;10",  # 7 ok
        f"{s};DUPONT;helene;;2026-01;12",  # 8 duplicate of line 7
        f"{s};Dupont;Hélène;;02/2026;0",  # 9 hours <= 0
        f"{s};Dupont;Hélène;;02/2026;250,01",  # 10 over 250
        f"{s};Dupont;Hélène;;13/2026;10",  # 11 impossible month
        f"{s};Dupont;Hélène;;05/2026;10",  # 12 future
        f"{s};Dupont;Hélène;;02/2026;dix",  # 13 not a number
        f"{s};Dupont;Hélène;;31/02/2026;10",  # 14 impossible date
    ]
    pv = preview_of(world["engine"], HEADER + "\n" + "\n".join(lines) + "\n")
    got = {e.line: (e.column, e.reason) for e in pv.errors}
    assert sorted(got) == [2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 14]
    assert got[2][0] == "siret" and "clé" in got[2][1]
    assert "entreprise inconnue" in got[3][1]
    assert "aucun engagement" in got[4][1]
    assert got[6][0] == "nom" and "personne inconnue" in got[6][1] and "Dupont Hélène" in got[6][1]
    assert "ligne 7" in got[8][1]
    assert "supérieures à 0" in got[9][1] and "250" in got[10][1]
    assert got[11] == ("mois", "mois impossible") and "à venir" in got[12][1]
    assert got[13][0] == "heures" and got[13][1].startswith("n'est pas un nombre") and got[14][1] == "date impossible"
    assert pv.errors[0].value == bad_key


def test_several_open_commitments_need_the_lot(world):
    m = world["multi"]
    make = f"{world['engine']}"  # noqa: F841
    with Session(world["engine"]) as session:  # a third lot open in 2026 makes the company ambiguous
        lot3 = make_lot(session, reference="Lot 03", execution_start=date(2026, 1, 1))
        from models import Company

        company = session.exec(select(Company).where(Company.siret == m)).one()
        make_commitment(session, lot=lot3, company=company)
        session.commit()
    pv = preview_of(world["engine"], f"{HEADER}\n{m};Martin;Kévin;;03/2026;10\n")
    assert [(e.line, e.column) for e in pv.errors] == [(2, "marche")] and "plusieurs engagements" in pv.errors[0].reason
    pv = preview_of(
        world["engine"],
        f"siret;lot;nom;prenom;mois;heures\n{m};LOT 02;Martin;Kévin;03/2026;10\n{m};Lot 09;Martin;Kévin;03/2026;10\n",
    )
    assert pv.to_add[0].commitment_id == world["c2"] and pv.to_add[0].modality == Modality.DIRECT_HIRE
    assert [(e.line, e.column) for e in pv.errors] == [(3, "lot")]


def test_person_by_id_or_by_name_and_birth_date(world):
    s = world["solo"]
    content = f"siret;id_participant;nom;prenom;date_naissance;mois;heures\n{s};PLIE-000042;;;;03/2026;8\n{s};;lefevre-coeur;JEAN;03/03/1979;03/2026;8\n{s};;Lefèvre-Cœur;Jean;04/03/1979;03/2026;8\n{s};PLIE-999;;;;03/2026;8\n"
    pv = preview_of(world["engine"], content)
    assert [r.participant_id for r in pv.to_add] == [world["kevin"], world["jean"]]
    assert [(e.line, e.column) for e in pv.errors] == [(4, "nom"), (5, "id_participant")]


# --- apply, idempotence, correction, undo --------------------------------------------------------------------


def test_a_file_with_any_error_writes_nothing(world):
    s = world["solo"]
    data = f"{HEADER}\n{s};Dupont;Hélène;;01/2026;10\n{s};Dupont;Hélène;;01/2099;10\n".encode()
    with Session(world["engine"]) as session:
        pv = ih.classify(session, ih.read_statement(data, "x.csv"), TODAY)
        with pytest.raises(DomainError, match="erreur"):
            ih.apply(session, pv, SAISIE)
    assert stored(world["engine"]) == {}


def test_apply_needs_the_saisie_role(world):
    pv = preview_of(world["engine"], f"{HEADER}\n{world['solo']};Dupont;Hélène;;01/2026;10\n")
    with Session(world["engine"]) as session, pytest.raises(PermissionDenied):
        ih.apply(session, pv, CurrentUser("lu", "Lu", Role.LECTURE))


def test_reimport_changes_nothing_and_a_correction_updates_one_month_then_undo(world):
    s, eng = world["solo"], world["engine"]
    first = f"{HEADER}\n{s};Dupont;Hélène;;01/2026;10\n{s};Dupont;Hélène;;02/2026;20\n"
    pv, batch1 = import_file(eng, first)
    assert (batch1.rows_added, batch1.rows_changed) == (2, 0)
    pv, again = import_file(eng, first)
    assert (again.rows_added, again.rows_changed, again.rows_unchanged) == (0, 0, 2)
    corrected = first.replace(";20\n", ";22,5\n")
    pv, batch3 = import_file(eng, corrected, name="corrige.csv")
    assert (batch3.rows_added, batch3.rows_changed, batch3.rows_unchanged) == (0, 1, 1)
    assert [(r.old_hours_h100, r.hours_h100) for r in pv.changed] == [(2000, 2250)]
    key = (world["c_solo"], world["helene"], date(2026, 2, 1))
    assert stored(eng)[key] == 2250
    with Session(eng) as session:
        assert session.exec(select(func.count()).select_from(HoursChange)).one() == 3
        entry = session.exec(select(HoursEntry).where(HoursEntry.month == date(2026, 2, 1))).one()
        assert entry.import_batch_id == batch3.id
        with pytest.raises(PermissionDenied):
            ih.undo(session, batch3.id, SAISIE)
        with pytest.raises(DomainError, match="modifiées depuis"):
            ih.undo(session, batch1.id, ADMIN)  # batch 3 changed one of its rows since
        ih.undo(session, batch3.id, ADMIN)
        session.commit()
    assert stored(eng)[key] == 2000
    with Session(eng) as session:
        entry = session.exec(select(HoursEntry).where(HoursEntry.month == date(2026, 2, 1))).one()
        assert entry.import_batch_id == batch1.id
        with pytest.raises(DomainError, match="déjà été annulé"):
            ih.undo(session, batch3.id, ADMIN)
        ih.undo(session, batch1.id, ADMIN)
        session.commit()
        assert session.get(ImportBatch, batch1.id).undone_by == "admin"
    assert stored(eng) == {}


# --- property-based ------------------------------------------------------------------------------------------

_hours = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250"), places=2)
_cells = st.lists(st.tuples(st.sampled_from(["helene", "kevin", "jean"]), st.integers(1, 12), _hours), max_size=12,
                  unique_by=lambda t: (t[0], t[1]))  # fmt: skip
_FAST = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


def _file(world, cells, sep=";", decimal=","):
    names = {"helene": ("Dupont", "Hélène"), "kevin": ("MARTIN", "kevin"), "jean": ("Lefevre-Coeur", "Jean")}
    lines = ["siret;nom;prenom;mois;heures".replace(";", sep)]
    for who, month, hours in cells:
        last, first = names[who]
        mois = f"{month:02d}/2025" if month % 2 else f"2025-{month:02d}"
        lines.append(sep.join([world["solo"], last, first, mois, str(hours).replace(".", decimal)]))
    return "\n".join(lines) + "\n"


@_FAST
@given(cells=_cells.filter(lambda c: len(c) >= 1), sep=st.sampled_from([";", "\t"]))
def test_random_valid_files_import_exactly_their_sum(world, cells, sep):
    eng = world["engine"]
    with Session(eng) as session:
        session.exec(HoursEntry.__table__.delete())  # noqa: SLF001
        session.exec(CommitmentMonthHours.__table__.delete())  # noqa: SLF001
        session.exec(CommitmentHours.__table__.delete())  # noqa: SLF001
        session.commit()
    pv, batch = import_file(eng, _file(world, cells, sep=sep))
    assert pv.errors == [] and batch.rows_added == len(cells)
    assert sum(stored(eng).values()) == sum(int(h * 100) for _, _, h in cells)
    with Session(eng) as session:  # the totals kept for the dashboard say the same
        assert hours_totals.mismatches(session) == []
        kept = session.exec(select(func.coalesce(func.sum(CommitmentMonthHours.hours_h100), 0))).one()
        assert kept == sum(stored(eng).values())


@_FAST
@given(cells=_cells.filter(lambda c: len(c) >= 1), data=st.data())
def test_random_corruptions_never_write_a_partial_file(world, cells, data):
    eng = world["engine"]
    before = stored(eng)
    lines = _file(world, cells).splitlines()
    index = data.draw(st.integers(1, len(lines) - 1))
    fields = lines[index].split(";")
    column = data.draw(st.integers(0, 4))
    fields[column] = data.draw(st.sampled_from({0: ["123", "12345678901234"], 1: ["Inconnu"], 2: ["Personne"],
                                                3: ["13/2025", "2099-01", "mois"], 4: ["0", "-3", "300", "abc"]}[column]))  # fmt: skip
    lines[index] = ";".join(fields)
    content = "\n".join(lines) + "\n"
    with Session(eng) as session:
        pv = ih.classify(session, ih.read_statement(content.encode(), "x.csv"), TODAY)
        assert any(e.line == index + 1 for e in pv.errors)
        with pytest.raises(DomainError):
            ih.apply(session, pv, SAISIE)
        session.commit()
    assert stored(eng) == before


def test_cli_dry_run_then_import_and_refusal(world, tmp_path, monkeypatch, capsys):
    from clausier import db
    from clausier.cli import main
    from clausier.services import users

    monkeypatch.setenv("DATABASE_URL", str(world["engine"].url))
    with Session(world["engine"]) as session:
        users.create_user(session, login="claire", name="Claire Saisie", email="claire@example.org",
                          password="Tilleul-Velo-Maree-42", password2="Tilleul-Velo-Maree-42", role=Role.SAISIE, by="t")  # fmt: skip
        session.commit()
    good = tmp_path / "mars.csv"
    good.write_bytes(f"{HEADER}\n{world['solo']};Dupont;Hélène;;03/2026;10\n".encode("cp1252"))
    try:
        assert main(["import-hours", str(good), "--dry-run"]) == 0
        assert stored(world["engine"]) == {}
        assert main(["import-hours", str(good), "--user", "claire"]) == 0
        assert len(stored(world["engine"])) == 1
        bad = tmp_path / "faux.csv"
        bad.write_bytes(f"{HEADER}\n{world['solo']};Dupont;Hélène;;03/2026;abc\n".encode())
        assert main(["import-hours", str(bad), "--user", "claire"]) == 1
        assert "ligne 2, colonne « heures », valeur « abc » : n'est pas un nombre" in capsys.readouterr().out
    finally:
        db.dispose_engines()


def test_imported_hours_are_attached_to_the_contract_that_covers_their_month(world):
    eng = world["engine"]
    with Session(eng) as session:
        from models import Company

        solo = session.exec(select(Company).where(Company.siret == world["solo"])).one()
        contract = make_contract(session, participant_id=world["kevin"], employer_company_id=solo.id,
                                 commitment_id=world["c_solo"], start_date=date(2026, 2, 10),
                                 planned_end=date(2026, 3, 31))  # fmt: skip
        contract_id = contract.id
        session.commit()
    content = (
        "siret;nom;prénom;date_naissance;mois;heures\n"
        f"{world['solo']};Martin;Kévin;02/01/1985;01/2026;10\n"  # before the contract: no contract
        f"{world['solo']};Martin;Kévin;02/01/1985;02/2026;20\n"  # the month it starts in
        f"{world['solo']};Martin;Kévin;02/01/1985;03/2026;30\n"
    )
    pv, batch = import_file(eng, content)
    assert pv.errors == [] and batch.rows_added == 3
    with Session(eng) as session:
        linked = {e.month: e.contract_id for e in session.exec(select(HoursEntry))}
    assert linked == {date(2026, 1, 1): None, date(2026, 2, 1): contract_id, date(2026, 3, 1): contract_id}
