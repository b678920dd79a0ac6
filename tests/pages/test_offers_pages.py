"""Candidats › Offres d'emploi, Rapprochement, Positionnements through app.py: a facilitator creates an offer,
ranks the pool, positions two people, checks, validates, presents and hires one — and lands on the contract form
pre-filled; a lecture user reads without any write button."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from clausier import db
from clausier.services import offers
from clausier.services.offers import OfferInput
from clausier.services.users import CurrentUser
from models import (
    Candidacy,
    CandidacyEvent,
    Commune,
    Eligibility,
    EmploymentContract,
    FollowUp,
    JobOffer,
    ParticipantTrade,
)
from models.enums import CandidacyStatus, ExperienceLevel, FollowUpKind, OfferStatus, Role
from pages.candidats_rapprochement import editor_key
from tests.builders import make_commitment, make_contract, make_participant, save
from tests.pages.conftest import logged_in, open_url_path

SOPHIE = CurrentUser(login="sophie", name="Sophie Test", role=Role.SAISIE)
START = date.today() + timedelta(days=30)


def _page(role: Role, url_path: str) -> AppTest:
    at = open_url_path(logged_in(role).run(), url_path).run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def _submit(at: AppTest, label: str) -> AppTest:
    return _click(at, label)  # form submit buttons are listed with the buttons


def _world(url: str) -> dict:
    """A company committed on a lot, in Dunkerque; three participants: a mason, a road worker, one under contract."""
    with Session(db.get_engine(url), expire_on_commit=False) as session:
        dunkerque = session.exec(select(Commune).where(Commune.name == "Dunkerque")).one()
        commitment = make_commitment(session)

        def who(last: str, first: str, trade: str, level: ExperienceLevel, **fields):
            p = make_participant(session, last_name=last, first_name=first, commune_id=dunkerque.id, **fields)
            save(session, ParticipantTrade(participant_id=p.id, trade_code=trade, experience=level))
            save(
                session,
                Eligibility(
                    participant_id=p.id,
                    criterion_code="rsa",
                    validated_on=date.today() - timedelta(days=100),
                    validated_by="sophie",
                ),
            )
            return p

        mason = who(
            "Dubois",
            "Inès",
            "F1703",
            ExperienceLevel.CONFIRMED,
            licences="B;CACES R482",
            own_vehicle=True,
            phone="06 12 34 56 78",
        )
        roads = who("Lefebvre", "Marc", "F1702", ExperienceLevel.BEGINNER, licences="B")
        busy = who("Occupé", "Paul", "F1703", ExperienceLevel.CONFIRMED, licences="B;CACES R482")
        make_contract(session, participant=busy, start_date=date.today() - timedelta(days=10), planned_end=None)
        session.commit()
        return {
            "commitment": commitment,
            "dunkerque": dunkerque,
            "mason": mason,
            "roads": roads,
            "busy": busy,
        }


def _seed_offer(url: str, w: dict, **fields) -> JobOffer:
    with Session(db.get_engine(url), expire_on_commit=False) as session:
        data = {
            "company_id": w["commitment"].company_id,
            "lot_id": w["commitment"].lot_id,
            "trade_code": "F1703",
            "title": "Maçon (H/F)",
            "contract_type_code": "cdd",
            "posts": 1,
            "start_date": START,
            "end_date": START + timedelta(days=180),
            "weekly_hours": 35,
            "place_commune_id": w["dunkerque"].id,
            "requirements": ["B", "CACES R482"],
            **fields,
        }
        offer = offers.create_offer(session, SOPHIE, OfferInput(**data))
        session.commit()
        return offer


def test_saisie_creates_an_offer_and_a_refused_form_keeps_what_was_typed(with_users):
    w = _world(with_users)
    at = _page(Role.SAISIE, "offres")
    assert at.title[0].value == "Offres d'emploi"
    at.selectbox(key="offer_c0_company").set_value(w["commitment"].company_id).run()
    at.selectbox(key="offer_c0_lot").set_value(w["commitment"].lot_id)
    at.text_input(key="offer_c0_title").input("Coffreur bancheur (H/F)")
    at.text_input(key="offer_c0_posts").input("2")
    at.text_input(key="offer_c0_weekly").input("39")
    at.multiselect(key="offer_c0_requirements").select("B").select("CACES R482")
    # no trade (and the lot has none), no contract type, no start date: refused, field by field
    _submit(at, "Créer l'offre")
    messages = " ".join(e.value for e in at.error)
    assert "Choisissez le métier" in messages and "type de contrat" in messages and "date de début" in messages
    assert at.text_input(key="offer_c0_title").value == "Coffreur bancheur (H/F)"  # kept
    assert at.multiselect(key="offer_c0_requirements").value == ["B", "CACES R482"]
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(JobOffer)).first() is None

    at.selectbox(key="offer_c0_trade").set_value("F1703")
    at.selectbox(key="offer_c0_contract").set_value("cdd")
    at.date_input(key="offer_c0_start").set_value(START)
    at.selectbox(key="offer_c0_commune").set_value(w["dunkerque"].id)
    _submit(at, "Créer l'offre")
    assert any("Coffreur bancheur (H/F)" in s.value for s in at.success), [e.value for e in at.error]
    with Session(db.get_engine(with_users)) as session:
        offer = session.exec(select(JobOffer)).one()
    assert (offer.posts, offer.weekly_hours_h100, offer.requirements, offer.lot_id) == (
        2,
        3900,
        "B;CACES R482",
        w["commitment"].lot_id,
    )
    frame = at.dataframe[0].value
    row = frame[frame["Offre"] == "Coffreur bancheur (H/F)"].iloc[0]
    assert row["Métier"] == "F1703 – Maçonnerie" and row["Statut"] == "Ouverte" and row["Prérequis"] == "B, CACES R482"
    assert at.text_input(key="offer_c1_title").value == ""  # the create form is empty again

    # edit: a colleague saved meanwhile → clear message, their version shown, nothing overwritten
    at.selectbox(key="offer_pick").set_value(offer.id).run()
    with Session(db.get_engine(with_users)) as session:
        data = OfferInput(
            company_id=offer.company_id,
            lot_id=offer.lot_id,
            trade_code="F1703",
            title="Coffreur bancheur (H/F)",
            contract_type_code="cdd",
            posts=5,
            start_date=START,
            weekly_hours=39,
        )
        offers.update_offer(session, SOPHIE, offer.id, 1, data)
        session.commit()
    at.text_input(key=f"offer_e{offer.id}_posts").input("3")
    _submit(at, "Enregistrer l'offre")
    assert any("Quelqu'un d'autre a modifié l'offre" in w.value for w in at.warning)
    with Session(db.get_engine(with_users)) as session:
        assert session.get(JobOffer, offer.id).posts == 5
    assert at.text_input(key=f"offer_e{offer.id}_posts").value == "5"  # their version shown
    at.text_input(key=f"offer_e{offer.id}_posts").input("3")
    _submit(at, "Enregistrer l'offre")
    assert any("Offre « Coffreur bancheur (H/F) » enregistrée." in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        saved = session.get(JobOffer, offer.id)
    assert (saved.posts, saved.version) == (3, 3)

    # the status buttons: cancelled, then out of the open offers' list
    _click(at, "Annuler l'offre")
    with Session(db.get_engine(with_users)) as session:
        assert session.get(JobOffer, offer.id).status is OfferStatus.CANCELLED
    assert any("Aucune offre ne correspond" in i.value for i in at.info)  # the list shows the open ones


def test_from_offer_to_hired_under_contract_and_followed_up_through_the_pages(with_users):
    w = _world(with_users)
    # Offres d'emploi: the company's need becomes an offer
    at = _page(Role.SAISIE, "offres")
    at.selectbox(key="offer_c0_company").set_value(w["commitment"].company_id).run()
    at.selectbox(key="offer_c0_lot").set_value(w["commitment"].lot_id)
    at.selectbox(key="offer_c0_trade").set_value("F1703")
    at.text_input(key="offer_c0_title").input("Maçon (H/F)")
    at.selectbox(key="offer_c0_contract").set_value("cdd")
    at.date_input(key="offer_c0_start").set_value(START)
    at.date_input(key="offer_c0_end").set_value(START + timedelta(days=180))
    at.selectbox(key="offer_c0_commune").set_value(w["dunkerque"].id)
    at.multiselect(key="offer_c0_requirements").select("B").select("CACES R482")
    _submit(at, "Créer l'offre")
    assert any("Offre « Maçon (H/F) » créée." in s.value for s in at.success), [e.value for e in at.error]
    with Session(db.get_engine(with_users)) as session:
        offer = session.exec(select(JobOffer)).one()
    assert offer.posts == 1

    # Rapprochement: the ranked table, the person under contract left out
    at = _page(Role.SAISIE, "rapprochement")
    assert at.title[0].value == "Rapprochement"
    assert at.selectbox(key="match_offer").value == offer.id
    table = at.dataframe[0].value  # the data editor (with its « Choisir » column)
    assert table["Choisir"].tolist() == [False, False]
    assert table["Participant"].tolist() == ["DUBOIS Inès", "LEFEBVRE Marc"]
    # mason: 35 + 10 + 20 + 20 + 15 = 100; road worker: related trade 17,5 + 10 + requirements ½ 10
    # + same commune 20 + beginner ⅓ × ½ × 15 = 2,5 → 60
    assert table["Score"].tolist() == [100, 60]
    assert table["Métier"].tolist() == ["35/35 – Même métier (F1703)", "17,5/35 – Métier proche (F1702, domaine F17)"]
    assert table["Prérequis"].tolist()[1] == "10/20 – Manque : CACES R482"
    assert any("1 déjà sous contrat sur la période du poste" in c.value for c in at.caption)

    # tick both and position them
    ticks = {0: {"Choisir": True}, 1: {"Choisir": True}}
    key = editor_key(offer.id, [w["mason"].id, w["roads"].id])
    at.session_state[key] = {"edited_rows": ticks, "added_rows": [], "deleted_rows": []}
    at.run()
    _click(at, "Positionner les personnes choisies (2)")
    assert any("2 personne(s) positionnée(s)." in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        rows = session.exec(select(Candidacy).order_by(Candidacy.score.desc())).all()
    assert [(r.participant_id, r.score, r.status) for r in rows] == [
        (w["mason"].id, 100, CandidacyStatus.POSITIONED),
        (w["roads"].id, 60, CandidacyStatus.POSITIONED),
    ]
    assert at.dataframe[0].value["Déjà positionné"].tolist() == ["Positionné", "Positionné"]
    mason_id = rows[0].id

    # Positionnements: the board, then the mason's candidacy step by step
    at = _page(Role.SAISIE, "positionnements")
    assert [m.value for m in at.metric if m.label == "Positionné"] == ["2"]
    at.selectbox(key="cand_pick").set_value(mason_id).run()
    prefix = f"cand_{mason_id}_verifier_"
    at.radio(key=f"{prefix}pathway").set_value("Oui")
    at.radio(key=f"{prefix}motivation").set_value("Oui")
    _submit(at, "Enregistrer la vérification")  # two answers and no comment: refused, field by field
    messages = [e.value for e in at.error]
    assert "Répondez à la question « Éligibilité » (oui ou non)." in messages
    assert "Le commentaire de la vérification est obligatoire." in messages
    assert at.radio(key=f"{prefix}pathway").value == "Oui"  # kept
    at.radio(key=f"{prefix}eligibility").set_value("Oui")
    at.radio(key=f"{prefix}fit").set_value("Oui")
    at.text_area(key=f"{prefix}comment").input("Très motivée, CACES à jour.")
    _submit(at, "Enregistrer la vérification")
    assert any("« Positionné » à « Vérifié »" in s.value for s in at.success), [e.value for e in at.error]

    assert any("tél. 06 12 34 56 78" in m.value for m in at.markdown)  # the phone, for the check call
    at.text_input(key=f"cand_{mason_id}_valider_note").input("Validée par la Candidathèque (Nadia).")
    _click(at, "Valider (Candidathèque)")
    assert any("« Vérifié » à « Validé »" in s.value for s in at.success)
    _click(at, "Présenter à l'employeur")
    assert any("« Validé » à « Présenté à l'employeur »" in s.value for s in at.success)
    history = at.dataframe[-1].value
    assert history["À"].tolist() == ["Positionné", "Vérifié", "Validé", "Présenté à l'employeur"]
    assert history["Par"].tolist() == ["sophie"] * 4
    assert history["Note"].tolist()[2] == "Validée par la Candidathèque (Nadia)."

    # Hired, the last post: the offer is marked filled and the contract form opens pre-filled
    assert at.checkbox(key=f"cand_{mason_id}_retenir_mark").value is True
    _submit(at, "Retenu par l'employeur")
    # the contracts page took the key « contract_prefill_candidacy » and filled its form from the candidacy
    assert at.title[0].value == "Contrats"
    assert [s.value for s in at.selectbox if s.label == "Participant"] == [w["mason"].id]
    with Session(db.get_engine(with_users)) as session:
        assert session.get(Candidacy, mason_id).status is CandidacyStatus.HIRED
        assert session.get(JobOffer, offer.id).status is OfferStatus.FILLED
        events = session.exec(select(CandidacyEvent).where(CandidacyEvent.candidacy_id == mason_id)).all()
    assert [e.to_status for e in events][-1] is CandidacyStatus.HIRED

    # The contract, saved from the pre-filled form, then its first follow-up call on « Suivi dans l'emploi »
    # (AppTest does not stay on a page reached by st.switch_page: the next run would be the board's again, so
    # the test opens the contracts page by its address with the same hand-over key the board set)
    at.session_state["contract_prefill_candidacy"] = mason_id
    at = open_url_path(at, "contrats").run()
    assert at.selectbox(key="ct_new0_participant_id").value == w["mason"].id
    at.date_input(key="ct_new0_start_date").set_value(date.today())  # the employer takes him on at once
    _click(at, "Enregistrer le contrat")
    assert "Contrat enregistré." in [s.value for s in at.success], [e.value for e in at.error]
    with Session(db.get_engine(with_users)) as session:
        contract = session.exec(select(EmploymentContract).where(EmploymentContract.candidacy_id == mason_id)).one()
    assert (contract.participant_id, contract.candidacy_id, contract.offer_id) == (w["mason"].id, mason_id, offer.id)
    at = open_url_path(at, "suivi-emploi").run()
    at.radio(key="fu_view").set_value("Journal d'un contrat").run()
    at.selectbox(key="fu_contract").set_value(contract.id).run()
    form = f"fu_add_{contract.id}0_"
    at.date_input(key=form + "on").set_value(date.today())
    at.selectbox(key=form + "kind").set_value(FollowUpKind.CALL)
    at.text_area(key=form + "notes").input("Premier appel : bien accueilli sur le chantier")
    _click(at, "Enregistrer le suivi")
    assert any("Appel du" in s.value for s in at.success), [e.value for e in at.error]
    with Session(db.get_engine(with_users)) as session:
        call = session.exec(select(FollowUp)).one()
    assert (call.contract_id, call.kind, call.by) == (contract.id, FollowUpKind.CALL, "sophie")

    # back on the board: one hired, the other still positioned; the road worker withdraws with a reason
    at = _page(Role.SAISIE, "positionnements")
    assert [m.value for m in at.metric if m.label in ("Positionné", "Retenu")] == ["1", "1"]
    roads_id = rows[1].id
    at.selectbox(key="cand_pick").set_value(roads_id).run()
    _submit(at, "Désistement")
    assert "Indiquez le motif du désistement." in [e.value for e in at.error]
    at.text_area(key=f"cand_{roads_id}_desister_reason").input("A retrouvé un emploi.")
    _submit(at, "Désistement")
    with Session(db.get_engine(with_users)) as session:
        saved = session.get(Candidacy, roads_id)
    assert saved.status is CandidacyStatus.WITHDRAWN and saved.refusal_reason == "A retrouvé un emploi."


def test_reverse_view_lists_the_open_offers_for_a_participant(with_users):
    w = _world(with_users)
    mason_offer = _seed_offer(with_users, w)
    cleaning = _seed_offer(with_users, w, trade_code="K2204", title="Agent de propreté (H/F)", requirements=[])
    at = _page(Role.SAISIE, "rapprochement")
    at.text_input(key="match_person_search").input("dubois").run()
    assert at.selectbox(key="match_person").value == w["mason"].id
    frame = at.dataframe[-1].value
    company, start = _company(with_users, w), f"{START:%d/%m/%Y}"
    assert frame["Offre"].tolist() == [
        f"Maçon (H/F) — {company} (début {start})",
        f"Agent de propreté (H/F) — {company} (début {start})",
    ]
    # the same scores as the direct view: 100 for the mason's trade; the cleaning offer 50 + 0 experience
    assert frame["Score"].tolist() == [100, 50]
    assert mason_offer.id != cleaning.id
    # the person under contract: every offer left out, with the reason
    at.text_input(key="match_person_search").input("occupé").run()
    assert any("0 offre(s) ouverte(s) possible(s) sur 2." in c.value for c in at.caption)


def _company(url: str, w: dict) -> str:
    from models import Company

    with Session(db.get_engine(url)) as session:
        return session.get(Company, w["commitment"].company_id).name


def test_lecture_reads_offers_matching_and_candidacies_without_writing(with_users):
    from clausier.services import candidacies

    w = _world(with_users)
    offer = _seed_offer(with_users, w)
    with Session(db.get_engine(with_users)) as session:
        candidacy_id = candidacies.position(session, SOPHIE, offer.id, [w["mason"].id]).created[0]
        session.commit()
    for url_path in ("offres", "rapprochement", "positionnements"):
        at = _page(Role.LECTURE, url_path)
        assert {b.label for b in at.button} <= {"Se déconnecter"}, url_path
        assert not at.get("form"), url_path
    at = _page(Role.LECTURE, "rapprochement")
    table = at.dataframe[0].value
    assert table["Participant"].tolist() == ["DUBOIS Inès", "LEFEBVRE Marc"]
    assert "Choisir" not in table.columns and table["Déjà positionné"].tolist() == ["Positionné", ""]
    assert any("Export réservé" in c.value for c in at.caption)  # personal data: no download for lecture
    at = _page(Role.LECTURE, "positionnements")
    at.selectbox(key="cand_pick").set_value(candidacy_id).run()
    assert not at.exception, at.exception
    assert not any("tél." in m.value for m in at.markdown)  # contact details: admin and saisie only
    assert at.dataframe[-1].value["À"].tolist() == ["Positionné"]
    assert {b.label for b in at.button} <= {"Se déconnecter"} and not at.get("form")
