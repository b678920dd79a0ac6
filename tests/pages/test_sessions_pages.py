"""Login sessions and passwords through app.py (issue 10, items 6, 9, 12): every run checks the tab's session in
the database; logout and a password change end sessions; a login always succeeds or says why in French; a
password over 72 bytes gets a French message on every form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from clausier import db
from clausier.services import login_sessions
from models import AuditEvent, LoginSession, User
from models.enums import Role, SessionEnd
from tests.pages.conftest import PASSWORD, logged_in, login, new_app, open_url_path
from ui.auth import SESSION_KEY

LONG = "é" * 70  # 140 bytes: over bcrypt's 72


def _sessions(url: str) -> list[LoginSession]:
    with Session(db.get_engine(url)) as session:
        return list(session.exec(select(LoginSession).order_by(LoginSession.created_at)))


def _on_login_screen(at) -> bool:
    return {ti.label for ti in at.text_input} == {"Identifiant", "Mot de passe"} and not at.title


def _infos(at) -> str:
    return " ".join(m.value for m in [*at.info, *at.error])


def test_a_login_opens_a_session_checked_on_every_run(with_users):
    at = login(new_app().run(), "sophie", PASSWORD)
    assert at.title[0].value == "Tableau de bord"
    [row] = _sessions(with_users)
    assert row.id == login_sessions.session_id(at.session_state[SESSION_KEY]) and row.ended_at is None
    assert "clausier_login_password" not in at.session_state  # the password does not stay in the session
    with db.session_scope(db.get_engine(with_users)) as session:  # e.g. the admin changed her role meanwhile
        login_sessions.end_all(session, row.user_id, SessionEnd.ROLE_CHANGED)
    at.run()
    assert _on_login_screen(at)
    assert "Votre session a pris fin (rôle modifié) : reconnectez-vous." in _infos(at)
    assert SESSION_KEY not in at.session_state and not at.session_state["authentication_status"]
    at.run()  # and it stays logged out
    assert _on_login_screen(at)


def test_an_expired_session_logs_the_tab_out(with_users):
    at = logged_in(Role.SAISIE).run()
    assert at.title[0].value == "Tableau de bord"
    with db.session_scope(db.get_engine(with_users)) as session:
        row = session.get(LoginSession, login_sessions.session_id(at.session_state[SESSION_KEY]))
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(row)
    at.run()
    assert _on_login_screen(at)
    assert "durée maximale atteinte" in _infos(at)


def test_logout_ends_the_session_in_the_database(with_users):
    at = logged_in(Role.LECTURE).run()
    token = at.session_state[SESSION_KEY]
    next(b for b in at.button if b.label == "Se déconnecter").click().run()
    assert _on_login_screen(at)
    assert "Vous êtes déconnecté." in _infos(at)
    [row] = _sessions(with_users)
    assert row.id == login_sessions.session_id(token) and row.end_reason is SessionEnd.LOGOUT
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "déconnexion")).one().who == "louis"
    at = login(at, "louis", PASSWORD)  # and one logs in again in the same tab
    assert at.title[0].value == "Tableau de bord"


def test_changing_ones_password_keeps_this_tab_and_closes_the_others(with_users):
    here = open_url_path(logged_in(Role.SAISIE).run(), "mon-compte").run()
    elsewhere = logged_in(Role.SAISIE).run()
    old_token = here.session_state[SESSION_KEY]
    here.text_input(key="pw_old").input(PASSWORD)
    here.text_input(key="pw_new").input("Marmotte-Soleil-77")
    here.text_input(key="pw_new2").input("Marmotte-Soleil-77")
    next(b for b in here.button if b.label == "Changer le mot de passe").click().run()
    assert not here.exception
    assert any("Mot de passe changé" in s.value for s in here.success)
    assert here.session_state[SESSION_KEY] != old_token
    here.run()
    assert here.title[0].value == "Mon compte"  # this tab carries on, with its new session
    elsewhere.run()
    assert _on_login_screen(elsewhere)
    assert "mot de passe changé" in _infos(elsewhere)
    ends = [r.end_reason for r in _sessions(with_users) if r.ended_at is not None]
    assert ends == [SessionEnd.PASSWORD_CHANGED] * 2


def test_a_login_always_says_why_it_did_not_happen(with_users):
    at = new_app().run()
    next(b for b in at.button if b.label == "Se connecter").click().run()
    assert _infos(at) == "Saisissez votre identifiant et votre mot de passe."
    at = login(at, "sophie", LONG)
    assert "72 octets" in _infos(at) and not at.exception and _on_login_screen(at)
    at = login(at, "sophie", "pas-le-bon-mot-de-passe")
    assert _infos(at) == "Identifiant ou mot de passe incorrect."
    assert at.text_input(key="clausier_login_password").value == ""  # to be typed again
    assert at.text_input(key="clausier_login_id").value == "sophie"
    assert _sessions(with_users) == []


def test_a_deactivated_users_login_is_refused_like_a_wrong_password(with_users):
    with db.session_scope(db.get_engine(with_users)) as session:
        session.exec(select(User).where(User.login == "sophie")).one().active = False
    at = login(new_app().run(), "sophie", PASSWORD)
    assert _infos(at) == "Identifiant ou mot de passe incorrect."
    assert _sessions(with_users) == []


def test_first_run_with_a_too_long_password_says_why(app_db):
    at = new_app().run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Nom et prénom"].input("Marie Dupont")
    fields["Identifiant de connexion"].input("mdupont")
    fields["Adresse e-mail"].input("marie.dupont@plie.test")
    fields["Mot de passe"].input(LONG)
    fields["Mot de passe (confirmation)"].input(LONG)
    at.button[0].click().run()
    assert not at.exception
    assert any("72 octets" in e.value for e in at.error)


def test_first_run_refuses_the_users_own_words(app_db):
    at = new_app().run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Nom et prénom"].input("Marie Dupont")
    fields["Identifiant de connexion"].input("mdupont")
    fields["Adresse e-mail"].input("marie.dupont@plie.test")
    fields["Mot de passe"].input("dupont2026dupont")
    fields["Mot de passe (confirmation)"].input("dupont2026dupont")
    at.button[0].click().run()
    assert any("trop proche de votre identifiant" in e.value for e in at.error)
    with Session(db.get_engine(app_db)) as session:
        assert session.exec(select(User)).first() is None


def test_admin_creating_a_user_with_a_too_long_password_gets_a_french_message(with_users):
    at = open_url_path(logged_in(Role.ADMIN).run(), "utilisateurs").run()
    at.text_input(key="uc_name").input("Nadia Benali")
    at.text_input(key="uc_login").input("nbenali")
    at.text_input(key="uc_email").input("nadia@plie.test")
    at.text_input(key="uc_pw").input(LONG)
    at.text_input(key="uc_pw2").input(LONG)
    next(b for b in at.button if b.label == "Créer l'utilisateur").click().run()
    assert not at.exception
    assert any("72 octets" in e.value for e in at.error)


def test_mon_compte_with_a_too_long_password_gets_a_french_message(with_users):
    at = open_url_path(logged_in(Role.LECTURE).run(), "mon-compte").run()
    at.text_input(key="pw_old").input(PASSWORD)
    at.text_input(key="pw_new").input(LONG)
    at.text_input(key="pw_new2").input(LONG)
    next(b for b in at.button if b.label == "Changer le mot de passe").click().run()
    assert not at.exception
    assert any("72 octets" in e.value for e in at.error)
