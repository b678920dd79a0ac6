"""Progress of every commitment and its roll-ups (DESIGN §3.4), read in one set-based query.

One SQL statement sums the hours per commitment and month (an index-only scan of the covering index
``ix_hoursentry_commitment_month_hours``), numbers the months of each commitment from the newest with a window
function, and returns per commitment its total, the hours of its last N months with hours (for the projection)
and its labels; the rules of ``clausier.rules.progress`` then compute the figures, and the roll-ups sum them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from sqlalchemy import case, func, literal, select
from sqlmodel import Session

from clausier import settings
from clausier.rules.progress import (
    DEFAULT_THRESHOLDS,
    Progress,
    ProgressStatus,
    Recent,
    Thresholds,
    progress,
    roll_up,
)
from models import Buyer, Commitment, CommitmentHours, CommitmentMonthHours, Commune, Company, Lot, Operation

NO_TERRITORY = "Hors territoire"


class Level(str, Enum):
    LOT = "lot"
    OPERATION = "operation"
    BUYER = "buyer"
    COMPANY = "company"
    TERRITORY = "territory"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    Level.LOT: "Lot",
    Level.OPERATION: "Opération",
    Level.BUYER: "Donneur d'ordre",
    Level.COMPANY: "Entreprise",
    Level.TERRITORY: "Territoire",
}


@dataclass(frozen=True)
class Filters:
    """Filters of the progress screens. ``period_start``/``period_end`` limit the months of hours counted (and
    the expected hours to that period); ``territory`` is an EPCI code of the operation's commune (CUD, CCHF)."""

    buyer_id: int | None = None
    operation_id: int | None = None
    company_id: int | None = None
    territory: str | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class CommitmentProgress:
    commitment_id: int
    company_id: int
    company: str
    lot_id: int
    lot_reference: str
    lot_label: str
    operation_id: int
    operation: str
    buyer_id: int
    buyer: str
    territory: str  # EPCI of the operation's commune, or NO_TERRITORY
    progress: Progress


@dataclass(frozen=True)
class RollupRow:
    level: Level
    key: int | str
    label: str
    progress: Progress


def thresholds(session: Session) -> Thresholds:
    """The thresholds of §3.4 from the settings."""
    values = settings.get_all(session)
    return Thresholds(
        on_time=float(values["status_on_time_pace"]),
        ahead=float(values["status_ahead_pace"]),
        projection_months=int(values["projection_months"]),
    )


def _month_filters(column, filters: Filters) -> list:
    where = []
    if filters.period_start is not None:
        where.append(column >= filters.period_start.replace(day=1))
    if filters.period_end is not None:
        where.append(column <= filters.period_end)
    return where


def _hours(session: Session, filters: Filters, months: int, commitment_ids) -> dict[int, tuple[int, Recent]]:
    """Per commitment with hours: its total, and the :class:`Recent` summary of its last ``months`` months.

    One statement over the totals kept per commitment and month (``commitmentmonthhours``, a few rows per
    commitment instead of one per person): the months of each commitment are numbered from the newest by a
    window function, and the grouping returns one row per commitment, so Python never walks the months."""
    t = CommitmentMonthHours.__table__
    where = [*_month_filters(t.c.month, filters)]
    if commitment_ids is not None:
        where.append(t.c.commitment_id.in_(commitment_ids))
    ranked = (
        select(
            t.c.commitment_id,
            t.c.month,
            t.c.hours_h100,
            func.row_number().over(partition_by=t.c.commitment_id, order_by=t.c.month.desc()).label("rank"),
        )
        .where(*where)
        .subquery()
    )
    recent = ranked.c.rank <= months
    query = select(
        ranked.c.commitment_id,
        func.sum(ranked.c.hours_h100),
        func.sum(case((recent, ranked.c.hours_h100), else_=0)),
        func.sum(case((recent, 1), else_=0)),
        func.max(ranked.c.month),
    ).group_by(ranked.c.commitment_id)
    result: dict[int, tuple[int, Recent]] = {}
    for cid, total, recent_hours, recent_months, last in session.connection().execute(query):
        result[cid] = (int(total), Recent(int(recent_months), int(recent_hours), _as_date(last)))
    return result


