"""The login gate of app.py: first run, login form, deep links logged out, wrong passwords, lockout."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from clausier import db
from models import AuditEvent, User
from models.enums import Role
from tests.pages.conftest import PASSWORD, login, new_app, open_url_path, texts
from ui.navigation import PAGES

PAGE_FILES = sorted(f"pages/{spec.render.__module__.split('.')[-1]}.py" for spec in PAGES)


def test_first_start_shows_first_run_screen_and_creates_the_admin(app_db):
    at = new_app().run()
    assert not at.exception
    assert at.title[0].value == "Bienvenue dans Clausier"
    fields = {ti.label: ti for ti in at.text_input}
    fields["Nom et prénom"].input("Marie Dupont")
    fields["Identifiant de connexion"].input("mdupont")
    fields["Adresse e-mail"].input("marie.dupont@plie.test")
    fields["Mot de passe"].input(PASSWORD)
    fields["Mot de passe (confirmation)"].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert any("Compte administrateur créé" in s.value for s in at.success)
    with Session(db.get_engine(app_db)) as session:
        admin = session.exec(select(User)).one()
    assert (admin.login, admin.role, admin.name) == ("mdupont", Role.ADMIN, "Marie Dupont")
    assert admin.password_hash.startswith("$2b$") and PASSWORD not in admin.password_hash
    at.button[0].click().run()  # "Aller à la connexion"
    assert {ti.label for ti in at.text_input} == {"Identifiant", "Mot de passe"}


def test_first_run_form_refuses_a_weak_password_and_keeps_what_was_typed(app_db):
    at = new_app().run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Nom et prénom"].input("Marie Dupont")
    fields["Identifiant de connexion"].input("Marie Dupont")  # spaces and capitals: refused
    fields["Adresse e-mail"].input("pas-une-adresse")
    fields["Mot de passe"].input("azerty")
    fields["Mot de passe (confirmation)"].input("azertz")
    at.button[0].click().run()
    errors = " ".join(e.value for e in at.error)
    assert "identifiant doit faire" in errors
    assert "adresse e-mail n'est pas valide" in errors
    assert "ne sont pas identiques" in errors and "au moins 10 caractères" in errors
    fields = {ti.label: ti.value for ti in at.text_input}
    assert fields["Nom et prénom"] == "Marie Dupont" and fields["Adresse e-mail"] == "pas-une-adresse"
    with Session(db.get_engine(app_db)) as session:
        assert session.exec(select(User)).first() is None


@pytest.mark.parametrize("page_file", PAGE_FILES)
def test_logged_out_direct_page_file_shows_login_form_and_no_data(with_users, page_file):
    """DESIGN §7: before any run has called st.navigation, /<page> would run pages/<page>.py directly."""
    at = new_app()
    at.switch_page(page_file)
    at.run()
    assert not at.exception
    assert {ti.label for ti in at.text_input} == {"Identifiant", "Mot de passe"}
    assert not at.metric and not at.dataframe and not at.title


@pytest.mark.parametrize("url_path", [spec.url_path for spec in PAGES])
def test_logged_out_deep_link_shows_login_form_and_no_data(with_users, url_path):
    at = new_app().run()
    open_url_path(at, url_path).run()
    assert not at.exception
    assert {ti.label for ti in at.text_input} == {"Identifiant", "Mot de passe"}
    assert not at.metric and not at.dataframe and not at.title


def test_login_in_french_then_home_page(with_users):
    at = new_app().run()
    assert at.subheader[0].value == "Connexion à Clausier"
    assert [b.label for b in at.button] == ["Se connecter"]
    login(at, "sophie", PASSWORD)
    assert not at.exception
    assert at.title[0].value == "Tableau de bord"
    assert "Sophie Test" in " ".join(c.value for c in at.caption)


def test_login_is_case_insensitive_on_the_identifier(with_users):
    at = login(new_app().run(), "  Sophie ", PASSWORD)
    assert at.title[0].value == "Tableau de bord"


def test_wrong_password_gives_a_clear_french_message_and_no_detail(with_users):
    at = login(new_app().run(), "sophie", "mauvais-mot-de-passe")
    assert [e.value for e in at.error] == ["Identifiant ou mot de passe incorrect."]
    assert not at.title and not at.metric
    unknown = login(new_app().run(), "personne", "mauvais-mot-de-passe")
    assert [e.value for e in unknown.error] == ["Identifiant ou mot de passe incorrect."]  # same message: no leak


def test_five_failures_block_the_login_even_with_the_right_password(with_users):
    at = new_app().run()
    for _ in range(5):
        at = login(at, "sophie", "mauvais-mot-de-passe")
    assert "Trop de tentatives" in at.error[0].value
    at = login(new_app().run(), "sophie", PASSWORD)
    assert "Trop de tentatives" in at.error[0].value
    assert not at.title
    other = login(new_app().run(), "louis", PASSWORD)  # another login is not affected
    assert other.title[0].value == "Tableau de bord"
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "connexion bloquée")).first() is not None


def test_deactivated_user_session_is_closed_at_next_run(with_users):
    at = login(new_app().run(), "sophie", PASSWORD)
    assert at.title[0].value == "Tableau de bord"
    with Session(db.get_engine(with_users)) as session:
        user = session.exec(select(User).where(User.login == "sophie")).one()
        user.active = False
        session.add(user)
        session.commit()
    at.run()
    assert "n'est plus actif" in at.error[0].value
    assert not at.metric
    assert "Tableau de bord" not in texts(at)
