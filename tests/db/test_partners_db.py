"""Partners' queries and optimistic locking on SQLite and PostgreSQL; the export log on both."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError
from clausier.services import partners
from clausier.services.audit import record_export
from clausier.services.partners import PartnerInput
from clausier.services.users import CurrentUser
from models import AuditEvent, Partner
from models.enums import CompanyKind, PartnerKind, Role
from tests.builders import make_commitment, make_company, make_lot

SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)


def test_filters_and_structures_by_trade(any_engine):
    with Session(any_engine) as session:
        siae = partners.create_partner(
            session, SAISIE, PartnerInput(name="Régie Nord", kind=PartnerKind.SIAE, trade_codes=["K2204", "F1703"])
        )
        partners.create_partner(
            session, SAISIE, PartnerInput(name="Lycée pro", kind=PartnerKind.TRAINING_BODY, trade_codes=["F1703"])
        )
        esat = make_company(session, name="ESAT des Moëres", kind=CompanyKind.ESAT)
        make_commitment(session, lot=make_lot(session, trade_code="A1203"), company=esat)
        make_commitment(session, lot=make_lot(session, trade_code="A1203"), company=esat)  # counted once
        session.commit()

        names = [r.partner.name for r in partners.list_partners(session, kinds=[PartnerKind.SIAE], trade_code="F1703")]
        assert names == ["Régie Nord"]
        assert [t.code for t in partners.list_partners(session, search="regie")[0].trades] == ["F1703", "K2204"]
        assert [s.name for s in partners.structures_by_trade(session, "A1203")] == ["ESAT des Moëres"]
        assert [(s.name, [t.code for t in s.trades]) for s in partners.structures_by_trade(session)] == [
            ("ESAT des Moëres", ["A1203"]),
            ("Régie Nord", ["F1703", "K2204"]),
        ]
        partners.archive_partner(session, SAISIE, siae.id, 1)
        session.commit()
        assert [s.name for s in partners.structures_by_trade(session)] == ["ESAT des Moëres"]


def test_two_people_saving_the_same_partner(any_engine):
    with Session(any_engine) as session:
        partner_id = partners.create_partner(session, SAISIE, PartnerInput(name="GEIQ", kind=PartnerKind.GEIQ)).id
        session.commit()
    with Session(any_engine) as first, Session(any_engine) as second:
        partners.update_partner(first, SAISIE, partner_id, 1, PartnerInput(name="GEIQ Propreté", kind="geiq"))
        first.commit()
        with pytest.raises(ConcurrentEditError):
            partners.update_partner(second, SAISIE, partner_id, 1, PartnerInput(name="GEIQ BTP", kind="geiq"))
        second.rollback()
    with Session(any_engine) as session:
        saved = session.get(Partner, partner_id)
        assert (saved.name, saved.version) == ("GEIQ Propreté", 2)


def test_export_is_logged(any_engine):
    with Session(any_engine) as session:
        record_export(session, SAISIE, "partenaires", "partenaires-2026-11-26.csv", 3, personal_data=False)
        session.commit()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.summary == "partenaires-2026-11-26.csv : 3 ligne(s)"
