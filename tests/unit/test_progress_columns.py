"""The vectorised progress (``progress_columns``, ``roll_up_columns`` and the service's ``ProgressTable``) equals
the rules of DESIGN §3.4 applied one commitment at a time, figure for figure, order included."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from clausier.rules.progress import (
    Recent,
    Thresholds,
    month_index,
    progress,
)
from clausier.services.progress import (
    NO_TERRITORY,
    CommitmentProgress,
    Level,
    ProgressTable,
    late_commitments,
    roll_ups,
    total,
)

AS_OF = date(2026, 5, 20)
BASE = date(2024, 1, 1)
COMPANIES = ["Alpha", "Béton", "Charpente", "alpha"]

day = st.integers(min_value=0, max_value=1400).map(lambda n: BASE + timedelta(days=n))
commitment = st.fixed_dictionaries(
    {
        # small values too: ties on the gap, nothing committed, nothing achieved, the goal exactly reached
        "committed": st.one_of(st.integers(0, 3), st.integers(0, 10_000_000)),
        "achieved": st.one_of(st.integers(0, 3), st.integers(0, 12_000_000)),
        "start": st.one_of(st.none(), day),
        "length": st.integers(min_value=-30, max_value=900),  # a few lots end before they start: the rules still hold
        "undated_end": st.booleans(),
        "recent": st.one_of(
            st.none(),
            st.builds(
                Recent,
                st.integers(1, 3),
                st.one_of(st.integers(1, 5), st.integers(1, 3_000_000)),
                day.map(lambda d: d.replace(day=1)),
            ),
        ),
        "company": st.sampled_from(COMPANIES),
        "lot": st.integers(1, 6),
    }
)
limits = st.builds(
    lambda on_time, extra, months: Thresholds(on_time=on_time, ahead=on_time + extra, projection_months=months),
    st.floats(0.3, 1.0),
    st.floats(0.0, 0.5),
    st.integers(1, 6),
)


def _table(rows: list[dict], as_of: date, thresholds: Thresholds, period_start: date | None) -> ProgressTable:
    """The table the service builds from its query, built here from drawn commitments (no database)."""
    n = len(rows)
    ends = [None if r["start"] is None or r["undated_end"] else r["start"] + timedelta(days=r["length"]) for r in rows]
    starts = [r["start"] for r in rows]
    operations = {lot: f"Opération {lot % 3}" for lot in range(1, 7)}
    labels = {
        "commitment_id": np.arange(1, n + 1, dtype=object),
        "company_id": np.asarray([COMPANIES.index(r["company"]) for r in rows], dtype=object),
        "company": np.asarray([r["company"] for r in rows], dtype=object),
        "lot_id": np.asarray([r["lot"] for r in rows], dtype=object),
        "lot_reference": np.asarray([f"L{r['lot']}" for r in rows], dtype=object),
        "lot_label": np.asarray([f"Lot {r['lot']}" for r in rows], dtype=object),
        "start": np.asarray(starts, dtype=object),
        "end": np.asarray(ends, dtype=object),
        "operation_id": np.asarray([r["lot"] % 3 for r in rows], dtype=object),
        "operation": np.asarray([operations[r["lot"]] for r in rows], dtype=object),
        "buyer_id": np.asarray([r["lot"] % 2 for r in rows], dtype=object),
        "buyer": np.asarray([f"Acheteur {r['lot'] % 2}" for r in rows], dtype=object),
        "territory": np.asarray(["CUD" if r["lot"] < 4 else NO_TERRITORY for r in rows], dtype=object),
    }
    recent = [r["recent"] for r in rows]
    numbers = {
        "committed": np.asarray([r["committed"] for r in rows], dtype=np.int64),
        "achieved": np.asarray([r["achieved"] for r in rows], dtype=np.int64),
        "start": np.asarray([d.toordinal() if d else 0 for d in starts], dtype=np.int64),
        "has_start": np.asarray([d is not None for d in starts], dtype=bool),
        "end": np.asarray([d.toordinal() if d else 0 for d in ends], dtype=np.int64),
        "has_end": np.asarray([d is not None for d in ends], dtype=bool),
        "recent_months": np.asarray([r.months if r else 0 for r in recent], dtype=np.int64),
        "recent_hours": np.asarray([r.hours_h100 if r else 0 for r in recent], dtype=np.int64),
        "last_month": np.asarray([month_index(r.last) if r else 0 for r in recent], dtype=np.int64),
    }
    return ProgressTable.from_columns(labels, numbers, as_of, thresholds, period_start)


def _one_by_one(rows: list[dict], as_of: date, thresholds: Thresholds, period_start: date | None):
    """The same commitments through the scalar rules, sorted as the service documents it."""
    result = []
    for i, r in enumerate(rows):
        end = None if r["start"] is None or r["undated_end"] else r["start"] + timedelta(days=r["length"])
        result.append(
            (
                i + 1,
                r["company"],
                f"L{r['lot']}",
                progress(r["committed"], r["achieved"], r["start"], end, as_of, r["recent"], thresholds, period_start),
            )
        )
    result.sort(key=lambda x: (x[3].status.attention, -x[3].gap_h100, x[1], x[2], x[0]))
    return result


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(commitment, max_size=40),
    as_of=st.one_of(st.just(AS_OF), day),
    thresholds=limits,
    period_start=st.one_of(st.none(), day.map(lambda d: d.replace(day=1))),
)
def test_every_commitment_equals_the_rules(rows, as_of, thresholds, period_start):
    table = _table(rows, as_of, thresholds, period_start)
    expected = _one_by_one(rows, as_of, thresholds, period_start)
    got = list(table)
    assert len(table) == len(got) == len(rows)
    # same figures (Progress and its Projection compared field by field) in the same order
    assert [(r.commitment_id, r.progress) for r in got] == [(cid, p) for cid, _, _, p in expected]
    if got:
        assert table[-1] == got[-1] and table[0:2] == got[0:2]


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(commitment, min_size=1, max_size=40),
    as_of=st.one_of(st.just(AS_OF), day),
    thresholds=limits,
)
def test_roll_ups_total_and_late_equal_the_rules(rows, as_of, thresholds):
    table = _table(rows, as_of, thresholds, None)
    objects: list[CommitmentProgress] = list(table)
    for level in Level:
        assert table.roll_ups(level) == roll_ups(objects, level, as_of, thresholds), level
    assert table.total() == total(objects, as_of, thresholds)
    assert table.late() == late_commitments(objects)
    assert table.late(include_missed=False) == late_commitments(objects, include_missed=False)


def test_an_empty_table_has_no_roll_up_and_a_zero_total():
    table = _table([], AS_OF, Thresholds(), None)
    assert len(table) == 0 and list(table) == [] and table.late() == []
    assert table.roll_ups(Level.COMPANY) == []
    assert table.total() == total([], AS_OF)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(commitment, max_size=30), as_of=st.one_of(st.just(AS_OF), day), thresholds=limits)
def test_the_frame_shows_each_commitments_figures(rows, as_of, thresholds):
    """``ProgressTable.frame`` (the Avancement page's commitment level, built from the columns) says what each
    row object says."""
    table = _table(rows, as_of, thresholds, None)
    frame = table.frame()
    assert len(frame) == len(table)
    for record, row in zip(frame.to_dict("records"), table, strict=True):
        p = row.progress

        def shown(value):  # pandas' missing value, or the number
            return None if value is None or value is pd.NA else value

        assert (record["company"], record["lot"], record["operation"], record["buyer"], record["territory"]) == (
            row.company,
            f"{row.lot_reference} {row.lot_label}",
            row.operation,
            row.buyer,
            row.territory,
        )
        assert (record["committed"], record["achieved"], record["remaining"]) == (
            p.committed_h100 / 100,
            p.achieved_h100 / 100,
            p.remaining_h100 / 100,
        )
        assert shown(record["rate"]) == (None if p.rate is None else round(p.rate * 100, 1))
        assert shown(record["expected"]) == (None if p.expected_h100 is None else p.expected_h100 / 100)
        assert shown(record["pace"]) == (None if p.pace is None else round(p.pace * 100, 1))
        assert (record["status"], record["end"]) == (p.status.label, p.end)
        projection = p.projection
        reach = "" if projection is None or projection.reach_month is None else projection.reach_month.strftime("%m/%Y")
        assert record["reach"] == reach
        at_end = None if projection is None or projection.at_end_h100 is None else projection.at_end_h100 / 100
        assert shown(record["at_end"]) == at_end
