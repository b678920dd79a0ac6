"""Administration screens through their forms, as an admin; and each screen's own role check."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from clausier import db, settings
from clausier.services import reference
from models import AuditEvent, Commune, User, WorkKind
from models.enums import Role
from tests.pages.conftest import PASSWORD, logged_in, open_url_path
from ui.navigation import PAGES


def _render_as(module: str, role: Role | None) -> AppTest:
    def script(module_name: str, role_value: str | None) -> None:
        import importlib

        import streamlit as st

        from clausier.services.users import CurrentUser
        from models.enums import Role as R

        if role_value:
            st.session_state["clausier_user"] = CurrentUser(login="x", name="X", role=R(role_value))
        importlib.import_module(module_name).render()

    return AppTest.from_function(script, args=(module, role.value if role else None), default_timeout=60)


@pytest.mark.parametrize("spec", [s for s in PAGES if s.role is Role.ADMIN], ids=lambda s: s.url_path)
@pytest.mark.parametrize("role", [Role.SAISIE, Role.LECTURE, None])
def test_admin_screen_checks_the_role_itself(with_users, spec, role):
    at = _render_as(spec.render.__module__, role).run()
    assert not at.exception
    assert not at.title and not at.button and not at.dataframe
    assert at.error or at.warning


def _users_page() -> AppTest:
    at = logged_in(Role.ADMIN).run()
    return open_url_path(at, "utilisateurs").run()


def _user(url: str, login: str) -> User | None:
    with Session(db.get_engine(url)) as session:
        return session.exec(select(User).where(User.login == login)).first()


def test_admin_creates_a_user_who_must_change_password(with_users):
    at = _users_page()
    at.text_input(key="uc_name").input("Nadia Benali")
    at.text_input(key="uc_login").input("nbenali")
    at.text_input(key="uc_email").input("nadia@plie.test")
    at.selectbox(key="uc_role").set_value(Role.SAISIE)
    at.text_input(key="uc_pw").input(PASSWORD)
    at.text_input(key="uc_pw2").input(PASSWORD)
    next(b for b in at.button if b.label == "Créer l'utilisateur").click().run()
    assert not at.exception
    assert any("nbenali" in s.value for s in at.success), (
        [e.value for e in at.error],
        [t.value for t in at.title],
        [s.value for s in at.success],
        [b.label for b in at.button],
    )
    user = _user(with_users, "nbenali")
    assert user is not None and user.role is Role.SAISIE and user.must_change_password
    assert "nbenali" in at.dataframe[0].value["Identifiant"].tolist()


def test_create_user_refused_keeps_the_form(with_users):
    at = _users_page()
    at.text_input(key="uc_name").input("Nadia Benali")
    at.text_input(key="uc_login").input("sophie")  # taken
    at.text_input(key="uc_email").input("nadia@plie.test")
    at.text_input(key="uc_pw").input("court")
    at.text_input(key="uc_pw2").input("court")
    next(b for b in at.button if b.label == "Créer l'utilisateur").click().run()
    messages = " ".join(e.value for e in at.error)
    assert "déjà pris" in messages and "au moins 10 caractères" in messages
    assert at.text_input(key="uc_name").value == "Nadia Benali"
    assert at.text_input(key="uc_email").value == "nadia@plie.test"


def test_admin_changes_a_role_and_deactivates(with_users):
    at = _users_page()
    people = at.selectbox(key="ue_pick").options
    target = next(i for i, label in enumerate(people) if "louis" in label)
    at.selectbox(key="ue_pick").select_index(target).run()
    form_selects = [s for s in at.selectbox if s.label == "Rôle" and s.key != "uc_role"]
    form_selects[0].set_value(Role.SAISIE)
    next(c for c in at.checkbox if c.label == "Compte actif").uncheck()
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception
    louis = _user(with_users, "louis")
    assert louis.role is Role.SAISIE and not louis.active and louis.version == 2
    with Session(db.get_engine(with_users)) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.table_name == "app_user", AuditEvent.action == "modification")
        ).one()
    assert "désactivé" in event.summary and event.who == "admin"


def test_last_admin_cannot_demote_itself(with_users):
    at = _users_page()
    people = at.selectbox(key="ue_pick").options
    at.selectbox(key="ue_pick").select_index(next(i for i, p in enumerate(people) if "(admin)" in p)).run()
    [s for s in at.selectbox if s.label == "Rôle" and s.key != "uc_role"][0].set_value(Role.LECTURE)
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert any("au moins un administrateur actif" in e.value for e in at.error)
    assert _user(with_users, "admin").role is Role.ADMIN


def test_admin_edits_the_territory(with_users):
    at = logged_in(Role.ADMIN).run()
    at = open_url_path(at, "territoire").run()
    assert at.title[0].value == "Territoire"
    at.session_state["communes_editor"] = {
        "edited_rows": {},
        "added_rows": [
            {
                "Commune": "Bergues",
                "Code INSEE": "59067",
                "Codes postaux": "59380",
                "EPCI": "CCHF",
                "Dans le territoire": True,
            }
        ],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Enregistrer les communes").click().run()
    assert not at.exception
    with Session(db.get_engine(with_users)) as session:
        bergues = session.exec(select(Commune).where(Commune.name == "Bergues")).one()
    assert (bergues.insee_code, bergues.epci, bergues.postal_codes) == ("59067", "CCHF", "59380")


def test_territory_refuses_a_bad_insee_code_and_writes_nothing(with_users):
    at = open_url_path(logged_in(Role.ADMIN).run(), "territoire").run()
    at.session_state["communes_editor"] = {
        "edited_rows": {},
        "added_rows": [{"Commune": "Bergues", "Code INSEE": "5906", "EPCI": "CCHF"}],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Enregistrer les communes").click().run()
    assert any("code INSEE « 5906 »" in e.value for e in at.error)
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(Commune).where(Commune.name == "Bergues")).first() is None


def test_admin_changes_a_setting_and_a_kind_of_work(with_users):
    at = open_url_path(logged_in(Role.ADMIN).run(), "parametres").run()
    at.number_input(key="setting_eligibility_validity_months").set_value(18)
    next(b for b in at.button if b.label == "Enregistrer les paramètres").click().run()
    assert not at.exception
    with Session(db.get_engine(with_users)) as session:
        assert settings.get(session, "eligibility_validity_months") == 18
    at.session_state["work_kinds_editor"] = {
        "edited_rows": {0: {"Part de main-d'œuvre (%)": 55.5}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Enregistrer les natures de travaux").click().run()
    assert not at.exception
    with Session(db.get_engine(with_users)) as session:
        first_shown = reference.list_work_kinds(session)[0]  # the editor lists them in this order
        changed = [k.code for k in session.exec(select(WorkKind)) if k.labour_share_bp == 5550]
    assert changed == [first_shown.code]


def test_audit_page_lists_the_actions_and_filters_them(with_users):
    from clausier.services import audit

    with Session(db.get_engine(with_users)) as session:
        audit.record(session, "sophie", "création", "buyer", 7, "Communauté urbaine de Dunkerque")
        audit.record(session, "louis", "export", "buyer", "", "donneurs-ordre.csv")
        session.commit()
    at = open_url_path(logged_in(Role.ADMIN).run(), "journal").run()
    assert at.title[0].value == "Journal des actions"
    assert set(at.dataframe[0].value["Utilisateur"]) == {"sophie", "louis"}
    at.text_input[0].input("Sophie").run()  # the filter ignores case
    frame = at.dataframe[0].value
    assert frame["Utilisateur"].tolist() == ["sophie"] and frame["Détail"].tolist() == [
        "Communauté urbaine de Dunkerque"
    ]
