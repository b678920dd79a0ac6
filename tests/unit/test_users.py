"""Users, passwords and login throttling (clausier.services.users)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from clausier.errors import DomainError, PermissionDenied, ValidationError
from clausier.services import users
from clausier.services.users import CurrentUser
from models import AuditEvent, User
from models.enums import Role
from tests.builders import set_setting

STRONG = "Tilleul-Velo-Maree-42"
ADMIN = CurrentUser(login="admin", name="Anne Admin", role=Role.ADMIN)


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


def make(session, login="anne", role=Role.ADMIN, password=STRONG, **kw) -> User:
    user = users.create_user(
        session,
        login=login,
        name=kw.get("name", "Anne Martin"),
        email=f"{login.strip()}@plie.test",
        password=password,
        password2=password,
        role=role,
        by="test",
    )
    session.flush()
    return user


def test_password_is_stored_as_a_bcrypt_hash_that_verifies(session):
    user = make(session)
    assert user.password_hash.startswith("$2b$12$") and STRONG not in user.password_hash
    assert users.verify_password(STRONG, user.password_hash)
    assert not users.verify_password(STRONG + "x", user.password_hash)


@pytest.mark.parametrize(
    "password, expected",
    [
        ("court", "au moins 10 caractères"),
        ("azertyuiop", "trop facile à deviner"),
        ("motdepasse123", "trop facile à deviner"),
        (" " + STRONG, "ne doit pas commencer ni finir par un espace"),
    ],
)
def test_weak_passwords_are_refused_in_french(password, expected):
    assert any(expected in p for p in users.password_problems(password, password))


def test_password_containing_the_login_is_weak():
    assert users.password_problems("marie.dupont2026", login="marie.dupont", name="Marie Dupont")


def test_strong_password_and_mismatch():
    assert users.password_problems(STRONG, STRONG) == []
    assert users.password_problems(STRONG, STRONG + "!") == ["Les deux mots de passe ne sont pas identiques."]


def test_create_user_refuses_bad_fields_with_one_message_per_field(session):
    make(session, login="anne")
    with pytest.raises(ValidationError) as error:
        users.create_user(
            session, login="anne", name=" ", email="anne@", password="x", password2="y", role=Role.SAISIE, by="test"
        )
    assert set(error.value.errors) == {"login", "name", "email", "password"}
    assert "déjà pris" in error.value.errors["login"]


def test_login_is_lowercased_and_checked(session):
    assert make(session, login="  Anne.M ").login == "anne.m"
    with pytest.raises(ValidationError) as error:
        make(session, login="Anne Martin")
    assert "identifiant" in error.value.errors["login"]


def test_first_admin_only_while_no_user_exists(session):
    user = users.create_first_admin(
        session, login="anne", name="Anne", email="a@plie.test", password=STRONG, password2=STRONG
    )
    assert user.role is Role.ADMIN
    with pytest.raises(PermissionDenied):
        users.create_first_admin(
            session, login="bob", name="Bob", email="b@plie.test", password=STRONG, password2=STRONG
        )


def test_credentials_hold_active_users_only_with_their_role(session):
    make(session, login="anne")
    bob = make(session, login="bob", role=Role.LECTURE)
    bob.active = False
    session.flush()
    creds = users.credentials(session)
    assert list(creds["usernames"]) == ["anne"]
    assert creds["usernames"]["anne"]["roles"] == ["admin"]


def test_role_hierarchy():
    assert users.role_allows(Role.ADMIN, Role.SAISIE) and users.role_allows(Role.SAISIE, Role.LECTURE)
    assert not users.role_allows(Role.LECTURE, Role.SAISIE) and not users.role_allows(Role.SAISIE, Role.ADMIN)


def test_only_an_admin_may_change_users(session):
    bob = make(session, login="bob", role=Role.SAISIE)
    saisie = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
    with pytest.raises(PermissionDenied):
        users.update_user(
            session, saisie, bob.id, bob.version, name="Bob", email="b@plie.test", role=Role.ADMIN, active=True
        )
    with pytest.raises(PermissionDenied):
        users.reset_password(session, saisie, bob.id, bob.version, STRONG, STRONG)


def test_last_active_admin_cannot_be_demoted_or_deactivated(session):
    anne = make(session, login="anne")
    with pytest.raises(DomainError, match="au moins un administrateur actif"):
        users.update_user(
            session, ADMIN, anne.id, anne.version, name=anne.name, email=anne.email, role=Role.SAISIE, active=True
        )
    with pytest.raises(DomainError):
        users.update_user(
            session, ADMIN, anne.id, anne.version, name=anne.name, email=anne.email, role=Role.ADMIN, active=False
        )
    make(session, login="paul")
    users.update_user(
        session, ADMIN, anne.id, anne.version, name=anne.name, email=anne.email, role=Role.SAISIE, active=True
    )
    session.refresh(anne)
    assert anne.role is Role.SAISIE and anne.version == 2


def test_stale_edit_of_a_user_is_refused(session):
    bob = make(session, login="bob", role=Role.SAISIE)
    version = bob.version
    users.update_user(session, ADMIN, bob.id, version, name="Bob B", email=bob.email, role=Role.SAISIE, active=True)
    with pytest.raises(DomainError, match="Quelqu'un d'autre a modifié l'utilisateur bob"):
        users.update_user(
            session, ADMIN, bob.id, version, name="Bob C", email=bob.email, role=Role.LECTURE, active=True
        )


def test_reset_password_forces_a_change_and_clears_failures(session):
    bob = make(session, login="bob", role=Role.SAISIE)
    users.record_failure(session, "bob")
    users.reset_password(session, ADMIN, bob.id, bob.version, "Marmotte-Soleil-77", "Marmotte-Soleil-77")
    session.flush()
    session.refresh(bob)
    assert bob.must_change_password and users.verify_password("Marmotte-Soleil-77", bob.password_hash)
    users.change_own_password(session, "bob", "Marmotte-Soleil-77", STRONG, STRONG)
    session.flush()
    session.refresh(bob)
    assert not bob.must_change_password
    with pytest.raises(ValidationError) as error:
        users.change_own_password(session, "bob", "faux", "Autre-Chose-Solide-9", "Autre-Chose-Solide-9")
    assert "actuel est incorrect" in error.value.errors["old"]


def test_five_failures_lock_a_login_for_the_set_time(session):
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for i in range(4):
        assert users.record_failure(session, "Bob", now=t0 + timedelta(seconds=i)) is None
    until = users.record_failure(session, "bob", now=t0 + timedelta(seconds=5))
    assert until == t0 + timedelta(seconds=5, minutes=15)
    assert users.locked_until(session, "BOB ", now=t0 + timedelta(minutes=10)) == until
    assert users.locked_until(session, "bob", now=t0 + timedelta(minutes=21)) is None
    assert users.locked_until(session, "anne", now=t0) is None
    # After the lock ends, counting starts again from zero.
    assert users.record_failure(session, "bob", now=t0 + timedelta(minutes=30)) is None
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "connexion bloquée")).all()
    assert len(events) == 1


def test_lock_threshold_and_duration_are_settings(session):
    set_setting(session, "login_max_failures", 2, by="test")
    set_setting(session, "login_lock_minutes", 60, by="test")
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    users.record_failure(session, "bob", now=t0)
    assert users.record_failure(session, "bob", now=t0) == t0 + timedelta(minutes=60)


def test_success_clears_failures_and_is_audited(session):
    make(session, login="bob", role=Role.SAISIE)
    users.record_failure(session, "bob")
    users.record_success(session, "bob")
    session.flush()
    assert users.locked_until(session, "bob") is None
    assert users.get_by_login(session, "bob").last_login_at is not None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "connexion")).one().who == "bob"


def test_current_user_reflects_deactivation_at_once(session):
    bob = make(session, login="bob", role=Role.SAISIE)
    assert users.current_user(session, "bob") == CurrentUser("bob", "Anne Martin", Role.SAISIE)
    bob.active = False
    session.flush()
    assert users.current_user(session, "bob") is None
