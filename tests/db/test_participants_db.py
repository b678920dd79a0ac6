"""Participants on SQLite and PostgreSQL: create and edit with their checks, the list's search and filters, who sees
the contact details, eligibility (add, remove, status, lapsing for the home page), and the GDPR duties (anonymise,
retention list, right of access)."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError
from clausier.errors import DomainError, PermissionDenied, ValidationError
from clausier.rules.eligibility import eligibility_end
from clausier.rules.names import ascii_fold, name_key
from clausier.services import participants as svc
from clausier.services.participants import (
    EligibilityFilter,
    EligibilityInput,
    ParticipantFilters,
    ParticipantInput,
    TradeInput,
)
from clausier.services.users import CurrentUser
from models import (
    AuditEvent,
    Candidacy,
    CandidacyEvent,
    Commune,
    Eligibility,
    EmploymentContract,
    FollowUp,
    JobOffer,
    Participant,
    ParticipantTrade,
    Qpv,
)
from models.enums import CandidacyStatus, ExperienceLevel, ParticipantStatus, QualificationLevel, Role, Sex
from tests.builders import make_commitment, make_company, make_contract, make_hours_entry, make_participant, set_setting

TODAY = date(2026, 4, 15)
ADMIN = CurrentUser(login="admin", name="Admin", role=Role.ADMIN)
SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)


def person(session, last, first, **fields):
    return make_participant(session, last_name=last, first_name=first, name_key=name_key(last, first), **fields)


def validate(session, participant, code, on, **fields):
    row = Eligibility(
        participant_id=participant.id, criterion_code=code, validated_on=on, validated_by="sophie", **fields
    )
    session.add(row)
    session.flush()
    return row


def names(rows):
    return [r.name for r in rows]


# --- create and edit -----------------------------------------------------------------------------------------------


def test_create_a_participant_with_trades_then_the_same_person_is_refused(any_engine):
    with Session(any_engine) as session:
        commune = session.exec(select(Commune).order_by(Commune.name)).first()
        created = svc.create_participant(
            session,
            SAISIE,
            ParticipantInput(
                last_name="  Lefèvre ",
                first_name="Hélène",
                sex=Sex.FEMALE,
                birth_date=date(1990, 5, 17),
                commune_id=commune.id,
                phone="06 12 34 56 78",
                email="helene.lefevre@exemple.fr",
                qualification_level=QualificationLevel.LEVEL_3,
                licences=["B", " CACES R489 ", "b"],
                trades=[TradeInput("f1703", ExperienceLevel.EXPERIENCED, 18), TradeInput("K2204")],
            ),
            TODAY,
        )
        session.commit()
        saved = session.get(Participant, created.id)
        assert (saved.last_name, saved.name_key, saved.licences) == ("Lefèvre", "lefevre helene", "B;CACES R489")
        trades = session.exec(
            select(ParticipantTrade.trade_code, ParticipantTrade.experience, ParticipantTrade.experience_months)
            .where(ParticipantTrade.participant_id == created.id)
            .order_by(ParticipantTrade.trade_code)
        ).all()
        assert trades == [("F1703", ExperienceLevel.EXPERIENCED, 18), ("K2204", ExperienceLevel.NONE, 0)]
        event = session.exec(select(AuditEvent).where(AuditEvent.table_name == "participant")).one()
        assert (event.action, event.summary) == ("création", f"Participant n° {created.id}")  # no name in the trail

        with pytest.raises(ValidationError) as refused:
            svc.create_participant(
                session,
                SAISIE,
                ParticipantInput(last_name="LEFEVRE", first_name="helene", birth_date=date(1990, 5, 17)),
                TODAY,
            )
        assert f"participant n° {created.id}" in refused.value.errors["last_name"]
        session.rollback()
        # Same name, another birth date: another person.
        other = svc.create_participant(
            session,
            SAISIE,
            ParticipantInput(last_name="Lefevre", first_name="Hélène", birth_date=date(1991, 5, 17)),
            TODAY,
        )
        assert other.id != created.id


def test_every_bad_field_gets_its_french_message(any_engine):
    with Session(any_engine) as session:
        with pytest.raises(ValidationError) as refused:
            svc.create_participant(
                session,
                SAISIE,
                ParticipantInput(
                    last_name=" ",
                    first_name="",
                    birth_date=date(2020, 1, 1),
                    phone="06 12",
                    email="pas-un-mail@",
                    max_distance_km="-3",
                    trades=[TradeInput("Z9999")],
                ),
                TODAY,
            )
        errors = refused.value.errors
        assert errors["last_name"] == "Le nom est obligatoire."
        assert errors["first_name"] == "Le prénom est obligatoire."
        assert "moins de 14 ans" in errors["birth_date"]
        assert "06 12" in errors["phone"] and "n'est pas valide" in errors["phone"]
        assert errors["email"] == "L'adresse e-mail « pas-un-mail@ » n'est pas valide."
        assert "nombre entier de kilomètres" in errors["max_distance_km"]
        assert "Z9999" in errors["trades"]
        with pytest.raises(PermissionDenied):
            svc.create_participant(session, LECTURE, ParticipantInput(last_name="A", first_name="B"), TODAY)


def test_two_people_saving_the_same_participant(any_engine):
    with Session(any_engine) as session:
        pid = person(session, "Durand", "Paul").id
        session.commit()
    with Session(any_engine) as first, Session(any_engine) as second:
        svc.update_participant(
            first,
            SAISIE,
            pid,
            1,
            ParticipantInput(
                last_name="Durand", first_name="Paul", birth_date=date(1990, 5, 17), antenna="Grande-Synthe"
            ),
            TODAY,
        )
        first.commit()
        with pytest.raises(ConcurrentEditError):
            svc.update_participant(
                second,
                SAISIE,
                pid,
                1,
                ParticipantInput(
                    last_name="Durand", first_name="Paul", birth_date=date(1990, 5, 17), antenna="Gravelines"
                ),
                TODAY,
            )
        second.rollback()
    with Session(any_engine) as session:
        saved = session.get(Participant, pid)
        assert (saved.antenna, saved.version) == ("Grande-Synthe", 2)
        assert session.exec(select(AuditEvent.summary).where(AuditEvent.action == "modification")).one() == (
            f"Participant n° {pid} : antenne"
        )


# --- the list --------------------------------------------------------------------------------------------------


@pytest.fixture
def pool(any_engine):
    """Five people with eligibility valid, lapsing (34 days left), lapsed, none, and lapsed under contract."""
    with Session(any_engine) as session:
        communes = session.exec(select(Commune).order_by(Commune.id)).all()
        qpv = (
            session.exec(select(Qpv).where(Qpv.commune_id == communes[0].id)).first()
            or session.exec(select(Qpv)).first()
        )
        valid = person(
            session,
            "Benali",
            "Yasmine",
            phone="06 11 22 33 44",
            email="y.benali@exemple.fr",
            antenna="Dunkerque",
            counsellor="Inès",
            commune_id=qpv.commune_id or communes[0].id,
            qpv_id=qpv.id,
            birth_date=date(2001, 9, 3),
        )
        elsewhere = next(c for c in communes if c.id != (qpv.commune_id or communes[0].id))
        lapsing = person(session, "Ćwikła", "Zoé", antenna="Gravelines", counsellor="Marc", commune_id=elsewhere.id)
        lapsed = person(
            session, "Lefèvre", "Jean", antenna="Dunkerque", counsellor="Marc", status=ParticipantStatus.EXITED
        )
        never = person(session, "Martin", "Kévin", antenna="Dunkerque", counsellor="Inès")
        working = person(
            session, "Nowak", "Ewa", antenna="Gravelines", counsellor="Inès", status=ParticipantStatus.IN_EMPLOYMENT
        )
        validate(session, valid, "jeune_26", date(2025, 1, 10))  # ends 09/01/2027
        validate(session, lapsing, "rsa", date(2024, 5, 20))  # ends 19/05/2026: 34 days left
        validate(session, lapsed, "rsa", date(2022, 1, 5))
        validate(session, lapsed, "deld", date(2024, 3, 1))  # ends 28/02/2026
        validate(session, working, "rqth", date(2024, 1, 15))  # ends 14/01/2026
        make_contract(session, participant=working, start_date=date(2026, 3, 1), planned_end=date(2026, 8, 31))
        make_contract(session, participant=lapsed, start_date=date(2025, 3, 1), planned_end=date(2025, 8, 31))
        session.add(ParticipantTrade(participant_id=valid.id, trade_code="F1703"))
        session.add(ParticipantTrade(participant_id=never.id, trade_code="F1703"))
        session.add(ParticipantTrade(participant_id=never.id, trade_code="K2204"))
        session.commit()
        return {
            "valid": valid.id,
            "lapsing": lapsing.id,
            "lapsed": lapsed.id,
            "never": never.id,
            "working": working.id,
            "commune": elsewhere.id,
        }


def _list(engine, user=SAISIE, **filters):
    with Session(engine) as session:
        rows, total = svc.list_participants(session, user, ParticipantFilters(**filters), today=TODAY)
        assert total == len(rows)
        return rows


def test_search_ignores_accents_and_case_and_reaches_phone_and_email_for_saisie(any_engine, pool):
    assert names(_list(any_engine, search="LEFEVRE")) == ["Lefèvre Jean"]
    assert names(_list(any_engine, search="cwikla zoe")) == ["Ćwikła Zoé"]
    assert names(_list(any_engine, search="kevin")) == ["Martin Kévin"]
    assert names(_list(any_engine, search="0611223344")) == ["Benali Yasmine"]
    assert names(_list(any_engine, search="06.11.22")) == ["Benali Yasmine"]
    assert names(_list(any_engine, search="Y.BENALI@")) == ["Benali Yasmine"]
    assert names(_list(any_engine, search="100%_")) == []  # LIKE wildcards are plain characters
    # A lecture user neither sees nor searches the contact details.
    assert names(_list(any_engine, LECTURE, search="0611223344")) == []
    assert names(_list(any_engine, LECTURE, search="benali")) == ["Benali Yasmine"]
    row = _list(any_engine, LECTURE, search="benali")[0]
    assert (row.phone, row.email, row.birth_date, row.age) == ("", "", None, 24)
    row = _list(any_engine, SAISIE, search="benali")[0]
    assert (row.phone, row.email, row.birth_date) == ("06 11 22 33 44", "y.benali@exemple.fr", date(2001, 9, 3))


def test_filters_by_eligibility_state(any_engine, pool):
    assert names(_list(any_engine, eligibility=EligibilityFilter.VALID)) == ["Benali Yasmine"]
    assert names(_list(any_engine, eligibility=EligibilityFilter.LAPSING)) == ["Ćwikła Zoé"]
    assert names(_list(any_engine, eligibility=EligibilityFilter.LAPSED)) == ["Lefèvre Jean", "Nowak Ewa"]
    assert names(_list(any_engine, eligibility=EligibilityFilter.NONE)) == ["Martin Kévin"]
    by_name = {r.name: r for r in _list(any_engine)}
    assert by_name["Ćwikła Zoé"].eligibility_end == date(2026, 5, 19)
    assert by_name["Ćwikła Zoé"].eligibility_state == EligibilityFilter.LAPSING
    assert by_name["Lefèvre Jean"].eligibility_end == date(2026, 2, 28)  # its latest criterion
    assert by_name["Martin Kévin"].eligibility_end is None
    assert svc.eligibility_text(EligibilityFilter.LAPSING, date(2026, 5, 19)) == "Expire le 19/05/2026"


def test_filters_by_trade_antenna_counsellor_status_commune_and_qpv(any_engine, pool):
    assert names(_list(any_engine, trade_code="F1703")) == ["Benali Yasmine", "Martin Kévin"]
    assert _list(any_engine, trade_code="K2204")[0].trades == ("F1703", "K2204")
    assert names(_list(any_engine, antenna="Gravelines")) == ["Ćwikła Zoé", "Nowak Ewa"]
    assert names(_list(any_engine, counsellor="Marc")) == ["Ćwikła Zoé", "Lefèvre Jean"]
    assert names(_list(any_engine, status=ParticipantStatus.EXITED)) == ["Lefèvre Jean"]
    assert names(_list(any_engine, commune_id=pool["commune"])) == ["Ćwikła Zoé"]
    assert names(_list(any_engine, qpv=True)) == ["Benali Yasmine"]
    assert len(_list(any_engine, qpv=False)) == 4
    assert names(_list(any_engine, antenna="Dunkerque", counsellor="Inès", trade_code="F1703")) == [
        "Benali Yasmine",
        "Martin Kévin",
    ]
    with Session(any_engine) as session:
        rows, total = svc.list_participants(session, SAISIE, ParticipantFilters(), today=TODAY, limit=2)
        assert (names(rows), total) == (["Benali Yasmine", "Ćwikła Zoé"], 5)


# --- eligibility ---------------------------------------------------------------------------------------------------


def test_eligibility_status_and_ends_for_the_other_screens(any_engine, pool):
    with Session(any_engine) as session:
        status = svc.valid_eligibility(session, pool["lapsed"], TODAY)
        assert (status.valid, status.end, status.lapsed) == (False, date(2026, 2, 28), True)
        status = svc.valid_eligibility(session, pool["lapsed"], date(2025, 6, 1))  # at a contract start, say
        assert (status.valid, status.criteria, status.end) == (True, ("deld",), date(2026, 2, 28))
        assert svc.eligibility_ends(session, TODAY) == {
            pool["valid"]: date(2027, 1, 9),
            pool["lapsing"]: date(2026, 5, 19),
        }
        assert svc.eligibility_ends(session, TODAY, [pool["lapsing"], pool["never"]]) == {
            pool["lapsing"]: date(2026, 5, 19)
        }
        set_setting(session, "eligibility_validity_months", 36, by="admin")
        assert set(svc.eligibility_ends(session, TODAY)) == {
            pool["valid"],
            pool["lapsing"],
            pool["lapsed"],
            pool["working"],
        }


def test_lapsing_eligibilities_for_the_home_page(any_engine, pool):
    with Session(any_engine) as session:
        found = svc.lapsing_eligibilities(session, TODAY)
        assert [(r.name, r.end, r.days_left, r.in_contract) for r in found.rows] == [
            ("Nowak Ewa", date(2026, 1, 14), -91, True),  # lapsed while under contract
            ("Ćwikła Zoé", date(2026, 5, 19), 34, False),
        ]  # Lefèvre Jean lapsed too, but his contract is over: not listed
        assert (found.count, found.lapsed) == (2, 1)
        first = svc.lapsing_eligibilities(session, TODAY, shown=1)  # the home page shows the soonest only
        assert (first.count, first.lapsed, [r.name for r in first.rows]) == (2, 1, ["Nowak Ewa"])
        set_setting(session, "eligibility_warning_days", 30, by="admin")
        assert [r.name for r in svc.lapsing_eligibilities(session, TODAY).rows] == ["Nowak Ewa"]


def test_lapsing_eligibilities_equal_the_rules_person_by_person(any_engine):
    """Sixty people drawn at random (several validations, some renewed, some in the future, contracts running,
    over, open-ended or ended early, some anonymised): the indexed reads list exactly whom the rules of
    DESIGN §3.2 list, in the same order, with the same counts."""
    rng = random.Random(20261126)
    months, warning = 24, 60
    people = []
    with Session(any_engine) as session:
        for n in range(60):
            p = person(session, f"Nom{n:02d}", rng.choice(["Éa", "Zoé", "Ana", "Léo"]))
            validations = [  # around two years back, on few days (ties on the end date are sorted by name)
                TODAY - timedelta(days=730 + rng.choice([-300, -120, -40, -2, 0, 0, 30, 55, 90, 200]) - n % 3)
                for _ in range(rng.randint(0, 3))
            ] + ([TODAY + timedelta(days=3)] if n % 17 == 0 else [])  # one dated in three days does not count yet
            for k, on in enumerate(validations):
                validate(session, p, ["rsa", "deld", "rqth", "jeune_26"][k], on)
            contracts = []
            for _ in range(rng.randint(0, 2)):
                start = TODAY + timedelta(days=rng.randint(-400, 30))
                planned = rng.choice([None, start + timedelta(days=rng.randint(10, 400))])
                actual = rng.choice([None, None, start + timedelta(days=rng.randint(0, 300))])
                make_contract(session, participant=p, start_date=start, planned_end=planned, actual_end=actual)
                contracts.append((start, planned, actual))
            if rng.random() < 0.1:
                p.anonymised_at = datetime(2026, 4, 1, tzinfo=UTC)
                session.add(p)
            people.append((p.id, svc.display_name(p.last_name, p.first_name), validations, contracts, p.anonymised_at))
        session.commit()

        expected = []
        for pid, name, validations, contracts, anonymised in people:
            past = [v for v in validations if v <= TODAY]
            if anonymised or not past:
                continue
            end = eligibility_end(max(past), months)
            running = any(
                start <= TODAY and (actual or planned or date.max) >= TODAY for start, planned, actual in contracts
            )
            if 0 <= (end - TODAY).days <= warning or (end < TODAY and running):
                expected.append((end, ascii_fold(name).lower(), pid, running))
        expected.sort()
        assert len(expected) >= 8  # the draw has people of each kind to compare

        found = svc.lapsing_eligibilities(session, TODAY)
        assert [(r.end, r.participant_id, r.in_contract) for r in found.rows] == [(e, p, r) for e, _, p, r in expected]
        assert (found.count, found.lapsed) == (len(expected), sum(1 for e, *_ in expected if e < TODAY))
        first = svc.lapsing_eligibilities(session, TODAY, shown=5)
        assert [r.participant_id for r in first.rows] == [p for _, _, p, _ in expected[:5]]
        assert (first.count, first.lapsed) == (found.count, found.lapsed)


def test_add_an_eligibility_checks_the_criterion_at_the_validation_date(any_engine):
    with Session(any_engine) as session:
        young = person(session, "Petit", "Lina", birth_date=date(2000, 6, 15))
        session.commit()
        with pytest.raises(ValidationError) as refused:
            svc.add_eligibility(
                session,
                SAISIE,
                young.id,
                EligibilityInput("jeune_26", validated_on=date(2026, 6, 15)),
                date(2026, 7, 1),
            )
        assert refused.value.errors["criterion_code"] == (
            "Le participant a 26 ans au 15/06/2026 : ce critère est réservé aux moins de 26 ans."
        )
        row = svc.add_eligibility(
            session, SAISIE, young.id, EligibilityInput("jeune_26", validated_on=date(2026, 6, 14)), date(2026, 7, 1)
        )
        assert (row.validated_by, row.criterion_code) == ("sophie", "jeune_26")
        with pytest.raises(ValidationError) as refused:  # the same one twice
            svc.add_eligibility(
                session,
                SAISIE,
                young.id,
                EligibilityInput("jeune_26", validated_on=date(2026, 6, 14)),
                date(2026, 7, 1),
            )
        assert "déjà enregistré" in refused.value.errors["criterion_code"]
        with pytest.raises(ValidationError) as refused:
            svc.add_eligibility(
                session, SAISIE, young.id, EligibilityInput("avis_motive", validated_on=TODAY, reason="Suivi"), TODAY
            )
        assert "prescripteur" in refused.value.errors["reason"]
        with pytest.raises(ValidationError) as refused:
            svc.add_eligibility(
                session,
                SAISIE,
                young.id,
                EligibilityInput("rsa", validated_on=date(2026, 4, 16), proof_date=date(2026, 4, 20)),
                TODAY,
            )
        assert refused.value.errors["validated_on"] == "La date de validation ne peut pas être dans le futur."
        opinion = svc.add_eligibility(
            session,
            SAISIE,
            young.id,
            EligibilityInput(
                "avis_motive", validated_on=TODAY, prescriber="Mission Locale", reason=" Parcours  validé "
            ),
            TODAY,
        )
        assert opinion.reason == "Mission Locale : Parcours validé"
        session.commit()
        svc.remove_eligibility(session, SAISIE, opinion.id)
        session.commit()
        assert session.exec(select(Eligibility.criterion_code).where(Eligibility.participant_id == young.id)).all() == [
            "jeune_26"
        ]
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.table_name == "eligibility")).all()
        assert sorted(actions) == ["suppression", "éligibilité", "éligibilité"]
        with pytest.raises(PermissionDenied):
            svc.add_eligibility(session, LECTURE, young.id, EligibilityInput("rsa", validated_on=TODAY), TODAY)


# --- a participant's page -----------------------------------------------------------------------------------------


def test_detail_gathers_eligibility_trades_contracts_hours_and_masks_contact_for_lecture(any_engine, pool):
    with Session(any_engine) as session:
        company = make_company(session, name="Bâtir Nord")
        commitment = make_commitment(session, company=company)
        make_hours_entry(
            session, commitment=commitment, participant_id=pool["working"], month=date(2026, 3, 1), hours_h100=15_167
        )
        make_hours_entry(
            session, commitment=commitment, participant_id=pool["working"], month=date(2026, 4, 1), hours_h100=7_000
        )
        session.commit()
        seen = svc.detail(session, SAISIE, pool["valid"], TODAY)
        assert (seen.phone, seen.email, seen.age, seen.eligibility.valid) == (
            "06 11 22 33 44",
            "y.benali@exemple.fr",
            24,
            True,
        )
        assert [(e.criterion_code, e.end, e.valid_today) for e in seen.eligibility_lines] == [
            ("jeune_26", date(2027, 1, 9), True)
        ]
        assert [t.code for t in seen.trades] == ["F1703"]
        hidden = svc.detail(session, LECTURE, pool["valid"], TODAY)
        assert (hidden.phone, hidden.email, hidden.birth_date, hidden.contact_visible) == ("", "", None, False)
        working = svc.detail(session, LECTURE, pool["working"], TODAY)
        assert [(c.start_date, c.contract_type) for c in working.contracts] == [(date(2026, 3, 1), "CDD")]
        assert [(h.company, h.months, h.hours_h100) for h in working.hours] == [("Bâtir Nord", 2, 22_167)]
        assert working.hours_total_h100 == 22_167
        with pytest.raises(DomainError):
            svc.detail(session, SAISIE, 999_999, TODAY)


# --- GDPR -----------------------------------------------------------------------------------------------------------


def _offer(session, company):
    offer = JobOffer(
        company_id=company.id, trade_code="F1703", title="Maçon", contract_type_code="cdd", start_date=date(2019, 3, 1)
    )
    session.add(offer)
    session.flush()
    return offer


def test_anonymise_wipes_identity_and_free_texts_and_keeps_what_reports_count(any_engine):
    with Session(any_engine) as session:
        commune = session.exec(select(Commune)).first()
        p = person(
            session,
            "Dupont",
            "Hélène",
            sex=Sex.FEMALE,
            birth_date=date(1988, 11, 23),
            commune_id=commune.id,
            phone="0612345678",
            email="helene@exemple.fr",
            address="3 rue des Dunes",
            notes="Garde d'enfants le mercredi",
            external_id="PLIE-77",
            qualification_level=QualificationLevel.LEVEL_4,
        )
        other = person(session, "Durand", "Paul", notes="À rappeler")
        validate(session, p, "avis_motive", date(2019, 2, 1), reason="MDPH : situation de santé")
        session.add(ParticipantTrade(participant_id=p.id, trade_code="F1703"))
        company = make_company(session)
        candidacy = Candidacy(
            offer_id=_offer(session, company).id,
            participant_id=p.id,
            status=CandidacyStatus.NOT_HIRED,
            check_comment="Motivée",
            refusal_reason="Absente à l'entretien",
        )
        session.add(candidacy)
        session.flush()
        session.add(
            CandidacyEvent(
                candidacy_id=candidacy.id, to_status=CandidacyStatus.NOT_HIRED, by="sophie", comment="Absente"
            )
        )
        contract = make_contract(session, participant=p, employer=company, notes="Souci de transport")
        session.add(FollowUp(contract_id=contract.id, on=date(2026, 3, 8), by="sophie", notes="Se plaint du chef"))
        session.commit()
        pid, version = p.id, p.version

        for user in (SAISIE, LECTURE):
            with pytest.raises(PermissionDenied):
                svc.anonymise(session, user, pid)
        svc.anonymise(session, ADMIN, pid)
        session.commit()

        done = session.get(Participant, pid)
        assert (
            done.last_name,
            done.first_name,
            done.phone,
            done.email,
            done.address,
            done.notes,
            done.external_id,
        ) == (
            "Anonyme",
            f"n° {pid}",
            "",
            "",
            "",
            "",
            None,
        )
        assert done.birth_date == date(1988, 7, 1)  # the year is kept for the age bands
        assert (done.sex, done.commune_id, done.qualification_level) == (
            Sex.FEMALE,
            commune.id,
            QualificationLevel.LEVEL_4,
        )
        assert done.anonymised_at is not None and done.version == version + 1
        assert session.exec(
            select(Eligibility.criterion_code, Eligibility.reason).where(Eligibility.participant_id == pid)
        ).all() == [("avis_motive", "")]
        assert session.exec(
            select(ParticipantTrade.trade_code).where(ParticipantTrade.participant_id == pid)
        ).all() == ["F1703"]
        kept = session.get(Candidacy, candidacy.id)
        assert (kept.status, kept.check_comment, kept.refusal_reason) == (CandidacyStatus.NOT_HIRED, "", "")
        assert session.exec(select(CandidacyEvent.comment)).all() == [""]
        assert session.get(EmploymentContract, contract.id).notes == ""
        assert session.exec(select(FollowUp.notes)).all() == [""]
        assert session.get(Participant, other.id).notes == "À rappeler"  # nobody else touched
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "anonymisation")).one()
        assert (event.record_id, event.summary) == (str(pid), f"Participant n° {pid} anonymisé")
        assert "Dupont" not in " ".join(session.exec(select(AuditEvent.summary)).all())
        # Out of the list, and never taken for a duplicate of a new Hélène Dupont.
        rows, _ = svc.list_participants(session, ADMIN, ParticipantFilters(), today=TODAY)
        assert names(rows) == ["Durand Paul"]
        svc.create_participant(
            session,
            SAISIE,
            ParticipantInput(last_name="Dupont", first_name="Hélène", birth_date=date(1988, 11, 23)),
            TODAY,
        )
        with pytest.raises(DomainError, match="anonymisé"):
            svc.update_participant(
                session, SAISIE, pid, done.version, ParticipantInput(last_name="X", first_name="Y"), TODAY
            )


def test_retention_list_and_bulk_anonymisation(any_engine):
    old = datetime(2015, 1, 1, tzinfo=UTC)
    with Session(any_engine) as session:
        ended = person(session, "Ancien", "Contrat", created_at=old)  # contract ended 31/03/2021: 5 years ago
        make_contract(session, participant=ended, start_date=date(2020, 10, 1), planned_end=date(2021, 3, 31))
        recent = person(session, "Recent", "Contrat", created_at=old)  # ended 30/04/2021: within 5 years
        make_contract(session, participant=recent, start_date=date(2020, 10, 1), actual_end=date(2021, 4, 30))
        hours = person(session, "Heures", "Recentes", created_at=old)
        make_hours_entry(session, participant=hours, month=date(2021, 5, 1))
        idle = person(session, "Jamais", "Vu", created_at=old)
        validate(session, idle, "rsa", date(2019, 6, 1))
        fresh = person(session, "Nouveau", "Venu")  # created now
        session.commit()

        assert svc.retention_limit(session, TODAY) == date(2021, 4, 15)
        rows = svc.retention_candidates(session, TODAY)
        assert [(r.name, r.last_activity) for r in rows] == [
            ("Jamais Vu", date(2019, 6, 1)),
            ("Ancien Contrat", date(2021, 3, 31)),
        ]
        with pytest.raises(DomainError, match=f"n° {fresh.id}"):
            svc.anonymise_expired(session, ADMIN, [idle.id, fresh.id], TODAY)
        session.rollback()
        assert session.get(Participant, idle.id).anonymised_at is None  # nothing done
        with pytest.raises(PermissionDenied):
            svc.anonymise_expired(session, SAISIE, [idle.id], TODAY)
        assert svc.anonymise_expired(session, ADMIN, [r.participant_id for r in rows], TODAY) == 2
        session.commit()
        assert svc.retention_candidates(session, TODAY) == []
        assert session.get(Participant, ended.id).last_name == "Anonyme"
        assert session.get(Participant, recent.id).last_name == "Recent"
        set_setting(session, "retention_years", 3, by="admin")
        assert [r.name for r in svc.retention_candidates(session, TODAY)] == ["Recent Contrat", "Heures Recentes"]


def test_right_of_access_export_holds_all_of_a_persons_data_and_is_logged(any_engine, pool):
    with Session(any_engine) as session:
        with pytest.raises(PermissionDenied):
            svc.personal_data_workbook(session, SAISIE, pool["valid"], TODAY)
        data = svc.personal_data_workbook(session, ADMIN, pool["valid"], TODAY)
        session.commit()
        book = load_workbook(io.BytesIO(data))
        assert book.sheetnames == [
            "Identité",
            "Éligibilité",
            "Métiers",
            "Positionnements",
            "Contrats",
            "Heures",
            "Suivis",
            "Formations",
            "Journal",
        ]
        identity = {row[0]: row[1] for row in book["Identité"].iter_rows(min_row=2, values_only=True)}
        assert (identity["Nom"], identity["Téléphone"], identity["E-mail"]) == (
            "Benali",
            "06 11 22 33 44",
            "y.benali@exemple.fr",
        )
        assert identity["Date de naissance"].date() == date(2001, 9, 3)
        assert [r[:1] for r in book["Métiers"].iter_rows(min_row=2, values_only=True)] == [("F1703",)]
        assert book["Éligibilité"]["C2"].value.date() == date(2025, 1, 10)
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert (
            event.who == "admin" and event.record_id == str(pool["valid"]) and "données personnelles" in event.summary
        )


# --- import, on both databases --------------------------------------------------------------------------------------


def test_import_creates_merges_and_never_duplicates_on_both_databases(any_engine):
    from clausier.services import import_participants as ip

    data = (
        "Nom;Prénom;Date de naissance;Téléphone;Critères;Date de validation;Métiers\r\n"
        "DUPONT;helene;17/05/1990;06 11 22 33 44;RSA;05/01/2026;F1703\r\n"
        "Nowak;Ewa;12/03/1992;;PLIE;05/01/2026;K2204\r\n"
        "Roux;Anne;01/01/1980;;;;\r\n"
        "NOWAK;ewa;12/03/1992;07 00 00 00 01;;;F1703\r\n"
    ).encode("cp1252")
    with Session(any_engine) as session:
        helene = person(session, "Dupont", "Hélène", birth_date=date(1990, 5, 17))
        session.commit()
        raw = ip.read_file(data, "plie.csv")
        preview = ip.preview(session, raw, ip.guess_mapping(raw.header), TODAY)
        assert preview.errors == [] and preview.grouped == [(5, 3)]
        batch = ip.apply(session, preview, SAISIE, "plie.csv", ip.checksum(data), today=TODAY)
        session.commit()
        assert (batch.rows_added, batch.rows_changed, batch.rows_unchanged) == (2, 1, 0)
        people = {p.name_key: p for p in session.exec(select(Participant))}
        assert sorted(people) == ["dupont helene", "nowak ewa", "roux anne"]
        assert (people["dupont helene"].id, people["dupont helene"].phone) == (helene.id, "06 11 22 33 44")
        assert people["nowak ewa"].phone == "07 00 00 00 01"
        ewa = people["nowak ewa"].id
        assert session.exec(
            select(ParticipantTrade.trade_code)
            .where(ParticipantTrade.participant_id == ewa)
            .order_by(ParticipantTrade.trade_code)
        ).all() == ["F1703", "K2204"]
        assert session.exec(select(Eligibility.criterion_code).where(Eligibility.participant_id == ewa)).all() == [
            "plie"
        ]
        again = ip.preview(session, raw, ip.guess_mapping(raw.header), TODAY)
        assert again.new == [] and [p.adds for p in again.known] == [[], [], []]
