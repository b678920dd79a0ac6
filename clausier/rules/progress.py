"""DESIGN §3.4 — progress of a commitment (*avancement*) and its roll-ups. Pure: dates and thresholds are parameters.

Decisions the design leaves open, taken here:

- **Elapsed share** counts whole days, both ends included: on the first day of execution 1/N of the hours are
  expected, on the last day all of them; nothing before the start, everything after the end.
- **« non commencé »**: before the execution start with no hours yet (hours already achieved before the start
  make it « en avance »); also a commitment without execution dates and without hours.
- **No execution dates** (lot not dated): no expected hours and no pace; the status is « terminé – atteint » when
  the rate reaches 1, else « dans les temps » once hours exist (nothing to compare them with), else « non commencé ».
- **Nothing committed** (0 h): nothing is owed, so « terminé – atteint »; the rate is ``None`` (shown « — »).
- **Order of the rules**: rate ≥ 1 → « terminé – atteint »; period over → « terminé – non atteint »; before the
  start → « non commencé » (or « en avance » with hours); then the pace thresholds.
- **Projection**: the average of the last N months *that have hours* (not N calendar months), counted from the
  last month with hours: ``reach_month`` is that month plus ⌈remaining ÷ average⌉ months; ``at_end_h100`` adds the
  average for each month after it up to the month of the execution end.
- **Roll-ups** sum committed, achieved and expected hours (and the projected hours at the end); their period runs
  from the earliest start to the latest end of the children; rate, pace and status are computed again from the sums.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

import numpy as np

from clausier.rules.calendar import months_between, shift_month


class ProgressStatus(str, Enum):
    LATE = "late"
    DONE_MISSED = "done_missed"
    ON_TIME = "on_time"
    NOT_STARTED = "not_started"
    AHEAD = "ahead"
    DONE_REACHED = "done_reached"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self]

    @property
    def attention(self) -> int:
        """Sort key: what needs attention first (late, then missed, … , reached last)."""
        return ATTENTION_ORDER.index(self)


STATUS_LABELS: dict[ProgressStatus, str] = {
    ProgressStatus.LATE: "en retard",
    ProgressStatus.DONE_MISSED: "terminé – non atteint",
    ProgressStatus.ON_TIME: "dans les temps",
    ProgressStatus.NOT_STARTED: "non commencé",
    ProgressStatus.AHEAD: "en avance",
    ProgressStatus.DONE_REACHED: "terminé – atteint",
}

# Okabe-Ito palette (colour-blind safe); grey for « non commencé ».
STATUS_COLOURS: dict[ProgressStatus, str] = {
    ProgressStatus.LATE: "#D55E00",  # vermillion
    ProgressStatus.DONE_MISSED: "#CC79A7",  # reddish purple
    ProgressStatus.ON_TIME: "#E69F00",  # orange
    ProgressStatus.NOT_STARTED: "#999999",  # grey
    ProgressStatus.AHEAD: "#56B4E9",  # sky blue
    ProgressStatus.DONE_REACHED: "#009E73",  # bluish green
}

# A late commitment can still be saved: first. A missed one needs a word with the company: next.
ATTENTION_ORDER: list[ProgressStatus] = [
    ProgressStatus.LATE,
    ProgressStatus.DONE_MISSED,
    ProgressStatus.ON_TIME,
    ProgressStatus.NOT_STARTED,
    ProgressStatus.AHEAD,
    ProgressStatus.DONE_REACHED,
]


@dataclass(frozen=True)
class Thresholds:
    """Settings ``status_on_time_pace``, ``status_ahead_pace``, ``projection_months``."""

    on_time: float = 0.8
    ahead: float = 1.0
    projection_months: int = 3


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Projection:
    monthly_pace_h100: int  # average of the last months with hours
    months_used: int
    last_month: date  # last month with hours: the projection counts from there
    reach_month: date | None  # None: already reached
    at_end_h100: int | None  # hours projected at the month of the execution end (None: no end date)

    def reached_by_end(self, end: date | None) -> bool | None:
        if end is None:
            return None
        return self.reach_month is None or self.reach_month <= _month_start(end)


@dataclass(frozen=True, slots=True)
class Progress:
    committed_h100: int
    achieved_h100: int
    expected_h100: int | None  # None: no execution period
    status: ProgressStatus
    start: date | None = None
    end: date | None = None
    projection: Projection | None = None
    projected_at_end_h100: int | None = None  # roll-ups: sum of the children's (their achieved when no projection)
    count: int = 1  # commitments summed

    @property
    def remaining_h100(self) -> int:
        return max(0, self.committed_h100 - self.achieved_h100)

    @property
    def rate(self) -> float | None:
        return self.achieved_h100 / self.committed_h100 if self.committed_h100 > 0 else None

    @property
    def pace(self) -> float | None:
        return self.achieved_h100 / self.expected_h100 if self.expected_h100 else None

    @property
    def gap_h100(self) -> int:
        """Hours missing against what is expected to date (0 when ahead)."""
        return max(0, (self.expected_h100 or 0) - self.achieved_h100)


# --- the rules ------------------------------------------------------------------------------------------------------


def elapsed_share(start: date, end: date, as_of: date) -> float:
    """Share of the execution period elapsed at ``as_of``: 0 before the start, 1 from the end day, linear by day."""
    if as_of < start:
        return 0.0
    if as_of >= end:
        return 1.0
    return ((as_of - start).days + 1) / ((end - start).days + 1)


def expected_hours_h100(committed_h100: int, start: date | None, end: date | None, as_of: date) -> int | None:
    """``expected(d)`` = committed × elapsed share (None without both execution dates)."""
    if start is None or end is None:
        return None
    return round(committed_h100 * elapsed_share(start, end, as_of))


def expected_in_period_h100(
    committed_h100: int, start: date | None, end: date | None, period_start: date | None, as_of: date
) -> int | None:
    """Hours expected between ``period_start`` and ``as_of``: what hours counted from ``period_start`` compare with."""
    upto = expected_hours_h100(committed_h100, start, end, as_of)
    if upto is None or period_start is None:
        return upto
    before = expected_hours_h100(committed_h100, start, end, period_start - timedelta(days=1)) or 0
    return max(0, upto - before)


def status_of(
    committed_h100: int,
    achieved_h100: int,
    expected_h100: int | None,
    start: date | None,
    end: date | None,
    as_of: date,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> ProgressStatus:
    """The status of §3.4 with the order of rules in the module's docstring."""
    if committed_h100 <= 0 or achieved_h100 >= committed_h100:
        return ProgressStatus.DONE_REACHED
    if end is not None and as_of > end:
        return ProgressStatus.DONE_MISSED
    if start is not None and as_of < start:
        return ProgressStatus.AHEAD if achieved_h100 > 0 else ProgressStatus.NOT_STARTED
    if not expected_h100:
        return ProgressStatus.ON_TIME if achieved_h100 > 0 else ProgressStatus.NOT_STARTED
    pace = achieved_h100 / expected_h100
    if pace >= thresholds.ahead:
        return ProgressStatus.AHEAD
    if pace >= thresholds.on_time:
        return ProgressStatus.ON_TIME
    return ProgressStatus.LATE


