"""Page tests: the real app.py under AppTest, on a fresh SQLite database with one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from clausier import db
from clausier.services import login_sessions, users
from clausier.services.users import hash_password
from models import User
from models.enums import Role
from ui.auth import SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PASSWORD = "Tilleul-Velo-Maree-42"
LOGINS = {Role.ADMIN: "admin", Role.SAISIE: "sophie", Role.LECTURE: "louis"}


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def app_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL for the app, a fixed cookie key, and Streamlit's caches cleared (they outlive a test)."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CLAUSIER_COOKIE_KEY", "k" * 48)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield sqlite_url
    st.cache_data.clear()
    st.cache_resource.clear()
    db.dispose_engines()


@pytest.fixture
def with_users(app_db: str, password_hash: str) -> str:
    engine = db.get_engine(app_db)
    with Session(engine) as session:
        for role, login in LOGINS.items():
            session.add(
                User(
                    login=login,
                    name=f"{login.title()} Test",
                    email=f"{login}@plie.test",
                    password_hash=password_hash,
                    role=role,
                )
            )
        session.commit()
    return app_db


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def logged_in(role: Role) -> AppTest:
    """The app as a user of this role sees it once logged in: streamlit-authenticator's session state and the
    token of a login session opened in the database (checked on every run)."""
    at = new_app()
    with db.session_scope(db.get_engine()) as session:
        user = users.get_by_login(session, LOGINS[role])
        token = login_sessions.start(session, user.id).token
    at.session_state["authentication_status"] = True
    at.session_state["username"] = LOGINS[role]
    at.session_state["name"] = f"{LOGINS[role].title()} Test"
    at.session_state[SESSION_KEY] = token
    return at


def open_url_path(at: AppTest, url_path: str) -> AppTest:
    """Ask for the page registered under ``url_path``, as a browser would by its address.

    AppTest.switch_page only takes file paths; st.Page identifies a page by the hash of its url_path
    (streamlit.navigation.page.StreamlitPage._script_hash), which is what a browser's address selects."""
    at._page_hash = calc_hash(url_path)
    return at


def login(at: AppTest, login_name: str, password: str) -> AppTest:
    inputs = {ti.label: ti for ti in at.text_input}
    inputs["Identifiant"].input(login_name)
    inputs["Mot de passe"].input(password)
    next(b for b in at.button if b.label == "Se connecter").click()
    return at.run()


def texts(at: AppTest) -> str:
    """Everything visible as text, to check that no data leaks."""
    parts = [t.value for t in at.title] + [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    parts += [h.value for h in at.subheader] + [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [str(df.value) for df in at.dataframe]
    return "\n".join(parts)
