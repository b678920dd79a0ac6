"""The login gate (DESIGN §6, §7): the users of the database, a login session per login kept in the database,
streamlit-authenticator's signed cookie carrying that session's token, French labels, throttling of failed logins
and the first-run check.

A login is never lost (issue 10, item 12). Two things used to swallow a click on « Se connecter »:
- streamlit-authenticator's ``Authenticate`` draws extra-streamlit-components' cookie component on every run (to
  read all cookies, which the library no longer uses: it reads ``st.context.cookies``). Once the page has loaded,
  that component reports the browser's cookies, which starts a rerun; when the report reached a busy server
  while the run carrying the click was under way, Streamlit stopped that run before it reached the form's button
  and ran again without the click: the form stayed filled, with no message and no trace.
- the form's button was read in the script's body, so any rerun request arriving before the body got there
  cancelled it.
So the form is ours, and its button works through ``on_click``: Streamlit runs the callback at the start of the
run carrying the click, before anything can interrupt it. The cookie component is drawn only on the runs that
write or delete the cookie, until the browser says it has done so.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import jwt
import streamlit as st
from extra_streamlit_components.CookieManager import _component_func as cookie_component  # its one component
from sqlalchemy.exc import SQLAlchemyError
from streamlit_authenticator.controllers import AuthenticationController
from streamlit_authenticator.models import CookieModel

from clausier import config
from clausier.formatting import fmt_date
from clausier.services import audit, login_sessions, users
from clausier.services.users import CurrentUser
from models.enums import SessionEnd
from ui.db import session_scope

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Identifiant ou mot de passe incorrect."
INACTIVE = "Votre compte n'est plus actif. Adressez-vous à l'administrateur."
# A bcrypt hash of a random string: checked for unknown logins so that they take as long as known ones.
_DUMMY_HASH = "$2b$12$C6UzMDM.H6dfI/f/IKxGhuY0nD7bB9wKQvGkfN3sGS1A3o6O/PXJ6"

SESSION_KEY = "clausier_session"  # the token of this browser tab's login session (also in the cookie)
MESSAGE_KEY = "clausier_login_message"  # (kind, French text) shown with the login form
LOGIN_KEY = "clausier_login_id"
PASSWORD_KEY = "clausier_login_password"
_COOKIE_SET = "clausier_cookie_set"  # (value, expiry) the browser must store
_COOKIE_DELETE = "clausier_cookie_delete"  # True while the browser must drop the cookie


def needs_first_run() -> bool:
    with session_scope() as session:
        return users.count_users(session) == 0


class SessionCookie(CookieModel):
    """streamlit-authenticator's login cookie: a JWT signed with the cookie key (HS256) holding ``username``,
    ``exp_date`` (the session's end, a Unix time) and ``sid``, the token of the login session. Read from the
    request's cookies; written and deleted by extra-streamlit-components' cookie component, drawn (by
    :meth:`sync`) only while a write or a deletion waits for the browser."""

    def __init__(self) -> None:
        # Not CookieModel.__init__: it draws the cookie component on every run (see the module's docstring).
        self.cookie_name = config.cookie_name()
        self.cookie_key = config.cookie_key()
        self.cookie_expiry_days = None
        self.token = None
        self.exp_date = None

    def get_cookie(self) -> dict | None:
        """The cookie's claims when it is ours, signed and not past its end (the session is checked apart)."""
        if st.session_state.get("logout"):  # logged out in this tab: its cookie no longer logs in
            return None
        self.token = st.context.cookies.get(self.cookie_name)
        if not self.token:
            return None
        claims = self._token_decode()
        if not isinstance(claims, dict) or not isinstance(claims.get("sid"), str):
            return None  # not signed with our key, or a cookie of before the login sessions: log in again
        if not isinstance(claims.get("username"), str) or float(claims.get("exp_date") or 0) <= time.time():
            return None
        return claims

    def _token_decode(self) -> dict | None:
        try:
            return jwt.decode(self.token, self.cookie_key, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None

    def set_session_cookie(self, login: str, started: login_sessions.Started) -> None:
        """Have the browser store the cookie of a new session (done over the next runs, see :meth:`sync`)."""
        self.exp_date = started.expires_at.timestamp()
        value = jwt.encode(
            {"username": login, "sid": started.token, "exp_date": self.exp_date}, self.cookie_key, algorithm="HS256"
        )
        st.session_state[_COOKIE_SET] = (value, started.expires_at.astimezone(UTC).isoformat())
        st.session_state.pop(_COOKIE_DELETE, None)

    def set_cookie(self) -> None:  # the library's entry point: the session is needed, see set_session_cookie
        raise NotImplementedError("SessionCookie.set_session_cookie")

    def delete_cookie(self) -> None:
        st.session_state.pop(_COOKIE_SET, None)
        st.session_state[_COOKIE_DELETE] = True

    def sync(self) -> None:
        """Draw the cookie component while a write or a deletion waits; it reports True once the browser did it."""
        pending = st.session_state.get(_COOKIE_SET)
        if pending:
            value, expires = pending
            options = {"path": "/", "expires": expires, "sameSite": "strict"}
            done = cookie_component(
                method="set",
                cookie=self.cookie_name,
                value=value,
                options=options,
                key=f"clausier_cookie_{value[-12:]}",
            )
            if done:
                st.session_state.pop(_COOKIE_SET, None)
        elif st.session_state.get(_COOKIE_DELETE):
            done = cookie_component(
                method="delete", cookie=self.cookie_name, key="clausier_cookie_delete", default=False
            )
            if done:
                st.session_state.pop(_COOKIE_DELETE, None)


def _controller(user_login: str, name: str, email: str, role: str) -> AuthenticationController:
    """streamlit-authenticator's controller over one user: it keeps its session state (authentication_status,
    username, name, email, roles, logout) as the library does."""
    credentials = {"usernames": {user_login: {"name": name, "email": email, "password": "", "roles": [role]}}}
    return AuthenticationController(credentials, auto_hash=False, secret_key=config.cookie_key())


def _say(kind: str, text: str) -> None:
    st.session_state[MESSAGE_KEY] = (kind, text)


def _submit() -> None:
    """« Se connecter »: runs first thing in the run carrying the click, so no rerun can drop it. Either logs in
    or leaves a French message saying why not; the password never stays in the session."""
    typed = str(st.session_state.get(LOGIN_KEY) or "").strip().lower()
    password = str(st.session_state.get(PASSWORD_KEY) or "")
    st.session_state[PASSWORD_KEY] = ""
    st.session_state.pop(MESSAGE_KEY, None)
    try:
        _log_in(typed, password)
    except SQLAlchemyError:
        log.exception("connexion de %r impossible", typed)
        st.session_state["authentication_status"] = None
        st.session_state.pop(SESSION_KEY, None)
        _say("error", "La connexion n'a pas pu être enregistrée (base de données occupée) : réessayez dans un instant.")


def _log_in(typed: str, password: str) -> None:
    if not typed or not password.strip():
        _say("error", "Saisissez votre identifiant et votre mot de passe.")
        return
    if users.password_too_long(password):  # bcrypt reads 72 bytes at most: no password of ours is longer
        _say("error", f"{WRONG_CREDENTIALS} {users.TOO_LONG}")
        return
    with session_scope() as session:
        until = users.locked_until(session, typed)
        user = users.get_by_login(session, typed)
    if until is not None:
        _say("error", _locked(until))
        return
    known = user is not None and user.active
    # bcrypt outside any transaction (about 0.25 s); an unknown login costs the same time as a known one.
    ok = users.verify_password(password.strip(), user.password_hash if known else _DUMMY_HASH) and known
    with session_scope() as session:
        if not ok:
            until = users.record_failure(session, typed)
        else:
            users.record_success(session, typed)
            started = login_sessions.start(session, user.id)
    if not ok:
        st.session_state["authentication_status"] = False
        _say("error", _locked(until) if until is not None else WRONG_CREDENTIALS)
        return
    _controller(user.login, user.name, user.email, user.role.value).login(token={"username": user.login})
    st.session_state[SESSION_KEY] = started.token
    st.session_state.pop(PASSWORD_KEY, None)
    SessionCookie().set_session_cookie(user.login, started)


def _locked(until: datetime) -> str:
    return f"Trop de tentatives de connexion pour cet identifiant : réessayez après le {fmt_date(until.astimezone())}."


def _logout() -> None:
    """« Se déconnecter »: the session ends on the server, then the cookie goes from the browser."""
    login = st.session_state.get("username") or "?"
    with session_scope() as session:
        login_sessions.end(session, st.session_state.get(SESSION_KEY), SessionEnd.LOGOUT)
        audit.record(session, login, "déconnexion", "app_user")
    _forget_login()
    _say("info", "Vous êtes déconnecté.")


def _forget_login() -> None:
    """This tab is logged out: the library's session state cleared (its ``logout`` flag set, so the cookie no
    longer logs in), the session token dropped and the cookie deleted from the browser."""
    _controller("-", "", "", "").logout()
    for key in (SESSION_KEY, "clausier_user", PASSWORD_KEY):
        st.session_state.pop(key, None)
    SessionCookie().delete_cookie()


def _ended_message(ended: SessionEnd | None) -> tuple[str, str]:
    if ended is SessionEnd.DEACTIVATED:
        return "error", INACTIVE
    if ended is None:
        return "info", "Votre session n'est plus valide : reconnectez-vous."
    return "info", f"Votre session a pris fin ({ended.label}) : reconnectez-vous."


def login_gate() -> CurrentUser | None:
    """The logged-in user as the database sees them now, or None after drawing the login form.

    Every run checks the tab's login session in the database: an unknown, ended or expired session, or a
    deactivated user, logs the tab out at once. A tab not logged in yet is logged in by a valid cookie."""
    logged_in = bool(st.session_state.get("authentication_status"))
    claims = None if logged_in else SessionCookie().get_cookie()
    if logged_in or claims:
        token = st.session_state.get(SESSION_KEY) if logged_in else claims["sid"]
        expected = st.session_state.get("username") if logged_in else claims["username"]
        with session_scope() as session:
            checked = login_sessions.check(session, token)
            user = checked.user
            current = None if user is None else CurrentUser(login=user.login, name=user.name, role=user.role)
        if current is not None and current.login == expected:
            if not logged_in:  # the cookie of a live session: this tab is logged in
                _controller(user.login, user.name, user.email, user.role.value).login(token={"username": user.login})
                st.session_state[SESSION_KEY] = token
            st.session_state.pop(MESSAGE_KEY, None)
            st.session_state["clausier_user"] = current
            return current
        _forget_login()
        _say(*_ended_message(checked.ended if current is None else None))
    st.session_state.pop("clausier_user", None)
    _login_form()
    return None


def _login_form() -> None:
    with st.form("clausier_login_form"):
        st.subheader("Connexion à Clausier")
        st.text_input("Identifiant", key=LOGIN_KEY, autocomplete="username")
        st.text_input("Mot de passe", type="password", key=PASSWORD_KEY, autocomplete="current-password")
        st.form_submit_button("Se connecter", on_click=_submit)
    message = st.session_state.get(MESSAGE_KEY)
    if message:
        kind, text = message
        (st.error if kind == "error" else st.info)(text)


def sync_cookie() -> None:
    """The cookie component, while a write or a deletion of the cookie waits for the browser. Drawn after the
    other elements of its container, so that its coming and going never moves them."""
    if st.session_state.get(_COOKIE_SET) or st.session_state.get(_COOKIE_DELETE):
        SessionCookie().sync()


def logout_button() -> None:
    st.button("Se déconnecter", key="clausier_logout", on_click=_logout)


def adopt_session(login: str, started: login_sessions.Started) -> None:
    """This tab carries on with a new session (after a password change ended every session of its user)."""
    st.session_state[SESSION_KEY] = started.token
    SessionCookie().set_session_cookie(login, started)


def must_change_password(login: str) -> bool:
    with session_scope() as session:
        user = users.get_by_login(session, login)
        return bool(user and user.must_change_password)
