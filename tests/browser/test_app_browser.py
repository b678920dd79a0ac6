"""The main user paths in a real browser: first run, logout, login, every page, deep links logged out."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from clausier import db
from clausier.services.users import hash_password
from models import User
from models.enums import Role
from tests.browser.conftest import start_server, stop_server
from ui.navigation import PAGES

pytestmark = pytest.mark.browser
PASSWORD = "Tilleul-Velo-Maree-42"
TIMEOUT = 30_000


def field(page, label: str):
    """A text or password input by its exact label (help buttons share the label, so match the input itself)."""
    return page.locator(f'input[aria-label="{label}"]')


def wait_idle(page, quiet_ms: int = 800) -> None:
    """Wait until Streamlit has finished the runs started by the last action and stays quiet for a while:
    the cookie component reports back after a run and starts another one, where a click would get lost."""
    status = page.locator("[data-testid='stStatusWidget']")
    for _ in range(40):
        page.wait_for_timeout(quiet_ms)
        if status.count() == 0 or not status.first.is_visible():
            page.wait_for_timeout(quiet_ms)
            if status.count() == 0 or not status.first.is_visible():
                return
        status.first.wait_for(state="hidden", timeout=TIMEOUT)
    raise AssertionError("l'application ne devient pas inactive")


def do_login(page, login: str, password: str) -> None:
    wait_idle(page)
    field(page, "Identifiant").fill(login)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    wait_idle(page)


def test_first_run_logout_login_and_every_page(browser, sqlite_url, output_dir):
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
        page.goto(server.url, timeout=TIMEOUT)
        page.get_by_text("Bienvenue dans Clausier").wait_for(timeout=TIMEOUT)
        field(page, "Nom et prénom").fill("Marie Dupont")
        field(page, "Identifiant de connexion").fill("mdupont")
        field(page, "Adresse e-mail").fill("marie.dupont@plie.test")
        field(page, "Mot de passe").fill(PASSWORD)
        field(page, "Mot de passe (confirmation)").fill(PASSWORD)
        page.get_by_role("button", name="Créer le compte administrateur").click()
        page.get_by_text("Compte administrateur créé").wait_for(timeout=TIMEOUT)
        page.get_by_role("button", name="Aller à la connexion").click()
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)

        do_login(page, "mdupont", PASSWORD)
        page.get_by_role("heading", name="Tableau de bord").first.wait_for(timeout=TIMEOUT)
        page.get_by_role("button", name="Se déconnecter").click()
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        wait_idle(page)
        page.wait_for_function("() => !document.cookie.includes('clausier_auth')", timeout=TIMEOUT)

        page.reload()
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)  # the cookie was really deleted
        do_login(page, "mdupont", "pas-le-bon-mot-de-passe")
        page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for(timeout=TIMEOUT)
        do_login(page, "mdupont", PASSWORD)
        page.get_by_role("heading", name="Tableau de bord").first.wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(output_dir / "tableau-de-bord.png"), full_page=True)

        for spec in PAGES:
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=spec.title, exact=True).click()
            page.get_by_role("heading", name=spec.title).first.wait_for(timeout=TIMEOUT)
            wait_idle(page)
            assert page.locator("[data-testid='stException']").count() == 0, spec.title
            page.screenshot(path=str(output_dir / f"{spec.url_path}.png"), full_page=True)

        page.reload()  # the login cookie keeps the session, and the address its page, across a reload
        page.get_by_role("heading", name=PAGES[-1].title).first.wait_for(timeout=TIMEOUT)
        assert page.url.endswith("/" + PAGES[-1].url_path)
    finally:
        stop_server(server)


def test_deep_link_first_thing_after_start_shows_login_then_the_page(browser, sqlite_url, output_dir):
    engine = db.make_engine(sqlite_url)
    with Session(engine) as session:
        session.add(
            User(
                login="admin",
                name="Anne Admin",
                email="a@plie.test",
                password_hash=hash_password(PASSWORD),
                role=Role.ADMIN,
            )
        )
        session.commit()
    engine.dispose()
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server.url + "/utilisateurs", timeout=TIMEOUT)  # the very first request of this server
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        wait_idle(page)
        body = page.locator("body").inner_text()
        assert "Anne Admin" not in body and "a@plie.test" not in body
        assert page.get_by_role("heading", name="Utilisateurs").count() == 0
        page.screenshot(path=str(output_dir / "lien-direct-deconnecte.png"))
        do_login(page, "admin", PASSWORD)
        page.get_by_role("heading", name="Utilisateurs").first.wait_for(timeout=TIMEOUT)
        assert re.search(r"/utilisateurs$", page.url)
        page.get_by_test_id("stDataFrame").first.wait_for(timeout=TIMEOUT)  # the users table, once logged in
        page.screenshot(path=str(output_dir / "utilisateurs-apres-connexion.png"))
    finally:
        stop_server(server)
