"""Suivi › Saisie des heures: a new month and a correction through the table, with the import's checks."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from clausier import db
from clausier.rules.names import name_key
from clausier.services import hours_totals
from models import CommitmentMonthHours, HoursChange, HoursEntry
from models.enums import Role
from tests.builders import make_commitment, make_company, make_contract, make_hours_entry, make_lot, make_participant
from tests.pages.conftest import logged_in, open_url_path


def _world(url: str):
    with Session(db.get_engine(url)) as session:
        company = make_company(session, name="Bâti Flandre")
        lot = make_lot(session, reference="LOT-A", execution_start=date(2025, 1, 1), execution_end=date(2026, 12, 31))
        commitment = make_commitment(session, lot=lot, company=company)
        helene = make_participant(
            session,
            last_name="Dupont",
            first_name="Hélène",
            name_key=name_key("Dupont", "Hélène"),
            birth_date=date(1990, 5, 17),
        )
        make_contract(session, participant=helene, employer=company)
        make_hours_entry(session, commitment=commitment, participant=helene, month=date(2026, 1, 1), hours_h100=10_000)
        session.commit()
        return company.id, commitment.id


def _open(url: str, company_id: int, commitment_id: int):
    at = open_url_path(logged_in(Role.SAISIE).run(), "saisie-heures").run()
    at.selectbox(key="manual_hours_company").set_value(company_id).run()
    at.selectbox(key="manual_hours_commitment").set_value(commitment_id).run()
    assert not at.exception
    return at


def test_correct_a_month_and_add_one(with_users):
    company_id, commitment_id = _world(with_users)
    at = _open(with_users, company_id, commitment_id)
    label = next(v for v in at.dataframe[0].value["Participant"])
    at.session_state[f"manual_hours_editor_{commitment_id}_0"] = {
        "edited_rows": {0: {"Heures": 120.5}},
        "added_rows": [{"Participant": f"{label} (17/05/1990)", "Mois": "février 2026", "Heures": 35.0}],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Enregistrer les heures").click().run()
    assert not at.exception
    assert any("1 ajoutée(s), 1 corrigée(s)" in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        hours = {e.month: e.hours_h100 for e in session.exec(select(HoursEntry))}
        history = session.exec(select(HoursChange)).all()
    assert hours == {date(2026, 1, 1): 12_050, date(2026, 2, 1): 3_500}
    assert {(h.old_hours_h100, h.new_hours_h100) for h in history} == {(10_000, 12_050), (None, 3_500)}
    sources = at.dataframe[0].value["Source"].tolist()
    assert all(s.startswith("Saisie manuelle") for s in sources)


def test_refused_line_writes_nothing(with_users):
    company_id, commitment_id = _world(with_users)
    at = _open(with_users, company_id, commitment_id)
    label = next(v for v in at.dataframe[0].value["Participant"])
    at.session_state[f"manual_hours_editor_{commitment_id}_0"] = {
        "edited_rows": {0: {"Heures": 300.0}},  # over 250 h in a month
        "added_rows": [{"Participant": f"{label} (17/05/1990)", "Mois": "13/2026", "Heures": 35.0}],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Enregistrer les heures").click().run()
    problems = next(df.value for df in at.dataframe if "Problème" in df.value.columns)
    assert sorted(problems["Ligne"].tolist()) == [2, 3]
    with Session(db.get_engine(with_users)) as session:
        assert {e.month: e.hours_h100 for e in session.exec(select(HoursEntry))} == {date(2026, 1, 1): 10_000}


def test_delete_the_hours_of_a_month_after_confirming(with_users):
    company_id, commitment_id = _world(with_users)
    at = _open(with_users, company_id, commitment_id)
    delete = next(b for b in at.button if b.label == "Supprimer ces heures")
    assert delete.disabled  # nothing happens before the confirmation
    at.checkbox(key=f"manual_hours_del_sure_{commitment_id}").check().run()
    next(b for b in at.button if b.label == "Supprimer ces heures").click().run()
    assert not at.exception
    assert any("1 ligne(s) d'heures supprimée(s) pour 01/2026" in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(HoursEntry)).all() == []
        history = session.exec(select(HoursChange)).all()
        assert [(h.old_hours_h100, h.new_hours_h100, h.by) for h in history] == [(10_000, None, "sophie")]
        assert hours_totals.mismatches(session) == []
        assert session.exec(select(CommitmentMonthHours)).all() == []