def _summaries_fit(session: Session, limits: Thresholds) -> bool:
    """Whether every kept summary was computed with the projection window in force."""
    summary = CommitmentHours.__table__
    stale = session.connection().execute(
        select(summary.c.commitment_id).where(summary.c.window_months != limits.projection_months).limit(1)
    )
    return stale.first() is None


def commitment_progress(
    session: Session, as_of: date, filters: Filters = Filters(), limits: Thresholds | None = None
) -> list[CommitmentProgress]:
    """The progress of every commitment matching ``filters`` at ``as_of`` (with a ``period_end``, at the earlier
    of the two), ordered by what needs attention first, then the largest gap to the expected hours."""
    limits = limits or thresholds(session)
    if filters.period_end is not None:
        as_of = min(as_of, filters.period_end)
    query = (
        select(
            Commitment.id,
            Commitment.hours_committed_h100,
            Company.id,
            Company.name,
            Lot.id,
            Lot.reference,
            Lot.label,
            Lot.execution_start,
            Lot.execution_end,
            Operation.id,
            Operation.name,
            Buyer.id,
            Buyer.name,
            Commune.epci,
        )
        .join(Company, Company.id == Commitment.company_id)
        .join(Lot, Lot.id == Commitment.lot_id)
        .join(Operation, Operation.id == Lot.operation_id)
        .join(Buyer, Buyer.id == Operation.buyer_id)
        .join(Commune, Commune.id == Operation.commune_id, isouter=True)
    )
    if filters.buyer_id is not None:
        query = query.where(Operation.buyer_id == filters.buyer_id)
    if filters.operation_id is not None:
        query = query.where(Lot.operation_id == filters.operation_id)
    if filters.company_id is not None:
        query = query.where(Commitment.company_id == filters.company_id)
    if filters.territory:
        query = query.where(Commune.epci == filters.territory)
    filtered = any(v is not None for v in (filters.buyer_id, filters.operation_id, filters.company_id)) or bool(
        filters.territory
    )
    summary = CommitmentHours.__table__
    if filters.period_start is None and filters.period_end is None and _summaries_fit(session, limits):
        # the whole life of each commitment: its kept summary, read in the same statement
        query = query.add_columns(
            summary.c.hours_h100, summary.c.recent_months, summary.c.recent_h100, summary.c.last_month
        ).join(summary, summary.c.commitment_id == Commitment.id, isouter=True)
        hours = None
    else:
        ids = query.with_only_columns(Commitment.id).subquery() if filtered else None
        hours = _hours(session, filters, limits.projection_months, None if ids is None else select(ids.c.id))
        query = query.add_columns(literal(None), literal(None), literal(None), literal(None))
    none = (0, None)

    result = []
    for (
        cid,
        committed,
        co_id,
        co,
        lot_id,
        ref,
        label,
        start,
        end,
        op_id,
        op,
        b_id,
        b,
        epci,
        kept_hours,
        recent_months,
        recent_hours,
        last_month,
    ) in session.connection().execute(query).all():
        if hours is not None:
            achieved, recent = hours.get(cid, none)
        elif kept_hours is None:
            achieved, recent = none
        else:
            achieved, recent = int(kept_hours), Recent(recent_months, int(recent_hours), _as_date(last_month))
        result.append(
            CommitmentProgress(
                cid,
                co_id,
                co,
                lot_id,
                ref,
                label,
                op_id,
                op,
                b_id,
                b,
                epci or NO_TERRITORY,
                progress(
                    committed,
                    achieved,
                    start,
                    end,
                    as_of,
                    recent,
                    limits,
                    period_start=filters.period_start,
                ),
            )
        )
    result.sort(key=lambda r: (r.progress.status.attention, -r.progress.gap_h100, r.company, r.lot_reference))
    return result


