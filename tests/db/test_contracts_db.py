"""Contracts and follow-up in employment on SQLite and PostgreSQL: checks with their French messages, hours
attached to contracts, the candidacy's defaults, follow-ups due, the end and the six-month outcome."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError
from clausier.errors import PermissionDenied, ValidationError
from clausier.rules.followup import Due, DueKind
from clausier.services import contracts, followup
from clausier.services.contracts import ContractFilters, ContractInput
from clausier.services.followup import FollowUpInput
from clausier.services.users import CurrentUser
from models import AuditEvent, Candidacy, Eligibility, EmploymentContract, JobOffer, Participant
from models.enums import (
    CandidacyStatus,
    CompanyKind,
    ContractOutcome,
    FollowUpKind,
    Modality,
    ParticipantStatus,
    Role,
    SixMonthOutcome,
)
from tests.builders import (
    contract_input,
    make_commitment,
    make_company,
    make_contract,
    make_hours_entry,
    make_lot,
    make_participant,
)

SOPHIE = CurrentUser(login="sophie", name="Sophie Test", role=Role.SAISIE)
LOUIS = CurrentUser(login="louis", name="Louis Test", role=Role.LECTURE)
TODAY = date(2026, 6, 15)


def _eligible(session: Session, participant: Participant, validated_on: date = date(2025, 9, 1)) -> None:
    session.add(
        Eligibility(participant_id=participant.id, criterion_code="plie", validated_on=validated_on, validated_by="x")
    )
    session.flush()


def _setup(session: Session):
    company = make_company(session, name="Bâtisseurs du Nord")
    commitment = make_commitment(session, company=company)
    person = make_participant(session, last_name="Leroy", first_name="Nadia", name_key="leroy nadia")
    _eligible(session, person)
    return company, commitment, person


def _refused(session: Session, data: ContractInput, today: date = TODAY) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        contracts.create_contract(session, SOPHIE, data, today)
    return caught.value.errors


def test_a_direct_hire_is_saved_with_its_hours_and_the_person_is_in_employment(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        march = make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 3, 1))
        before = make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 2, 1))
        saved = contracts.create_contract(session, SOPHIE, contract_input(company, commitment, person), TODAY)
        session.commit()
        assert saved.warning is None
        contract = session.get(EmploymentContract, saved.contract_id)
        assert (contract.weekly_hours_h100, contract.modality, contract.version) == (3500, Modality.DIRECT_HIRE, 1)
        session.refresh(march)
        session.refresh(before)
        assert march.contract_id == contract.id and before.contract_id is None  # February precedes the contract
        assert [(h.month, h.hours_h100, h.linked) for h in contracts.contract_hours(session, contract.id)] == [
            (date(2026, 3, 1), 15_167, True)
        ]
        assert session.get(Participant, person.id).status is ParticipantStatus.IN_EMPLOYMENT
        event = session.exec(select(AuditEvent).where(AuditEvent.table_name == "employmentcontract")).one()
        assert event.summary == "CDD de Nadia Leroy chez Bâtisseurs du Nord du 02/03/2026 au 31/08/2026"


def test_contract_checks_have_a_french_message_next_to_each_field(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        other = make_commitment(session)
        errors = _refused(
            session,
            contract_input(
                company, other, person, planned_end=date(2026, 2, 1), weekly_hours="50", participant_id=None
            ),
        )
        assert errors == {
            "participant_id": "Choisissez le participant (recherchez-le par son nom).",
            "commitment_id": (
                f"Cet engagement est celui de « {session.get(type(company), other.company_id).name} », pas de "
                "l'entreprise utilisatrice « Bâtisseurs du Nord » : choisissez un engagement de celle-ci."
            ),
            "planned_end": "La fin prévue ne peut pas précéder le début (02/03/2026).",
            "weekly_hours_h100": "La durée hebdomadaire doit être de plus de 0 et d'au plus 48 heures.",
        }
        errors = _refused(session, contract_input(company, commitment, person, actual_end=date(2026, 1, 5)))
        assert errors == {
            "actual_end": "La fin réelle ne peut pas précéder le début du contrat (02/03/2026).",
            "outcome": "Choisissez l'issue du contrat.",
        }
        assert session.exec(select(EmploymentContract)).first() is None


def test_the_employer_must_fit_the_modality(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        etti = make_company(session, name="Humando", kind=CompanyKind.ETTI)
        ordinary = make_company(session, name="Menuiserie Dupuis")
        errors = _refused(
            session,
            contract_input(company, commitment, person, modality=Modality.PROVISION, employer_company_id=ordinary.id),
        )
        assert errors == {
            "employer_company_id": "Une mise à disposition passe par une ETTI, une association intermédiaire, un "
            "GEIQ ou une agence d'intérim : « Menuiserie Dupuis » est de type « Entreprise classique »."
        }
        errors = _refused(session, contract_input(company, commitment, person, employer_company_id=etti.id))
        assert errors["employer_company_id"].startswith(
            "Pour une embauche directe, l'employeur est l'entreprise utilisatrice (« Bâtisseurs du Nord »)."
        )
        errors = _refused(session, contract_input(company, commitment, person, modality=Modality.SUBCONTRACTING))
        assert "SIAE (EI, ETTI, AI, ACI), une EA ou un ESAT" in errors["employer_company_id"]
        # An ETTI providing the person under a CTTI: accepted, the modality comes from the contract type.
        saved = contracts.create_contract(
            session,
            SOPHIE,
            contract_input(
                company, commitment, person, employer_company_id=etti.id, contract_type_code="ctti", modality=None
            ),
            TODAY,
        )
        assert session.get(EmploymentContract, saved.contract_id).modality is Modality.PROVISION


def test_two_contracts_of_a_person_on_one_commitment_cannot_overlap(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        first = contracts.create_contract(session, SOPHIE, contract_input(company, commitment, person), TODAY)
        errors = _refused(
            session,
            contract_input(company, commitment, person, start_date=date(2026, 8, 31), planned_end=date(2026, 12, 31)),
        )
        assert errors == {
            "start_date": f"Cette personne a déjà un contrat sur cet engagement (n° {first.contract_id}, du "
            "02/03/2026 au 31/08/2026) : les deux périodes se chevauchent."
        }
        # An open-ended one overlaps everything after its start.
        errors = _refused(
            session, contract_input(company, commitment, person, start_date=date(2025, 1, 6), planned_end=None)
        )
        assert "n° " in errors["start_date"]
        # The day after: fine; on another commitment: fine.
        contracts.create_contract(
            session,
            SOPHIE,
            contract_input(company, commitment, person, start_date=date(2026, 9, 1), planned_end=None),
            TODAY,
        )
        other = make_commitment(session, company=company)
        contracts.create_contract(session, SOPHIE, contract_input(company, other, person), TODAY)
        assert len(session.exec(select(EmploymentContract)).all()) == 3


def test_a_lapsed_eligibility_at_the_start_is_a_warning_not_a_refusal(any_engine):
    with Session(any_engine) as session:
        company, commitment, _ = _setup(session)
        late = make_participant(session, last_name="Roux", first_name="Yanis")
        _eligible(session, late, validated_on=date(2024, 2, 1))  # valid up to 31/01/2026
        saved = contracts.create_contract(session, SOPHIE, contract_input(company, commitment, late), TODAY)
        assert saved.warning.startswith(
            "Attention : au début du contrat (02/03/2026), son éligibilité a pris fin le 31/01/2026 pour Yanis Roux."
        )
        never = make_participant(session, last_name="Petit", first_name="Lina")
        saved = contracts.create_contract(session, SOPHIE, contract_input(company, commitment, never), TODAY)
        assert "aucune éligibilité n'était validée à cette date" in saved.warning
        assert len(session.exec(select(EmploymentContract)).all()) == 2


def test_an_edit_checks_the_version_and_relinks_the_hours(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        saved = contracts.create_contract(session, SOPHIE, contract_input(company, commitment, person), TODAY)
        june = make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 6, 1))
        assert june.contract_id is None  # typed after the contract: matched, not linked yet
        assert [h.linked for h in contracts.contract_hours(session, saved.contract_id)] == [False]
        data = contract_input(company, commitment, person, planned_end=date(2026, 5, 31), notes="Avenant : fin avancée")
        contracts.update_contract(session, SOPHIE, saved.contract_id, 1, data, TODAY)
        session.commit()
        assert contracts.contract_hours(session, saved.contract_id) == []  # June is now outside the contract
        data.planned_end = date(2026, 9, 30)
        with pytest.raises(ConcurrentEditError):
            contracts.update_contract(session, SOPHIE, saved.contract_id, 1, data, TODAY)
        session.rollback()
        contracts.update_contract(session, SOPHIE, saved.contract_id, 2, data, TODAY)
        session.commit()
        contract = session.get(EmploymentContract, saved.contract_id)
        session.refresh(contract)
        session.refresh(june)
        assert contract.version == 3 and contract.notes == "Avenant : fin avancée" and june.contract_id == contract.id


def test_unlinked_hours_are_linked_to_the_contract_whose_period_holds_their_month(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        first = make_contract(
            session, participant=person, employer=company, user_company_id=company.id, commitment_id=commitment.id,
            start_date=date(2026, 1, 5), planned_end=date(2026, 2, 20),
        )  # fmt: skip
        second = make_contract(
            session, participant=person, employer=company, user_company_id=company.id, commitment_id=commitment.id,
            start_date=date(2026, 2, 23), planned_end=None,
        )  # fmt: skip
        jan = make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 1, 1))
        feb = make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 2, 1))
        apr = make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 4, 1))
        stranger = make_hours_entry(session, commitment=commitment, month=date(2026, 4, 1))
        assert contracts.link_unlinked_hours(session) == 3
        for entry in (jan, feb, apr, stranger):
            session.refresh(entry)
        # February belongs to both periods: the contract that started last takes it.
        assert (jan.contract_id, feb.contract_id, apr.contract_id) == (first.id, second.id, second.id)
        assert stranger.contract_id is None


def test_defaults_from_a_hired_candidacy(any_engine):
    with Session(any_engine) as session:
        company = make_company(session, name="Ramery Bâtiment")
        lot = make_lot(session)
        commitment = make_commitment(session, lot=lot, company=company)
        make_commitment(session, lot=lot)  # a co-contractor on the same lot
        person = make_participant(session)
        offer = JobOffer(
            company_id=company.id, lot_id=lot.id, trade_code="F1703", title="Maçon", contract_type_code="interim",
            start_date=date(2026, 4, 7), end_date=date(2026, 7, 31), weekly_hours_h100=3900, created_by="sophie",
        )  # fmt: skip
        session.add(offer)
        session.flush()
        candidacy = Candidacy(
            offer_id=offer.id, participant_id=person.id, status=CandidacyStatus.HIRED, in_charge="louis"
        )
        session.add(candidacy)
        session.flush()
        data = contracts.defaults_from_candidacy(session, candidacy.id)
        assert data == ContractInput(
            participant_id=person.id,
            employer_company_id=company.id,
            user_company_id=company.id,
            commitment_id=commitment.id,
            contract_type_code="interim",
            modality=Modality.PROVISION,
            start_date=date(2026, 4, 7),
            planned_end=date(2026, 7, 31),
            weekly_hours=39.0,
            in_charge="louis",
            offer_id=offer.id,
            candidacy_id=candidacy.id,
        )


def test_lecture_cannot_write_contracts_nor_follow_ups(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        with pytest.raises(PermissionDenied):
            contracts.create_contract(session, LOUIS, contract_input(company, commitment, person), TODAY)
        contract = make_contract(session, participant=person)
        with pytest.raises(PermissionDenied):
            followup.add_follow_up(session, LOUIS, contract.id, FollowUpInput(on=TODAY), TODAY)


def test_list_filters(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        etti = make_company(session, name="Interim Insertion", kind=CompanyKind.ETTI)
        contracts.create_contract(session, SOPHIE, contract_input(company, commitment, person), TODAY)
        other_person = make_participant(session, last_name="Béranger", first_name="Éloi", name_key="beranger eloi")
        ended = contracts.create_contract(
            session,
            SOPHIE,
            contract_input(
                company, commitment, other_person, employer_company_id=etti.id, contract_type_code="interim",
                modality=None, actual_end=date(2026, 4, 30), outcome=ContractOutcome.COMPLETED,
            ),
            TODAY,
        )  # fmt: skip
        names = lambda f: [r.participant for r in contracts.list_contracts(session, f)]  # noqa: E731
        assert names(ContractFilters()) == ["LEROY Nadia"]
        assert names(ContractFilters(state="ended")) == ["BÉRANGER Éloi"]
        assert names(ContractFilters(state="all", company_id=etti.id)) == ["BÉRANGER Éloi"]
        assert sorted(names(ContractFilters(state="all", commitment_id=commitment.id))) == [
            "BÉRANGER Éloi",
            "LEROY Nadia",
        ]
        assert names(ContractFilters(state="all", participant="ELOI beranger")) == ["BÉRANGER Éloi"]
        assert session.get(Participant, other_person.id).status is ParticipantStatus.ACTIVE  # ended: not in employment
        assert ended.warning is not None  # no eligibility recorded for him


def test_follow_ups_due_end_and_six_month_outcome(any_engine):
    with Session(any_engine) as session:
        company, commitment, person = _setup(session)
        saved = contracts.create_contract(
            session, SOPHIE, contract_input(company, commitment, person, in_charge=""), date(2026, 3, 2)
        )
        cid = saved.contract_id
        session.get(EmploymentContract, cid).in_charge = "sophie"
        short = make_contract(
            session, employer=company, user_company_id=company.id, commitment_id=commitment.id,
            start_date=date(2026, 3, 2), planned_end=date(2026, 3, 20), in_charge="louis",
        )  # fmt: skip
        session.flush()

        rows = {r.contract_id: r for r in followup.running_contracts(session)}
        assert rows[cid].due == Due(date(2026, 3, 9), DueKind.FIRST_CONTACT)
        assert rows[short.id].due == Due(date(2026, 3, 9), DueKind.FIRST_CONTACT)

        followup.add_follow_up(
            session, SOPHIE, cid, FollowUpInput(on=date(2026, 3, 6), kind=FollowUpKind.CALL, notes="Bon démarrage"),
            date(2026, 3, 6),
        )  # fmt: skip
        followup.add_follow_up(session, SOPHIE, short.id, FollowUpInput(on=date(2026, 3, 5)), date(2026, 3, 6))
        rows = {r.contract_id: r for r in followup.running_contracts(session)}
        assert rows[cid].due == Due(date(2026, 4, 5), DueKind.SITE_VISIT) and rows[cid].last_contact == date(2026, 3, 6)
        assert rows[short.id].due == Due(date(2026, 3, 20), DueKind.END)

        as_of = date(2026, 3, 30)
        all_rows = followup.running_contracts(session)
        assert [r.contract_id for r in followup.overdue(all_rows, as_of)] == [short.id]
        assert [r.contract_id for r in followup.this_week(all_rows, as_of)] == [short.id, cid]
        assert [r.contract_id for r in followup.this_week(all_rows, as_of, in_charge="sophie")] == [cid]
        assert followup.running_contracts(session, in_charge="louis")[0].contract_id == short.id

        errors = pytest.raises(ValidationError, followup.add_follow_up, session, SOPHIE, cid,
                               FollowUpInput(on=date(2026, 4, 2), next_due=date(2026, 3, 1)), as_of)  # fmt: skip
        assert errors.value.errors == {
            "on": errors.value.errors["on"],
            "next_due": "Le prochain suivi ne peut pas précéder ce contact.",
        }
        assert errors.value.errors["on"].startswith("Le contact ne peut pas être dans le futur")

        # End of the short contract with its outcome: gone from the running ones; six months later, asked for.
        with pytest.raises(ValidationError) as caught:
            followup.record_end(session, SOPHIE, short.id, 1, date(2026, 3, 20), None, as_of)
        assert caught.value.errors == {"outcome": "Choisissez l'issue du contrat."}
        followup.record_end(session, SOPHIE, short.id, 1, date(2026, 3, 20), ContractOutcome.COMPLETED, as_of)
        session.commit()
        ended = session.get(EmploymentContract, short.id)
        session.refresh(ended)
        assert (ended.actual_end, ended.outcome, ended.version) == (date(2026, 3, 20), ContractOutcome.COMPLETED, 2)
        assert [r.contract_id for r in followup.running_contracts(session)] == [cid]
        assert followup.six_month_due(session, date(2026, 9, 19)) == []
        due = followup.six_month_due(session, date(2026, 9, 20))
        assert [(d.contract_id, d.due_on, d.outcome) for d in due] == [
            (short.id, date(2026, 9, 20), ContractOutcome.COMPLETED)
        ]
        assert followup.six_month_due(session, date(2026, 9, 20), in_charge="sophie") == []
        followup.record_six_month(
            session, SOPHIE, short.id, 2, SixMonthOutcome.TRANSITIONAL_JOB, date(2026, 9, 22), date(2026, 9, 22)
        )
        session.commit()
        session.refresh(ended)
        assert (ended.outcome_6m, ended.outcome_6m_recorded_on) == (SixMonthOutcome.TRANSITIONAL_JOB, date(2026, 9, 22))
        assert followup.six_month_due(session, date(2026, 12, 1)) == []
        actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-4:] == ["création", "création", "fin de contrat", "situation à 6 mois"]
