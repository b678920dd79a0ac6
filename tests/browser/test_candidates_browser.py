"""Issue 5 in a real browser: an offer is created, the pool ranked, a participant positioned, checked, validated,
presented and hired; the contract form arrives pre-filled and is saved; a phone call is logged in the follow-up."""

from __future__ import annotations

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
        save(session, ParticipantTrade(participant_id=person.id, trade_code="F1703", experience=ExperienceLevel.CONFIRMED))
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


def tick_first_row(page) -> None:
    """Tick the « Choisir » cell of the first row of the ranked table (a canvas-drawn glide data grid)."""
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 25, box["y"] + 35 + 17)


def test_offer_matching_candidacy_contract_and_follow_up(browser, sqlite_url, output_dir):
    ids = _world(sqlite_url)
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.goto(server.url + "/offres", timeout=TIMEOUT)
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        do_login(page, "sophie", PASSWORD)
        page.get_by_role("heading", name="Offres d'emploi").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)

        # Offres d'emploi: the company's need becomes an offer (the trade comes from the lot)
        open_tab(page, "Nouvelle offre", "Intitulé du poste")
        form = page.get_by_role("tabpanel", name="Nouvelle offre")
        choose_in(page, form, "Entreprise", f"{COMPANY} ({ids['siret']})")
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
    finally:
        stop_server(server)
