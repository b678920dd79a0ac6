"""Partenaires (clausier.services.partners): the checks of the forms, optimistic locking, roles, ESS/SIAE by trade."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError
from clausier.errors import PermissionDenied, ValidationError
from clausier.services import partners
from clausier.services.partners import PartnerInput
from clausier.services.users import CurrentUser
from models import AuditEvent, Commune, JobOffer, Partner, PartnerTrade
from models.enums import CompanyKind, PartnerKind, Role
from tests.builders import make_commitment, make_company, make_lot, valid_siret

SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
ADMIN = CurrentUser(login="admin", name="Anne", role=Role.ADMIN)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


def add(session: Session, name: str = "Mission Locale des Rives de l'Aa", **fields) -> Partner:
    data = PartnerInput(**{"name": name, "kind": PartnerKind.MISSION_LOCALE, **fields})
    return partners.create_partner(session, SAISIE, data)


def errors_of(session: Session, **fields) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        partners.create_partner(session, SAISIE, PartnerInput(**fields))
    return caught.value.errors


# --- create -----------------------------------------------------------------------------------------------------


def test_create_partner_with_contact_and_trades_is_audited(session):
    commune = session.exec(select(Commune)).first()
    partner = add(
        session,
        name="  Ateliers   de la Colme ",
        kind=PartnerKind.SIAE,
        siret=" " + valid_siret(1)[:3] + " " + valid_siret(1)[3:],
        commune_id=commune.id,
        contact_name="Karim Haddad",
        contact_email="k.haddad@colme.test",
        contact_phone="03 28 00 00 00",
        trade_codes=["f1703", "A1203"],
    )
    session.commit()
    assert partner.name == "Ateliers de la Colme" and partner.siret == valid_siret(1) and partner.version == 1
    assert [t.code for t in partners.partner_trades(session, partner.id)] == ["A1203", "F1703"]
    event = session.exec(select(AuditEvent).where(AuditEvent.table_name == "partner")).one()
    assert (event.who, event.action, event.record_id) == ("sophie", "création", str(partner.id))


def test_name_is_required(session):
    assert errors_of(session, name="   ", kind=PartnerKind.ESS)["name"] == "Le nom du partenaire est obligatoire."


def test_kind_is_required(session):
    errors = errors_of(session, name="GEIQ BTP", kind=None)
    assert set(errors) == {"kind"} and "type de partenaire" in errors["kind"]


def test_unknown_kind_is_refused(session):
    assert "kind" in errors_of(session, name="GEIQ BTP", kind="banque")


def test_siret_is_optional(session):
    partner = add(session, siret="")
    assert partner.siret is None


@pytest.mark.parametrize(
    ("siret", "expected"),
    [
        (valid_siret(5)[:-1] + str((int(valid_siret(5)[-1]) + 1) % 10), "clé de contrôle"),  # wrong key
        (valid_siret(5)[:9], "SIREN"),  # 9 digits
        (valid_siret(5)[:13], "14 chiffres"),
        (valid_siret(5)[:4] + "OO" + valid_siret(5)[6:], "que des chiffres"),
    ],
)
def test_siret_when_given_is_checked_with_its_key(session, siret, expected):
    errors = errors_of(session, name="Entreprise d'insertion", kind=PartnerKind.SIAE, siret=siret)
    assert expected in errors["siret"]


def test_a_valid_siret_with_spaces_is_accepted(session):
    siret = valid_siret(3)
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    assert add(session, siret=spaced).siret == siret


def test_two_partners_cannot_share_a_siret(session):
    add(session, name="GEIQ Propreté", siret=valid_siret(7))
    errors = errors_of(session, name="Autre GEIQ", kind=PartnerKind.GEIQ, siret=valid_siret(7))
    assert "GEIQ Propreté" in errors["siret"]


def test_email_phone_and_trades_are_checked_with_one_message_per_field(session):
    errors = errors_of(
        session,
        name="France Travail Dunkerque",
        kind=PartnerKind.FRANCE_TRAVAIL,
        contact_email="pas-une-adresse",
        contact_phone="appelez-moi",
        trade_codes=["F1703", "Z9999"],
    )
    assert set(errors) == {"contact_email", "contact_phone", "trade_codes"}
    assert "Z9999" in errors["trade_codes"] and "F1703" not in errors["trade_codes"]


def test_a_partner_with_the_siret_of_a_company_is_linked_to_it(session):
    company = make_company(session, kind=CompanyKind.ACI)
    assert add(session, kind=PartnerKind.SIAE, siret=company.siret).company_id == company.id


def test_lecture_user_cannot_write(session):
    with pytest.raises(PermissionDenied):
        partners.create_partner(session, LECTURE, PartnerInput(name="X", kind=PartnerKind.ESS))
    partner = add(session)
    with pytest.raises(PermissionDenied):
        partners.update_partner(session, LECTURE, partner.id, 1, PartnerInput(name="Y", kind=PartnerKind.ESS))
    with pytest.raises(PermissionDenied):
        partners.archive_partner(session, LECTURE, partner.id, 1)
    assert session.get(Partner, partner.id).name == "Mission Locale des Rives de l'Aa"


# --- edit and archive -------------------------------------------------------------------------------------------


def test_edit_saves_fields_and_trades_and_bumps_the_version(session):
    partner = add(session, trade_codes=["F1703"])
    session.commit()
    data = PartnerInput(
        name="Mission Locale Dunkerque", kind=PartnerKind.MISSION_LOCALE, trade_codes=["K2204"], contact_name="Inès"
    )
    partners.update_partner(session, ADMIN, partner.id, 1, data)
    session.commit()
    saved = session.get(Partner, partner.id)
    assert (saved.name, saved.contact_name, saved.version) == ("Mission Locale Dunkerque", "Inès", 2)
    assert [t.code for t in partners.partner_trades(session, partner.id)] == ["K2204"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "modification")).one()
    assert "nom" in event.summary and "métiers" in event.summary and event.who == "admin"


def test_a_stale_version_is_refused_and_nothing_changes(session):
    partner = add(session, trade_codes=["F1703"])
    partners.update_partner(session, SAISIE, partner.id, 1, PartnerInput(name="Première", kind=PartnerKind.ESS))
    session.commit()
    with pytest.raises(ConcurrentEditError) as caught:  # still holding version 1
        partners.update_partner(
            session, SAISIE, partner.id, 1, PartnerInput(name="Seconde", kind=PartnerKind.ESS, trade_codes=["K2204"])
        )
    session.rollback()
    assert "Quelqu'un d'autre a modifié" in str(caught.value)
    saved = session.get(Partner, partner.id)
    assert (saved.name, saved.version) == ("Première", 2)
    assert session.exec(select(PartnerTrade.trade_code).where(PartnerTrade.partner_id == partner.id)).all() == []


def test_edit_refuses_bad_input_without_saving(session):
    partner = add(session)
    with pytest.raises(ValidationError) as caught:
        partners.update_partner(session, SAISIE, partner.id, 1, PartnerInput(name="", kind=PartnerKind.ESS))
    assert set(caught.value.errors) == {"name"}
    assert session.get(Partner, partner.id).version == 1


def test_keeping_its_own_siret_on_edit_is_not_a_duplicate(session):
    partner = add(session, siret=valid_siret(9))
    partners.update_partner(
        session, SAISIE, partner.id, 1, PartnerInput(name="Nouveau nom", kind=PartnerKind.ESS, siret=valid_siret(9))
    )
    assert session.get(Partner, partner.id).siret == valid_siret(9)


def test_archive_hides_from_the_list_and_can_be_undone(session):
    partner = add(session, name="Département du Nord", kind=PartnerKind.DEPARTEMENT)
    partners.archive_partner(session, SAISIE, partner.id, 1)
    assert partners.list_partners(session) == []
    assert [r.partner.id for r in partners.list_partners(session, include_archived=True)] == [partner.id]
    with pytest.raises(ConcurrentEditError):
        partners.archive_partner(session, SAISIE, partner.id, 1, archived=False)
    partners.archive_partner(session, SAISIE, partner.id, 2, archived=False)
    assert [r.partner.name for r in partners.list_partners(session)] == ["Département du Nord"]
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.table_name == "partner")).all()
    assert actions == ["création", "archivage", "désarchivage"]


# --- list -------------------------------------------------------------------------------------------------------


def test_list_search_ignores_accents_and_case_and_filters_by_kind_and_trade(session):
    add(session, name="Écoles de la deuxième chance", kind=PartnerKind.TRAINING_BODY, trade_codes=["K2204"])
    add(session, name="Entreprise d'insertion Énergie", kind=PartnerKind.SIAE, trade_codes=["F1703", "K2204"])
    add(session, name="France Travail", kind=PartnerKind.FRANCE_TRAVAIL, contact_name="Hélène Dupré")

    def names(**filters):
        return [r.partner.name for r in partners.list_partners(session, **filters)]

    assert names() == ["Écoles de la deuxième chance", "Entreprise d'insertion Énergie", "France Travail"]
    assert names(search="ENERGIE") == ["Entreprise d'insertion Énergie"]
    assert names(search="helene") == ["France Travail"]  # the contact
    assert names(search="deuxieme ecoles") == ["Écoles de la deuxième chance"]  # every word, any order
    assert names(kinds=[PartnerKind.SIAE, PartnerKind.FRANCE_TRAVAIL]) == [
        "Entreprise d'insertion Énergie",
        "France Travail",
    ]
    assert names(trade_code="K2204") == ["Écoles de la deuxième chance", "Entreprise d'insertion Énergie"]
    assert names(trade_code="K2204", kinds=[PartnerKind.SIAE]) == ["Entreprise d'insertion Énergie"]
    rows = partners.list_partners(session, search="énergie")
    assert [t.text for t in rows[0].trades] == ["F1703 – Maçonnerie", "K2204 – Nettoyage de locaux"]


# --- ESS and SIAE structures by trade ---------------------------------------------------------------------------


def test_structures_by_trade_lists_ess_siae_partners_and_companies(session):
    add(session, name="Régie de quartier", kind=PartnerKind.SIAE, trade_codes=["K2204"])
    add(session, name="GEIQ BTP", kind=PartnerKind.GEIQ, trade_codes=["F1703"])
    add(session, name="Coopérative ESS", kind=PartnerKind.ESS, trade_codes=["A1203"])
    add(session, name="Mission Locale", kind=PartnerKind.MISSION_LOCALE, trade_codes=["K2204"])  # not a structure
    old = add(session, name="Ancienne SIAE", kind=PartnerKind.SIAE, trade_codes=["K2204"])
    partners.archive_partner(session, SAISIE, old.id, 1)

    aci = make_company(session, name="Chantier d'insertion du Littoral", kind=CompanyKind.ACI)
    make_commitment(session, lot=make_lot(session, trade_code="F1703"), company=aci)
    ea = make_company(session, name="Entreprise adaptée Nord", kind=CompanyKind.EA)
    session.add(
        JobOffer(
            company_id=ea.id,
            trade_code="K2204",
            title="Agent de propreté",
            contract_type_code="cdd",
            start_date=date(2026, 3, 1),
        )
    )
    make_company(session, name="ESAT sans métier connu", kind=CompanyKind.ESAT)
    ordinary = make_company(session, name="BTP Classique", kind=CompanyKind.ORDINARY)
    make_commitment(session, lot=make_lot(session, trade_code="F1703"), company=ordinary)  # not a structure
    session.flush()

    everything = partners.structures_by_trade(session, None)
    assert [(s.name, s.source) for s in everything] == [
        ("Chantier d'insertion du Littoral", "entreprise"),
        ("Coopérative ESS", "partenaire"),
        ("Entreprise adaptée Nord", "entreprise"),
        ("ESAT sans métier connu", "entreprise"),
        ("GEIQ BTP", "partenaire"),
        ("Régie de quartier", "partenaire"),
    ]
    masonry = partners.structures_by_trade(session, "F1703")
    assert [(s.name, s.kind_label) for s in masonry] == [
        ("Chantier d'insertion du Littoral", "Atelier et chantier d'insertion (ACI)"),
        ("GEIQ BTP", "GEIQ"),
    ]
    cleaning = partners.structures_by_trade(session, "K2204")
    assert [s.name for s in cleaning] == ["Entreprise adaptée Nord", "Régie de quartier"]
    assert [t.text for t in cleaning[0].trades] == ["K2204 – Nettoyage de locaux"]
    assert partners.structures_by_trade(session, "N1101") == []


def test_a_structure_that_is_both_partner_and_company_is_listed_once_with_both_trades(session):
    company = make_company(session, name="EI Bâtiment", kind=CompanyKind.EI)
    make_commitment(session, lot=make_lot(session, trade_code="F1606"), company=company)
    add(session, name="EI Bâtiment (partenaire)", kind=PartnerKind.SIAE, siret=company.siret, trade_codes=["F1703"])
    found = partners.structures_by_trade(session, None)
    assert [(s.name, s.source) for s in found] == [("EI Bâtiment (partenaire)", "partenaire")]
    assert [t.code for t in found[0].trades] == ["F1606", "F1703"]
    assert [s.name for s in partners.structures_by_trade(session, "F1606")] == ["EI Bâtiment (partenaire)"]
