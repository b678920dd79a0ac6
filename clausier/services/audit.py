"""Audit trail: who did what, when (DESIGN §6)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from clausier import privacy
from clausier.access import CurrentUser
from clausier.errors import PermissionDenied
from models import AuditEvent


def record(
    session: Session, who: str, action: str, table_name: str = "", record_id: object = "", summary: str = ""
) -> None:
    session.add(
        AuditEvent(who=who, action=action, table_name=table_name, record_id=str(record_id or ""), summary=summary)
    )


def recent(session: Session, limit: int = 500, who: str | None = None, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    if who:
        query = query.where(AuditEvent.who == who)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.exec(query))


def record_export(
    session: Session, user: CurrentUser | None, what: str, file_name: str, rows: int, *, personal_data: bool
) -> None:
    """Log one download in the audit trail (action « export »); refused when the role may not export it."""
    if not privacy.may_export(user, personal_data=personal_data):
        raise PermissionDenied("Votre rôle ne permet pas d'exporter des données personnelles.")
    assert user is not None
    detail = " — données personnelles" if personal_data else ""
    record(session, user.login, "export", what[:60], "", f"{file_name} : {rows} ligne(s){detail}")
