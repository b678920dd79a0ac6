"""Trainings, meetings, the committee dossier, the GPEC service and the ESS / SIAE directory, on SQLite and
PostgreSQL. Hand-built data; the expected figures are written out."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pypdf
import pytest
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError
from clausier.errors import PermissionDenied, ValidationError
from clausier.reports.bilan import Scope, ScopeKind
from clausier.rules.gpec import NO_TRADE, Quarter
from clausier.services import directory_pdf, gpec, meetings, partners, trainings
from clausier.services.meetings import MeetingInput
from clausier.services.partners import PartnerInput
from clausier.services.trainings import Period, TrainingInput
from clausier.services.users import CurrentUser
from models import AuditEvent, Commune, Eligibility, ImportBatch, JobOffer, Meeting, ParticipantTrade, Training
from models.enums import (
    CompanyKind,
    MeetingKind,
    OperationStatus,
    ParticipantStatus,
    PartnerKind,
    Role,
    TrainingStatus,
)
from tests.builders import (
    make_buyer,
    make_commitment,
    make_company,
    make_contract,
    make_hours_entry,
    make_lot,
    make_operation,
    make_participant,
)

SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)
TODAY = date(2026, 5, 10)
Q2, Q3, Q4 = Quarter(2026, 2), Quarter(2026, 3), Quarter(2026, 4)


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _training(session: Session, **fields) -> Training:
    data = {
        "title": "Coffreur-bancheur",
        "trade_code": "F1703",
        "funder": "Intérim Nord",
        "start_date": date(2026, 6, 1),
        "end_date": date(2026, 9, 15),
        "seats": 2,
        **fields,
    }
    return trainings.create_training(session, SAISIE, TrainingInput(**data))


# --- trainings ----------------------------------------------------------------------------------------------------


def test_a_training_is_checked_field_by_field(any_engine):
    with Session(any_engine) as session:
        with pytest.raises(ValidationError) as refused:
            trainings.create_training(
                session,
                SAISIE,
                TrainingInput(title=" ", trade_code="Z9999", start_date=date(2026, 6, 1), end_date=date(2026, 5, 1)),
            )
        assert set(refused.value.errors) == {"title", "trade_code", "partner_id", "end_date"}
        assert "ROME" in refused.value.errors["trade_code"]
        assert "organisme de formation ou le financeur" in refused.value.errors["partner_id"]
        with pytest.raises(ValidationError) as refused:
            _training(session, seats=0)
        assert "entre 1 et 500" in refused.value.errors["seats"]
        with pytest.raises(PermissionDenied):
            trainings.create_training(session, LECTURE, TrainingInput(title="X"))


def test_seats_are_never_exceeded_and_a_drop_out_frees_a_seat(any_engine):
    with Session(any_engine) as session:
        training = _training(session)
        ana, bob, cyril = (make_participant(session, last_name=n, name_key=n.lower() + " x") for n in "ABC")
        trainings.add_participant(session, SAISIE, training.id, 1, ana.id)
        trainings.add_participant(session, SAISIE, training.id, 2, bob.id)
        session.commit()
        with pytest.raises(ValidationError) as refused:
            trainings.add_participant(session, SAISIE, training.id, 3, cyril.id)
        assert refused.value.errors == {"participant_id": "La formation est complète (2 places) : aucune place libre."}
        with pytest.raises(ValidationError, match="déjà inscrit"):
            trainings.add_participant(session, SAISIE, training.id, 3, ana.id)

        trainings.set_status(session, SAISIE, training.id, 3, bob.id, TrainingStatus.DROPPED)
        trainings.add_participant(session, SAISIE, training.id, 4, cyril.id)
        session.commit()
        with pytest.raises(ValidationError, match="complète"):  # bob cannot come back: no seat left
            trainings.set_status(session, SAISIE, training.id, 5, bob.id, TrainingStatus.REGISTERED)
        with pytest.raises(ValidationError, match="au moins 2 places"):
            trainings.update_training(
                session, SAISIE, training.id, 5, TrainingInput(**{**_input(training), "seats": 1})
            )
        session.rollback()

        row = trainings.list_trainings(session, today=TODAY)[0]
        assert (row.registered, row.completed, row.dropped, row.free_seats) == (2, 0, 1, 0)
        assert [(e.name, e.status) for e in trainings.enrolments(session, training.id)] == [
            ("A Camille", TrainingStatus.REGISTERED),
            ("B Camille", TrainingStatus.DROPPED),
            ("C Camille", TrainingStatus.REGISTERED),
        ]
        mine = trainings.for_participant(session, bob.id)
        assert [(t.title, t.trade_code, t.status) for t in mine] == [
            ("Coffreur-bancheur", "F1703", TrainingStatus.DROPPED)
        ]
        trainings.remove_participant(session, SAISIE, training.id, 5, cyril.id)
        session.commit()
        assert trainings.for_participant(session, cyril.id) == []
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["création", "inscription", "inscription", "modification", "inscription", "désinscription"]


def _input(training: Training) -> dict:
    return {
        "title": training.title,
        "trade_code": training.trade_code,
        "partner_id": training.partner_id,
        "funder": training.funder,
        "start_date": training.start_date,
        "end_date": training.end_date,
        "seats": training.seats,
        "notes": training.notes,
    }


def test_two_people_registering_on_the_same_training_read_at_the_same_version(any_engine):
    with Session(any_engine) as session:
        training = _training(session, seats=2)
        first_id, second_id = make_participant(session).id, make_participant(session).id
        session.commit()
        training_id = training.id
    with Session(any_engine) as first, Session(any_engine) as second:
        trainings.add_participant(first, SAISIE, training_id, 1, first_id)
        first.commit()
        with pytest.raises(ConcurrentEditError, match="Quelqu'un d'autre a modifié la formation"):
            trainings.add_participant(second, SAISIE, training_id, 1, second_id)  # read at version 1 too
        second.rollback()
    with Session(any_engine) as session:
        assert [e.participant_id for e in trainings.enrolments(session, training_id)] == [first_id]
        assert session.get(Training, training_id).version == 2


def test_training_list_filters_and_update_with_version(any_engine):
    with Session(any_engine) as session:
        body = partners.create_partner(session, SAISIE, PartnerInput(name="AFPA", kind=PartnerKind.TRAINING_BODY))
        past = _training(
            session,
            title="Agent de propreté",
            trade_code="K2204",
            start_date=date(2026, 1, 5),
            end_date=date(2026, 2, 20),
            partner_id=body.id,
            funder="",
        )
        running = _training(session, start_date=date(2026, 5, 1), end_date=date(2026, 6, 30))
        upcoming = _training(
            session, title="Peintre", trade_code="F1606", start_date=date(2026, 9, 1), end_date=date(2026, 10, 15)
        )
        session.commit()
        titles = {
            p: [r.training.id for r in trainings.list_trainings(session, today=TODAY, period=p)]
            for p in (Period.PAST, Period.RUNNING, Period.UPCOMING)
        }
        assert titles == {Period.PAST: [past.id], Period.RUNNING: [running.id], Period.UPCOMING: [upcoming.id]}
        assert [r.partner for r in trainings.list_trainings(session, today=TODAY, search="afpa")] == ["AFPA"]
        assert [r.training.id for r in trainings.list_trainings(session, today=TODAY, trade_code="F1606")] == [
            upcoming.id
        ]
        assert next(iter(trainings.partner_choices(session))) == body.id

        trainings.update_training(session, SAISIE, upcoming.id, 1, TrainingInput(**{**_input(upcoming), "seats": 12}))
        session.commit()
        with pytest.raises(ConcurrentEditError):
            trainings.update_training(session, SAISIE, upcoming.id, 1, TrainingInput(**_input(upcoming)))
        session.rollback()
        saved = session.get(Training, upcoming.id)
        assert (saved.seats, saved.version) == (12, 2)
        trainings.delete_training(session, SAISIE, past.id, 1)
        session.commit()
        assert session.get(Training, past.id) is None


# --- GPEC on the database -----------------------------------------------------------------------------------------


def _gpec_data(session: Session) -> dict:
    cud = session.exec(select(Commune).where(Commune.epci == "CUD")).first()
    running = make_operation(session, status=OperationStatus.RUNNING, commune_id=cud.id)
    # 1 000 h committed, 89,98 h achieved: 910,02 h over July–September = 2 FTE in T3.
    lot = make_lot(
        session, running, trade_code="F1703", execution_start=date(2026, 7, 1), execution_end=date(2026, 9, 30)
    )
    commitment = make_commitment(session, lot=lot, hours_committed_h100=100_000)
    make_hours_entry(session, commitment=commitment, month=date(2026, 4, 1), hours_h100=8_998)
    # Not awarded yet, clause hours 455,01 h over May–June (from this month) = 1 FTE in T2.
    make_lot(
        session,
        running,
        trade_code="K2204",
        hours_contractual_h100=45_501,
        execution_start=date(2026, 4, 1),
        execution_end=date(2026, 6, 30),
    )
    study = make_operation(session, status=OperationStatus.STUDY)
    make_lot(
        session,
        study,
        trade_code="F1703",
        hours_contractual_h100=91_002,
        execution_start=date(2026, 10, 1),
        execution_end=date(2026, 12, 31),
    )
    finished = make_operation(session, status=OperationStatus.FINISHED)
    make_lot(session, finished, trade_code="F1703", execution_end=date(2026, 12, 31))
    included = make_operation(session, status=OperationStatus.CLAUSE_INCLUDED)
    make_lot(session, included, trade_code="F1703", hours_contractual_h100=10_000, execution_end=None)

    def person(**fields):
        validated = fields.pop("validated", date(2025, 6, 1))
        p = make_participant(session, **fields)
        session.add(ParticipantTrade(participant_id=p.id, trade_code="F1703"))
        if validated:
            session.add(
                Eligibility(participant_id=p.id, criterion_code="plie", validated_on=validated, validated_by="sophie")
            )
        session.flush()
        return p

    free = person(commune_id=cud.id)
    busy = person()
    make_contract(session, participant=busy, start_date=date(2026, 3, 1), planned_end=date(2026, 8, 31))
    person(anonymised_at=datetime(2026, 1, 1, tzinfo=UTC))
    person(validated=None)
    person(status=ParticipantStatus.EXITED)
    training = _training(session, seats=5)  # ends 15/09/2026: T3
    dropped = make_participant(session)
    trainings.add_participant(session, SAISIE, training.id, 1, dropped.id, TrainingStatus.DROPPED)
    session.commit()
    return {"free": free}


def _cells(result) -> dict:
    return {
        (c.trade_code, c.quarter): (round(c.need_fte, 4), c.available, c.trained, round(c.gap, 4)) for c in result.cells
    }


def test_gpec_needs_supply_and_gaps_from_the_database(any_engine):
    with Session(any_engine) as session:
        _gpec_data(session)
        result = gpec.compute(session, TODAY, 3)
        assert result.horizon == [Q2, Q3, Q4]
        assert _cells(result) == {
            ("F1703", Q2): (0.0, 1, 0, -1.0),  # the free one; the other is at work until August
            ("F1703", Q3): (2.0, 1, 4, -3.0),  # 5 seats, 1 drop-out
            ("F1703", Q4): (0.0, 2, 0, -2.0),
            ("K2204", Q2): (1.0, 0, 0, 1.0),
            ("K2204", Q3): (0.0, 0, 0, 0.0),
            ("K2204", Q4): (0.0, 0, 0, 0.0),
        }
        assert [d.source for d in result.lots] == ["engagements", "heures de la clause (non attribué)"]
        assert [d.need.remaining_h100 for d in result.unscheduled] == [10_000]

        with_prospects = gpec.compute(session, TODAY, 3, include_prospects=True)
        assert _cells(with_prospects)[("F1703", Q4)] == (2.0, 2, 0, 0.0)

        # Territory: the operation and the free participant are in the CUD, the others nowhere.
        local = gpec.compute(session, TODAY, 3, territory="CUD")
        assert _cells(local)[("F1703", Q3)] == (2.0, 1, 4, -3.0)
        assert _cells(local)[("F1703", Q4)] == (0.0, 1, 0, -1.0)
        assert list(gpec.summary_frame(result).columns) == ["Métier", "T2 2026", "T3 2026", "T4 2026"]
        assert gpec.summary_frame(result)["T3 2026"].tolist() == [-3.0, 0.0]
        assert NO_TRADE not in {c.trade_code for c in result.cells}


# --- meetings and the committee dossier --------------------------------------------------------------------------


def test_meetings_are_checked_listed_and_edited_with_version(any_engine):
    with Session(any_engine) as session:
        buyer = make_buyer(session, name="Communauté urbaine de Dunkerque")
        operation = make_operation(session, buyer, name="Écoquartier du Grand Large")
        with pytest.raises(ValidationError) as refused:
            meetings.create_meeting(session, SAISIE, MeetingInput(kind=MeetingKind.SITE_LAUNCH, title="Lancement"))
        assert set(refused.value.errors) == {"on", "operation_ids"}
        launch = meetings.create_meeting(
            session,
            SAISIE,
            MeetingInput(
                kind=MeetingKind.SITE_LAUNCH,
                on=date(2026, 4, 2),
                title="Lancement du chantier",
                attendees="Bouygues ; Eiffage",
                operation_ids=[operation.id],
            ),
        )
        meetings.create_meeting(
            session, SAISIE, MeetingInput(kind="groupe_ess", on=date(2026, 5, 5), title="Groupe ESS propreté")
        )
        session.commit()
        assert [r.meeting.title for r in meetings.list_meetings(session)] == [
            "Groupe ESS propreté",
            "Lancement du chantier",
        ]
        found = meetings.list_meetings(session, operation_id=operation.id)
        assert [(r.meeting.id, r.operations) for r in found] == [
            (launch.id, [(operation.id, "Écoquartier du Grand Large (Communauté urbaine de Dunkerque)")])
        ]
        assert [r.meeting.title for r in meetings.list_meetings(session, search="eiffage")] == ["Lancement du chantier"]
        assert [r.meeting.title for r in meetings.list_meetings(session, kinds=[MeetingKind.ESS_WORKING_GROUP])] == [
            "Groupe ESS propreté"
        ]

        data = MeetingInput(
            kind=MeetingKind.SITE_LAUNCH,
            on=date(2026, 4, 3),
            title="Lancement du chantier",
            operation_ids=[operation.id],
        )
        meetings.update_meeting(session, SAISIE, launch.id, 1, data)
        session.commit()
        with pytest.raises(ConcurrentEditError):
            meetings.update_meeting(session, SAISIE, launch.id, 1, data)
        session.rollback()
        assert session.get(Meeting, launch.id).on == date(2026, 4, 3)
        with pytest.raises(PermissionDenied):
            meetings.delete_meeting(session, LECTURE, launch.id, 2)
        meetings.delete_meeting(session, SAISIE, launch.id, 2)
        session.commit()
        assert [r.meeting.title for r in meetings.list_meetings(session)] == ["Groupe ESS propreté"]


def _committee(session: Session, kind: MeetingKind, on: date, title: str) -> Meeting:
    return meetings.create_meeting(session, SAISIE, MeetingInput(kind=kind, on=on, title=title))


def test_dossier_period_runs_from_the_previous_committee_of_the_same_kind(any_engine):
    with Session(any_engine) as session:
        first = _committee(session, MeetingKind.STEERING_COMMITTEE, date(2025, 10, 2), "COPIL d'automne")
        _committee(session, MeetingKind.TECHNICAL_COMMITTEE, date(2026, 1, 15), "COTECH de janvier")
        second = _committee(session, MeetingKind.STEERING_COMMITTEE, date(2026, 3, 12), "COPIL de printemps")
        session.commit()
        period = meetings.dossier_period(session, second)
        assert (period.start, period.end, period.previous.id) == (date(2025, 10, 3), date(2026, 3, 12), first.id)
        assert period.text == "du 03/10/2025 au 12/03/2026 (depuis le comité de pilotage du 02/10/2025)"
        alone = meetings.dossier_period(session, first)  # no earlier one: the last 12 months
        assert (alone.start, alone.end, alone.previous) == (date(2024, 10, 3), date(2025, 10, 2), None)
        assert alone.text == "du 03/10/2024 au 02/10/2025 (12 derniers mois)"


def test_actions_between_two_committees(any_engine):
    with Session(any_engine) as session:
        inside = datetime(2025, 11, 5, 9, 30, tzinfo=UTC)
        buyer = make_buyer(session, name="Ville de Gravelines")
        make_operation(session, buyer, name="Piscine", created_at=inside, status=OperationStatus.SPOTTED)
        make_operation(session, buyer, name="Ancienne", created_at=datetime(2025, 9, 1, tzinfo=UTC))
        company = make_company(session)
        for posts, at in ((2, inside), (1, datetime(2026, 4, 1, tzinfo=UTC))):
            session.add(
                JobOffer(
                    company_id=company.id,
                    trade_code="F1703",
                    title="Maçon",
                    contract_type_code="cdd",
                    posts=posts,
                    start_date=date(2025, 12, 1),
                    created_at=at,
                )
            )
        someone = make_participant(session)
        make_contract(session, participant=someone, start_date=date(2025, 12, 1))
        make_contract(session, participant=someone, start_date=date(2026, 2, 1))
        make_contract(session, start_date=date(2026, 4, 1))  # after the period
        make_hours_entry(session, month=date(2025, 12, 1), hours_h100=15_167)
        make_hours_entry(session, month=date(2026, 4, 1), hours_h100=10_000)  # after
        session.add(
            ImportBatch(file_name="releve.csv", checksum="x", by="sophie", at=inside, rows_added=12, rows_changed=3)
        )
        session.add(
            ImportBatch(file_name="annule.csv", checksum="y", by="sophie", at=inside, rows_added=5, undone_at=inside)
        )
        _committee(session, MeetingKind.TECHNICAL_COMMITTEE, date(2026, 1, 15), "COTECH")
        _training(session, end_date=date(2026, 2, 27), start_date=date(2026, 1, 5))
        session.add(AuditEvent(who="sophie", action="export", at=inside))
        session.commit()

        actions = meetings.actions_between(session, date(2025, 10, 3), date(2026, 3, 12))
        assert actions.meetings == {MeetingKind.TECHNICAL_COMMITTEE: 1}
        assert actions.operations_created == [("Piscine", "Ville de Gravelines")]
        assert (actions.offers_opened, actions.posts_opened) == (1, 2)
        assert (actions.contracts_started, actions.people_hired) == (2, 1)
        assert actions.hours_months_h100 == 15_167
        assert (actions.imports, actions.import_rows) == (1, 15)
        assert actions.trainings_ended == 1
        assert actions.journal["export"] == 1


def test_the_committee_dossier_pdf(any_engine):
    with Session(any_engine) as session:
        buyer = make_buyer(session, name="Communauté urbaine de Dunkerque")
        running = make_operation(session, buyer, name="Groupe scolaire Lamartine", status=OperationStatus.RUNNING)
        lot = make_lot(
            session, running, trade_code="F1703", execution_start=date(2025, 9, 1), execution_end=date(2026, 12, 31)
        )
        commitment = make_commitment(session, lot=lot, company=make_company(session, name="Bâtisseurs du Nord"))
        make_hours_entry(session, commitment=commitment, month=date(2025, 11, 1), hours_h100=15_167)
        coming = make_operation(session, buyer, name="Médiathèque du Carré", status=OperationStatus.CLAUSE_INCLUDED)
        make_lot(session, coming, hours_contractual_h100=120_000)
        _committee(session, MeetingKind.STEERING_COMMITTEE, date(2025, 10, 2), "COPIL d'automne")
        copil = _committee(session, MeetingKind.STEERING_COMMITTEE, date(2026, 3, 12), "COPIL de printemps")
        session.commit()

        dossier = meetings.build_dossier(session, copil.id, Scope(ScopeKind.BUYER, buyer.id), TODAY)
        assert dossier.file_name == "dossier-comite-de-pilotage-2026-03-12.pdf"
        assert dossier.pdf.startswith(b"%PDF")
        reader = pypdf.PdfReader(io.BytesIO(dossier.pdf))
        assert len(reader.pages) == dossier.page_count >= 2
        text = _pdf_text(dossier.pdf)
        for expected in (
            "Dossier du comité de pilotage du 12/03/2026",
            "Périmètre : Donneur d'ordre : Communauté urbaine de Dunkerque",
            "Période : du 03/10/2025 au 12/03/2026 (depuis le comité de pilotage du 02/10/2025)",
            "1. Bilan de la période du 03/10/2025 au 12/03/2026",
            "2. Opérations à venir",
            "Médiathèque du Carré",
            "3. GPEC : besoins et viviers par métier",
            "4. Actions menées du 03/10/2025 au 12/03/2026",
            "Bâtisseurs du Nord",
        ):
            assert expected in text, expected
        assert "Groupe scolaire Lamartine" not in text.split("2. Opérations à venir")[1].split("3. GPEC")[0]


def test_the_ess_siae_directory_pdf_groups_structures_by_trade(any_engine):
    with Session(any_engine) as session:
        partners.create_partner(
            session,
            SAISIE,
            PartnerInput(
                name="Régie Flandre",
                kind=PartnerKind.SIAE,
                contact_email="contact@regie.test",
                trade_codes=["K2204", "F1703"],
            ),
        )
        partners.create_partner(session, SAISIE, PartnerInput(name="Coop sans métier", kind=PartnerKind.ESS))
        partners.create_partner(session, SAISIE, PartnerInput(name="Lycée Jean Bart", kind=PartnerKind.TRAINING_BODY))
        esat = make_company(session, name="ESAT des Dunes", kind=CompanyKind.ESAT)
        make_commitment(session, lot=make_lot(session, trade_code="A1203"), company=esat)
        session.commit()

        result = directory_pdf.build(session, TODAY)
        assert (result.structures, result.trades) == (3, 3)
        assert result.file_name == "annuaire-ess-siae-2026-05-10.pdf"
        text = _pdf_text(result.pdf)
        assert "Annuaire des structures de l'ESS et de l'IAE par métier" in text
        for expected in (
            "A1203",
            "F1703",
            "K2204",
            "ESAT des Dunes",
            "contact@regie.test",
            "Métiers non précisés",
            "Coop sans métier",
        ):
            assert expected in text, expected
        assert "Lycée Jean Bart" not in text  # a training body is not an ESS or SIAE structure
        assert text.count("Régie Flandre") == 2  # under each of its two trades

        one = directory_pdf.build(session, TODAY, "F1703")
        one_text = _pdf_text(one.pdf)
        assert one.structures == 1 and "Régie Flandre" in one_text and "ESAT des Dunes" not in one_text