def _month_start(d: date) -> date:
    return d if d.day == 1 else d.replace(day=1)


LAST_MONTH_INDEX = 9999 * 12 + 11  # December 9999, the last month a ``date`` can hold


@dataclass(frozen=True, slots=True)
class Recent:
    """The last months with hours of a commitment, summed: how many (at most the projection's window), their
    hours, and the newest of them. What :func:`project` needs, computed by the database for a whole list."""

    months: int
    hours_h100: int
    last: date


def recent_of(monthly_hours: Sequence[tuple[date, int]], months: int = 3) -> Recent | None:
    """The :class:`Recent` summary of (month, hours) pairs in any order (months without hours ignored)."""
    with_hours = sorted([(_month_start(m), h) for m, h in monthly_hours if h > 0], reverse=True)[:months]
    if not with_hours:
        return None
    return Recent(len(with_hours), sum(h for _, h in with_hours), with_hours[0][0])


def project(
    committed_h100: int,
    achieved_h100: int,
    recent_months: Sequence[tuple[date, int]] | Recent | None,
    end: date | None,
    months: int = 3,
) -> Projection | None:
    """Projection at the average of the last ``months`` months with hours (``recent_months``: (month, hours)
    pairs in any order, months without hours ignored, or their :class:`Recent` summary). None when no month
    has hours."""
    if isinstance(recent_months, Recent) or recent_months is None:
        recent = recent_months
    else:
        recent = recent_of(recent_months, months)
    if recent is None or recent.months <= 0:
        return None
    pace = recent.hours_h100 / recent.months
    last = _month_start(recent.last)
    remaining = committed_h100 - achieved_h100
    reach = None
    if remaining > 0 and pace > 0:  # at a pace of a few minutes a month the goal is out of the calendar: 12/9999
        reach = shift_month(last, min(math.ceil(remaining / pace), LAST_MONTH_INDEX - month_index(last)))
    at_end = None
    if end is not None:
        at_end = achieved_h100 + round(pace * max(0, months_between(last, end)))
    return Projection(round(pace), recent.months, last, reach, at_end)


