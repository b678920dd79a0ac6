"""Progress of every commitment and its roll-ups (DESIGN §3.4).

The hours come from the totals kept with them (``commitmenthours``: total and recent months per commitment,
``commitmentmonthhours`` per month when a period is chosen), never from the million rows of hours. The rules of
``clausier.rules.progress`` then run on whole numpy columns (:func:`progress_table`, a :class:`ProgressTable`):
the dashboards read roll-ups, totals and the late commitments from the columns and build an object only for the
rows they show; :func:`commitment_progress` gives every row as a :class:`CommitmentProgress`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select
from sqlmodel import Session

from clausier import settings
from clausier.gcpause import gc_paused
from clausier.rules.progress import (  # Level, LEVEL_LABELS and Filters: their home is the rules, named here too
    DEFAULT_THRESHOLDS,
    STATUS_BY_ATTENTION,
    Filters,
    Level,
    Progress,
    ProgressColumns,
    ProgressStatus,
    Projection,
    Recent,
    RollupColumns,
    Thresholds,
    month_index,
    month_of_index,
    progress_columns,
    roll_up,
    roll_up_columns,
)
from models import Buyer, Commitment, CommitmentHours, CommitmentMonthHours, Commune, Company, Lot, Operation

NO_TERRITORY = "Hors territoire"


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


class ProgressTable(Sequence[CommitmentProgress]):
    """The progress of many commitments held column by column (numpy), needs attention first, then the largest
    gap to the expected hours, then company and lot. The figures come from the vectorised rules
    (``progress_columns``, ``roll_up_columns``); a :class:`CommitmentProgress` is built only for the rows read
    (``table[i]``, iteration), so a screen that shows the late ones and the roll-ups never builds 25,000 objects."""

    def __init__(
        self,
        labels: dict[str, np.ndarray],
        numbers: dict[str, np.ndarray],
        figures: ProgressColumns,
        as_of: date,
        limits: Thresholds,
        *,
        ordered: bool = False,
    ):
        self.as_of, self.limits = as_of, limits
        if ordered:
            self._labels, self._numbers, self._figures = labels, numbers, figures
            return
        gap = np.maximum(0, np.where(figures.has_expected, figures.expected, 0) - numbers["achieved"])
        # np.lexsort is stable and sorts by its last key first; the names by their rank (Python's order of str)
        order = np.lexsort((_ranks(labels["lot_reference"]), _ranks(labels["company"]), -gap, figures.status))
        self._labels, self._numbers, self._figures = _take(labels, numbers, figures, order)

    @classmethod
    def from_columns(
        cls,
        labels: dict[str, np.ndarray],
        numbers: dict[str, np.ndarray],
        as_of: date,
        limits: Thresholds,
        period_start: date | None = None,
    ) -> ProgressTable:
        """The table of commitments given by their columns: ``labels`` (ids, names, dates as objects) and
        ``numbers`` (``committed``, ``achieved``, ``start``/``end`` day ordinals with ``has_start``/``has_end``,
        ``recent_months``, ``recent_hours``, ``last_month`` as a month index); the rules run on them here."""
        figures = progress_columns(
            numbers["committed"],
            numbers["achieved"],
            numbers["start"],
            numbers["has_start"],
            numbers["end"],
            numbers["has_end"],
            as_of,
            numbers["recent_months"],
            numbers["recent_hours"],
            numbers["last_month"],
            limits,
            period_start=period_start,
        )
        return cls(labels, numbers, figures, as_of, limits)

    def __len__(self) -> int:
        return len(self._numbers["committed"])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._rows(np.arange(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._row(index)

    def __iter__(self):
        return iter(self._rows(np.arange(len(self))))

    def _row(self, i: int) -> CommitmentProgress:
        return self._rows(np.asarray([i]))[0]

    def _rows(self, rows: np.ndarray) -> list[CommitmentProgress]:
        """The objects of these rows (each column read once as a Python list, not element by element)."""
        lb = {k: v[rows].tolist() for k, v in self._labels.items()}
        nb = {k: v[rows].tolist() for k, v in self._numbers.items()}
        fg = {k: getattr(self._figures, k)[rows].tolist() for k in self._figures.__dataclass_fields__}
        result = []
        for i in range(len(rows)):
            end = lb["end"][i]
            projection = None
            if fg["projected"][i]:
                reach = fg["reach_month"][i]
                projection = Projection(
                    fg["pace_h100"][i],
                    nb["recent_months"][i],
                    month_of_index(nb["last_month"][i]),
                    month_of_index(reach) if reach >= 0 else None,
                    fg["at_end"][i] if end is not None else None,
                )
            result.append(
                CommitmentProgress(
                    lb["commitment_id"][i],
                    lb["company_id"][i],
                    lb["company"][i],
                    lb["lot_id"][i],
                    lb["lot_reference"][i],
                    lb["lot_label"][i],
                    lb["operation_id"][i],
                    lb["operation"][i],
                    lb["buyer_id"][i],
                    lb["buyer"][i],
                    lb["territory"][i],
                    Progress(
                        committed_h100=nb["committed"][i],
                        achieved_h100=nb["achieved"][i],
                        expected_h100=fg["expected"][i] if fg["has_expected"][i] else None,
                        status=STATUS_BY_ATTENTION[fg["status"][i]],
                        start=lb["start"][i],
                        end=end,
                        projection=projection,
                        projected_at_end_h100=projection.at_end_h100 if projection else None,
                    ),
                )
            )
        return result

    def _at_end(self) -> np.ndarray:
        """Each commitment's hours projected at the end, or its achieved hours without a projection."""
        fg = self._figures
        return np.where(fg.projected & self._numbers["has_end"], fg.at_end, self._numbers["achieved"])

    def _roll_up(self, groups: np.ndarray, size: int) -> RollupColumns:
        nb, fg = self._numbers, self._figures
        return roll_up_columns(
            groups,
            size,
            nb["committed"],
            nb["achieved"],
            fg.expected,
            fg.has_expected,
            nb["start"],
            nb["has_start"],
            nb["end"],
            nb["has_end"],
            self._at_end(),
            self.as_of,
            self.limits,
        )

    def roll_ups(self, level: Level) -> list[RollupRow]:
        """``roll_ups(list(self), level, …)`` computed on the columns: needs attention first."""
        if not len(self):
            return []
        with gc_paused():  # a row per group: 21,000 at the lot level
            return self._roll_ups(level)

    def _roll_ups(self, level: Level) -> list[RollupRow]:
        lb = self._labels
        if level is Level.LOT:
            keys = lb["lot_id"]
            labels = [f"{op} – {ref}" for op, ref in zip(lb["operation"], lb["lot_reference"], strict=True)]
        else:
            name = {
                Level.OPERATION: ("operation_id", "operation"),
                Level.BUYER: ("buyer_id", "buyer"),
                Level.COMPANY: ("company_id", "company"),
                Level.TERRITORY: ("territory", "territory"),
            }[level]
            keys, labels = lb[name[0]], lb[name[1]]
        codes, uniques = pd.factorize(keys)
        size = len(uniques)
        last_row = np.zeros(size, dtype=np.int64)  # a group's label is its last row's, as in ``roll_ups``
        np.maximum.at(last_row, codes, np.arange(len(codes)))
        group_labels = np.asarray(labels, dtype=object)[last_row]
        sums = self._roll_up(codes, size)
        gap = np.maximum(0, np.where(sums.has_expected, sums.expected, 0) - sums.achieved)
        order = (
            pd.DataFrame({"a": sums.status, "g": -gap, "l": group_labels}, copy=False)
            .sort_values(["a", "g", "l"], kind="stable")
            .index.to_numpy()
        )
        return [RollupRow(level, _plain(uniques[g]), group_labels[g], _rolled(sums, g)) for g in order.tolist()]

    def total(self) -> Progress:
        """``total(list(self), …)``: the whole selection as one figure."""
        groups = np.zeros(len(self), dtype=np.int64)
        return _rolled(self._roll_up(groups, 1), 0)

    def late_table(self, include_missed: bool = True) -> ProgressTable:
        """The commitments « en retard » (and « terminé – non atteint »), in the table's order."""
        wanted = [STATUS_BY_ATTENTION.index(ProgressStatus.LATE)]
        if include_missed:
            wanted.append(STATUS_BY_ATTENTION.index(ProgressStatus.DONE_MISSED))
        rows = np.flatnonzero(np.isin(self._figures.status, wanted))
        return ProgressTable(
            *_take(self._labels, self._numbers, self._figures, rows), self.as_of, self.limits, ordered=True
        )

    def late(self, include_missed: bool = True) -> list[CommitmentProgress]:
        """``late_commitments(list(self))``."""
        return list(self.late_table(include_missed))

    def frame(self) -> pd.DataFrame:
        """Every commitment as one row of a DataFrame, in the table's order, built from the columns (no row
        object): labels, hours in hours (not hundredths), rate and pace in % to one decimal, the status label,
        the execution end, the projection. None where a figure does not exist (no dates, no hours yet)."""
        lb, nb, fg = self._labels, self._numbers, self._figures
        committed, achieved = nb["committed"], nb["achieved"]
        expected = np.where(fg.has_expected, fg.expected, 0).tolist()
        pairs = list(zip(achieved.tolist(), committed.tolist(), expected, strict=True))
        # Python's round(), as Progress.rate and .pace are shown elsewhere (numpy rounds halves differently)
        rate = [round(a / c * 100, 1) if c > 0 else None for a, c, _ in pairs]
        pace = [round(a / e * 100, 1) if e else None for a, _, e in pairs]
        reach = fg.reach_month.tolist()
        projected = fg.projected.tolist()
        return pd.DataFrame(
            {
                "company": lb["company"],
                "lot": lb["lot_reference"] + " " + lb["lot_label"],
                "operation": lb["operation"],
                "buyer": lb["buyer"],
                "territory": lb["territory"],
                "committed": committed / 100,
                "achieved": achieved / 100,
                "remaining": np.maximum(0, committed - achieved) / 100,
                "rate": pd.array(rate, dtype="Float64"),
                "expected": pd.array(np.where(fg.has_expected, fg.expected / 100, None), dtype="Float64"),
                "pace": pd.array(pace, dtype="Float64"),
                "status": [STATUS_BY_ATTENTION[i].label for i in fg.status.tolist()],
                "end": lb["end"],
                "reach": [
                    month_of_index(m).strftime("%m/%Y") if p and m >= 0 else ""
                    for p, m in zip(projected, reach, strict=True)
                ],
                "at_end": pd.array(np.where(fg.projected & nb["has_end"], fg.at_end / 100, None), dtype="Float64"),
            }
        )

    def column(self, name: str) -> np.ndarray:
        """A whole column, for tables built without a row object: a label (``company``, ``lot_reference``,
        ``lot_label``, ``operation``, ``buyer``, ``territory``…), ``committed_h100``, ``achieved_h100``,
        ``expected_h100`` (0 without execution dates) or ``status`` (the :class:`ProgressStatus` of each row)."""
        if name == "status":
            return np.asarray(STATUS_BY_ATTENTION, dtype=object)[self._figures.status]
        if name in ("committed_h100", "achieved_h100"):
            return self._numbers[name.removesuffix("_h100")]
        if name == "expected_h100":
            return np.where(self._figures.has_expected, self._figures.expected, 0)
        return self._labels[name]


