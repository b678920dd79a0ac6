"""The login gate: streamlit-authenticator over the users of the database, with French labels,
throttling of failed logins and the first-run check."""

from __future__ import annotations

import copy
from datetime import datetime

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities.exceptions import LoginError

from clausier import config
from clausier.formatting import fmt_date
from clausier.services import audit, users
from clausier.services.users import CurrentUser
from ui.db import session_scope

LOGIN_FIELDS = {
    "Form name": "Connexion à Clausier",
    "Username": "Identifiant",
    "Password": "Mot de passe",
    "Login": "Se connecter",
    "Captcha": "Code de vérification",
}
WRONG_CREDENTIALS = "Identifiant ou mot de passe incorrect."
# A bcrypt hash of a random string: checked for unknown logins so that they take as long as known ones.
_DUMMY_HASH = "$2b$12$C6UzMDM.H6dfI/f/IKxGhuY0nD7bB9wKQvGkfN3sGS1A3o6O/PXJ6"


def needs_first_run() -> bool:
    with session_scope() as session:
        return users.count_users(session) == 0


def _throttled(original, known_logins: set[str]):
    """Wrap the authenticator's login so that failures are counted per typed login and a blocked
    login is refused before its password is even checked."""

    def login(username=None, password=None, *args, **kwargs):
        if not username:  # re-login from the cookie, or an empty form
            return original(username, password, *args, **kwargs)
        typed = username.strip().lower()
        with session_scope() as session:
            until = users.locked_until(session, typed)
        if until is not None:
            st.session_state["clausier_locked_until"] = until
            st.session_state["authentication_status"] = False
            return False
        if typed not in known_logins:
            users.verify_password(password or "", _DUMMY_HASH)
        ok = original(username, password, *args, **kwargs)
        with session_scope() as session:
            if ok:
                users.record_success(session, typed)
                st.session_state.pop("clausier_locked_until", None)
            else:
                until = users.record_failure(session, typed)
                if until is not None:
                    st.session_state["clausier_locked_until"] = until
        return ok

    return login


def on_logout(info: dict) -> None:
    with session_scope() as session:
        audit.record(session, info.get("username") or "?", "déconnexion", "app_user")
    st.session_state.pop("clausier_user", None)


def authenticator() -> stauth.Authenticate:
    with session_scope() as session:
        credentials = copy.deepcopy(users.credentials(session))
    auth = stauth.Authenticate(
        credentials,
        config.cookie_name(),
        config.cookie_key(),
        cookie_expiry_days=config.cookie_expiry_days(),
        auto_hash=False,
    )
    auth.attrs["login_sleep_time"] = 0
    controller = auth.authentication_controller
    controller.login = _throttled(controller.login, set(credentials["usernames"]))
    return auth


def login_gate(auth: stauth.Authenticate) -> CurrentUser | None:
    """Draw the login form unless logged in; return the user as the database sees them now."""
    try:
        auth.login(location="main", fields=LOGIN_FIELDS, key="clausier_login")
    except LoginError:
        # A cookie of a user who was deactivated or removed meanwhile.
        st.session_state["authentication_status"] = None
        st.error("Votre compte n'est plus actif. Adressez-vous à l'administrateur.")
        return None
    status = st.session_state.get("authentication_status")
    if status:
        with session_scope() as session:
            user = users.current_user(session, st.session_state.get("username"))
        if user is None:
            auth.logout(location="unrendered")
            st.error("Votre compte n'est plus actif. Adressez-vous à l'administrateur.")
            return None
        st.session_state["clausier_user"] = user
        return user
    st.session_state.pop("clausier_user", None)
    locked: datetime | None = st.session_state.get("clausier_locked_until")
    if status is False:
        if locked is not None:
            st.error(
                f"Trop de tentatives de connexion pour cet identifiant : réessayez après le {fmt_date(locked.astimezone())}."
            )
        else:
            st.error(WRONG_CREDENTIALS)
    return None


def must_change_password(login: str) -> bool:
    with session_scope() as session:
        user = users.get_by_login(session, login)
        return bool(user and user.must_change_password)
