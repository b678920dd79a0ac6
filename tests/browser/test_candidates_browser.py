"""Issue 5 in a real browser: an offer is created, the pool ranked, a participant positioned, checked, validated,
presented and hired; the contract form arrives pre-filled and is saved; a phone call is logged in the follow-up."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from clausier import db
from clausier.services.users import hash_password
from models import (
    Candidacy,
    CandidacyEvent,
    Commune,
    Eligibility,
    EmploymentContract,
    FollowUp,
    JobOffer,
    ParticipantTrade,
    User,
)
from models.enums import CandidacyStatus, ExperienceLevel, FollowUpKind, OfferStatus, Role
from tests.browser.conftest import OUTPUT, start_server, stop_server
from tests.browser.test_app_browser import PASSWORD, TIMEOUT, do_login, field, wait_idle
from tests.browser.test_clauses_browser import button, choose, open_page, open_tab
from tests.builders import make_commitment, make_company, make_lot, make_participant, save

pytestmark = pytest.mark.browser

TODAY = date.today()
START = TODAY - timedelta(days=3)  # started: the follow-up call can be logged today
END = START + timedelta(days=180)
COMPANY = "Bâtiments de Flandre"
OFFER = "Maçon (H/F)"
PERSON = "DUBOIS Inès"
CHECK = {"Parcours": "Oui", "Motivation": "Oui", "Éligibilité": "Oui", "Adéquation avec l'offre": "Oui"}
COMMENT = "Très motivée, CACES à jour, disponible tout de suite."
VALIDATION_NOTE = "Validée par la Candidathèque (Nadia)."
CALL_NOTE = "Premier appel : bonne intégration dans l'équipe."


def _world(url: str) -> dict:
    """A company committed on a masonry lot in Dunkerque; a confirmed mason of Dunkerque, eligible (RSA)."""
    engine = db.make_engine(url)
    with Session(engine) as session:
        session.add(
            User(
                login="sophie",
                name="Sophie Facilitatrice",
                email="s@plie.test",
                role=Role.SAISIE,
                password_hash=hash_password(PASSWORD),
            )
        )
        dunkerque = session.exec(select(Commune).where(Commune.name == "Dunkerque")).one()
        company = make_company(session, name=COMPANY)
        lot = make_lot(
            session,
            reference="LOT-02",
            label="Maçonnerie",
            trade_code="F1703",
            execution_start=TODAY - timedelta(days=60),
            execution_end=TODAY + timedelta(days=400),
        )
        commitment = make_commitment(session, lot=lot, company=company)
        person = make_participant(
            session,
            last_name="Dubois",
            first_name="Inès",
            name_key="dubois ines",
            commune_id=dunkerque.id,
            licences="B;CACES R482",
            own_vehicle=True,
            phone="06 12 34 56 78",
        )
        save(
            session,
            ParticipantTrade(participant_id=person.id, trade_code="F1703", experience=ExperienceLevel.CONFIRMED),
        )
        save(
            session,
            Eligibility(
                participant_id=person.id,
                criterion_code="rsa",
                validated_on=START - timedelta(days=100),  # valid at the offer's start
                validated_by="sophie",
            ),
        )
        session.commit()
        ids = {
            "company": company.id,
            "siret": company.siret,
            "lot": lot.id,
            "commitment": commitment.id,
            "person": person.id,
        }
    engine.dispose()
    return ids


def shot(page, output_dir, name: str) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, name
    page.screenshot(path=str(output_dir / f"{name}.png"), full_page=True)


def fill_date(page, label: str, day: date, root=None) -> None:
    """Type a date into a Streamlit date input by its label: its day, month and year fields (react-aria spin
    buttons) take the digits in turn."""
    root = root or page
    box = root.locator("[data-testid='stDateInput']").filter(has=page.get_by_text(label, exact=True)).first
    box.get_by_role("spinbutton").first.click()
    page.keyboard.type(day.strftime("%d%m%Y"))
    page.keyboard.press("Tab")
    expect(box.locator("input[type='date']")).to_have_value(day.isoformat(), timeout=5_000)


def choose_in(page, root, label: str, option: str) -> None:
    """``choose`` inside one part of the page (a tab, a form): the page may hold another box of the same label."""
    box = (
        root.locator("[data-testid='stSelectbox'], [data-testid='stMultiSelect']")
        .filter(has=page.get_by_text(label, exact=True))
        .first
    )
    for _ in range(5):
        wait_idle(page)
        box.locator("input").first.click()
        try:
            page.get_by_role("option", name=option).first.click(timeout=5_000)
        except Exception:  # noqa: BLE001 - the list was redrawn or did not open: close it and try again
            page.get_by_role("heading").first.click()
            continue
        if box.get_attribute("data-testid") == "stMultiSelect":
            page.keyboard.press("Escape")  # a multiselect stays open after a choice
        wait_idle(page)
        shown = box.evaluate("el => el.innerText + ' ' + [...el.querySelectorAll('input')].map(i => i.value).join(' ')")
        if option in shown:
            return
    page.screenshot(path=str(OUTPUT / "choix-impossible.png"), full_page=True)
    raise AssertionError(f"impossible de choisir « {option} » dans « {label} » : {box.inner_text()!r}")


def answer(page, question: str, option: str) -> None:
    """Click one option of a Streamlit radio group by the group's label."""
    group = page.locator("[data-testid='stRadio']").filter(has=page.get_by_text(question, exact=True)).first
    group.locator("label").filter(has_text=option).first.click()


