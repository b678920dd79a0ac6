"""The demo data generator (DESIGN §6): size S on a fresh SQLite database."""

from __future__ import annotations

import sqlite3
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from stdnum.fr import siret

from clausier import db, demo
from models import (
    Buyer,
    Commitment,
    Company,
    Eligibility,
    EmploymentContract,
    HoursEntry,
    Lot,
    Operation,
    Participant,
)
from models.enums import Modality

TODAY = date(2026, 3, 15)


@pytest.fixture
def generated(engine: Engine) -> demo.DemoReport:
    return demo.generate(engine, "S", seed=1, today=TODAY)


@pytest.fixture
def another_engine(sqlite_template: Path, tmp_path: Path):
    """A second fresh, prepared SQLite database in the same test."""
    target = tmp_path / "other.db"
    source, copy = sqlite3.connect(sqlite_template), sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    eng = db.make_engine(f"sqlite:///{target}")
    yield eng
    eng.dispose()


def _count(session: Session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_size_s_meets_the_targets_of_the_design(engine, generated):
    spec = demo.SIZES["S"]
    with Session(engine) as session:
        assert _count(session, Participant) == spec.participants == 300
        assert _count(session, Operation) == spec.operations == 60
        assert _count(session, Lot) == spec.lots == 150
        rows = _count(session, HoursEntry)
        assert 3_600 <= rows <= 4_400
        assert generated.hours_entries == rows
        assert generated.buyers == _count(session, Buyer) >= 10
        assert generated.companies == _count(session, Company)
        assert generated.contracts == _count(session, EmploymentContract) > 0
        assert session.execute(select(func.sum(HoursEntry.hours_h100))).scalar_one() == generated.hours_total_h100


def test_every_company_siret_is_valid_and_unique(engine, generated):
    with Session(engine) as session:
        sirets = session.execute(select(Company.siret)).scalars().all()
        buyer_sirets = session.execute(select(Buyer.siret)).scalars().all()
    assert sirets and all(siret.is_valid(s) for s in sirets)
    assert len(set(sirets)) == len(sirets)
    assert all(siret.is_valid(s) for s in buyer_sirets)
    assert "24590042800013" in buyer_sirets  # Communauté urbaine de Dunkerque, SIREN 245 900 428


def test_lot_hours_follow_the_insertion_hours_formula(engine, generated):
    with Session(engine) as session:
        lots = session.execute(select(Lot).where(Lot.carries_clause)).scalars().all()
    assert lots
    for lot in lots:
        exact = lot.amount_cents * lot.labour_share_bp * lot.insertion_rate_bp / (lot.hourly_cost_cents * 10**8)
        assert lot.hours_computed_h100 == int(exact + 0.5) * 100
        assert lot.hours_contractual_h100 > 0
    assert sum(lot.hours_contractual_h100 == lot.hours_computed_h100 for lot in lots) > len(lots) * 0.8


def test_every_group_split_adds_up_to_the_lot_hours(engine, generated):
    with Session(engine) as session:
        per_lot = session.execute(
            select(Lot.id, Lot.hours_contractual_h100, func.sum(Commitment.hours_committed_h100), func.count())
            .join(Commitment, Commitment.lot_id == Lot.id)
            .group_by(Lot.id, Lot.hours_contractual_h100)
        ).all()
    assert per_lot
    assert any(members > 1 for *_, members in per_lot), "au moins un groupement (cotraitance)"
    for lot_id, contractual, split, _members in per_lot:
        assert split == contractual, f"lot {lot_id}"


def test_no_hours_entry_in_the_future_nor_outside_its_contract(engine, generated):
    with Session(engine) as session:
        rows = session.execute(
            select(
                HoursEntry.month,
                HoursEntry.hours_h100,
                HoursEntry.modality,
                HoursEntry.participant_id,
                EmploymentContract.participant_id,
                EmploymentContract.start_date,
                EmploymentContract.planned_end,
                EmploymentContract.actual_end,
                EmploymentContract.modality,
                Lot.execution_start,
                Lot.execution_end,
            )
            .join(EmploymentContract, EmploymentContract.id == HoursEntry.contract_id)
            .join(Commitment, Commitment.id == HoursEntry.commitment_id)
            .join(Lot, Lot.id == Commitment.lot_id)
        ).all()
    assert len(rows) == generated.hours_entries
    for (
        month,
        hours,
        modality,
        pid,
        contract_pid,
        start,
        planned_end,
        actual_end,
        contract_modality,
        lot_start,
        lot_end,
    ) in rows:
        assert month.day == 1 and month <= TODAY
        assert 1 <= hours <= 25_000
        assert month >= start.replace(day=1)
        end = actual_end or planned_end
        assert end is None or month <= end
        assert lot_start.replace(day=1) <= month <= lot_end
        assert modality == contract_modality and pid == contract_pid


def test_contracts_stay_inside_the_lot_execution_and_follow_their_type(engine, generated):
    with Session(engine) as session:
        rows = session.execute(
            select(EmploymentContract, Lot.execution_start, Lot.execution_end)
            .join(Commitment, Commitment.id == EmploymentContract.commitment_id)
            .join(Lot, Lot.id == Commitment.lot_id)
        ).all()
        kinds = dict(session.execute(select(Company.id, Company.kind)).all())
    usual = {"ctti": "etti", "interim": "interim", "geiq": "geiq", "mad_ai": "ai"}
    modalities = {contract.modality for contract, *_ in rows}
    assert {Modality.DIRECT_HIRE, Modality.PROVISION} <= modalities
    for contract, lot_start, lot_end in rows:
        assert lot_start <= contract.start_date < TODAY
        for end in (contract.planned_end, contract.actual_end):
            assert end is None or contract.start_date <= end <= lot_end
        if contract.contract_type_code in usual:
            assert kinds[contract.employer_company_id].value == usual[contract.contract_type_code]


def test_eligibility_is_valid_when_each_contract_starts(engine, generated):
    with Session(engine) as session:
        eligibilities = session.execute(select(Eligibility)).scalars().all()
        contracts = session.execute(select(EmploymentContract.participant_id, EmploymentContract.start_date)).all()
    assert all(e.proof_date is None or e.proof_date <= e.validated_on <= TODAY for e in eligibilities)
    validated: dict[int, list[date]] = {}
    for e in eligibilities:
        validated.setdefault(e.participant_id, []).append(e.validated_on)
    for participant_id, start in contracts:
        assert any(on <= start < on + timedelta(days=730) for on in validated.get(participant_id, [])), participant_id


def test_commitments_show_every_kind_of_progress(engine, generated):
    month_start = TODAY.replace(day=1)
    with Session(engine) as session:
        rows = session.execute(
            select(
                Commitment.hours_committed_h100,
                func.coalesce(func.sum(HoursEntry.hours_h100), 0),
                Lot.execution_start,
                Lot.execution_end,
            )
            .join(Lot, Lot.id == Commitment.lot_id)
            .outerjoin(HoursEntry, HoursEntry.commitment_id == Commitment.id)
            .group_by(Commitment.id, Commitment.hours_committed_h100, Lot.execution_start, Lot.execution_end)
        ).all()
    seen = set()
    for committed, achieved, start, end in rows:
        if achieved >= committed:
            seen.add("atteint")
        elif end < month_start:
            seen.add("non atteint")
        elif start < month_start:
            expected = committed * (month_start - start).days / (end - start).days
            seen.add("en retard" if achieved < 0.8 * expected else "dans les temps ou en avance")
        else:
            seen.add("pas commencé")
    assert seen == {"atteint", "non atteint", "en retard", "dans les temps ou en avance", "pas commencé"}


def test_participants_have_french_names_and_a_plain_name_key(engine, generated):
    with Session(engine) as session:
        people = session.execute(select(Participant)).scalars().all()
    assert any(any(ord(c) > 127 for c in p.last_name + p.first_name) for p in people)
    for p in people:
        names = f"{p.last_name} {p.first_name}".replace("ı", "i")
        plain = unicodedata.normalize("NFKD", names).encode("ascii", "ignore").decode()
        assert p.name_key == " ".join(plain.lower().split())
        assert date(1965, 1, 1) <= p.birth_date <= date(2006, 12, 31)
    assert any(p.qpv_id for p in people) and any("CACES" in p.licences for p in people)


def test_the_same_seed_gives_the_same_data(engine, another_engine):
    first = demo.generate(engine, "S", seed=7, today=TODAY)
    second = demo.generate(another_engine, "S", seed=7, today=TODAY)
    assert first.counts() == second.counts()
    assert first.hours_total_h100 == second.hours_total_h100

    def names(eng: Engine) -> list[tuple[str, str]]:
        with Session(eng) as session:
            return session.execute(select(Participant.last_name, Participant.first_name).order_by(Participant.id)).all()

    def hours(eng: Engine) -> int:
        with Session(eng) as session:
            return session.execute(select(func.sum(HoursEntry.hours_h100))).scalar_one()

    assert names(engine) == names(another_engine)
    assert hours(engine) == hours(another_engine) == first.hours_total_h100


def test_another_seed_gives_other_data(engine, another_engine):
    first = demo.generate(engine, "S", seed=1, today=TODAY)
    second = demo.generate(another_engine, "S", seed=2, today=TODAY)
    assert first.hours_total_h100 != second.hours_total_h100
    with Session(engine) as a, Session(another_engine) as b:
        query = select(Participant.last_name, Participant.first_name).order_by(Participant.id)
        assert a.execute(query).all() != b.execute(query).all()


def test_a_database_with_business_data_is_refused(engine, generated):
    with pytest.raises(ValueError) as error:
        demo.generate(engine, "S", seed=1, today=TODAY)
    assert str(error.value) == "La base contient déjà des données : la démo ne se charge que sur une base vide."


def test_a_single_buyer_is_enough_to_refuse(engine):
    with db.session_scope(engine) as session:
        session.add(Buyer(name="Ville de Dunkerque"))
    with pytest.raises(ValueError, match="base vide"):
        demo.generate(engine, "S", today=TODAY)
    with Session(engine) as session:
        assert _count(session, Participant) == 0


def test_an_unknown_size_is_refused(engine):
    with pytest.raises(ValueError, match="Taille inconnue"):
        demo.generate(engine, "XL", today=TODAY)
