"""Audit trail: who did what, when (DESIGN §6)."""

from __future__ import annotations

from sqlmodel import Session, col, select

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
