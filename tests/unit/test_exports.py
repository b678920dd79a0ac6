"""Exports (DESIGN §5.4): CSV as French Excel opens it, typed .xlsx, formula-looking text neutralised."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from sqlmodel import Session, select

from clausier.errors import PermissionDenied
from clausier.privacy import may_export
from clausier.reports.exports import (
    neutralise,
    to_csv_bytes,
    to_xlsx_bytes,
)
from clausier.services.audit import record_export
from clausier.services.users import CurrentUser
from models import AuditEvent
from models.enums import PartnerKind, Role

DANGEROUS = ["=1+2", "+33 6 12", "-2+3", "@SUM(A1)", "\tcmd", "\r=x", '=HYPERLINK("http://x","clic")']

ADMIN = CurrentUser(login="admin", name="Admin", role=Role.ADMIN)
SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)


def _csv_rows(data: bytes) -> list[list[str]]:
    import csv

    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def _sample() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Nom": ["Élodie Müller-SSœ", "Ça va, « ou pas » ; oui"],
            "Heures": [151.67, 1234.5],
            "Postes": [3, 12],
            "Début": [date(2026, 3, 1), date(2026, 11, 26)],
            "Solde": [-12.5, 0.0],
            "Actif": [True, False],
        }
    )


# --- neutralisation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_looking_text_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Dupont", "", "1+2", "a=b", "'déjà cité"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("name", DANGEROUS)
def test_a_name_starting_with_a_formula_sign_is_neutralised_in_csv(name):
    rows = _csv_rows(to_csv_bytes(pd.DataFrame({"Nom": [name], "Heures": [1]})))
    assert rows[1][0] == "'" + name


@pytest.mark.parametrize("name", DANGEROUS)
def test_a_name_starting_with_a_formula_sign_is_neutralised_in_excel(name):
    sheet = _sheet(to_xlsx_bytes(pd.DataFrame({"Nom": [name], "Heures": [1]})))
    cell = sheet["A2"]
    assert cell.data_type == "s"  # a string, not a formula ("f")
    assert cell.value.startswith("'")
    assert cell.value == "'" + name.replace("\r", "\n")  # XML reads a carriage return back as a line feed


def test_formula_looking_headers_and_title_are_neutralised_too():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["x"]})
    assert _csv_rows(to_csv_bytes(frame))[0][0].startswith("'=")
    sheet = _sheet(to_xlsx_bytes(frame, title="@titre"))
    assert sheet["A1"].value == "'@titre" and sheet["A1"].data_type == "s"
    assert sheet["A2"].value.startswith("'=") and sheet["A2"].data_type == "s"


def test_a_negative_number_stays_a_number():
    frame = pd.DataFrame({"Solde": [-12.5, -3], "Texte": ["-12,5", "ok"]})
    rows = _csv_rows(to_csv_bytes(frame))
    assert rows[1] == ["-12,5", "'-12,5"]
    assert rows[2] == ["-3", "ok"]
    sheet = _sheet(to_xlsx_bytes(frame))
    assert sheet["A2"].value == -12.5 and sheet["A2"].data_type == "n"
    assert sheet["A3"].value == -3 and sheet["A3"].data_type == "n"


def test_control_characters_are_dropped_before_neutralising():
    """A control character Excel refuses would otherwise hide a formula sign behind it."""
    frame = pd.DataFrame({"Nom": ["\x01=1+2", "a\x00b"]})
    assert [r[0] for r in _csv_rows(to_csv_bytes(frame))[1:]] == ["'=1+2", "ab"]
    sheet = _sheet(to_xlsx_bytes(frame))
    assert (sheet["A2"].value, sheet["A3"].value) == ("'=1+2", "ab")


# --- CSV --------------------------------------------------------------------------------------------------------


def test_csv_starts_with_a_bom_and_is_semicolon_separated():
    data = to_csv_bytes(_sample())
    assert data.startswith(b"\xef\xbb\xbf")
    first_line = data.decode("utf-8-sig").split("\r\n")[0]
    assert first_line == "Nom;Heures;Postes;Début;Solde;Actif"


def test_csv_has_decimal_commas_and_whole_numbers_without_decimals():
    rows = _csv_rows(to_csv_bytes(_sample()))
    assert rows[1][1:3] == ["151,67", "3"]
    assert rows[2][1:3] == ["1234,5", "12"]
    assert rows[1][4] == "-12,5" and rows[2][4] == "0"


def test_csv_dates_are_dd_mm_yyyy():
    rows = _csv_rows(to_csv_bytes(_sample()))
    assert [rows[1][3], rows[2][3]] == ["01/03/2026", "26/11/2026"]


def test_csv_datetimes_in_local_time_and_midnight_columns_as_dates():
    frame = pd.DataFrame(
        {
            "Le": [datetime(2026, 11, 26, 9, 30, tzinfo=UTC)],  # 10:30 in Paris (winter time)
            "Jour": pd.to_datetime(["2026-03-01"]),
        }
    )
    rows = _csv_rows(to_csv_bytes(frame))
    assert rows[1] == ["26/11/2026 10:30", "01/03/2026"]


def test_csv_booleans_blanks_and_integer_columns_with_gaps():
    frame = pd.DataFrame(
        {"Actif": [True, False], "Postes": pd.array([4, None], dtype="Int64"), "Taux": [0.5, float("nan")]}
    )
    rows = _csv_rows(to_csv_bytes(frame))
    assert rows[1:] == [["Oui", "4", "0,5"], ["Non", "", ""]]


def test_csv_quotes_separators_and_keeps_accents():
    frame = _sample()
    data = to_csv_bytes(frame)
    rows = _csv_rows(data)
    assert rows[1][0] == "Élodie Müller-SSœ"
    assert rows[2][0] == "Ça va, « ou pas » ; oui"
    assert '"Ça va, « ou pas » ; oui"' in data.decode("utf-8-sig")


def test_csv_of_float_noise_and_decimal_values():
    frame = pd.DataFrame({"x": [0.1 + 0.2, Decimal("1234.50"), 2.0]})
    assert [r[0] for r in _csv_rows(to_csv_bytes(frame))[1:]] == ["0,3", "1234,5", "2"]


def test_labelled_enums_export_their_french_label():
    frame = pd.DataFrame({"Type": pd.Series([PartnerKind.SIAE, PartnerKind.ESS], dtype=object)})
    assert [r[0] for r in _csv_rows(to_csv_bytes(frame))[1:]] == ["SIAE", "Structure de l'ESS"]


# --- Excel ------------------------------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_booleans_are_typed():
    sheet = _sheet(to_xlsx_bytes(_sample()))
    assert [c.value for c in sheet[1]] == ["Nom", "Heures", "Postes", "Début", "Solde", "Actif"]
    heures, postes, debut, solde, actif = sheet["B2"], sheet["C2"], sheet["D2"], sheet["E2"], sheet["F2"]
    assert heures.value == 151.67 and heures.data_type == "n"
    assert postes.value == 3 and isinstance(postes.value, int)
    assert debut.is_date and debut.value == datetime(2026, 3, 1) and debut.number_format == "DD/MM/YYYY"
    assert solde.value == -12.5 and solde.data_type == "n"
    assert actif.value is True and actif.data_type == "b"


def test_xlsx_header_bold_and_frozen_with_readable_widths():
    sheet = _sheet(to_xlsx_bytes(_sample(), sheet_name="Partenaires"))
    assert sheet.title == "Partenaires"
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"
    widths = {col: sheet.column_dimensions[col].width for col in "ABCDEF"}
    assert widths["A"] >= len("Ça va, « ou pas » ; oui")
    assert all(8 <= w <= 60 for w in widths.values())


def test_xlsx_title_line_above_the_frozen_header():
    sheet = _sheet(to_xlsx_bytes(_sample(), title="Partenaires au 26/11/2026"))
    assert sheet["A1"].value == "Partenaires au 26/11/2026" and sheet["A1"].font.b
    assert sheet["A2"].value == "Nom" and sheet["A2"].font.b
    assert sheet.freeze_panes == "A3"
    assert sheet["A3"].value == "Élodie Müller-SSœ"


def test_xlsx_round_trip_of_accents_and_blanks():
    frame = pd.DataFrame({"Nom": ["Hélène Cœur", None], "Heures": [None, 1.5]})
    sheet = _sheet(to_xlsx_bytes(frame))
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [["Hélène Cœur", None], [None, 1.5]]


def test_xlsx_sheet_name_is_made_valid():
    sheet = _sheet(to_xlsx_bytes(_sample(), sheet_name="Structures ESS / SIAE : métiers [2026] et plus encore"))
    assert len(sheet.title) <= 31 and not set("[]:*?/\\") & set(sheet.title)


def test_empty_table_still_gives_its_header():
    frame = pd.DataFrame({"Nom": pd.Series([], dtype=object), "Heures": pd.Series([], dtype=float)})
    assert _csv_rows(to_csv_bytes(frame)) == [["Nom", "Heures"]]
    assert [c.value for c in _sheet(to_xlsx_bytes(frame))[1]] == ["Nom", "Heures"]


# --- who may export, and the log --------------------------------------------------------------------------------


def test_personal_data_exports_are_for_admin_and_saisie_only():
    assert may_export(ADMIN, personal_data=True) and may_export(SAISIE, personal_data=True)
    assert not may_export(LECTURE, personal_data=True)
    assert may_export(LECTURE, personal_data=False)
    assert not may_export(None, personal_data=False)


def test_an_export_is_logged_and_a_refused_one_is_not(engine):
    with Session(engine) as session:
        record_export(session, SAISIE, "participants", "participants-2026-11-26.csv", 42, personal_data=True)
        with pytest.raises(PermissionDenied):
            record_export(session, LECTURE, "participants", "participants-2026-11-26.csv", 42, personal_data=True)
        session.commit()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(e.who, e.table_name) for e in events] == [("sophie", "participants")]
    assert "participants-2026-11-26.csv" in events[0].summary and "42" in events[0].summary
