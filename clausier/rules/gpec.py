"""DESIGN §3.8 — skills forecasting (*GPEC*). Pure: today, the horizon, the hours of a full-time month and the
eligibility validity are parameters (settings « fte_hours_per_month » and « eligibility_validity_months »).

- **Need.** A lot not yet finished has remaining hours (committed − achieved, per commitment, never below 0).
  They are spread evenly over the remaining months of its execution: from the later of this month and the lot's
  start month, to its end month, both included. A lot whose end month is already past (running late) needs its
  remaining hours this month. A lot without an end date cannot be spread: it is reported apart (« non planifié »).
- **Quarters** are calendar quarters (T1 = January–March), from the current one, ``horizon`` of them.
- **FTE** of a quarter = hours of the quarter ÷ (3 × hours of a full-time month), 151.67 h by default.
- **Available** in a quarter: a participant who targets the trade, is not anonymised nor out of the scheme, has an
  eligibility valid on the quarter's reference day (its first day, or today for the current quarter), is
  available from that day (``available_from``), and is not under a contract running on that day. Someone who
  targets two trades counts in both.
- **Trained** in a quarter: the seats of the trainings of the trade ending in that quarter, less the
  participants who dropped out (the trained people become available then).
- **Gap** = need (FTE) − (available + trained); above 0 a shortfall, below 0 a surplus.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from clausier.rules.eligibility import first_validation_valid_on, is_valid_on

MONTHS_PER_QUARTER = 3
NO_TRADE = ""  # lots without a trade: their own line, « Métier non précisé »


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1 to 4

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def label(self) -> str:
        return f"T{self.number} {self.year}"

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


def quarters(today: date, horizon: int) -> list[Quarter]:
    """The ``horizon`` quarters from the one holding ``today``."""
    if horizon < 1:
        raise ValueError("L'horizon doit compter au moins un trimestre.")
    result = [Quarter.of(today)]
    while len(result) < horizon:
        result.append(result[-1].next())
    return result


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def remaining_months(start: date | None, end: date, today: date) -> list[date]:
    """First days of the months left to a lot's execution: from max(this month, start month) to its end month.
    None left (the end month is past): this month alone, since the hours are still owed."""
    first = month_start(today)
    if start is not None and month_start(start) > first:
        first = month_start(start)
    last = month_start(end)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months or [month_start(today)]


def spread_over_months(remaining_h100: int, start: date | None, end: date, today: date) -> dict[date, float]:
    """The remaining hours (hundredths) spread evenly over the remaining months, in hours per month."""
    months = remaining_months(start, end, today)
    share = max(0, remaining_h100) / 100 / len(months)
    return {month: share for month in months}


def remaining_h100(commitments: Iterable[tuple[int, int]]) -> int:
    """Remaining hours of a lot from its commitments' (committed, achieved) hundredths, each never below 0."""
    return sum(max(0, committed - achieved) for committed, achieved in commitments)


def fte(hours: float, fte_hours_per_month: float) -> float:
    """Full-time equivalents of a quarter's hours: hours ÷ (3 × hours of a full-time month)."""
    if fte_hours_per_month <= 0:
        raise ValueError("Les heures d'un ETP par mois doivent être positives.")
    return hours / (MONTHS_PER_QUARTER * fte_hours_per_month)


@dataclass(frozen=True)
class LotNeed:
    """A lot not yet finished: its trade, remaining hours (hundredths) and execution dates."""

    lot_id: int
    trade_code: str | None
    remaining_h100: int
    start: date | None
    end: date | None


def need_hours(lots: Iterable[LotNeed], today: date, horizon: Sequence[Quarter]) -> dict[tuple[str, Quarter], float]:
    """Hours needed per (trade, quarter) within the horizon; lots without an end date are left out (see
    :func:`unscheduled`), and so are months past the horizon."""
    wanted = set(horizon)
    result: dict[tuple[str, Quarter], float] = defaultdict(float)
    for lot in lots:
        if lot.end is None or lot.remaining_h100 <= 0:
            continue
        for month, hours in spread_over_months(lot.remaining_h100, lot.start, lot.end, today).items():
            quarter = Quarter.of(month)
            if quarter in wanted:
                result[(lot.trade_code or NO_TRADE, quarter)] += hours
    return dict(result)


def unscheduled(lots: Iterable[LotNeed]) -> list[LotNeed]:
    """Lots with remaining hours but no end date: they cannot be spread over months."""
    return [lot for lot in lots if lot.end is None and lot.remaining_h100 > 0]


