"""Clauses › Partenaires through app.py: create, refuse and keep, edit, archive, structures by trade, exports."""

from __future__ import annotations

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from clausier import db
from clausier.services import partners
from clausier.services.partners import PartnerInput
from clausier.services.users import CurrentUser
from models import AuditEvent, Commune, Partner
from models.enums import CompanyKind, PartnerKind, Role
from tests.builders import make_commitment, make_company, make_lot, valid_siret
from tests.pages.conftest import logged_in, open_url_path

SOPHIE = CurrentUser(login="sophie", name="Sophie Test", role=Role.SAISIE)


def _page(role: Role) -> AppTest:
    at = logged_in(role).run()
    at = open_url_path(at, "partenaires").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Partenaires"
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def _partner(url: str, name: str) -> Partner | None:
    with Session(db.get_engine(url)) as session:
        return session.exec(select(Partner).where(Partner.name == name)).first()


def _seed(url: str, **fields) -> Partner:
    with Session(db.get_engine(url), expire_on_commit=False) as session:
        partner = partners.create_partner(session, SOPHIE, PartnerInput(**fields))
        session.commit()
        return partner


def _directory(at: AppTest):
    return at.dataframe[0].value


def test_saisie_creates_a_partner_and_finds_it_in_the_list(with_users):
    at = _page(Role.SAISIE)
    with Session(db.get_engine(with_users)) as session:
        commune = session.exec(select(Commune).order_by(Commune.name)).first()
    at.text_input(key="pc_name").input("Régie de quartier Île Jeanty")
    at.selectbox(key="pc_kind").set_value(PartnerKind.SIAE)
    at.text_input(key="pc_siret").input(valid_siret(11))
    at.selectbox(key="pc_commune_id").set_value(commune.id)
    at.text_input(key="pc_contact_name").input("Inès Ziani, chargée de relations entreprises")
    at.text_input(key="pc_contact_email").input("ines.ziani@regie.test")
    at.text_input(key="pc_contact_phone").input("03 28 11 22 33")
    at.multiselect(key="pc_trade_codes").select("K2204").select("A1203")
    at = _click(at, "Créer le partenaire")
    assert not at.exception, at.exception
    assert any("Régie de quartier Île Jeanty" in s.value for s in at.success), [e.value for e in at.error]

    saved = _partner(with_users, "Régie de quartier Île Jeanty")
    assert saved is not None and saved.kind is PartnerKind.SIAE and saved.commune_id == commune.id
    frame = _directory(at)
    row = frame[frame["Nom"] == "Régie de quartier Île Jeanty"].iloc[0]
    assert row["Type"] == "SIAE" and row["Commune"] == commune.name and row["E-mail"] == "ines.ziani@regie.test"
    assert "K2204" in row["Métiers"] and "A1203" in row["Métiers"]
    assert at.text_input(key="pc_name").value == ""  # the form is empty again

    # The search finds it without accents, and so does the structures tab for its trade.
    at.text_input(key="pt_search").input("ile jeanty").run()
    assert _directory(at)["Nom"].tolist() == ["Régie de quartier Île Jeanty"]
    at.selectbox(key="ps_trade").set_value("K2204").run()
    assert "Régie de quartier Île Jeanty" in at.dataframe[1].value["Structure"].tolist()


def test_a_refused_form_keeps_what_was_typed(with_users):
    at = _page(Role.SAISIE)
    at.text_input(key="pc_name").input("   ")
    at.text_input(key="pc_siret").input("552 100 554")
    at.text_input(key="pc_contact_name").input("Marc Lefebvre")
    at.text_input(key="pc_contact_email").input("marc.lefebvre@")
    at.multiselect(key="pc_trade_codes").select("F1703")
    at = _click(at, "Créer le partenaire")
    assert not at.exception, at.exception
    messages = " ".join(e.value for e in at.error)
    assert "nom du partenaire est obligatoire" in messages
    assert "type de partenaire" in messages
    assert "SIREN" in messages
    assert "n'est pas valide" in messages
    assert at.text_input(key="pc_siret").value == "552 100 554"
    assert at.text_input(key="pc_contact_name").value == "Marc Lefebvre"
    assert at.text_input(key="pc_contact_email").value == "marc.lefebvre@"
    assert at.multiselect(key="pc_trade_codes").value == ["F1703"]
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(Partner)).first() is None