def _as_date(value) -> date:
    """SQLite returns the month of a subquery as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _key(row: CommitmentProgress, level: Level) -> tuple[int | str, str]:
    if level is Level.LOT:
        return row.lot_id, f"{row.operation} – {row.lot_reference}"
    if level is Level.OPERATION:
        return row.operation_id, row.operation
    if level is Level.BUYER:
        return row.buyer_id, row.buyer
    if level is Level.COMPANY:
        return row.company_id, row.company
    return row.territory, row.territory


def roll_ups(
    rows: Iterable[CommitmentProgress], level: Level, as_of: date, limits: Thresholds = DEFAULT_THRESHOLDS
) -> list[RollupRow]:
    """The commitments summed by lot, operation, buyer, company or territory; needs attention first."""
    groups: dict[int | str, list[Progress]] = defaultdict(list)
    labels: dict[int | str, str] = {}
    for row in rows:
        key, label = _key(row, level)
        groups[key].append(row.progress)
        labels[key] = label
    result = [RollupRow(level, key, labels[key], roll_up(children, as_of, limits)) for key, children in groups.items()]
    result.sort(key=lambda r: (r.progress.status.attention, -r.progress.gap_h100, r.label))
    return result


def total(rows: Iterable[CommitmentProgress], as_of: date, limits: Thresholds = DEFAULT_THRESHOLDS) -> Progress:
    """The whole selection as one figure."""
    return roll_up((r.progress for r in rows), as_of, limits)


def rollup_progress(
    session: Session, level: Level, as_of: date, filters: Filters = Filters(), limits: Thresholds | None = None
) -> list[RollupRow]:
    """Shortcut: ``roll_ups(commitment_progress(...))``."""
    limits = limits or thresholds(session)
    if filters.period_end is not None:
        as_of = min(as_of, filters.period_end)
    return roll_ups(commitment_progress(session, as_of, filters, limits), level, as_of, limits)


def late_commitments(rows: Iterable[CommitmentProgress], include_missed: bool = True) -> list[CommitmentProgress]:
    """The commitments « en retard » (and « terminé – non atteint »), largest gap first within each status."""
    wanted = {ProgressStatus.LATE} | ({ProgressStatus.DONE_MISSED} if include_missed else set())
    return [r for r in rows if r.progress.status in wanted]


def filter_choices(session: Session) -> dict:
    """The choices of the progress filters: buyers, operations and companies that have commitments, and the
    territories (EPCI codes)."""
    conn = session.connection()
    with_commitments = select(Commitment.lot_id).distinct().subquery()
    operations = (
        select(Operation.id, Operation.name, Buyer.id, Buyer.name)
        .join(Buyer, Buyer.id == Operation.buyer_id)
        .where(Operation.id.in_(select(Lot.operation_id).join(with_commitments, with_commitments.c.lot_id == Lot.id)))
        .order_by(Buyer.name, Operation.name)
    )
    buyers: dict[int, str] = {}
    ops: dict[int, str] = {}
    for op_id, name, buyer_id, buyer in conn.execute(operations):
        ops[op_id] = f"{name} ({buyer})"
        buyers[buyer_id] = buyer
    companies = {
        cid: f"{name} ({siret})"
        for cid, name, siret in conn.execute(
            select(Company.id, Company.name, Company.siret)
            .where(Company.id.in_(select(Commitment.company_id)))
            .order_by(Company.name)
        )
    }
    return {
        "buyers": dict(sorted(buyers.items(), key=lambda kv: kv[1])),
        "operations": ops,
        "companies": companies,
        "territories": territories(session),
    }


def territories(session: Session) -> list[str]:
    """The EPCI codes of the communes (for the territory filter)."""
    return [
        e
        for (e,) in session.connection().execute(
            select(Commune.epci).where(Commune.epci != "").distinct().order_by(Commune.epci)
        )
    ]
