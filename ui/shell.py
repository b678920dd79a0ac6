"""The whole app around the screens: page config, first run, login gate, navigation by role.

``app.py`` calls ``main()``. Each file of ``pages/`` calls it too when Streamlit runs that file directly
(``__name__ == "__main__"``), which happens when a page's address is opened before any run of the process
has called ``st.navigation`` (DESIGN §7): the visitor then gets the same login gate, never the screen."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def _leave_pages_directory_mode() -> None:
    """Streamlit decides once per process, from the mere existence of ``pages/``, to route every run through
    its legacy "pages directory" mode, which runs ``pages/<name>.py`` by itself for the address /<name>.
    Our screens are functions handed to st.navigation, so switch that legacy mode off for the following runs."""
    PagesManager.uses_pages_directory = False


def main() -> None:
    _leave_pages_directory_mode()
    st.set_page_config(page_title="Clausier", page_icon="🧾", layout="wide")

    from pages import premier_demarrage
    from ui import auth, navigation
    from ui.widgets import md_escape

    if auth.needs_first_run():
        st.navigation(
            [st.Page(premier_demarrage.render, title="Premier démarrage", url_path="premier-demarrage", default=True)],
            position="hidden",
        ).run()
        return

    user = auth.login_gate()  # checks this tab's login session in the database on every run
    if user is None:
        st.navigation(navigation.login_aliases(), position="hidden").run()
        auth.sync_cookie()
        return
    with st.sidebar:
        st.markdown("**Clausier**")
        st.caption(md_escape(f"{user.name} · {user.role.label}"))
        auth.logout_button()
        auth.sync_cookie()  # early in the run (the cookie's report comes sooner), last in the sidebar (moves nothing)

    if auth.must_change_password(user.login):
        st.warning("Votre mot de passe a été réinitialisé : choisissez-en un nouveau avant de continuer.")
        page = st.navigation(navigation.only_account_page())
    else:
        page = st.navigation(navigation.pages_for(user.role), expanded=True)
    run_page(page)


def run_page(page) -> None:
    """Run the chosen screen; an unexpected error shows a French apology with a reference, and its traceback
    goes to the server log under that reference (never Streamlit's English error box). Streamlit's own
    control flow (rerun, stop) derives from BaseException and passes through."""
    try:
        page.run()
    except Exception as exc:  # noqa: BLE001 — the last line of defence of a screen
        from clausier import incidents
        from ui.widgets import error

        error(incidents.apology(incidents.report(exc)))


def direct_run() -> None:
    """A page file run by its address before any st.navigation call of the process (DESIGN §7).

    Register the app's addresses, then rerun: the rerun goes through app.py, so the visitor gets the login
    form of the real app (its widgets belong to app.py and a login works on the first try), then the page."""
    _leave_pages_directory_mode()
    st.set_page_config(page_title="Clausier", page_icon="🧾", layout="wide")
    from ui import navigation

    st.navigation(navigation.login_aliases(), position="hidden")
    st.rerun()
