"""Bilans › GPEC, Formations, Réunions et comités, Export complet through app.py (AppTest)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from clausier import db
from clausier.reports.bilan import ScopeKind
from clausier.services import meetings, trainings
from clausier.services.meetings import MeetingInput
from clausier.services.trainings import TrainingInput
from clausier.services.users import CurrentUser
from models import Eligibility, Meeting, Participant, ParticipantTrade, Training, TrainingParticipant
from models.enums import MeetingKind, OperationStatus, Role, TrainingStatus
from tests.builders import make_buyer, make_commitment, make_lot, make_operation, make_participant
from tests.pages.conftest import logged_in, open_url_path

SOPHIE = CurrentUser(login="sophie", name="Sophie Test", role=Role.SAISIE)
TODAY = date(2026, 5, 10)


@pytest.fixture
def fixed_today(monkeypatch):
    import pages.bilans_formations
    import pages.bilans_gpec
    import pages.bilans_reunions

    for module in (pages.bilans_gpec, pages.bilans_formations, pages.bilans_reunions):
        monkeypatch.setattr(module, "today", lambda: TODAY)


def _page(role: Role, url_path: str, title: str) -> AppTest:
    at = logged_in(role).run()
    at = open_url_path(at, url_path).run()
    assert not at.exception, at.exception
    assert at.title[0].value == title
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def _session(url: str) -> Session:
    return Session(db.get_engine(url), expire_on_commit=False)


# --- GPEC ---------------------------------------------------------------------------------------------------------


def _seed_gpec(url: str) -> None:
    with _session(url) as session:
        operation = make_operation(session, status=OperationStatus.RUNNING)
        lot = make_lot(
            session, operation, trade_code="F1703", execution_start=date(2026, 7, 1), execution_end=date(2026, 9, 30)
        )
        make_commitment(session, lot=lot, hours_committed_h100=91_002)  # 910,02 h in T3: 2 FTE
        person = make_participant(session)
        session.add(ParticipantTrade(participant_id=person.id, trade_code="F1703"))
        session.add(
            Eligibility(
                participant_id=person.id, criterion_code="plie", validated_on=date(2026, 1, 5), validated_by="sophie"
            )
        )
        session.commit()


def test_gpec_page_shows_the_gaps_the_heat_map_and_the_exports(with_users, fixed_today):
    _seed_gpec(with_users)
    at = _page(Role.LECTURE, "gpec", "GPEC")
    frame = at.dataframe[0].value
    assert frame["Trimestre"].tolist() == ["T2 2026", "T3 2026", "T4 2026", "T1 2027"]
    t3 = frame[frame["Trimestre"] == "T3 2026"].iloc[0]
    assert t3["Métier"] == "F1703 – Maçonnerie"
    assert (t3["Besoin (ETP)"], t3["Disponibles"], t3["Formés"], t3["Écart (ETP)"]) == (2.0, 1, 0, 1.0)
    assert len(at.get("vega_lite_chart")) == 1
    labels = {b.label for b in at.download_button}
    assert {"Image PNG de la carte des écarts", "Télécharger (CSV)", "Télécharger (Excel)"} <= labels
    assert [b.label for b in at.button] == ["Se déconnecter"]

    at.number_input(key="gpec_h").set_value(2).run()
    assert at.dataframe[0].value["Trimestre"].tolist() == ["T2 2026", "T3 2026"]


def test_gpec_page_without_needs_says_so(with_users, fixed_today):
    at = _page(Role.SAISIE, "gpec", "GPEC")
    assert any("Aucun besoin ni formation" in i.value for i in at.info)


# --- Formations ---------------------------------------------------------------------------------------------------


def _fill_training(at: AppTest, prefix: str, title: str, seats: int = 1) -> None:
    at.text_input(key=f"{prefix}title").input(title)
    at.selectbox(key=f"{prefix}trade_code").set_value("F1703")
    at.text_input(key=f"{prefix}funder").input("Intérim Nord")
    at.date_input(key=f"{prefix}start_date").set_value(date(2026, 6, 1))
    at.date_input(key=f"{prefix}end_date").set_value(date(2026, 6, 26))
    at.number_input(key=f"{prefix}seats").set_value(seats)


def test_saisie_creates_a_training_registers_people_and_the_seats_hold(with_users, fixed_today):
    with _session(with_users) as session:
        ana = make_participant(session, last_name="Arnaud", first_name="Ana", name_key="arnaud ana")
        make_participant(session, last_name="Bernard", first_name="Bob", name_key="bernard bob")
        session.commit()
    at = _page(Role.SAISIE, "formations", "Formations")
    assert [t.label for t in at.tabs] == [
        "Formations",
        "Participants d'une formation",
        "Nouvelle formation",
        "Modifier ou supprimer",
    ]
    # A refused form keeps what was typed, with the message next to the field.
    at.text_input(key="trn_new0_funder").input("Intérim Nord")
    at = _click(at, "Créer la formation")
    assert any("intitulé de la formation est obligatoire" in e.value for e in at.error)
    assert any("métier" in e.value for e in at.error)
    assert at.text_input(key="trn_new0_funder").value == "Intérim Nord"

    _fill_training(at, "trn_new0_", "Coffreur-bancheur", seats=1)
    at = _click(at, "Créer la formation")
    assert any("Coffreur-bancheur" in s.value for s in at.success), [e.value for e in at.error]
    assert at.text_input(key="trn_new1_title").value == ""  # the form is empty again
    assert at.dataframe[0].value["Intitulé"].tolist() == ["Coffreur-bancheur"]

    with _session(with_users) as session:
        training = session.exec(select(Training)).one()
    at.text_input(key=f"trn_p_search_{training.id}").input("arnaud").run()
    at.selectbox(key=f"trn_p_pick_{training.id}").set_value(ana.id)
    at = _click(at, "Inscrire")
    assert any("Arnaud Ana" in s.value for s in at.success), [e.value for e in at.error]
    assert "Arnaud Ana" in at.dataframe[1].value["Participant"].tolist()

    at.text_input(key=f"trn_p_search_{training.id}").input("bernard").run()
    at.selectbox(key=f"trn_p_pick_{training.id}").set_value(_ids(with_users, "bernard bob")[0])
    at = _click(at, "Inscrire")
    assert any("complète (1 places)" in e.value for e in at.error)
    with _session(with_users) as session:
        assert len(session.exec(select(TrainingParticipant)).all()) == 1

    at.selectbox(key=f"trn_e_status_{training.id}").set_value(TrainingStatus.DROPPED)
    at = _click(at, "Changer le statut")
    with _session(with_users) as session:
        link = session.exec(select(TrainingParticipant)).one()
        assert link.status is TrainingStatus.DROPPED and session.get(Training, training.id).version == 3


def _ids(url: str, name_key: str) -> list[int]:
    with _session(url) as session:
        return list(session.exec(select(Participant.id).where(Participant.name_key == name_key)))


def test_saisie_edits_a_training(with_users, fixed_today):
    with _session(with_users) as session:
        training = trainings.create_training(
            session,
            SOPHIE,
            TrainingInput(
                title="Agent de propreté",
                trade_code="K2204",
                funder="France Travail",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 10, 2),
                seats=8,
            ),
        )
        session.commit()
    at = _page(Role.SAISIE, "formations", "Formations")
    prefix = f"trn_edit_{training.id}_"
    assert at.text_input(key=f"{prefix}title").value == "Agent de propreté"
    at.number_input(key=f"{prefix}seats").set_value(12)
    at = _click(at, "Enregistrer les modifications")
    assert any("Agent de propreté" in s.value for s in at.success), [e.value for e in at.error]
    with _session(with_users) as session:
        saved = session.get(Training, training.id)
        assert (saved.seats, saved.version) == (12, 2)


def test_lecture_reads_trainings_without_any_write_button(with_users, fixed_today):
    with _session(with_users) as session:
        training = trainings.create_training(
            session,
            SOPHIE,
            TrainingInput(
                title="Peintre en bâtiment",
                trade_code="F1606",
                funder="OPCO",
                start_date=date(2026, 4, 1),
                end_date=date(2026, 6, 1),
                seats=5,
            ),
        )
        person = make_participant(session, last_name="Diallo", first_name="Mariam", name_key="diallo mariam")
        trainings.add_participant(session, SOPHIE, training.id, 1, person.id)
        session.commit()
    at = _page(Role.LECTURE, "formations", "Formations")
    assert [t.label for t in at.tabs] == ["Formations", "Participants d'une formation"]
    assert [b.label for b in at.button] == ["Se déconnecter"] and not at.get("form")
    assert at.dataframe[0].value["Inscrits"].tolist() == [1]
    assert at.dataframe[1].value["Participant"].tolist() == ["Diallo Mariam"]
    assert any("données personnelles" in c.value for c in at.caption)  # no download of the names for lecture


# --- Réunions et comités ------------------------------------------------------------------------------------------


def test_saisie_records_a_committee_and_gets_its_dossier_button(with_users, fixed_today):
    with _session(with_users) as session:
        make_operation(session, make_buyer(session, name="Ville de Gravelines"), name="Piscine")
        session.commit()
    at = _page(Role.SAISIE, "reunions", "Réunions et comités")
    assert any("Aucun comité" in i.value for i in at.info)
    at.selectbox(key="mtg_new0_kind").set_value(MeetingKind.STEERING_COMMITTEE)
    at.date_input(key="mtg_new0_on").set_value(date(2026, 3, 12))
    at.text_input(key="mtg_new0_title").input("COPIL de printemps")
    at.text_area(key="mtg_new0_attendees").input("CUD ; France Travail")
    at = _click(at, "Enregistrer la réunion")
    assert any("COPIL de printemps" in s.value for s in at.success), [e.value for e in at.error]
    frame = at.dataframe[0].value
    assert frame["Intitulé"].tolist() == ["COPIL de printemps"]
    assert frame["Type"].tolist() == ["Comité de pilotage"]

    assert any(m.value == "**Période du bilan** : du 13/03/2025 au 12/03/2026 (12 derniers mois)" for m in at.markdown)
    assert "Constituer le dossier (PDF)" in [b.label for b in at.download_button]
    at.selectbox(key="mtg_scope_kind").set_value(ScopeKind.BUYER).run()  # the button waits for the buyer
    assert not at.exception, at.exception
    assert "Constituer le dossier (PDF)" not in [b.label for b in at.download_button]
    assert any("Choisissez" in i.value for i in at.info)


def test_a_site_launch_needs_an_operation_and_the_form_keeps_what_was_typed(with_users, fixed_today):
    at = _page(Role.SAISIE, "reunions", "Réunions et comités")
    at.selectbox(key="mtg_new0_kind").set_value(MeetingKind.SITE_LAUNCH)
    at.text_input(key="mtg_new0_title").input("Lancement du chantier")
    at = _click(at, "Enregistrer la réunion")
    assert any("au moins une opération" in e.value for e in at.error)
    assert at.text_input(key="mtg_new0_title").value == "Lancement du chantier"
    with _session(with_users) as session:
        assert session.exec(select(Meeting)).first() is None


def test_saisie_edits_a_meeting_and_lecture_only_reads(with_users, fixed_today):
    with _session(with_users) as session:
        meeting = meetings.create_meeting(
            session,
            SOPHIE,
            MeetingInput(kind=MeetingKind.ESS_WORKING_GROUP, on=date(2026, 4, 20), title="Groupe ESS propreté"),
        )
        session.commit()
    at = _page(Role.SAISIE, "reunions", "Réunions et comités")
    at.text_area(key=f"mtg_edit_{meeting.id}_notes").input("Trois SIAE intéressées par le lot 4.")
    at = _click(at, "Enregistrer les modifications")
    assert any("Groupe ESS propreté" in s.value for s in at.success), [e.value for e in at.error]
    with _session(with_users) as session:
        saved = session.get(Meeting, meeting.id)
        assert (saved.notes, saved.version) == ("Trois SIAE intéressées par le lot 4.", 2)

    at = _page(Role.LECTURE, "reunions", "Réunions et comités")
    assert [t.label for t in at.tabs] == ["Réunions", "Dossier de comité"]
    assert [b.label for b in at.button] == ["Se déconnecter"] and not at.get("form")
    assert at.dataframe[0].value["Notes"].tolist() == ["Trois SIAE intéressées par le lot 4."]


# --- Export complet -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "workbook", "note"),
    [
        (Role.ADMIN, True, None),
        (Role.SAISIE, True, "ne contient pas les données personnelles"),
        (Role.LECTURE, False, "Export réservé aux rôles Administrateur et Saisie"),
    ],
)
def test_export_page_for_each_role(with_users, role, workbook, note):
    at = _page(role, "export-complet", "Export complet")
    labels = [b.label for b in at.download_button]
    assert ("Télécharger l'export complet (Excel)" in labels) is workbook
    assert "Télécharger l'annuaire (PDF)" in labels
    texts = [i.value for i in at.info] + [c.value for c in at.caption]
    if note:
        assert any(note in t for t in texts), texts
    else:
        assert not any("ne contient pas les données personnelles" in t for t in texts)
    assert [b.label for b in at.button] == ["Se déconnecter"]
    if workbook:
        sheets = at.dataframe[0].value
        assert ("auditevent" in sheets["Feuille"].tolist()) is (role is Role.ADMIN)


def test_a_training_is_deleted_only_once_the_deletion_is_confirmed(with_users, fixed_today):
    with _session(with_users) as session:
        training = trainings.create_training(
            session,
            SOPHIE,
            TrainingInput(
                title="Saisie par erreur",
                trade_code="K2204",
                funder="France Travail",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 10, 2),
                seats=8,
            ),
        )
        session.commit()
    at = _page(Role.SAISIE, "formations", "Formations")
    delete = at.button(key=f"trn_del_{training.id}")
    assert delete.disabled  # nothing to click before the box is ticked
    at.checkbox(key=f"trn_del_ok_{training.id}").check().run()
    assert not at.button(key=f"trn_del_{training.id}").disabled
    at.button(key=f"trn_del_{training.id}").click().run()
    assert not at.exception
    assert any("Saisie par erreur" in s.value and "supprimée" in s.value for s in at.success)
    with _session(with_users) as session:
        assert session.get(Training, training.id) is None