def _ranks(values: np.ndarray) -> np.ndarray:
    """The rank of each string in Python's order (equal strings, equal ranks)."""
    return pd.factorize(values, sort=True)[0] if len(values) else np.zeros(0, dtype=np.int64)


def _take(labels: dict, numbers: dict, figures: ProgressColumns, rows: np.ndarray):
    """The columns of these rows, in this order."""
    return (
        {k: v[rows] for k, v in labels.items()},
        {k: v[rows] for k, v in numbers.items()},
        ProgressColumns(**{k: getattr(figures, k)[rows] for k in figures.__dataclass_fields__}),
    )


def _plain(key):
    """numpy scalars back to int / str (the keys of roll-up rows)."""
    return key.item() if hasattr(key, "item") else key


def _rolled(sums: RollupColumns, g: int) -> Progress:
    return Progress(
        committed_h100=int(sums.committed[g]),
        achieved_h100=int(sums.achieved[g]),
        expected_h100=int(sums.expected[g]) if sums.has_expected[g] else None,
        status=STATUS_BY_ATTENTION[sums.status[g]],
        start=date.fromordinal(int(sums.start[g])) if sums.has_start[g] else None,
        end=date.fromordinal(int(sums.end[g])) if sums.has_end[g] else None,
        projection=None,
        projected_at_end_h100=int(sums.at_end[g]),
        count=int(sums.count[g]),
    )


