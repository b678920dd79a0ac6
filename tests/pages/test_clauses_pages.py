"""The clause set up through the screens, as a facilitator: buyer → operation → lot (computed hours) → company →
commitment, each found in its list; a lecture user sees the lists and no form."""

from __future__ import annotations

from sqlmodel import Session, select

from clausier import db
from models import Buyer, Commitment, Company, Lot, Operation
from models.enums import Role
from tests.builders import make_company, make_lot, valid_siret
from tests.pages.conftest import logged_in, open_url_path


def _page(role: Role, url_path: str):
    return open_url_path(logged_in(role).run(), url_path).run()


def _click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def test_facilitator_sets_up_a_clause_through_the_screens(with_users):
    engine = db.get_engine(with_users)
    # 1. Buyer
    at = _page(Role.SAISIE, "donneurs-ordre")
    at.text_input(key="buyer_c0__name").input("Communauté urbaine de Dunkerque")
    _click(at, "Créer le donneur d'ordre")
    assert any("Communauté urbaine de Dunkerque" in s.value for s in at.success)
    assert at.text_input(key="buyer_c1__name").value == ""  # the create form is empty again
    assert "Communauté urbaine de Dunkerque" in at.dataframe[0].value["Donneur d'ordre"].tolist()
    with Session(engine) as session:
        buyer = session.exec(select(Buyer)).one()

    # 2. Operation
    at = _page(Role.SAISIE, "operations")
    at.selectbox(key="op_c0_buyer").set_value(buyer.id)
    at.text_input(key="op_c0_name").input("Groupe scolaire Lamartine")
    _click(at, "Créer l'opération")
    assert "Groupe scolaire Lamartine" in at.dataframe[0].value["Opération"].tolist()
    with Session(engine) as session:
        operation = session.exec(select(Operation)).one()

    # 3. Lot with the hours computed live from the kind of work's defaults
    at.selectbox(key="op_pick").set_value(operation.id).run()
    prefix = f"lot_c{operation.id}0_"
    at.text_input(key=f"{prefix}ref").input("Lot 01")
    at.text_input(key=f"{prefix}label").input("Gros œuvre")
    at.selectbox(key=f"{prefix}trade").set_value("F1703")
    at.selectbox(key=f"{prefix}kind").set_value("gros_oeuvre").run()
    assert at.number_input(key=f"{prefix}share").value == 50.0  # default of the kind of work
    at.number_input(key=f"{prefix}amount").set_value(1_000_000.0).run()
    assert [m.value for m in at.metric if m.label == "Heures d'insertion calculées"] == ["833 h"]
    _click(at, "Créer le lot")
    with Session(engine) as session:
        lot = session.exec(select(Lot)).one()
    assert (lot.hours_computed_h100, lot.hours_contractual_h100, lot.amount_cents) == (83_300, 83_300, 100_000_000)

    # 4. Company, with a SIRET typed with spaces
    siret = valid_siret()
    at = _page(Role.SAISIE, "entreprises")
    at.text_input(key="company_c0_siret").input(f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}")
    at.text_input(key="company_c0_name").input("Bâtiments de Flandre")
    _click(at, "Créer l'entreprise")
    assert "Bâtiments de Flandre" in at.dataframe[0].value["Entreprise"].tolist()
    with Session(engine) as session:
        company = session.exec(select(Company)).one()
    assert company.siret == siret

    # 5. Commitment: the whole lot to the company
    at = _page(Role.SAISIE, "engagements")
    at.selectbox(key="commit_lot").set_value(lot.id).run()
    at.multiselect(key=f"commit_{lot.id}_companies").select(company.id).run()
    assert at.number_input(key=f"commit_{lot.id}_h{company.id}").value == 833.0  # one company: the whole lot
    _click(at, "Enregistrer l'attribution")
    with Session(engine) as session:
        commitment = session.exec(select(Commitment)).one()
    assert (commitment.company_id, commitment.hours_committed_h100) == (company.id, 83_300)
    assert at.dataframe[0].value["Entreprise"].tolist() == ["Bâtiments de Flandre"]


def test_refused_company_form_keeps_what_was_typed(with_users):
    at = _page(Role.SAISIE, "entreprises")
    at.text_input(key="company_c0_siret").input("732829320")
    at.text_input(key="company_c0_name").input("Bâtiments de Flandre")
    _click(at, "Créer l'entreprise")
    assert any("est un SIREN (9 chiffres)" in e.value for e in at.error)
    assert at.text_input(key="company_c0_name").value == "Bâtiments de Flandre"
    assert at.text_input(key="company_c0_siret").value == "732829320"


