"""Clause setup services: buyers, operations, lots and the hours calculator, companies and SIRET, the award split."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import Session, func, select

from clausier.errors import DomainError, PermissionDenied, ValidationError
from clausier.rules.siret import check_siret, format_siret
from clausier.services import clauses
from clausier.services.users import CurrentUser
from models import AuditEvent, Commitment, Company, Lot
from models.enums import CompanyKind, Role
from tests.builders import make_commitment, make_hours_entry, make_lot, make_operation, valid_siret

SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


# --- hours calculator (§3.1) --------------------------------------------------------------------------------------


def test_calculator_worked_example_with_french_inputs():
    result = clauses.calculate_hours("1 000 000,00", "50", "5", "30")
    assert result == clauses.HoursCalculation(100_000_000, 5_000, 500, 3_000, 83_300)


def test_calculator_rounds_to_the_nearest_whole_hour():
    # 250,000 × 70 % × 5 % ÷ 28 = 312.5 h: half rounds up → 313 h (not the banker's 312)
    assert clauses.calculate_hours(250_000, 70, 5, 28).hours_h100 == 31_300
    assert clauses.calculate_hours(249_990, 70, 5, 28).hours_h100 == 31_200  # 312.49 h


@pytest.mark.parametrize(
    "args, message",
    [
        (("abc", 50, 5, 30), "Montant HT : « abc » n'est pas un nombre."),
        ((1000, 0, 5, 30), "Part de main-d'œuvre"),
        ((1000, 50, 150, 30), "Taux d'insertion"),
        ((1000, 50, 5, 0), "Coût horaire"),
        ((-5, 50, 5, 30), "Montant HT"),
    ],
)
def test_calculator_refuses_bad_parameters(args, message):
    with pytest.raises(ValueError, match=message):
        clauses.calculate_hours(*args)


def test_lot_keeps_computed_and_contractual_hours_with_parameters(session):
    operation = make_operation(session)
    lot = clauses.create_lot(
        session,
        SAISIE,
        clauses.LotInput(
            operation.id,
            "Lot 02",
            "Gros œuvre",
            trade_code="F1703",
            work_kind_code="gros_oeuvre",
            amount_eur="1000000",
            labour_share_pct="50",
            insertion_rate_pct="5",
            hourly_cost_eur="30",
            contractual_hours="900",
            execution_start=date(2026, 1, 5),
            execution_end=date(2027, 6, 30),
        ),
    )
    assert (lot.hours_computed_h100, lot.hours_contractual_h100) == (83_300, 90_000)
    assert (lot.amount_cents, lot.labour_share_bp, lot.insertion_rate_bp, lot.hourly_cost_cents) == (
        100_000_000,
        5_000,
        500,
        3_000,
    )
    kept = clauses.create_lot(
        session,
        SAISIE,
        clauses.LotInput(
            operation.id,
            "Lot 03",
            "Peinture",
            amount_eur=400_000,
            labour_share_pct=70,
            insertion_rate_pct=7,
            hourly_cost_eur=27,
        ),
    )
    assert kept.hours_contractual_h100 == kept.hours_computed_h100 == 72_600  # 400000×0.7×0.07÷27 = 725.9 → 726


def test_lot_form_errors_are_per_field_and_nothing_is_written(session):
    operation = make_operation(session)
    make_lot(session, operation=operation, reference="Lot 01")
    before = session.exec(select(func.count()).select_from(Lot)).one()
    with pytest.raises(ValidationError) as error:
        clauses.create_lot(
            session,
            SAISIE,
            clauses.LotInput(
                operation.id,
                "Lot 01",
                "",
                trade_code="Z9999",
                amount_eur="dix",
                contractual_hours="-3",
                execution_start=date(2026, 5, 1),
                execution_end=date(2026, 4, 1),
            ),
        )
    assert set(error.value.errors) == {
        "reference",
        "label",
        "trade_code",
        "hours",
        "contractual_hours",
        "execution_end",
    }
    assert "déjà un lot « Lot 01 »" in error.value.errors["reference"]
    assert session.exec(select(func.count()).select_from(Lot)).one() == before


def test_changing_lot_hours_warns_when_the_split_no_longer_adds_up(session):
    lot = make_lot(session, hours_contractual_h100=83_300, hours_computed_h100=83_300)
    make_commitment(session, lot=lot, hours_committed_h100=83_300)
    data = clauses.LotInput(
        lot.operation_id,
        lot.reference,
        lot.label,
        amount_eur=1_000_000,
        labour_share_pct=50,
        insertion_rate_pct=5,
        hourly_cost_eur=30,
        contractual_hours=1000,
    )
    warning = clauses.update_lot(session, SAISIE, lot.id, lot.version, data)
    assert "fait 833 h alors que le lot en compte 1000 h" in warning


# --- SIRET and companies ------------------------------------------------------------------------------------------


def test_siret_valid_with_spaces_is_stored_compact():
    siret_value = valid_siret(7)
    spaced = format_siret(siret_value)
    assert " " in spaced and check_siret(spaced) == siret_value


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "obligatoire"),
        ("732 829 320 00075", "clé de contrôle"),
        ("732829320", "est un SIREN (9 chiffres)"),
        ("7328293200007", "14 chiffres"),
        ("73282932O00074", "que des chiffres"),
    ],
)
def test_bad_sirets_are_refused_with_the_reason(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_siret(value)


def test_duplicate_siret_is_refused_on_create_and_edit(session):
    siret_value = valid_siret()
    first = clauses.create_company(session, SAISIE, clauses.CompanyInput(siret=siret_value, name="Bâti Flandre"))
    with pytest.raises(ValidationError) as error:
        clauses.create_company(session, SAISIE, clauses.CompanyInput(siret=format_siret(siret_value), name="Autre"))
    assert error.value.errors["siret"] == "Ce SIRET est déjà enregistré pour l'entreprise « Bâti Flandre »."
    other = clauses.create_company(
        session, SAISIE, clauses.CompanyInput(siret=valid_siret(), name="Autre", kind=CompanyKind.ETTI)
    )
    with pytest.raises(ValidationError):
        clauses.update_company(
            session, SAISIE, other.id, other.version, clauses.CompanyInput(siret=siret_value, name="Autre")
        )
    assert first.kind is CompanyKind.ORDINARY and other.kind is CompanyKind.ETTI


def test_company_stale_edit_is_refused(session):
    company = clauses.create_company(session, SAISIE, clauses.CompanyInput(siret=valid_siret(), name="Bâti"))
    data = clauses.CompanyInput(siret=company.siret, name="Bâti Flandre")
    clauses.update_company(session, SAISIE, company.id, 1, data)
    with pytest.raises(DomainError, match="Quelqu'un d'autre a modifié"):
        clauses.update_company(session, SAISIE, company.id, 1, data)


def test_lecture_user_cannot_write(session):
    with pytest.raises(PermissionDenied):
        clauses.create_buyer(session, LECTURE, clauses.BuyerInput(name="CUD"))
    with pytest.raises(PermissionDenied):
        clauses.create_company(session, LECTURE, clauses.CompanyInput(siret=valid_siret(), name="X"))


# --- award and split ----------------------------------------------------------------------------------------------


def test_group_split_adding_up_is_accepted(session):
    lot = make_lot(session, hours_contractual_h100=83_300)
    a, b = (clauses.create_company(session, SAISIE, clauses.CompanyInput(siret=valid_siret(), name=n)) for n in "AB")
    commitments = clauses.award_lot(
        session, SAISIE, lot.id, "", [clauses.Share(a.id, "500"), clauses.Share(b.id, "333")]
    )
    assert sorted(c.hours_committed_h100 for c in commitments) == [33_300, 50_000]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "attribution")).one().record_id == str(lot.id)


def test_group_split_not_adding_up_is_refused(session):
    lot = make_lot(session, hours_contractual_h100=83_300)
    a, b = (clauses.create_company(session, SAISIE, clauses.CompanyInput(siret=valid_siret(), name=n)) for n in "AB")
    with pytest.raises(ValidationError) as error:
        clauses.award_lot(session, SAISIE, lot.id, "", [clauses.Share(a.id, "500"), clauses.Share(b.id, "300")])
    assert error.value.errors["shares"] == (
        "La répartition entre les entreprises fait 800 h alors que le lot en compte 833 h : "
        "elle doit faire exactement le total du lot."
    )
    assert session.exec(select(func.count()).select_from(Commitment)).one() == 0


def test_award_can_be_changed_but_not_drop_a_company_with_hours(session):
    lot = make_lot(session, hours_contractual_h100=83_300)
    first = make_commitment(session, lot=lot, hours_committed_h100=83_300)
    make_hours_entry(session, commitment=first)
    other = clauses.create_company(session, SAISIE, clauses.CompanyInput(siret=valid_siret(), name="Autre"))
    with pytest.raises(ValidationError, match="a déjà des heures réalisées"):
        clauses.award_lot(
            session, SAISIE, lot.id, clauses.award_token(session, lot.id), [clauses.Share(other.id, "833")]
        )
    shares = [clauses.Share(first.company_id, "433"), clauses.Share(other.id, "400")]
    commitments = clauses.award_lot(session, SAISIE, lot.id, clauses.award_token(session, lot.id), shares)
    assert {c.company_id: c.hours_committed_h100 for c in commitments} == {first.company_id: 43_300, other.id: 40_000}


def test_lists_roll_up_committed_and_achieved(session):
    buyer = clauses.create_buyer(session, SAISIE, clauses.BuyerInput(name="Communauté urbaine de Dunkerque"))
    operation = clauses.create_operation(session, SAISIE, clauses.OperationInput(buyer.id, "Groupe scolaire Lamartine"))
    lot = clauses.create_lot(
        session,
        SAISIE,
        clauses.LotInput(
            operation.id,
            "Lot 01",
            "Gros œuvre",
            amount_eur=1_000_000,
            labour_share_pct=50,
            insertion_rate_pct=5,
            hourly_cost_eur=30,
        ),
    )
    company = clauses.create_company(session, SAISIE, clauses.CompanyInput(siret=valid_siret(), name="Bâti"))
    (commitment,) = clauses.award_lot(session, SAISIE, lot.id, "", [clauses.Share(company.id, "833")])
    make_hours_entry(session, commitment=commitment, hours_h100=15_167)
    make_hours_entry(session, commitment=commitment, hours_h100=10_000, month=date(2026, 4, 1))
    (buyer_row,) = [r for r in clauses.list_buyers(session) if r.buyer.id == buyer.id]
    assert (buyer_row.operations, buyer_row.hours.committed_h100, buyer_row.hours.achieved_h100) == (1, 83_300, 25_167)
    (op_row,) = clauses.list_operations(session, buyer_id=buyer.id)
    assert (op_row.lots, op_row.hours.achieved_h100) == (1, 25_167)
    (lot_row,) = clauses.list_lots(session, operation_id=operation.id)
    assert lot_row.companies == "Bâti" and lot_row.hours.remaining_h100 == 58_133
    (company_row,) = [r for r in clauses.list_companies(session, search="bâti")]
    assert company_row.commitments == 1 and company_row.hours.achieved_h100 == 25_167
    assert clauses.list_companies(session, search=company.siret[:9])[0].company.id == company.id
    (c_row,) = clauses.list_commitments(session, company_id=company.id)
    assert c_row.hours.rate == pytest.approx(25_167 / 83_300)
    assert session.get(Company, company.id).name == "Bâti"