def tick_first_row(page, then_button: str) -> None:
    """Tick the « Choisir » cell of the first row of the ranked table. The table is drawn on a canvas (glide data
    grid): a click on the cell's left edge selects it, the space bar ticks it; tried again until ``then_button``
    (its label counts the ticks) shows, as a rerun may redraw the table under the click."""
    grid = page.locator("[data-testid='stDataFrame']").first
    for _ in range(4):
        wait_idle(page)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 8, box["y"] + 36 + 18)  # header row 36 px, then the first row (36 px)
        page.keyboard.press(" ")
        wait_idle(page)
        if page.get_by_role("button", name=then_button, exact=True).count():
            return
    page.screenshot(path=str(OUTPUT / "case-non-cochee.png"), full_page=True)
    raise AssertionError(f"la case « Choisir » ne se coche pas (bouton « {then_button} » absent)")


def submit(page, name: str) -> None:
    """A form's submit button (an expander of the same title may share its name)."""
    page.get_by_test_id("stFormSubmitButton").get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def form_of(page, submit_name: str):
    return page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=submit_name, exact=True))


def test_offer_matching_candidacy_contract_and_follow_up(browser, sqlite_url, output_dir):
    ids = _world(sqlite_url)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page.goto(server.url + "/offres", timeout=TIMEOUT)
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        do_login(page, "sophie", PASSWORD)
        page.get_by_role("heading", name="Offres d'emploi").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)

        # Offres d'emploi: the company's need becomes an offer (the trade comes from the lot)
        open_tab(page, "Nouvelle offre", "Intitulé du poste")
        form = page.get_by_role("tabpanel", name="Nouvelle offre")
        choose_in(page, form, "Entreprise", f"{COMPANY} ({ids['siret']})")
        lot_box = form.locator("[data-testid='stSelectbox']").filter(
            has=page.get_by_text("Lot (marché où l'entreprise est engagée)", exact=True)
        )
        # the company's only lot is chosen by default, and with it the lot's trade (F1703)
        expect(lot_box.get_by_role("combobox")).to_have_value(re.compile("LOT-02 Maçonnerie"))
        field(page, "Intitulé du poste").fill(OFFER)
        choose_in(page, form, "Type de contrat", "CDD")
        fill_date(page, "Date de début", START, form)
        fill_date(page, "Date de fin (vide pour un CDI)", END, form)
        choose_in(page, form, "Commune du lieu de travail", "Dunkerque")
        choose_in(page, form, "Prérequis (permis, CACES, habilitations)", "Permis B")
        shot(page, output_dir, "01-offre-formulaire")
        button(page, "Créer l'offre")
        page.get_by_text(f"Offre « {OFFER} » créée.").wait_for(timeout=TIMEOUT)
        shot(page, output_dir, "02-offre-creee")
        listed = page.get_by_test_id("stDataFrame").first
        expect(listed).to_be_visible()

        # Rapprochement: the open offer is chosen, the mason ranked with her score; tick her and position her
        open_page(page, "Rapprochement")
        offer_label = f"{OFFER} — {COMPANY} (début {START:%d/%m/%Y})"
        offer_box = page.locator("[data-testid='stSelectbox']").filter(
            has=page.get_by_text("Offre ouverte", exact=True)
        )
        expect(offer_box.get_by_role("combobox")).to_have_value(offer_label)
        page.get_by_text("1 participant(s) disponible(s) et éligible(s)").wait_for(timeout=TIMEOUT)
        shot(page, output_dir, "03-rapprochement")
        ranked = page.locator("#glide-cell-2-0")  # the grid's accessible copy: participant of the first row
        expect(ranked).to_have_text(PERSON)
        expect(page.locator("#glide-cell-1-0")).to_have_text("100")  # her score (same trade, eligible, etc.)
        tick_first_row(page, "Positionner les personnes choisies (1)")
        shot(page, output_dir, "04-rapprochement-coche")
        button(page, "Positionner les personnes choisies (1)")
        page.get_by_text("1 personne(s) positionnée(s).").wait_for(timeout=TIMEOUT)
        shot(page, output_dir, "05-positionne")

        # Positionnements: the phone check (four answers and a comment), validation, presentation, hired
        open_page(page, "Positionnements")
        choose(page, "Positionnement", f"{PERSON} — {OFFER} ({COMPANY}) · Positionné")
        page.get_by_text("tél. 06 12 34 56 78").wait_for(timeout=TIMEOUT)  # the number to call
        for question, option in CHECK.items():
            answer(page, question, option)
        form_of(page, "Enregistrer la vérification").get_by_role("textbox", name="Commentaire de l'appel").fill(COMMENT)
        shot(page, output_dir, "06-verification")
        submit(page, "Enregistrer la vérification")
        page.get_by_text("Positionnement passé de « Positionné » à « Vérifié ».").wait_for(timeout=TIMEOUT)
        form_of(page, "Valider (Candidathèque)").get_by_role("textbox", name="Note (facultative)").fill(VALIDATION_NOTE)
        submit(page, "Valider (Candidathèque)")
        page.get_by_text("Positionnement passé de « Vérifié » à « Validé ».").wait_for(timeout=TIMEOUT)
        submit(page, "Présenter à l'employeur")
        page.get_by_text("Positionnement passé de « Validé » à « Présenté à l'employeur ».").wait_for(timeout=TIMEOUT)
        shot(page, output_dir, "07-presente")
        mark = form_of(page, "Retenu par l'employeur").get_by_role("checkbox")
        expect(mark).to_be_checked()  # the offer's last post: marked « pourvue » with the hire
        submit(page, "Retenu par l'employeur")

        # Contrats: the new-contract form, pre-filled from the candidacy
        page.get_by_role("heading", name="Contrats").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)
        page.get_by_text("Pré-rempli depuis le positionnement n°").wait_for(timeout=TIMEOUT)
        for label, value in (
            ("Participant", "DUBOIS Inès"),
            ("Entreprise utilisatrice", COMPANY),
            ("Employeur", COMPANY),
            ("Engagement (lot)", "LOT-02"),
            ("Type de contrat", "CDD"),
        ):
            box = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text(label, exact=True)).first
            expect(box.get_by_role("combobox")).to_have_value(re.compile(re.escape(value)))
        start_box = page.locator("[data-testid='stDateInput']").filter(has=page.get_by_text("Début", exact=True))
        expect(start_box.locator("input[type='date']")).to_have_value(START.isoformat())
        shot(page, output_dir, "08-contrat-pre-rempli")
        button(page, "Enregistrer le contrat")
        page.get_by_text("Contrat enregistré.").wait_for(timeout=TIMEOUT)
        shot(page, output_dir, "09-contrat-enregistre")

        # Suivi dans l'emploi: the contract's log, a phone call noted
        open_page(page, "Suivi dans l'emploi")
        page.get_by_text("Journal d'un contrat", exact=True).click()
        wait_idle(page)
        choose(page, "Contrat", f"{PERSON} — {COMPANY}")
        page.get_by_text("Aucun suivi noté pour ce contrat.").wait_for(timeout=TIMEOUT)
        call = form_of(page, "Enregistrer le suivi")
        expect(call.locator("[data-testid='stSelectbox']").get_by_role("combobox")).to_have_value("Appel")
        call.get_by_role("textbox", name="Notes").fill(CALL_NOTE)
        submit(page, "Enregistrer le suivi")
        page.get_by_text(f"Appel du {TODAY:%d/%m/%Y} noté.").wait_for(timeout=TIMEOUT)
        expect(page.get_by_text("Aucun suivi noté pour ce contrat.")).to_have_count(0)
        shot(page, output_dir, "10-suivi-appel")
    except Exception:
        page.screenshot(path=str(output_dir / "echec.png"), full_page=True)  # what the page showed
        raise
    finally:
        stop_server(server)

    engine = db.make_engine(sqlite_url)
    with Session(engine) as session:
        candidacy = session.exec(select(Candidacy)).one()
        offer = session.exec(select(JobOffer)).one()
        events = session.exec(
            select(CandidacyEvent).where(CandidacyEvent.candidacy_id == candidacy.id).order_by(CandidacyEvent.id)
        ).all()
        contract = session.exec(select(EmploymentContract)).one()
        calls = session.exec(select(FollowUp)).all()
    engine.dispose()
    assert (offer.title, offer.lot_id, offer.trade_code) == (OFFER, ids["lot"], "F1703")
    assert offer.company_id == ids["company"]
    assert (offer.start_date, offer.end_date, offer.requirements) == (START, END, "B")
    assert offer.status is OfferStatus.FILLED
    assert (candidacy.offer_id, candidacy.participant_id, candidacy.score) == (offer.id, ids["person"], 100)
    assert candidacy.status is CandidacyStatus.HIRED and candidacy.in_charge == "sophie"
    assert (candidacy.check_pathway, candidacy.check_motivation, candidacy.check_eligibility, candidacy.check_fit) == (
        True,
        True,
        True,
        True,
    )
    assert candidacy.check_comment == COMMENT and candidacy.checked_by == "sophie"
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, CandidacyStatus.POSITIONED),
        (CandidacyStatus.POSITIONED, CandidacyStatus.CHECKED),
        (CandidacyStatus.CHECKED, CandidacyStatus.VALIDATED),
        (CandidacyStatus.VALIDATED, CandidacyStatus.PRESENTED),
        (CandidacyStatus.PRESENTED, CandidacyStatus.HIRED),
    ]
    assert {e.by for e in events} == {"sophie"} and events[2].comment == VALIDATION_NOTE
    assert (contract.participant_id, contract.candidacy_id) == (ids["person"], candidacy.id)
    assert contract.offer_id == offer.id
    assert (contract.employer_company_id, contract.user_company_id, contract.commitment_id) == (
        ids["company"],
        ids["company"],
        ids["commitment"],
    )
    assert (contract.contract_type_code, contract.start_date, contract.planned_end) == ("cdd", START, END)
    assert contract.weekly_hours_h100 == 3500 and contract.in_charge == "sophie" and contract.actual_end is None
    assert [(c.contract_id, c.on, c.kind, c.by, c.notes) for c in calls] == [
        (contract.id, TODAY, FollowUpKind.CALL, "sophie", CALL_NOTE)
    ]