def test_split_not_adding_up_is_refused_on_screen(with_users):
    engine = db.get_engine(with_users)
    with Session(engine) as session:
        lot = make_lot(session, hours_contractual_h100=83_300)
        alpha = make_company(session, name="Alpha BTP").id
        beta = make_company(session, name="Bêta TP").id
        session.commit()
        lot_id = lot.id
    at = _page(Role.SAISIE, "engagements")
    at.selectbox(key="commit_lot").set_value(lot_id).run()
    at.multiselect(key=f"commit_{lot_id}_companies").select(alpha).select(beta).run()
    at.number_input(key=f"commit_{lot_id}_h{alpha}").set_value(500.0)
    at.number_input(key=f"commit_{lot_id}_h{beta}").set_value(300.0).run()
    _click(at, "Enregistrer l'attribution")
    assert any("fait 800 h alors que le lot en compte 833 h" in e.value for e in at.error)
    assert at.number_input(key=f"commit_{lot_id}_h{beta}").value == 300.0  # what was typed stays
    with Session(engine) as session:
        assert session.exec(select(Commitment)).first() is None
    at.number_input(key=f"commit_{lot_id}_h{beta}").set_value(333.0).run()
    _click(at, "Enregistrer l'attribution")
    with Session(engine) as session:
        split = {c.company_id: c.hours_committed_h100 for c in session.exec(select(Commitment))}
    assert split == {alpha: 50_000, beta: 33_300}


def test_lecture_user_sees_the_lists_but_no_form(with_users):
    for url_path in ("donneurs-ordre", "operations", "entreprises", "engagements"):
        at = _page(Role.LECTURE, url_path)
        assert not at.exception
        assert at.dataframe, url_path
        assert not [b for b in at.button if b.label != "Se déconnecter"], url_path
        assert not at.text_input or all(t.key and t.key.endswith("_search") for t in at.text_input), url_path


def test_company_page_lists_its_commitments_and_offers(with_users):
    from datetime import date

    from clausier import demo
    from models import JobOffer

    engine = db.get_engine(with_users)
    demo.generate(engine, size="S", seed=1, today=date(2026, 3, 15))
    with Session(engine) as session:
        offer = session.exec(select(JobOffer)).first()
        company_id, title = offer.company_id, offer.title
        n_offers = len(session.exec(select(JobOffer).where(JobOffer.company_id == company_id)).all())
    at = _page(Role.LECTURE, "entreprises")
    at.selectbox(key="company_pick").set_value(company_id).run()
    assert not at.exception
    offers = next(df.value for df in at.dataframe if "Offre" in df.value.columns)
    assert title in offers["Offre"].tolist() and len(offers) == n_offers


def test_a_buyer_is_renamed_then_archived_and_a_company_archived(with_users):
    from tests.builders import make_buyer, make_company

    engine = db.get_engine(with_users)
    with Session(engine) as session:
        buyer_id = make_buyer(session, name="Ville de Grande-Synthe").id
        company_id = make_company(session, name="Bâti Flandre").id
        session.commit()
    at = _page(Role.SAISIE, "donneurs-ordre")
    at.selectbox(key="buyer_pick").set_value(buyer_id).run()
    at.text_input(key=f"buyer_e{buyer_id}__name").set_value("Ville de Grande-Synthe (mairie)")
    _click(at, "Enregistrer")
    assert any("« Ville de Grande-Synthe (mairie) » enregistré." in s.value for s in at.success)
    _click(at, "Archiver")
    assert any("« Ville de Grande-Synthe (mairie) » archivé." in s.value for s in at.success)
    with Session(engine) as session:
        buyer = session.get(Buyer, buyer_id)
        assert (buyer.name, buyer.archived, buyer.version) == ("Ville de Grande-Synthe (mairie)", True, 3)

    at = _page(Role.SAISIE, "entreprises")
    at.selectbox(key="company_pick").set_value(company_id).run()
    _click(at, "Archiver")
    assert any("« Bâti Flandre » archivée." in s.value for s in at.success)
    with Session(engine) as session:
        assert session.get(Company, company_id).archived
