"""The hours of each commitment, kept in step with the entries they sum, so no screen sums a million rows.

Two tables: ``commitmentmonthhours`` (per commitment and month) and ``commitmenthours`` (per commitment: total,
last month with hours, and the last ``projection_months`` months with hours summed, for the projection of §3.4).
Every write of ``hoursentry`` (import, undo, manual entry, deletion of a month, demo data) calls :func:`refresh`
with the (commitment, month) pairs it touched, in the same transaction: those totals are recomputed from the
entries by set-based statements (``DELETE`` then ``INSERT … SELECT … GROUP BY``), so a total never drifts from its
rows whatever the order of the writes. :func:`mismatches` compares both tables with the entries (tests and
``python -m clausier verifier-heures``); :func:`rebuild` recomputes everything (bulk loads, a changed setting).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, delete, func, insert, literal, select
from sqlmodel import Session

from clausier import settings
from models import CommitmentHours, CommitmentMonthHours, HoursEntry

CHUNK = 500  # commitments per statement (bound parameters stay far below every driver's limit)


def refresh(session: Session, pairs: Iterable[tuple[int, date]]) -> int:
    """Recompute the totals of the given (commitment, month) pairs from the entries; returns how many pairs."""
    by_month: dict[date, set[int]] = defaultdict(set)
    for commitment_id, month in pairs:
        by_month[month].add(int(commitment_id))
    if not by_month:
        return 0
    totals, entries = CommitmentMonthHours.__table__, HoursEntry.__table__
    conn = session.connection()
    count = 0
    for month, ids in sorted(by_month.items()):
        ordered = sorted(ids)
        count += len(ordered)
        for i in range(0, len(ordered), CHUNK):
            chunk = ordered[i : i + CHUNK]
            conn.execute(delete(totals).where(totals.c.month == month, totals.c.commitment_id.in_(chunk)))
            conn.execute(
                insert(totals).from_select(
                    ["commitment_id", "month", "hours_h100", "entries"],
                    select(entries.c.commitment_id, entries.c.month, func.sum(entries.c.hours_h100), func.count())
                    .where(entries.c.month == month, entries.c.commitment_id.in_(chunk))
                    .group_by(entries.c.commitment_id, entries.c.month),
                )
            )
    _refresh_summary(session, sorted(set().union(*by_month.values())))
    return count


def _summary_select(window: int, commitment_ids: list[int] | None):
    """Per commitment: total, last month, and the last ``window`` months with hours, from the monthly totals."""
    t = CommitmentMonthHours.__table__
    ranked = select(
        t.c.commitment_id,
        t.c.month,
        t.c.hours_h100,
        func.row_number().over(partition_by=t.c.commitment_id, order_by=t.c.month.desc()).label("rank"),
    )
    if commitment_ids is not None:
        ranked = ranked.where(t.c.commitment_id.in_(commitment_ids))
    ranked = ranked.subquery()
    recent = ranked.c.rank <= window
    return select(
        ranked.c.commitment_id,
        func.sum(ranked.c.hours_h100),
        func.max(ranked.c.month),
        func.sum(case((recent, 1), else_=0)),
        func.sum(case((recent, ranked.c.hours_h100), else_=0)),
        literal(window),
    ).group_by(ranked.c.commitment_id)


_SUMMARY_COLUMNS = ["commitment_id", "hours_h100", "last_month", "recent_months", "recent_h100", "window_months"]


def _refresh_summary(session: Session, commitment_ids: list[int]) -> None:
    summary = CommitmentHours.__table__
    window = int(settings.get(session, "projection_months"))
    conn = session.connection()
    for i in range(0, len(commitment_ids), CHUNK):
        chunk = commitment_ids[i : i + CHUNK]
        conn.execute(delete(summary).where(summary.c.commitment_id.in_(chunk)))
        conn.execute(insert(summary).from_select(_SUMMARY_COLUMNS, _summary_select(window, chunk)))


def rebuild(session: Session) -> int:
    """Recompute both tables from the entries (after a bulk load, or when the setting « projection_months »
    changes); returns the number of monthly totals."""
    totals, entries = CommitmentMonthHours.__table__, HoursEntry.__table__
    conn = session.connection()
    conn.execute(delete(CommitmentHours.__table__))
    conn.execute(delete(totals))
    conn.execute(
        insert(totals).from_select(
            ["commitment_id", "month", "hours_h100", "entries"],
            select(entries.c.commitment_id, entries.c.month, func.sum(entries.c.hours_h100), func.count()).group_by(
                entries.c.commitment_id, entries.c.month
            ),
        )
    )
    window = int(settings.get(session, "projection_months"))
    conn.execute(insert(CommitmentHours.__table__).from_select(_SUMMARY_COLUMNS, _summary_select(window, None)))
    return int(session.execute(select(func.count()).select_from(totals)).scalar_one())


def rebuild_summary(session: Session) -> None:
    """Recompute the per-commitment summaries from the monthly totals (the projection's window changed)."""
    window = int(settings.get(session, "projection_months"))
    conn = session.connection()
    conn.execute(delete(CommitmentHours.__table__))
    conn.execute(insert(CommitmentHours.__table__).from_select(_SUMMARY_COLUMNS, _summary_select(window, None)))


def mismatches(session: Session) -> list[tuple[int, date | None, int, int]]:
    """The (commitment, month, kept total, sum of the entries) that differ, a missing side counting as 0; a
    per-commitment summary that differs from its months comes as (commitment, None, kept, summed)."""
    totals, entries = CommitmentMonthHours.__table__, HoursEntry.__table__
    summed = {
        (cid, _as_date(month)): (int(hours), int(n))
        for cid, month, hours, n in session.execute(
            select(entries.c.commitment_id, entries.c.month, func.sum(entries.c.hours_h100), func.count()).group_by(
                entries.c.commitment_id, entries.c.month
            )
        )
    }
    kept = {
        (cid, _as_date(month)): (int(hours), int(n))
        for cid, month, hours, n in session.execute(
            select(totals.c.commitment_id, totals.c.month, totals.c.hours_h100, totals.c.entries)
        )
    }
    wrong: list[tuple[int, date | None, int, int]] = []
    for key in sorted(set(summed) | set(kept)):
        if summed.get(key) != kept.get(key):
            wrong.append((key[0], key[1], kept.get(key, (0, 0))[0], summed.get(key, (0, 0))[0]))
    window = int(settings.get(session, "projection_months"))
    expected = {row[0]: tuple(row[1:]) for row in session.execute(_summary_select(window, None))}
    stored = {row[0]: tuple(row[1:]) for row in session.execute(select(*CommitmentHours.__table__.c))}
    for cid in sorted(set(expected) | set(stored)):
        a, b = _normal(expected.get(cid)), _normal(stored.get(cid))
        if a != b:
            wrong.append((cid, None, b[0] if b else 0, a[0] if a else 0))
    return wrong


def _normal(row) -> tuple | None:
    if row is None:
        return None
    hours, last, months, recent, window = row
    return int(hours), _as_date(last), int(months), int(recent), int(window)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
