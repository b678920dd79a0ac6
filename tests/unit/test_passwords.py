"""Passwords (issue 10, items 6 and 10): the user's own words and the organisation's do not make a password, and
a password over bcrypt's 72 bytes gets a French message wherever a password is set or checked, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from clausier.errors import ValidationError
from clausier.services import users
from clausier.services.users import CurrentUser
from models import User
from models.enums import Role

ROOT = Path(__file__).resolve().parents[2]
STRONG = "Tilleul-Velo-Maree-42"
LONG = "é" * 70  # 70 characters, 140 bytes in UTF-8
ADMIN = CurrentUser(login="admin", name="Anne Admin", role=Role.ADMIN)
MARIE = {"login": "mdupont", "name": "Marie Dupont", "email": "marie.dupont@plie-lille.fr"}


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


def make(session, password=STRONG) -> User:
    user = users.create_user(session, **MARIE, password=password, password2=password, role=Role.SAISIE, by="test")
    session.flush()
    return user


@pytest.mark.parametrize(
    "password",
    [
        "dupont2026dupont",  # the user's name twice around a year
        "Plie2026Plie!",  # the organisation's
        "P1ie2026P1ie!",  # the same with look-alike characters
        "Clausier-2026-!!",  # the tool's name
        "MDupont-Marie-2026",  # login and first name
        "marie.dupont.2026",  # the e-mail address's local part
        "Lille-Plie-1984!",  # the e-mail domain
    ],
)
def test_a_password_made_of_the_users_or_the_organisations_words_is_refused(password):
    problems = users.password_problems(password, password, **MARIE)
    assert problems, password
    assert any("identifiant" in p and "nom" in p for p in problems)


def test_the_reason_says_which_words_in_french():
    [reason] = users.password_problems("Plie2026Plie!", **MARIE)
    assert reason.startswith("Mot de passe trop proche de votre identifiant, de votre nom, de votre adresse e-mail")
    assert "(PLIE, Clausier)" in reason


def test_a_strong_passphrase_stays_accepted_even_with_a_name_in_it():
    assert users.password_problems(STRONG, STRONG, **MARIE) == []
    assert users.password_problems("Marie-Tilleul-Velo-Maree-42", **MARIE) == []
    # « dupont » is a word of Marie Dupont's, not of Bob Martin's: zxcvbn alone finds it strong enough for him
    assert users.password_problems("dupont2026dupont", login="bob", name="Bob Martin", email="bob@plie.test") == []


def test_the_words_known_about_a_user():
    assert users.known_words(**MARIE) == [
        "mariedupont",
        "motdepasse",
        "plielille",
        "clausier",
        "mdupont",
        "azerty",
        "dupont",
        "lille",
        "marie",
        "plie",
    ]


def test_over_72_bytes_is_refused_in_french_though_under_72_characters():
    assert len(LONG) < 72
    [reason] = users.password_problems(LONG, LONG, **MARIE)
    assert reason == users.TOO_LONG and "72 octets" in reason
    assert users.password_problems("a" * 73, **MARIE) == [users.TOO_LONG]


def test_hash_and_verify_never_raise_bcrypts_error():
    with pytest.raises(ValidationError) as raised:
        users.hash_password(LONG)
    assert raised.value.errors == {"password": users.TOO_LONG}
    assert users.verify_password(LONG, users.hash_password(STRONG)) is False


def test_create_user_with_a_too_long_password_writes_nothing(session):
    with pytest.raises(ValidationError) as raised:
        make(session, password=LONG)
    assert "72 octets" in raised.value.errors["password"]
    assert session.exec(select(User)).first() is None


def test_first_admin_with_a_too_long_password(session):
    with pytest.raises(ValidationError) as raised:
        users.create_first_admin(session, **MARIE, password=LONG, password2=LONG)
    assert "72 octets" in raised.value.errors["password"]


def test_changing_ones_password_old_or_new_too_long(session):
    make(session)
    with pytest.raises(ValidationError) as raised:
        users.change_own_password(session, "mdupont", STRONG, LONG, LONG)
    assert "72 octets" in raised.value.errors["password"]
    with pytest.raises(ValidationError) as raised:
        users.change_own_password(session, "mdupont", LONG, STRONG + "x", STRONG + "x")
    assert raised.value.errors == {"old": "Le mot de passe actuel est incorrect."}


def test_an_admin_reset_with_a_too_long_password(session):
    user = make(session)
    with pytest.raises(ValidationError) as raised:
        users.reset_password(session, ADMIN, user.id, user.version, LONG, LONG)
    assert "72 octets" in raised.value.errors["password"]


def test_create_user_command_with_a_too_long_password_says_why_without_traceback(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    args = ["create-user", "--login", "mdupont", "--name", "Marie Dupont", "--email", "m@plie.test"]
    result = subprocess.run(
        [sys.executable, "-m", "clausier", *args, "--password-stdin"],
        cwd=ROOT,
        env=env,
        input=LONG + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert result.returncode == 2
    assert "Erreur : Le mot de passe ne doit pas dépasser 72 octets" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
