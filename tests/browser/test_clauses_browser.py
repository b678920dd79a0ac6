"""A clause set up in a real browser: buyer → operation → lot with computed hours → company → commitment."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from clausier import db
from clausier.services.users import hash_password
from models import Commitment, Lot, User
from models.enums import Role
from tests.browser.conftest import OUTPUT, start_server, stop_server
from tests.browser.test_app_browser import PASSWORD, TIMEOUT, do_login, field, wait_idle
from tests.builders import valid_siret

pytestmark = pytest.mark.browser


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit select box (or multiselect) by its label; checked, and tried again when a
    rerun redrew the box under the click."""
    box = (
        page.locator("[data-testid='stSelectbox'], [data-testid='stMultiSelect']")
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
            page.keyboard.press("Escape")  # a multiselect stays open after a choice (Escape would clear a select box)
        wait_idle(page)
        shown = box.evaluate("el => el.innerText + ' ' + [...el.querySelectorAll('input')].map(i => i.value).join(' ')")
        if option in shown or box.get_by_text(option, exact=False).count():
            return
    page.screenshot(path=str(OUTPUT / "choix-impossible.png"), full_page=True)
    raise AssertionError(f"impossible de choisir « {option} » dans « {label} » : {box.inner_text()!r}")


def open_tab(page, name: str, then_label: str) -> None:
    """Click a tab until the field ``then_label`` shows (a rerun may redraw the tabs under the click)."""
    for _ in range(5):
        wait_idle(page)
        page.get_by_role("tab", name=name).click()
        try:
            field(page, then_label).wait_for(timeout=3_000)
            return
        except Exception:  # noqa: BLE001 - redrawn during the click: try again
            continue
    page.screenshot(path=str(OUTPUT / "onglet-introuvable.png"), full_page=True)
    raise AssertionError(f"l'onglet « {name} » ne s'ouvre pas")


def button(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def open_page(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=TIMEOUT)
    wait_idle(page)


def test_clause_setup_in_the_browser(browser, sqlite_url, output_dir):
    engine = db.make_engine(sqlite_url)
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
        session.commit()
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.goto(server.url, timeout=TIMEOUT)
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        do_login(page, "sophie", PASSWORD)
        page.get_by_role("heading", name="Tableau de bord").first.wait_for(timeout=TIMEOUT)

        open_page(page, "Donneurs d'ordre")
        open_tab(page, "Nouveau donneur d'ordre", "Nom")
        field(page, "Nom").fill("Communauté urbaine de Dunkerque")
        button(page, "Créer le donneur d'ordre")
        page.get_by_text("Donneur d'ordre « Communauté urbaine de Dunkerque » créé.").wait_for(timeout=TIMEOUT)

        open_page(page, "Opérations et lots")
        open_tab(page, "Nouvelle opération", "Nom de l'opération")
        choose(page, "Donneur d'ordre", "Communauté urbaine de Dunkerque")
        field(page, "Nom de l'opération").fill("Groupe scolaire Lamartine")
        button(page, "Créer l'opération")
        page.get_by_text("Opération « Groupe scolaire Lamartine » créée.").wait_for(timeout=TIMEOUT)
        choose(page, "Opération", "Groupe scolaire Lamartine (Communauté urbaine de Dunkerque)")
        open_tab(page, "Nouveau lot", "Référence")
        field(page, "Référence").fill("Lot 01")
        field(page, "Intitulé").fill("Gros œuvre")
        choose(page, "Nature de travaux (valeurs par défaut du calcul)", "Bâtiment – gros œuvre, maçonnerie")
        amount = field(page, "Montant HT (€)")
        amount.fill("1000000")
        amount.press("Enter")
        wait_idle(page)
        page.get_by_test_id("stMetricValue").filter(has_text="833 h").wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(output_dir / "calcul-des-heures.png"), full_page=True)
        button(page, "Créer le lot")
        page.get_by_text("Lot « Lot 01 » créé.").wait_for(timeout=TIMEOUT)

        open_page(page, "Entreprises")
        open_tab(page, "Nouvelle entreprise", "SIRET")
        siret = valid_siret()
        field(page, "SIRET").fill(f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}")
        field(page, "Raison sociale").fill("Bâtiments de Flandre")
        button(page, "Créer l'entreprise")
        page.get_by_text("Entreprise « Bâtiments de Flandre » créée.").wait_for(timeout=TIMEOUT)

        open_page(page, "Engagements")
        choose(page, "Lot", "Groupe scolaire Lamartine — Lot 01 Gros œuvre")
        choose(page, "Entreprise attributaire, ou entreprises du groupement", f"Bâtiments de Flandre ({siret})")
        button(page, "Enregistrer l'attribution")
        page.get_by_text("Attribution du lot « Lot 01 » enregistrée.").wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(output_dir / "engagements.png"), full_page=True)
    finally:
        stop_server(server)
    with Session(engine) as session:
        lot = session.exec(select(Lot)).one()
        commitment = session.exec(select(Commitment)).one()
    assert (lot.hours_computed_h100, lot.hours_contractual_h100) == (83_300, 83_300)
    assert commitment.hours_committed_h100 == 83_300
    engine.dispose()
