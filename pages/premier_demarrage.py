"""First run: create the first administrator, and optionally load the S demo territory."""

import streamlit as st

from clausier.errors import DomainError, ValidationError
from clausier.services import users
from ui import cached
from ui.db import engine, session_scope
from ui.widgets import error, field_error


def render() -> None:
    st.title("Bienvenue dans Clausier")
    st.write(
        "La base de données est prête. Créez le premier compte administrateur : il pourra ensuite créer "
        "les comptes de l'équipe (saisie, lecture) depuis la page Administration."
    )
    errors: dict[str, str] = st.session_state.get("first_run_errors", {})
    with st.form("first_admin"):
        name = st.text_input("Nom et prénom")
        field_error(errors, "name")
        login = st.text_input("Identifiant de connexion", help="Lettres minuscules sans accent, chiffres, . _ -")
        field_error(errors, "login")
        email = st.text_input("Adresse e-mail")
        field_error(errors, "email")
        password = st.text_input(
            "Mot de passe",
            type="password",
            help=f"Au moins {users.MIN_PASSWORD_LENGTH} caractères, difficile à deviner.",
        )
        password2 = st.text_input("Mot de passe (confirmation)", type="password")
        field_error(errors, "password")
        demo = st.checkbox(
            "Charger le territoire de démonstration (taille S : 300 participants, 60 opérations)",
            help="Des données fictives pour découvrir l'outil ; à ne pas charger pour un usage réel.",
        )
        submitted = st.form_submit_button("Créer le compte administrateur", type="primary")
    if not submitted:
        return
    try:
        with session_scope() as session:
            users.create_first_admin(
                session, login=login, name=name, email=email, password=password, password2=password2
            )
    except ValidationError as exc:
        st.session_state["first_run_errors"] = exc.errors
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state.pop("first_run_errors", None)
    if demo:
        from clausier import demo as demo_data

        with st.spinner("Chargement du territoire de démonstration…"):
            report = demo_data.generate(engine(), size="S")
        cached.clear()
        st.success(f"Territoire de démonstration chargé ({report.participants} participants).")
    st.success("Compte administrateur créé. Vous pouvez maintenant vous connecter.")
    st.button("Aller à la connexion", type="primary")


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
