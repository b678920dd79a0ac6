"""Home page totals, aggregated in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from clausier.services import dashboard
from models import JobOffer
from models.enums import OfferStatus, ParticipantStatus
from tests.builders import (
    make_buyer,
    make_commitment,
    make_company,
    make_hours_entry,
    make_lot,
    make_operation,
    make_participant,
)


def test_empty_database_totals_are_zero(any_engine):
    with Session(any_engine) as session:
        totals = dashboard.totals(session)
    assert totals.hours_committed_h100 == 0 and totals.hours_achieved_h100 == 0 and totals.rate is None
    assert dashboard.by_buyer(Session(any_engine)) == []


def test_totals_and_by_buyer_add_up(any_engine):
    with Session(any_engine) as session:
        cud = make_buyer(session, name="Communauté urbaine de Dunkerque")
        town = make_buyer(session, name="Ville de Grande-Synthe")
        lot1 = make_lot(session, operation=make_operation(session, buyer=cud))
        lot2 = make_lot(session, operation=make_operation(session, buyer=cud))
        lot3 = make_lot(session, operation=make_operation(session, buyer=town))
        company = make_company(session)
        c1 = make_commitment(session, lot=lot1, company=company, hours_committed_h100=100_000)
        c2 = make_commitment(session, lot=lot2, company=company, hours_committed_h100=50_000)
        make_commitment(session, lot=lot3, hours_committed_h100=20_000)  # no hours yet
        p1, p2 = make_participant(session), make_participant(session, status=ParticipantStatus.IN_EMPLOYMENT)
        make_hours_entry(session, commitment=c1, participant=p1, month=date(2026, 1, 1), hours_h100=15_167)
        make_hours_entry(session, commitment=c1, participant=p1, month=date(2026, 2, 1), hours_h100=14_000)
        make_hours_entry(session, commitment=c2, participant=p2, month=date(2026, 2, 1), hours_h100=7_050)
        session.add(
            JobOffer(
                company_id=company.id,
                trade_code="F1703",
                title="Maçon",
                contract_type_code="cdd",
                posts=2,
                start_date=date(2026, 4, 1),
            )
        )
        session.add(
            JobOffer(
                company_id=company.id,
                trade_code="F1703",
                title="Maçon",
                contract_type_code="cdd",
                posts=1,
                start_date=date(2026, 4, 1),
                status=OfferStatus.FILLED,
            )
        )
        session.commit()

        totals = dashboard.totals(session)
        assert totals.hours_committed_h100 == 170_000
        assert totals.hours_achieved_h100 == 36_217
        assert totals.commitments == 3 and totals.companies == 2 and totals.operations == 3 and totals.lots == 3
        assert totals.participants == 2 and totals.participants_in_employment == 1
        assert (totals.open_offers, totals.open_posts) == (1, 2)
        assert abs(totals.rate - 36_217 / 170_000) < 1e-12

        rows = dashboard.by_buyer(session)
        assert [(r.buyer, r.operations, r.hours_committed_h100, r.hours_achieved_h100) for r in rows] == [
            ("Communauté urbaine de Dunkerque", 2, 150_000, 36_217),
            ("Ville de Grande-Synthe", 1, 20_000, 0),
        ]
        assert sum(r.hours_achieved_h100 for r in rows) == totals.hours_achieved_h100
        assert dashboard.hours_by_month(session, date(2026, 2, 1)) == [(date(2026, 2, 1), 21_050)]