@dataclass(frozen=True)
class Candidate:
    """A participant of the pool, as availability needs them."""

    participant_id: int
    trade_codes: frozenset[str]
    validations: tuple[date, ...]  # validation dates of their eligibility criteria
    contracts: tuple[tuple[date, date | None], ...] = ()  # (start, end or None when open-ended)
    available_from: date | None = None
    anonymised: bool = False
    exited: bool = False


def reference_day(quarter: Quarter, today: date) -> date:
    """The day a quarter's availability is judged on: its first day, or today for the current quarter."""
    return max(quarter.start, today)


def under_contract(contracts: Iterable[tuple[date, date | None]], on: date) -> bool:
    return any(start <= on and (end is None or end >= on) for start, end in contracts)


def is_available(candidate: Candidate, on: date, validity_months: int) -> bool:
    """Eligible on ``on``, not anonymised nor out of the scheme, free from ``on``, not under a running contract."""
    if candidate.anonymised or candidate.exited:
        return False
    if candidate.available_from is not None and candidate.available_from > on:
        return False
    if not any(is_valid_on(v, validity_months, on) for v in candidate.validations):
        return False
    return not under_contract(candidate.contracts, on)


def available_people(
    candidates: Iterable[Candidate], horizon: Sequence[Quarter], today: date, validity_months: int
) -> dict[tuple[str, Quarter], int]:
    """People available per (trade, quarter): :func:`is_available` on each quarter's reference day, with the
    eligibility test done once per quarter (a validation ``v`` is valid on ``day`` exactly when
    ``first_validation_valid_on(day) <= v <= day``)."""
    result: dict[tuple[str, Quarter], int] = defaultdict(int)
    days = [
        (quarter, day, first_validation_valid_on(day, validity_months))
        for quarter, day in ((q, reference_day(q, today)) for q in horizon)
    ]
    for candidate in candidates:
        if not candidate.trade_codes or candidate.anonymised or candidate.exited:
            continue
        for quarter, day, earliest in days:
            if candidate.available_from is not None and candidate.available_from > day:
                continue
            if not any(earliest <= v <= day for v in candidate.validations):
                continue
            if under_contract(candidate.contracts, day):
                continue
            for code in candidate.trade_codes:
                result[(code, quarter)] += 1
    return dict(result)


@dataclass(frozen=True)
class PlannedTraining:
    training_id: int
    trade_code: str
    end: date
    seats: int
    dropped: int = 0

    @property
    def trained(self) -> int:
        return max(0, self.seats - self.dropped)


def trained_people(trainings: Iterable[PlannedTraining], horizon: Sequence[Quarter]) -> dict[tuple[str, Quarter], int]:
    """People trained per (trade, quarter), counted in the quarter of the training's end date."""
    wanted = set(horizon)
    result: dict[tuple[str, Quarter], int] = defaultdict(int)
    for training in trainings:
        quarter = Quarter.of(training.end)
        if quarter in wanted:
            result[(training.trade_code, quarter)] += training.trained
    return dict(result)


@dataclass(frozen=True)
class GapCell:
    """One trade in one quarter."""

    trade_code: str  # NO_TRADE for lots without a trade
    quarter: Quarter
    need_hours: float
    need_fte: float
    available: int
    trained: int

    @property
    def gap(self) -> float:
        return self.need_fte - (self.available + self.trained)


def gaps(
    need: dict[tuple[str, Quarter], float],
    available: dict[tuple[str, Quarter], int],
    trained: dict[tuple[str, Quarter], int],
    horizon: Sequence[Quarter],
    fte_hours_per_month: float,
    *,
    every_trade: bool = False,
) -> list[GapCell]:
    """Every trade with a need or a training in the horizon (with ``every_trade``, also those with only people
    available), in every quarter of the horizon, by trade code (lots without a trade last) then quarter."""
    trades = {code for code, _ in need} | {code for code, _ in trained}
    if every_trade:
        trades |= {code for code, _ in available}
    cells = []
    for code in sorted(trades, key=lambda c: (c == NO_TRADE, c)):
        for quarter in horizon:
            hours = need.get((code, quarter), 0.0)
            cells.append(
                GapCell(
                    trade_code=code,
                    quarter=quarter,
                    need_hours=hours,
                    need_fte=fte(hours, fte_hours_per_month),
                    available=available.get((code, quarter), 0),
                    trained=trained.get((code, quarter), 0),
                )
            )
    return cells
