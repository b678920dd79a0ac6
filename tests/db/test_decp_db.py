"""DECP market → operation, lot, buyer, company and commitment, committed and read back, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from clausier import db
from clausier.errors import DomainError
from clausier.services import decp
from clausier.services.users import CurrentUser
from models import AuditEvent, Buyer, Commitment, Company, ImportBatch, Lot, Operation
from models.enums import ImportKind, OperationStatus, Role
from tests.builders import valid_siret
from tests.decp_data import CUD_SIRET, decp_bytes, example_bytes, market_record

SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
TABLES = (Buyer, Operation, Lot, Company, Commitment, ImportBatch, AuditEvent)


def _counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def test_create_operation_from_market_commits_once(any_engine):
    holder = valid_siret()
    parsed = decp.parse(
        decp_bytes(
            [
                market_record("2026-GS-01", buyer_siret=CUD_SIRET, holders=[holder], amount=2_100_000.55),
                market_record("2026-GS-02", buyer_siret=CUD_SIRET, holders=[holder], cpv="45442100-8"),
            ]
        ),
        "decp.json",
    )
    with db.session_scope(any_engine) as session:
        first = decp.create_operation_from_market(session, SAISIE, parsed.markets[0], decp_file=parsed)
        operation_id = first.id
    with db.session_scope(any_engine) as session:
        decp.create_operation_from_market(session, SAISIE, parsed.markets[1], decp_file=parsed)

    with Session(any_engine) as session:
        operation = session.get(Operation, operation_id)
        assert operation.decp_id == "2026-GS-01" and operation.status is OperationStatus.SPOTTED
        lot = session.exec(select(Lot).where(Lot.operation_id == operation_id)).one()
        # 2 100 000,55 € × 50 % × 5 % ÷ 30 €/h = 1 750,0004… → 1 750 h
        assert (lot.amount_cents, lot.hours_computed_h100, lot.hours_contractual_h100) == (
            210_000_055,
            175_000,
            175_000,
        )
        assert session.exec(select(func.count()).select_from(Buyer)).one() == 1  # found again by its SIRET
        assert session.exec(select(Company.siret)).all() == [holder]
        assert sorted(session.exec(select(Commitment.hours_committed_h100)).all()) == sorted(
            [175_000, session.exec(select(Lot.hours_contractual_h100).where(Lot.reference == "2026-GS-02")).one()]
        )
        batch = session.exec(select(ImportBatch)).one()
        assert (batch.kind, batch.checksum, batch.rows_added) == (ImportKind.DECP, parsed.checksum, 2)
        spotted = decp.spot(session, parsed, date(2026, 3, 15))
        assert [s.operation_id is not None for s in spotted] == [True, True]

    before = _counts(any_engine)
    with pytest.raises(DomainError, match="déjà l'opération"):
        with db.session_scope(any_engine) as session:
            decp.create_operation_from_market(session, SAISIE, parsed.markets[0], decp_file=parsed)
    assert _counts(any_engine) == before


def test_official_example_and_refusals_write_nothing(any_engine):
    parsed = decp.parse(example_bytes("marches_concessions.json"), "marches_concessions.json")
    with db.session_scope(any_engine) as session:
        for market in parsed.markets:
            decp.create_operation_from_market(session, SAISIE, market, decp_file=parsed)
    counts = _counts(any_engine)
    assert (counts["Operation"], counts["Lot"], counts["Commitment"]) == (4, 4, 0)
    assert counts["Company"] == 2  # the two concessionnaires; the markets' holder is not a valid SIRET
    before = counts
    with pytest.raises(DomainError, match="est déjà l'opération"):
        with db.session_scope(any_engine) as session:
            decp.create_operation_from_market(session, SAISIE, parsed.markets[0], decp_file=parsed)
    assert _counts(any_engine) == before
    big = decp.parse(decp_bytes([market_record("BIG", amount=30_000_000)]), "big.json")
    with db.session_scope(any_engine) as session:  # 30 M€: beyond a 32-bit integer of cents, a BIGINT holds it
        operation = decp.create_operation_from_market(session, SAISIE, big.markets[0], decp_file=big)
        lot = session.exec(select(Lot).where(Lot.operation_id == operation.id)).one()
        assert lot.amount_cents == 3_000_000_000
