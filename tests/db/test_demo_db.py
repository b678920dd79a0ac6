"""The demo generator at size S on SQLite and on PostgreSQL (DESIGN §6)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from clausier import db, demo
from clausier.services import derived
from models import (
    Buyer,
    Candidacy,
    CandidacyEvent,
    Commitment,
    Company,
    Eligibility,
    EmploymentContract,
    FollowUp,
    HoursEntry,
    JobOffer,
    Lot,
    Operation,
    Participant,
    Partner,
)

TODAY = date(2026, 3, 15)


def test_demo_size_s_is_written_whole(any_engine):
    report = demo.generate(any_engine, "S", seed=3, today=TODAY)
    expected = {
        Buyer: report.buyers,
        Operation: report.operations,
        Lot: report.lots,
        Company: report.companies,
        Commitment: report.commitments,
        Partner: report.partners,
        Participant: report.participants,
        Eligibility: report.eligibilities,
        JobOffer: report.job_offers,
        Candidacy: report.candidacies,
        CandidacyEvent: report.candidacy_events,
        EmploymentContract: report.contracts,
        FollowUp: report.follow_ups,
        HoursEntry: report.hours_entries,
    }
    with Session(any_engine) as session:
        for model, count in expected.items():
            assert session.execute(select(func.count()).select_from(model)).scalar_one() == count, model.__name__
        total = session.execute(select(func.sum(HoursEntry.hours_h100))).scalar_one()
        split = session.execute(
            select(func.count()).select_from(
                select(Lot.id)
                .join(Commitment, Commitment.lot_id == Lot.id)
                .group_by(Lot.id, Lot.hours_contractual_h100)
                .having(func.sum(Commitment.hours_committed_h100) != Lot.hours_contractual_h100)
                .subquery()
            )
        ).scalar_one()
        latest = session.execute(select(func.max(HoursEntry.month))).scalar_one()
        # The next follow-up due is kept on every running contract, as the application computes it.
        assert derived.next_due_mismatches(session) == []
        running, kept = session.execute(
            select(func.count(), func.count(EmploymentContract.next_due_on)).where(
                EmploymentContract.actual_end.is_(None)
            )
        ).one()
    assert report.participants == 300 and report.operations == 60 and report.lots == 150
    assert 3_600 <= report.hours_entries <= 4_400
    assert total == report.hours_total_h100
    assert split == 0
    assert latest < TODAY.replace(day=1)
    assert running == kept > 20


def test_ids_keep_working_after_the_demo(any_engine):
    """Rows are written with explicit ids: the next rows added by the application must not collide."""
    report = demo.generate(any_engine, "S", seed=3, today=TODAY)
    with db.session_scope(any_engine) as session:
        buyer = Buyer(name="Nouveau donneur d'ordre")
        participant = Participant(last_name="Nouvelle", first_name="Personne")
        session.add_all([buyer, participant])
        session.flush()
        assert buyer.id == report.buyers + 1
        assert participant.id == report.participants + 1
