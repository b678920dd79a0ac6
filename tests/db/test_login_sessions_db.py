"""Login sessions (issue 10, item 9; DESIGN §6) on SQLite and PostgreSQL: a session per login, found by the hash
of the cookie's token, checked on every rerun, ended by logout, password change or reset, role change,
deactivation, expiry and idleness."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from clausier.services import login_sessions, users
from clausier.services.users import CurrentUser
from models import AuditEvent, LoginSession, User
from models.enums import Role, SessionEnd
from tests.builders import set_setting

PASSWORD = "Tilleul-Velo-Maree-42"
ADMIN = CurrentUser(login="admin", name="Anne Admin", role=Role.ADMIN)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(any_engine):
    with Session(any_engine) as s:
        yield s


def make_user(session: Session, login: str = "mdupont", role: Role = Role.SAISIE) -> User:
    user = users.create_user(
        session,
        login=login,
        name=f"{login.title()} Test",
        email=f"{login}@plie.test",
        password=PASSWORD,
        password2=PASSWORD,
        role=role,
        by="test",
    )
    session.flush()
    return user


def alive(session: Session, token: str, now: datetime = T0) -> bool:
    return login_sessions.check(session, token, now).user is not None


def ended(session: Session, token: str) -> SessionEnd | None:
    return login_sessions.check(session, token).ended


def test_a_login_opens_a_session_found_by_the_hash_of_its_token_only(session):
    user = make_user(session)
    started = login_sessions.start(session, user.id, now=T0)
    session.commit()
    assert len(started.token) >= 43  # secrets.token_urlsafe(32)
    row = session.exec(select(LoginSession)).one()
    assert row.id == hashlib.sha256(started.token.encode()).hexdigest() and started.token not in row.id
    assert (row.user_id, row.ended_at, row.end_reason) == (user.id, None, None)
    checked = login_sessions.check(session, started.token, now=T0 + timedelta(minutes=5))
    assert checked.user.login == "mdupont" and checked.ended is None
    assert login_sessions.start(session, user.id, now=T0).token != started.token  # a new one per login


def test_an_unknown_or_missing_token_opens_nothing(session):
    make_user(session)
    assert login_sessions.check(session, "pas-un-jeton") == login_sessions.Checked()
    assert login_sessions.check(session, None) == login_sessions.Checked()
    assert login_sessions.check(session, "") == login_sessions.Checked()


def test_logout_ends_the_session_and_only_it(session):
    user = make_user(session)
    here = login_sessions.start(session, user.id).token
    elsewhere = login_sessions.start(session, user.id).token
    assert login_sessions.end(session, here, SessionEnd.LOGOUT)
    session.commit()
    assert ended(session, here) is SessionEnd.LOGOUT
    assert alive(session, elsewhere, now=datetime.now(UTC))
    assert not login_sessions.end(session, here)  # already ended
    assert not login_sessions.end(session, "inconnu")


def test_a_session_expires_after_its_lifetime_setting(session):
    set_setting(session, "session_lifetime_hours", 2)
    user = make_user(session)
    started = login_sessions.start(session, user.id, now=T0)
    assert started.expires_at == T0 + timedelta(hours=2)
    for minutes in range(0, 120, 30):  # used every half hour: never idle
        assert alive(session, started.token, T0 + timedelta(minutes=minutes))
    checked = login_sessions.check(session, started.token, T0 + timedelta(hours=2))
    assert checked == login_sessions.Checked(ended=SessionEnd.EXPIRED)
    session.commit()
    row = session.exec(select(LoginSession)).one()
    assert row.end_reason is SessionEnd.EXPIRED and row.ended_at is not None
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "fin de session")).one()
    assert (audit.who, audit.summary) == ("mdupont", "durée maximale atteinte")
    assert ended(session, started.token) is SessionEnd.EXPIRED  # and it stays so


def test_a_session_left_idle_longer_than_the_setting_ends(session):
    set_setting(session, "session_idle_minutes", 30)
    user = make_user(session)
    token = login_sessions.start(session, user.id, now=T0).token
    assert alive(session, token, T0 + timedelta(minutes=29))
    assert alive(session, token, T0 + timedelta(minutes=58))  # 29 minutes after the last use
    assert login_sessions.check(session, token, T0 + timedelta(minutes=89)).ended is SessionEnd.IDLE


def test_last_seen_is_written_at_most_once_a_minute(session):
    user = make_user(session)
    token = login_sessions.start(session, user.id, now=T0).token
    session.commit()

    def last_seen() -> datetime:
        session.expire_all()
        moment = session.exec(select(LoginSession.last_seen_at)).one()
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

    assert alive(session, token, T0 + timedelta(seconds=30))
    assert last_seen() == T0
    assert alive(session, token, T0 + timedelta(seconds=61))
    assert last_seen() == T0 + timedelta(seconds=61)
    assert alive(session, token, T0 + timedelta(seconds=100))
    assert last_seen() == T0 + timedelta(seconds=61)


def test_changing_ones_password_ends_every_session_and_gives_the_tab_a_new_one(session):
    user = make_user(session)
    other = make_user(session, login="louis")
    here = login_sessions.start(session, user.id).token
    elsewhere = login_sessions.start(session, user.id).token
    louis = login_sessions.start(session, other.id).token
    started = users.change_own_password(session, "mdupont", PASSWORD, "Marmotte-Soleil-77", "Marmotte-Soleil-77")
    session.commit()
    assert ended(session, here) is SessionEnd.PASSWORD_CHANGED
    assert ended(session, elsewhere) is SessionEnd.PASSWORD_CHANGED
    assert alive(session, started.token, now=datetime.now(UTC))  # the tab where it was changed carries on
    assert alive(session, louis, now=datetime.now(UTC))  # nobody else is touched
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "mot de passe changé")).one()
    assert audit.summary == "mdupont, 2 sessions fermées"


def test_a_refused_password_change_ends_nothing(session):
    user = make_user(session)
    token = login_sessions.start(session, user.id).token
    with pytest.raises(users.ValidationError):
        users.change_own_password(session, "mdupont", "pas-le-bon", "Marmotte-Soleil-77", "Marmotte-Soleil-77")
    assert alive(session, token, now=datetime.now(UTC))


def test_an_admin_reset_ends_every_session_of_the_user(session):
    user = make_user(session)
    token = login_sessions.start(session, user.id).token
    users.reset_password(session, ADMIN, user.id, user.version, "Marmotte-Soleil-77", "Marmotte-Soleil-77")
    session.commit()
    assert ended(session, token) is SessionEnd.PASSWORD_RESET
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "mot de passe réinitialisé")).one()
    assert audit.summary == "mdupont, 1 session fermée"


def test_a_role_change_ends_the_sessions_a_change_of_name_does_not(session):
    user = make_user(session)
    token = login_sessions.start(session, user.id).token
    users.update_user(session, ADMIN, user.id, 1, name="Marie Dupont", email=user.email, role=Role.SAISIE, active=True)
    session.commit()
    assert alive(session, token, now=datetime.now(UTC))
    users.update_user(session, ADMIN, user.id, 2, name="Marie Dupont", email=user.email, role=Role.LECTURE, active=True)
    session.commit()
    assert ended(session, token) is SessionEnd.ROLE_CHANGED
    summaries = session.exec(select(AuditEvent.summary).where(AuditEvent.action == "modification")).all()
    assert summaries[-1] == "mdupont : rôle Saisie → Lecture, 1 session fermée"


def test_deactivation_ends_the_sessions(session):
    user = make_user(session)
    token = login_sessions.start(session, user.id).token
    users.update_user(session, ADMIN, user.id, 1, name=user.name, email=user.email, role=Role.SAISIE, active=False)
    session.commit()
    assert ended(session, token) is SessionEnd.DEACTIVATED
    assert login_sessions.open_count(session, user.id) == 0


def test_a_user_deactivated_by_other_means_is_refused_at_the_next_check(session):
    user = make_user(session)
    token = login_sessions.start(session, user.id).token
    user.active = False
    session.add(user)
    session.commit()
    assert login_sessions.check(session, token).ended is SessionEnd.DEACTIVATED
    session.commit()
    assert ended(session, token) is SessionEnd.DEACTIVATED