def progress_table(
    session: Session, as_of: date, filters: Filters = Filters(), limits: Thresholds | None = None
) -> ProgressTable:
    """The progress of every commitment matching ``filters`` at ``as_of`` (with a ``period_end``, at the earlier
    of the two), as a :class:`ProgressTable`: the commitments with their lot and kept hours in one statement
    (a scan of the commitments, the rest by primary key), the operations and companies by name in two small
    ones, then the rules on whole columns."""
    with gc_paused():  # hundreds of thousands of short-lived objects, no cycle among them
        return _progress_table(session, as_of, filters, limits)


def _progress_table(session: Session, as_of: date, filters: Filters, limits: Thresholds | None) -> ProgressTable:
    limits = limits or thresholds(session)
    if filters.period_end is not None:
        as_of = min(as_of, filters.period_end)
    conn = session.connection()
    operations = select(Operation.id, Operation.name, Buyer.id, Buyer.name, Commune.epci).join(
        Buyer, Buyer.id == Operation.buyer_id
    )
    operations = operations.join(Commune, Commune.id == Operation.commune_id, isouter=True)
    if filters.buyer_id is not None:
        operations = operations.where(Operation.buyer_id == filters.buyer_id)
    if filters.operation_id is not None:
        operations = operations.where(Operation.id == filters.operation_id)
    if filters.territory:
        operations = operations.where(Commune.epci == filters.territory)
    operation_of = {row[0]: row[1:] for row in conn.execute(operations).all()}
    query = select(
        Commitment.id,
        Commitment.hours_committed_h100,
        Commitment.company_id,
        Lot.id,
        Lot.reference,
        Lot.label,
        Lot.execution_start,
        Lot.execution_end,
        Lot.operation_id,
    ).join(Lot, Lot.id == Commitment.lot_id)
    if filters.buyer_id is not None or filters.operation_id is not None or filters.territory:
        query = query.where(Lot.operation_id.in_(operations.with_only_columns(Operation.id)))
    if filters.company_id is not None:
        query = query.where(Commitment.company_id == filters.company_id)
    summary = CommitmentHours.__table__
    if filters.period_start is None and filters.period_end is None and _summaries_fit(session, limits):
        # the whole life of each commitment: its kept summary, read in the same statement
        query = query.add_columns(
            summary.c.hours_h100, summary.c.recent_months, summary.c.recent_h100, _month_index(summary.c.last_month)
        ).join(summary, summary.c.commitment_id == Commitment.id, isouter=True)
        rows = conn.execute(query).all()
        columns = list(zip(*rows, strict=True)) if rows else [()] * 13
        kept, recent_months, recent_hours, last = columns[9:]
    else:
        filtered = query.whereclause is not None
        ids = select(query.with_only_columns(Commitment.id).subquery().c.id) if filtered else None
        by_id = _hours(session, filters, limits.projection_months, ids)
        rows = conn.execute(query).all()
        columns = list(zip(*rows, strict=True)) if rows else [()] * 9
        found = [by_id.get(cid) for cid in columns[0]]
        kept = [f[0] if f else None for f in found]
        recent_months = [f[1].months if f else None for f in found]
        recent_hours = [f[1].hours_h100 if f else None for f in found]
        last = [month_index(f[1].last) if f else None for f in found]

    commitment_ids, committed, company_ids, lot_ids, references, lot_labels, starts, ends, op_ids = columns[:9]
    companies = select(Company.id, Company.name)
    if filters.company_id is not None:
        companies = companies.where(Company.id == filters.company_id)
    company_of = dict(conn.execute(companies).all())
    ops = [operation_of[o] for o in op_ids]
    obj = lambda values: np.asarray(values, dtype=object)  # noqa: E731
    labels = {
        "commitment_id": obj(commitment_ids),
        "company_id": obj(company_ids),
        "company": obj([company_of[c] for c in company_ids]),
        "lot_id": obj(lot_ids),
        "lot_reference": obj(references),
        "lot_label": obj(lot_labels),
        "start": obj(starts),
        "end": obj(ends),
        "operation_id": obj(op_ids),
        "operation": obj([o[0] for o in ops]),
        "buyer_id": obj([o[1] for o in ops]),
        "buyer": obj([o[2] for o in ops]),
        "territory": obj([o[3] or NO_TERRITORY for o in ops]),
    }
    numbers = {
        "committed": _integers(committed),
        "achieved": _integers(kept),
        "start": np.asarray([d.toordinal() if d is not None else 0 for d in starts], dtype=np.int64),
        "has_start": np.asarray([d is not None for d in starts], dtype=bool),
        "end": np.asarray([d.toordinal() if d is not None else 0 for d in ends], dtype=np.int64),
        "has_end": np.asarray([d is not None for d in ends], dtype=bool),
        "recent_months": _integers(recent_months),
        "recent_hours": _integers(recent_hours),
        "last_month": _integers(last),  # month indexes
    }
    return ProgressTable.from_columns(labels, numbers, as_of, limits, filters.period_start)


def commitment_progress(
    session: Session, as_of: date, filters: Filters = Filters(), limits: Thresholds | None = None
) -> list[CommitmentProgress]:
    """The progress of every commitment matching ``filters`` at ``as_of`` (with a ``period_end``, at the earlier
    of the two), ordered by what needs attention first, then the largest gap to the expected hours."""
    table = progress_table(session, as_of, filters, limits)
    with gc_paused():
        return list(table)


def _month_index(column):
    """``month_index`` in SQL (year × 12 + month − 1): no date to parse per row."""
    return func.extract("year", column) * 12 + func.extract("month", column) - 1


def _integers(values) -> np.ndarray:
    """A column of integers, none read as 0 (hundredths of an hour: exact in float64 far beyond any total)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.nan_to_num(np.asarray(values, dtype=np.float64)).astype(np.int64)


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
