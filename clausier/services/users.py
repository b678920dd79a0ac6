"""Users and roles, passwords (bcrypt) and login throttling."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta

import bcrypt
from sqlmodel import Session, col, func, select
from zxcvbn import zxcvbn

from clausier import settings
from clausier.access import ROLE_RANK, CurrentUser, require, role_allows  # noqa: F401 (named here too)
from clausier.db import update_versioned
from clausier.errors import DomainError, PermissionDenied, ValidationError
from clausier.services import audit, login_sessions
from models import LoginThrottle, User
from models.base import utcnow
from models.enums import Role, SessionEnd

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


BCRYPT_MAX_BYTES = 72  # bcrypt reads no further (bcrypt 5 refuses longer passwords)
TOO_LONG = (
    f"Le mot de passe ne doit pas dépasser {BCRYPT_MAX_BYTES} octets (une lettre accentuée en compte deux) : "
    "raccourcissez-le."
)
# Words anyone knows about this organisation: a password made of them (and digits) guesses at once.
ORGANISATION_WORDS = ("plie", "clausier", "motdepasse", "azerty")
# Characters written for a letter (l33t): « P1ie » is « plie ».
_LOOKALIKES = {
    "a": "a4@", "b": "b8", "e": "e3€", "g": "g9", "i": "i1!|", "l": "l1|", "o": "o0", "s": "s5$", "t": "t7+", "z": "z2"
}  # fmt: skip
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def password_too_long(password: str) -> bool:
    return len(password.encode("utf-8")) > BCRYPT_MAX_BYTES


def hash_password(password: str) -> str:
    if password_too_long(password):  # password_problems says it first; never bcrypt's English ValueError
        raise ValidationError({"password": TOO_LONG})
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    if password_too_long(password):  # no stored password is that long
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


def _plain(text: str) -> str:
    """Lower case without accents, one character for one (positions kept)."""
    return "".join(unicodedata.normalize("NFKD", c)[0] for c in text.lower())


def known_words(login: str = "", name: str = "", email: str = "") -> list[str]:
    """The words a guesser tries first for this user: their login, name and e-mail address (whole and in parts,
    the domain's labels included) and the organisation's words, longest first."""
    local, _, domain = email.lower().partition("@")
    found = set(ORGANISATION_WORDS)
    for text in (login, name, local, *domain.split(".")[:-1]):
        plain = _plain(text)
        found.add(_WORD_SPLIT.sub("", plain))
        found.update(_WORD_SPLIT.split(plain))
    return sorted((w for w in found if len(w) >= 3), key=lambda w: (-len(w), w))


def _without_words(password: str, words: list[str]) -> str:
    """The password with every known word taken out (case, accents and look-alike characters ignored)."""
    plain = _plain(password)
    keep = [True] * len(password)
    for word in words:
        pattern = "".join(f"[{re.escape(_LOOKALIKES.get(c, c))}]" for c in word)
        for match in re.finditer(pattern, plain):
            if all(keep[match.start() : match.end()]):
                keep[match.start() : match.end()] = [False] * (match.end() - match.start())
    return "".join(c for c, kept in zip(password, keep, strict=True) if kept)


def password_problems(
    password: str, password2: str | None = None, *, login: str = "", name: str = "", email: str = ""
) -> list[str]:
    """Why a password is refused (French), or an empty list. Strength measured with zxcvbn, on the whole password
    (the user's and the organisation's words given to it) and on what is left once those words are taken out."""
    problems: list[str] = []
    if password2 is not None and password != password2:
        problems.append("Les deux mots de passe ne sont pas identiques.")
    if password != password.strip():
        problems.append("Le mot de passe ne doit pas commencer ni finir par un espace.")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.")
    elif password_too_long(password):
        problems.append(TOO_LONG)
    else:
        words = known_words(login, name, email)
        if zxcvbn(password, user_inputs=words)["score"] < 3:
            problems.append(
                "Mot de passe trop facile à deviner : allongez-le, mêlez des mots sans lien, "
                "des chiffres et des signes, et évitez votre nom ou votre identifiant."
            )
        elif zxcvbn(_without_words(password, words) or "a", user_inputs=words)["score"] < 3:
            problems.append(
                "Mot de passe trop proche de votre identifiant, de votre nom, de votre adresse e-mail ou du nom "
                "de la structure (PLIE, Clausier) : sans eux, le reste serait trop facile à deviner. "
                "Ajoutez des mots sans lien avec vous."
            )
    return problems


def _check_fields(session: Session, login: str, name: str, email: str, *, new: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if new:
        if not LOGIN_RE.match(login):
            errors["login"] = (
                "L'identifiant doit faire 2 à 60 caractères : lettres minuscules sans accent, chiffres, « . », « _ » ou « - »."
            )
        elif session.exec(select(User).where(User.login == login)).first() is not None:
            errors["login"] = f"L'identifiant « {login} » est déjà pris."
    if not name.strip():
        errors["name"] = "Le nom est obligatoire."
    elif len(name) > 120:
        errors["name"] = "Le nom ne doit pas dépasser 120 caractères."
    if not EMAIL_RE.match(email.strip()):
        errors["email"] = "L'adresse e-mail n'est pas valide."
    return errors


def create_user(
    session: Session,
    *,
    login: str,
    name: str,
    email: str,
    password: str,
    password2: str,
    role: Role,
    by: str,
    temporary_password: bool = False,
) -> User:
    """Create a user. With ``temporary_password`` (set by an admin) the user must change it at first login."""
    login = login.strip().lower()
    errors = _check_fields(session, login, name, email, new=True)
    problems = password_problems(password, password2, login=login, name=name, email=email)
    if problems:
        errors["password"] = " ".join(problems)
    if errors:
        raise ValidationError(errors)
    user = User(
        login=login,
        name=name.strip(),
        email=email.strip(),
        password_hash=hash_password(password),
        role=Role(role),
        must_change_password=temporary_password,
    )
    session.add(user)
    session.flush()
    audit.record(session, by, "création", "app_user", user.id, f"Utilisateur {login} ({Role(role).label})")
    return user


def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def create_first_admin(session: Session, *, login: str, name: str, email: str, password: str, password2: str) -> User:
    """First-run setup: only while there is no user at all."""
    if count_users(session) > 0:
        raise PermissionDenied("Un administrateur existe déjà : connectez-vous.")
    return create_user(
        session,
        login=login,
        name=name,
        email=email,
        password=password,
        password2=password2,
        role=Role.ADMIN,
        by=login.strip().lower() or "installation",
    )


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.active).desc(), User.name)))


def get_by_login(session: Session, login: str) -> User | None:
    return session.exec(select(User).where(User.login == login)).first()


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, col(User.active).is_(True))
    ).one()


def update_user(
    session: Session, admin: CurrentUser, user_id: int, version: int, *, name: str, email: str, role: Role, active: bool
) -> None:
    """Change a user's name, email, role or active flag (admin only). The last active admin stays."""
    require(admin, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("Utilisateur introuvable.")
    errors = _check_fields(session, user.login, name, email, new=False)
    if errors:
        raise ValidationError(errors)
    losing_admin = user.role == Role.ADMIN and user.active and (Role(role) != Role.ADMIN or not active)
    if losing_admin and _active_admins(session) <= 1:
        raise DomainError("Il doit rester au moins un administrateur actif.")
    changes = []
    role_changed, deactivated = Role(role) != user.role, user.active and not active
    if role_changed:
        changes.append(f"rôle {user.role.label} → {Role(role).label}")
    if active != user.active:
        changes.append("réactivé" if active else "désactivé")
    update_versioned(
        session,
        User,
        user_id,
        version,
        f"l'utilisateur {user.login}",
        name=name.strip(),
        email=email.strip(),
        role=Role(role),
        active=active,
    )
    if deactivated or role_changed:  # a new role or no access: the user's open sessions open nothing any more
        reason = SessionEnd.DEACTIVATED if deactivated else SessionEnd.ROLE_CHANGED
        changes.append(_sessions_ended(login_sessions.end_all(session, user_id, reason)))
    audit.record(
        session,
        admin.login,
        "modification",
        "app_user",
        user_id,
        f"{user.login} : " + (", ".join(c for c in changes if c) or "coordonnées"),
    )


def _sessions_ended(count: int) -> str:
    return f"{count} session{'s' if count > 1 else ''} fermée{'s' if count > 1 else ''}" if count else ""


def reset_password(
    session: Session, admin: CurrentUser, user_id: int, version: int, password: str, password2: str
) -> None:
    """An admin sets a new password; the user must change it at next login. ``version``: the user's record as
    the admin saw it; refused when someone saved it since (``ConcurrentEditError``)."""
    require(admin, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("Utilisateur introuvable.")
    problems = password_problems(password, password2, login=user.login, name=user.name, email=user.email)
    if problems:
        raise ValidationError({"password": " ".join(problems)})
    update_versioned(
        session,
        User,
        user_id,
        version,
        f"l'utilisateur {user.login}",
        password_hash=hash_password(password),
        must_change_password=True,
    )
    session.expire(user)
    clear_failures(session, user.login)
    ended = _sessions_ended(login_sessions.end_all(session, user_id, SessionEnd.PASSWORD_RESET))
    audit.record(
        session,
        admin.login,
        "mot de passe réinitialisé",
        "app_user",
        user_id,
        ", ".join(filter(None, [user.login, ended])),
    )


def change_own_password(session: Session, login: str, old: str, new: str, new2: str) -> login_sessions.Started:
    """The user changes their own password. Every session of theirs ends, the one they changed it from included
    (a copy of its cookie must not outlive the change either); the new session returned carries on in the browser
    where it was changed."""
    user = get_by_login(session, login)
    if user is None or not user.active:
        raise PermissionDenied()
    if not verify_password(old, user.password_hash):
        raise ValidationError({"old": "Le mot de passe actuel est incorrect."})
    problems = password_problems(new, new2, login=user.login, name=user.name, email=user.email)
    if not problems and new == old:
        problems.append("Le nouveau mot de passe doit être différent de l'actuel.")
    if problems:
        raise ValidationError({"password": " ".join(problems)})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.version += 1
    session.add(user)
    ended = _sessions_ended(login_sessions.end_all(session, user.id, SessionEnd.PASSWORD_CHANGED))
    audit.record(session, login, "mot de passe changé", "app_user", user.id, ", ".join(filter(None, [login, ended])))
    return login_sessions.start(session, user.id)


def credentials(session: Session) -> dict:
    """The active users in streamlit-authenticator's format (a plain dict, never st.secrets)."""
    users = session.exec(select(User).where(col(User.active).is_(True)))
    return {
        "usernames": {
            u.login: {"name": u.name, "email": u.email, "password": u.password_hash, "roles": [u.role.value]}
            for u in users
        }
    }


def current_user(session: Session, login: str | None) -> CurrentUser | None:
    """The logged-in user as the database sees them now (role changes and deactivation apply at once)."""
    if not login:
        return None
    user = get_by_login(session, login)
    if user is None or not user.active:
        return None
    return CurrentUser(login=user.login, name=user.name, role=user.role)


# --- login throttling -------------------------------------------------------------------------------------------


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite gives naive datetimes back
        return moment.replace(tzinfo=UTC)
    return moment


def locked_until(session: Session, login: str, now: datetime | None = None) -> datetime | None:
    """When a login is blocked after too many failures, until when; else None."""
    now = now or utcnow()
    row = session.get(LoginThrottle, login.strip().lower()[:200])
    until = _as_utc(row.locked_until) if row else None
    return until if until and until > now else None


def record_failure(session: Session, login: str, now: datetime | None = None) -> datetime | None:
    """Count a failed login; returns the lock end when this failure blocks the login."""
    now = now or utcnow()
    key = login.strip().lower()[:200]
    row = session.get(LoginThrottle, key) or LoginThrottle(login=key)
    lock_end = _as_utc(row.locked_until)
    if lock_end and lock_end <= now:  # the previous lock is over: start counting again
        row.failures = 0
        row.locked_until = None
    row.failures += 1
    row.last_failure_at = now
    max_failures = settings.get(session, "login_max_failures")
    if row.failures >= max_failures:
        row.locked_until = now + timedelta(minutes=settings.get(session, "login_lock_minutes"))
    session.add(row)
    if row.failures == max_failures:
        audit.record(session, key, "connexion bloquée", "app_user", "", f"{row.failures} échecs successifs")
    return _as_utc(row.locked_until)


def clear_failures(session: Session, login: str) -> None:
    row = session.get(LoginThrottle, login.strip().lower()[:200])
    if row is not None:
        session.delete(row)


def record_success(session: Session, login: str) -> None:
    clear_failures(session, login)
    user = get_by_login(session, login)
    if user is not None:
        user.last_login_at = utcnow()
        session.add(user)
    audit.record(session, login, "connexion", "app_user", user.id if user else "", "")