def progress(
    committed_h100: int,
    achieved_h100: int,
    start: date | None,
    end: date | None,
    as_of: date,
    monthly_hours: Sequence[tuple[date, int]] | Recent | None = (),
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    period_start: date | None = None,
) -> Progress:
    """The progress of one commitment at ``as_of``. ``monthly_hours``: (month, hours) pairs, at least the last
    ``thresholds.projection_months`` months with hours, or their :class:`Recent` summary. ``period_start``: the hours counted start at that month
    (a period filter), so the expected hours start there too."""
    expected = expected_in_period_h100(committed_h100, start, end, period_start, as_of)
    projection = project(committed_h100, achieved_h100, monthly_hours, end, thresholds.projection_months)
    return Progress(
        committed_h100=committed_h100,
        achieved_h100=achieved_h100,
        expected_h100=expected,
        status=status_of(committed_h100, achieved_h100, expected, start, end, as_of, thresholds),
        start=start,
        end=end,
        projection=projection,
        projected_at_end_h100=projection.at_end_h100 if projection and projection.at_end_h100 is not None else None,
    )


def roll_up(children: Iterable[Progress], as_of: date, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Progress:
    """A lot, operation, buyer, company or territory: the sums of its commitments, status computed again."""
    committed = achieved = expected = at_end = count = 0
    any_expected = False
    starts: list[date] = []
    ends: list[date] = []
    undated = False
    for child in children:
        committed += child.committed_h100
        achieved += child.achieved_h100
        count += child.count
        if child.expected_h100 is not None:
            any_expected = True
            expected += child.expected_h100
        at_end += child.projected_at_end_h100 if child.projected_at_end_h100 is not None else child.achieved_h100
        if child.start is not None:
            starts.append(child.start)
        if child.end is not None:
            ends.append(child.end)
        else:
            undated = True
    start = min(starts) if starts else None
    end = None if undated or not ends else max(ends)  # an undated child keeps the whole open
    expected_total = expected if any_expected else None
    return Progress(
        committed_h100=committed,
        achieved_h100=achieved,
        expected_h100=expected_total,
        status=status_of(committed, achieved, expected_total, start, end, as_of, thresholds),
        start=start,
        end=end,
        projection=None,
        projected_at_end_h100=at_end,
        count=count,
    )


# --- many commitments at once ---------------------------------------------------------------------------------------
# The rules above on numpy columns, for the screens that show thousands of commitments (25,000 at size L): one
# Python call per rule instead of one per commitment. Days are ordinals (``date.toordinal()``), months are
# indexes (``year × 12 + month − 1``), a missing date is a ``False`` in its ``has_…`` column. Rounding is the
# same as ``round()`` (half to even, on the same float64 values), so the property-based tests of
# ``tests/unit/test_progress_columns.py`` hold every figure equal to the rules above, value for value.

STATUS_BY_ATTENTION = tuple(ATTENTION_ORDER)  # a status column holds the attention index of the status
_ATTENTION = {status: index for index, status in enumerate(ATTENTION_ORDER)}
_LATE, _MISSED, _ON_TIME, _NOT_STARTED, _AHEAD, _REACHED = (
    _ATTENTION[s]
    for s in (
        ProgressStatus.LATE,
        ProgressStatus.DONE_MISSED,
        ProgressStatus.ON_TIME,
        ProgressStatus.NOT_STARTED,
        ProgressStatus.AHEAD,
        ProgressStatus.DONE_REACHED,
    )
)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_of_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _expected_columns(committed, start, end, has_dates, as_of: int):
    """``expected_hours_h100`` of each commitment at the day ordinal ``as_of`` (0 where undated)."""
    span = np.maximum(end - start + 1, 1)  # where it is used, as_of lies in [start, end): span ≥ 2
    share = np.where(as_of < start, 0.0, np.where(as_of >= end, 1.0, (as_of - start + 1) / span))
    return np.where(has_dates, np.rint(committed * share), 0).astype(np.int64)


def status_columns(
    committed, achieved, expected, has_expected, start, has_start, end, has_end, as_of: int, thresholds: Thresholds
):
    """``status_of`` of each row, as its attention index (``STATUS_BY_ATTENTION[i]`` is the status)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = np.where(expected != 0, achieved / np.where(expected != 0, expected, 1), 0.0)
    started = achieved > 0
    return np.select(
        [
            (committed <= 0) | (achieved >= committed),
            has_end & (as_of > end),
            has_start & (as_of < start),
            ~has_expected | (expected == 0),
            pace >= thresholds.ahead,
            pace >= thresholds.on_time,
        ],
        [
            _REACHED,
            _MISSED,
            np.where(started, _AHEAD, _NOT_STARTED),
            np.where(started, _ON_TIME, _NOT_STARTED),
            _AHEAD,
            _ON_TIME,
        ],
        _LATE,
    ).astype(np.int8)


@dataclass(frozen=True, eq=False)
class ProgressColumns:
    """The figures of :func:`progress` for many commitments, one numpy column each (see the section's comment)."""

    expected: np.ndarray  # int64; meaningful where has_expected
    has_expected: np.ndarray
    status: np.ndarray  # int8 attention index
    projected: np.ndarray  # bool: a projection exists (some month has hours)
    pace_h100: np.ndarray  # int64: the projection's rounded monthly pace
    reach_month: np.ndarray  # int64 month index, -1: already reached or never at this pace
    at_end: np.ndarray  # int64 hours projected at the end; meaningful where projected and has_end


def progress_columns(
    committed,
    achieved,
    start,
    has_start,
    end,
    has_end,
    as_of: date,
    recent_months,
    recent_hours,
    last_month,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    period_start: date | None = None,
) -> ProgressColumns:
    """:func:`progress` for every row of the columns: ``committed``/``achieved`` (int64 hundredths), ``start``/
    ``end`` (day ordinals with their ``has_`` masks), the :class:`Recent` summary as ``recent_months`` (0: no
    month with hours), ``recent_hours`` and ``last_month`` (a month index)."""
    today = as_of.toordinal()
    has_dates = has_start & has_end
    upto = _expected_columns(committed, start, end, has_dates, today)
    if period_start is None:
        expected = upto
    else:
        before = _expected_columns(committed, start, end, has_dates, period_start.toordinal() - 1)
        expected = np.maximum(0, upto - before)
    status = status_columns(committed, achieved, expected, has_dates, start, has_start, end, has_end, today, thresholds)

    projected = recent_months > 0
    pace = recent_hours / np.where(projected, recent_months, 1)
    remaining = committed - achieved
    reaches = projected & (remaining > 0) & (pace > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.ceil(remaining / np.where(reaches, pace, 1.0))
    reach_month = np.where(reaches, last_month + np.minimum(steps, LAST_MONTH_INDEX - last_month), -1).astype(np.int64)
    end_month = np.where(has_end, _month_indexes(end), 0)
    at_end = achieved + np.rint(pace * np.maximum(0, end_month - last_month)).astype(np.int64)
    return ProgressColumns(
        expected=expected,
        has_expected=has_dates,
        status=status,
        projected=projected,
        pace_h100=np.rint(pace).astype(np.int64),
        reach_month=reach_month,
        at_end=at_end,
    )


def _month_indexes(ordinals):
    """Month index of each day ordinal (vectorised ``month_index(date.fromordinal(o))``)."""
    days = (np.asarray(ordinals, dtype=np.int64) - _EPOCH_ORDINAL).astype("datetime64[D]")
    return days.astype("datetime64[M]").astype(np.int64) + 1970 * 12


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, eq=False)
class RollupColumns:
    """The figures of :func:`roll_up` for many groups at once, one numpy column each."""

    committed: np.ndarray
    achieved: np.ndarray
    expected: np.ndarray
    has_expected: np.ndarray
    start: np.ndarray
    has_start: np.ndarray
    end: np.ndarray
    has_end: np.ndarray
    at_end: np.ndarray
    count: np.ndarray
    status: np.ndarray  # int8 attention index


def _group_sum(groups, size: int, values) -> np.ndarray:
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, groups, np.asarray(values, dtype=np.int64))
    return out


def roll_up_columns(
    groups,
    size: int,
    committed,
    achieved,
    expected,
    has_expected,
    start,
    has_start,
    end,
    has_end,
    at_end,
    as_of: date,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> RollupColumns:
    """:func:`roll_up` of the rows of each group (``groups[i]`` in ``range(size)``): sums, the earliest start,
    the latest end (none when a row of the group has none), status computed again. ``at_end``: each row's hours
    projected at the end, or its achieved hours when it has no projection."""
    big = np.iinfo(np.int64).max
    first = np.full(size, big, dtype=np.int64)
    np.minimum.at(first, groups[has_start], start[has_start])
    last = np.full(size, -1, dtype=np.int64)
    np.maximum.at(last, groups[has_end], end[has_end])
    undated = _group_sum(groups, size, ~has_end) > 0
    any_expected = _group_sum(groups, size, has_expected) > 0
    sums = {
        "committed": _group_sum(groups, size, committed),
        "achieved": _group_sum(groups, size, achieved),
        "expected": _group_sum(groups, size, np.where(has_expected, expected, 0)),
    }
    has_first, has_last = first != big, (last >= 0) & ~undated
    status = status_columns(
        sums["committed"],
        sums["achieved"],
        sums["expected"],
        any_expected,
        first,
        has_first,
        last,
        has_last,
        as_of.toordinal(),
        thresholds,
    )
    return RollupColumns(
        **sums,
        has_expected=any_expected,
        start=first,
        has_start=has_first,
        end=last,
        has_end=has_last,
        at_end=_group_sum(groups, size, at_end),
        count=np.bincount(groups, minlength=size).astype(np.int64),
        status=status,
    )


# --- levels and filters of the progress screens (used by the services and by the bilans' layout) ---


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