def test_saisie_edits_then_archives_a_partner(with_users):
    partner = _seed(with_users, name="GEIQ BTP Flandre", kind=PartnerKind.GEIQ, trade_codes=["F1703"])
    at = _page(Role.SAISIE)
    prefix = f"pe_{partner.id}_"
    assert at.text_input(key=f"{prefix}name").value == "GEIQ BTP Flandre"
    assert at.multiselect(key=f"{prefix}trade_codes").value == ["F1703"]
    at.text_input(key=f"{prefix}contact_phone").input("mauvais numéro")
    at = _click(at, "Enregistrer les modifications")
    assert any("téléphone" in e.value.lower() for e in at.error)
    assert at.text_input(key=f"{prefix}contact_phone").value == "mauvais numéro"  # kept

    at.text_input(key=f"{prefix}contact_phone").input("+33 3 28 00 00 00")
    at.text_input(key=f"{prefix}name").input("GEIQ BTP Flandre Maritime")
    at = _click(at, "Enregistrer les modifications")
    assert not at.exception, at.exception
    saved = _partner(with_users, "GEIQ BTP Flandre Maritime")
    assert saved is not None and saved.version == 2 and saved.contact_phone == "+33 3 28 00 00 00"
    assert "GEIQ BTP Flandre Maritime" in _directory(at)["Nom"].tolist()

    at = _click(at, "Archiver ce partenaire")
    assert not at.exception, at.exception
    assert _partner(with_users, "GEIQ BTP Flandre Maritime").archived
    assert not at.dataframe or "GEIQ BTP Flandre Maritime" not in _directory(at)["Nom"].tolist()
    at = _click(at, "Remettre dans l'annuaire")
    assert not _partner(with_users, "GEIQ BTP Flandre Maritime").archived


def test_someone_elses_save_is_not_overwritten(with_users):
    partner = _seed(with_users, name="Mission Locale", kind=PartnerKind.MISSION_LOCALE)
    at = _page(Role.SAISIE)
    with Session(db.get_engine(with_users)) as session:  # a colleague saves meanwhile
        partners.update_partner(
            session, SOPHIE, partner.id, 1, PartnerInput(name="Mission Locale Dunkerque", kind="mission_locale")
        )
        session.commit()
    at.text_input(key=f"pe_{partner.id}_name").input("Mission Locale de Flandre")
    at = _click(at, "Enregistrer les modifications")
    assert not at.exception, at.exception
    assert any("Quelqu'un d'autre a modifié" in e.value for e in at.error)
    assert _partner(with_users, "Mission Locale Dunkerque").version == 2
    assert at.text_input(key=f"pe_{partner.id}_name").value == "Mission Locale Dunkerque"  # their version shown


def test_lecture_sees_the_lists_and_exports_but_no_write_button(with_users):
    _seed(with_users, name="France Travail Dunkerque", kind=PartnerKind.FRANCE_TRAVAIL, contact_name="Paul")
    at = _page(Role.LECTURE)
    assert [t.label for t in at.tabs] == ["Annuaire", "Structures ESS / SIAE par métier"]
    assert [b.label for b in at.button] == ["Se déconnecter"] and not at.get("form")
    assert _directory(at)["Nom"].tolist() == ["France Travail Dunkerque"]
    labels = [b.label for b in at.download_button]
    assert labels == [
        "Télécharger l'annuaire (CSV)",
        "Télécharger l'annuaire (Excel)",
        "Télécharger la liste (CSV)",
        "Télécharger la liste (Excel)",
    ]


def test_export_buttons_are_present_and_a_download_is_logged(with_users):
    _seed(with_users, name="Département du Nord", kind=PartnerKind.DEPARTEMENT)
    at = _page(Role.SAISIE)
    assert {b.label for b in at.download_button} >= {
        "Télécharger l'annuaire (CSV)",
        "Télécharger l'annuaire (Excel)",
    }
    at.download_button(key="export_partenaires_xlsx").click().run()
    assert not at.exception, at.exception
    with Session(db.get_engine(with_users)) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.who == "sophie" and event.table_name == "partenaires"
    assert event.summary.startswith("partenaires-") and ".xlsx : 1 ligne" in event.summary


def test_structures_tab_lists_companies_of_the_iae_by_trade(with_users):
    with Session(db.get_engine(with_users)) as session:
        aci = make_company(session, name="Chantier d'insertion des Dunes", kind=CompanyKind.ACI)
        make_commitment(session, lot=make_lot(session, trade_code="A1203"), company=aci)
        session.commit()
    at = _page(Role.LECTURE)
    at.selectbox(key="ps_trade").set_value("A1203").run()
    frame = at.dataframe[-1].value
    assert frame["Structure"].tolist() == ["Chantier d'insertion des Dunes"]
    assert frame["Fiche"].tolist() == ["Entreprise"]
    at.selectbox(key="ps_trade").set_value("F1703").run()
    assert any("Aucune structure" in i.value for i in at.info)
