"""Administration › Utilisateurs: create users, change role, deactivate, reset a password."""

import pandas as pd
import streamlit as st

from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date
from clausier.services import users
from models.enums import Role
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import conflict_notice, error, field_error, require_role, save_seen, seen, success, table

ROLE_HELP = (
    "Administrateur : tout, plus les utilisateurs, référentiels, sauvegardes et la purge RGPD. "
    "Saisie : créer et modifier les données, importer, produire les bilans. "
    "Lecture : consulter et télécharger les bilans, sans modification ni export de données personnelles."
)


def _flash() -> None:
    message = st.session_state.pop("users_flash", None)
    for text in [message] if isinstance(message, str) else message or []:
        success(text)


def render() -> None:
    admin = require_role(Role.ADMIN)
    st.title("Utilisateurs")
    _flash()
    with session_scope() as session:
        people = users.list_users(session)

    frame = pd.DataFrame(
        {
            "Identifiant": [u.login for u in people],
            "Nom": [u.name for u in people],
            "E-mail": [u.email for u in people],
            "Rôle": [u.role.label for u in people],
            "Actif": [u.active for u in people],
            "Dernière connexion": [fmt_date(u.last_login_at) for u in people],
        }
    )
    table(frame)
    download_buttons(frame, "utilisateurs", personal_data=True)

    create, edit, reset = st.tabs(["Créer un utilisateur", "Modifier un utilisateur", "Réinitialiser un mot de passe"])
    with create:
        _create_form(admin)
    with edit:
        _edit_form(admin, people)
    with reset:
        _reset_form(admin, people)


def _create_form(admin: users.CurrentUser) -> None:
    errors: dict[str, str] = st.session_state.get("user_create_errors", {})
    with st.form("user_create"):
        name = st.text_input("Nom et prénom", key="uc_name")
        field_error(errors, "name")
        login = st.text_input("Identifiant", key="uc_login", help="Lettres minuscules sans accent, chiffres, . _ -")
        field_error(errors, "login")
        email = st.text_input("E-mail", key="uc_email")
        field_error(errors, "email")
        role = st.selectbox("Rôle", list(Role), format_func=lambda r: r.label, index=1, key="uc_role", help=ROLE_HELP)
        password = st.text_input("Mot de passe provisoire", type="password", key="uc_pw")
        password2 = st.text_input("Mot de passe provisoire (confirmation)", type="password", key="uc_pw2")
        field_error(errors, "password")
        submitted = st.form_submit_button("Créer l'utilisateur", type="primary")
    if not submitted:
        return
    try:
        with session_scope() as session:
            users.require(admin, Role.ADMIN)
            users.create_user(
                session,
                login=login,
                name=name,
                email=email,
                password=password,
                password2=password2,
                role=role,
                by=admin.login,
                temporary_password=True,
            )
    except ValidationError as exc:
        st.session_state["user_create_errors"] = exc.errors
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state.pop("user_create_errors", None)
    for key in ("uc_name", "uc_login", "uc_email", "uc_pw", "uc_pw2"):
        st.session_state.pop(key, None)
    st.session_state["users_flash"] = (
        f"Utilisateur « {login.strip().lower()} » créé ; il choisira son mot de passe à la première connexion."
    )
    st.rerun()


def _pick(people: list, key: str):
    return st.selectbox("Utilisateur", people, format_func=lambda u: f"{u.name} ({u.login})", key=key)


def _edit_form(admin: users.CurrentUser, people: list) -> None:
    if not people:
        return
    chosen = _pick(people, "ue_pick")
    prefix = f"ue_{chosen.id}_"
    # The version of the user as the form was first drawn: a colleague's save in between is refused with a
    # message (what was typed kept), never overwritten.
    version = seen("ue_seen", chosen.id, chosen.version, prefix=prefix)
    conflict_notice("ue_seen", prefix)
    errors: dict[str, str] = st.session_state.get("user_edit_errors", {})
    with st.form(f"user_edit_{chosen.id}"):
        name = st.text_input("Nom et prénom", value=chosen.name, key=f"{prefix}name")
        field_error(errors, "name")
        email = st.text_input("E-mail", value=chosen.email, key=f"{prefix}email")
        field_error(errors, "email")
        role = st.selectbox(
            "Rôle",
            list(Role),
            index=list(Role).index(chosen.role),
            format_func=lambda r: r.label,
            help=ROLE_HELP,
            key=f"{prefix}role",
        )
        active = st.checkbox(
            "Compte actif",
            value=chosen.active,
            help="Un compte désactivé ne peut plus se connecter ; son historique est gardé.",
            key=f"{prefix}active",
        )
        submitted = st.form_submit_button("Enregistrer", type="primary")
    if submitted:
        save_seen(
            lambda session: users.update_user(
                session, admin, chosen.id, version, name=name, email=email, role=role, active=active
            ),
            key="ue_seen",
            errors_key="user_edit_errors",
            flash_key="users_flash",
            message=f"Utilisateur « {chosen.login} » enregistré.",
        )


def _reset_form(admin: users.CurrentUser, people: list) -> None:
    if not people:
        return
    chosen = _pick(people, "ur_pick")
    version = seen("ur_seen", chosen.id, chosen.version, prefix="ur_pw")  # the user as the admin chose them
    conflict_notice("ur_seen", "ur_pw")
    errors: dict[str, str] = st.session_state.get("user_reset_errors", {})
    with st.form("user_reset"):
        password = st.text_input("Nouveau mot de passe provisoire", type="password", key="ur_pw")
        password2 = st.text_input("Confirmation", type="password", key="ur_pw2")
        field_error(errors, "password")
        submitted = st.form_submit_button("Réinitialiser le mot de passe", type="primary")
    if submitted:
        save_seen(
            lambda session: users.reset_password(session, admin, chosen.id, version, password, password2),
            key="ur_seen",
            errors_key="user_reset_errors",
            flash_key="users_flash",
            message=(
                f"Mot de passe de « {chosen.login} » réinitialisé : il devra le changer à sa prochaine connexion."
            ),
            clear_prefix="ur_pw",
        )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
