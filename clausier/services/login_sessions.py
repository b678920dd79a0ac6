"""Login sessions (DESIGN §6): one row per login, checked on every rerun, ended on the server.

The signed login cookie carries a random token (``secrets.token_urlsafe(32)``); the session row is found by the
token's SHA-256, so that the table alone (a backup, a dump) opens nothing. A session opens the app while it is not
ended, not past its ``expires_at`` (setting « session_lifetime_hours »), not idle for longer than the setting
« session_idle_minutes » and its user is active. Logout, a password change or reset, a role change and a
deactivation end it; so does its expiry, noticed at its next use."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from clausier import settings
from clausier.services import audit
from models import LoginSession, User
from models.base import utcnow
from models.enums import SessionEnd

TOKEN_BYTES = 32
# last_seen_at is written at most this often: a rerun reads its session, it rarely writes it.
TOUCH_EVERY = timedelta(minutes=1)


def session_id(token: str) -> str:
    """The key of a session: the SHA-256 of its token (hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite gives naive datetimes back


@dataclass(frozen=True)
class Started:
    """A new session: its token (for the cookie, stored nowhere else) and when it ends at the latest."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Checked:
    """What a token is worth now: the session's user while it is alive; else why it ended (None: unknown token)."""

    user: User | None = None
    ended: SessionEnd | None = None


def start(session: Session, user_id: int, now: datetime | None = None) -> Started:
    """Open a session for a user who has just proved their password."""
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    lifetime = timedelta(hours=settings.get(session, "session_lifetime_hours"))
    row = LoginSession(
        id=session_id(token), user_id=user_id, created_at=now, last_seen_at=now, expires_at=now + lifetime
    )
    session.add(row)
    session.flush()
    return Started(token=token, expires_at=row.expires_at)


def check(session: Session, token: str | None, now: datetime | None = None) -> Checked:
    """The session of ``token`` as the database sees it now. An alive session is touched (last_seen_at, at most
    once a minute); one found past its lifetime or idle time, or whose user was deactivated, is ended here."""
    if not token:
        return Checked()
    found = session.exec(
        select(LoginSession, User)
        .join(User, col(User.id) == LoginSession.user_id)
        .where(LoginSession.id == session_id(token))
    ).first()
    if found is None:
        return Checked()
    row, user = found
    if row.ended_at is not None:
        return Checked(ended=row.end_reason)
    now = now or utcnow()
    last_seen = _as_utc(row.last_seen_at)
    reason = None
    if not user.active:
        reason = SessionEnd.DEACTIVATED
    elif now >= _as_utc(row.expires_at):
        reason = SessionEnd.EXPIRED
    elif now - last_seen >= timedelta(minutes=settings.get(session, "session_idle_minutes")):
        reason = SessionEnd.IDLE
    if reason is not None:
        _end(session, reason, now, LoginSession.id == row.id)
        audit.record(session, user.login, "fin de session", "app_user", user.id, reason.label)
        return Checked(ended=reason)
    if now - last_seen >= TOUCH_EVERY:
        session.execute(update(LoginSession).where(col(LoginSession.id) == row.id).values(last_seen_at=now))
    return Checked(user=user)


def _end(session: Session, reason: SessionEnd, now: datetime, *conditions) -> int:
    """End the open sessions matching ``conditions``; how many."""
    ended = session.execute(
        update(LoginSession)
        .where(col(LoginSession.ended_at).is_(None), *conditions)
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    for row in list(session.identity_map.values()):  # rows read earlier in this transaction: read them again
        if isinstance(row, LoginSession):
            session.expire(row)
    return ended


def end(
    session: Session, token: str | None, reason: SessionEnd = SessionEnd.LOGOUT, now: datetime | None = None
) -> bool:
    """End one session (logout). False when it was unknown or already ended."""
    if not token:
        return False
    return _end(session, reason, now or utcnow(), LoginSession.id == session_id(token)) == 1


def end_all(session: Session, user_id: int, reason: SessionEnd, now: datetime | None = None) -> int:
    """End every open session of a user (password change or reset, role change, deactivation); how many."""
    return _end(session, reason, now or utcnow(), LoginSession.user_id == user_id)


def open_count(session: Session, user_id: int, now: datetime | None = None) -> int:
    """Sessions of a user that are neither ended nor past their lifetime."""
    now = now or utcnow()
    return session.exec(
        select(func.count())
        .select_from(LoginSession)
        .where(
            LoginSession.user_id == user_id,
            col(LoginSession.ended_at).is_(None),
            col(LoginSession.expires_at) > now,
        )
    ).one()
