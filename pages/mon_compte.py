"""My account: see who I am, change my password."""

from datetime import UTC, datetime

import streamlit as st

from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date
from clausier.services import users
from models.enums import Role
from ui import auth
from ui.db import session_scope
from ui.widgets import error, field_error, require_role


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Mon compte")
    st.text(f"Nom : {user.name}\nIdentifiant : {user.login}\nRôle : {user.role.label}")
    st.subheader("Changer mon mot de passe")
    errors: dict[str, str] = st.session_state.get("account_errors", {})
    # Cleared in the browser at each submit: passwords are typed again, and popping the keys on the server would
    # leave the browser sending the old values back at the next rerun (the new cookie's, for one).
    with st.form("change_password", clear_on_submit=True):
        old = st.text_input("Mot de passe actuel", type="password", key="pw_old")
        field_error(errors, "old")
        new = st.text_input(
            "Nouveau mot de passe",
            type="password",
            help=f"Au moins {users.MIN_PASSWORD_LENGTH} caractères, difficile à deviner.",
            key="pw_new",
        )
        new2 = st.text_input("Nouveau mot de passe (confirmation)", type="password", key="pw_new2")
        field_error(errors, "password")
        submitted = st.form_submit_button("Changer le mot de passe", type="primary")
    saved = st.session_state.get("account_saved")  # kept, with its time: reruns to come must not wipe it
    if saved:
        st.success(
            f"Mot de passe changé le {saved}. Vos sessions ouvertes ailleurs (autres navigateurs, autres postes) "
            "sont fermées."
        )
    if not submitted:
        return
    st.session_state.pop("account_saved", None)
    try:
        with session_scope() as session:
            started = users.change_own_password(session, user.login, old, new, new2)
    except ValidationError as exc:
        st.session_state["account_errors"] = exc.errors
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    auth.adopt_session(user.login, started)  # every session of the user ended: this tab carries on with a new one
    st.session_state.pop("account_errors", None)
    st.session_state["account_saved"] = fmt_date(datetime.now(UTC))
    st.rerun()


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
