"""DESIGN §3.4 — progress figures read from the database (SQLite and PostgreSQL) against hand-built data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from clausier.rules.progress import ProgressStatus, Thresholds
from clausier.services import progress as svc
from models import Commune
from tests.builders import (
    make_buyer,
    make_commitment,
    make_company,
    make_hours_entry,
    make_lot,
    make_operation,
    make_participant,
    save,
    set_setting,
)

AS_OF = date(2026, 7, 2)  # day 183 of 2026
YEAR = {"execution_start": date(2026, 1, 1), "execution_end": date(2026, 12, 31)}


@pytest.fixture
def data(any_engine: Engine) -> dict:
    """Two buyers; CUD operation with two lots, CCHF operation with one; three companies; hours by month."""
    with Session(any_engine) as s:
        cud = save(s, Commune(insee_code="99001", name="Testville", epci="CUD"))
        cchf = save(s, Commune(insee_code="99002", name="Autreville", epci="CCHF"))
        b1, b2 = make_buyer(s, name="Acheteur Un"), make_buyer(s, name="Acheteur Deux")
        op1 = make_operation(s, buyer=b1, name="Op CUD", commune_id=cud.id)
        op2 = make_operation(s, buyer=b2, name="Op CCHF", commune_id=cchf.id)
        lot1 = make_lot(s, operation=op1, reference="L1", **YEAR)
        lot2 = make_lot(s, operation=op1, reference="L2", **YEAR)
        lot3 = make_lot(s, operation=op2, reference="L3", **YEAR)
        alpha, beta = make_company(s, name="Alpha"), make_company(s, name="Beta")
        # late: 100 h of 1 000 h at mid-year; two people in March, one in May and June
        late = make_commitment(s, lot=lot1, company=alpha, hours_committed_h100=100_000)
        # ahead: 600 h of 1 000 h
        ahead = make_commitment(s, lot=lot2, company=beta, hours_committed_h100=100_000)
        # CCHF, on time: 450 h of 1 000 h (pace 0.8975)
        on_time = make_commitment(s, lot=lot3, company=alpha, hours_committed_h100=100_000)
        # no hours at all
        empty = make_commitment(s, lot=lot3, company=beta, hours_committed_h100=50_000)
        p1, p2 = make_participant(s), make_participant(s)
        for participant, month, hours in [(p1, 3, 2_000), (p2, 3, 3_000), (p1, 5, 2_500), (p1, 6, 2_500)]:
            make_hours_entry(s, commitment=late, participant=participant, month=date(2026, month, 1), hours_h100=hours)
        for month in range(1, 5):
            make_hours_entry(s, commitment=ahead, participant=p1, month=date(2026, month, 1), hours_h100=15_000)
        for month in range(1, 4):
            make_hours_entry(s, commitment=on_time, participant=p2, month=date(2026, month, 1), hours_h100=15_000)
        ids = {
            "late": late.id,
            "ahead": ahead.id,
            "on_time": on_time.id,
            "empty": empty.id,
            "b1": b1.id,
            "op2": op2.id,
            "alpha": alpha.id,
            "beta": beta.id,
        }
        s.commit()
    return ids


def _by_id(rows):
    return {r.commitment_id: r for r in rows}


def test_achieved_is_the_sum_of_hours_per_commitment(any_engine, data):
    with Session(any_engine) as s:
        rows = _by_id(svc.commitment_progress(s, AS_OF))
    assert rows[data["late"]].progress.achieved_h100 == 10_000
    assert rows[data["ahead"]].progress.achieved_h100 == 60_000
    assert rows[data["on_time"]].progress.achieved_h100 == 45_000
    assert rows[data["empty"]].progress.achieved_h100 == 0


def test_each_commitment_gets_its_status_and_labels(any_engine, data):
    with Session(any_engine) as s:
        rows = _by_id(svc.commitment_progress(s, AS_OF))
    late = rows[data["late"]]
    assert late.progress.status is ProgressStatus.LATE
    assert (late.company, late.lot_reference, late.operation, late.buyer, late.territory) == (
        "Alpha",
        "L1",
        "Op CUD",
        "Acheteur Un",
        "CUD",
    )
    assert late.progress.expected_h100 == round(100_000 * 183 / 365)
    assert rows[data["ahead"]].progress.status is ProgressStatus.AHEAD
    assert rows[data["on_time"]].progress.status is ProgressStatus.ON_TIME
    assert rows[data["empty"]].progress.status is ProgressStatus.LATE


def test_projection_uses_the_last_three_months_with_hours(any_engine, data):
    with Session(any_engine) as s:
        rows = _by_id(svc.commitment_progress(s, AS_OF))
    proj = rows[data["late"]].progress.projection
    assert proj.monthly_pace_h100 == round((5_000 + 2_500 + 2_500) / 3)  # March (two people), May, June
    assert proj.last_month == date(2026, 6, 1)
    assert rows[data["empty"]].progress.projection is None


def test_projection_months_comes_from_the_setting(any_engine, data):
    with Session(any_engine) as s:
        set_setting(s, "projection_months", 1, by="test")
        rows = _by_id(svc.commitment_progress(s, AS_OF))
    assert rows[data["late"]].progress.projection.monthly_pace_h100 == 2_500


def test_rows_come_needs_attention_first(any_engine, data):
    with Session(any_engine) as s:
        rows = svc.commitment_progress(s, AS_OF)
    assert [r.progress.status.attention for r in rows] == sorted(r.progress.status.attention for r in rows)
    assert rows[0].commitment_id == data["late"]  # the largest gap among the late ones


def test_filter_by_buyer_operation_company_and_territory(any_engine, data):
    with Session(any_engine) as s:
        by_buyer = svc.commitment_progress(s, AS_OF, svc.Filters(buyer_id=data["b1"]))
        by_op = svc.commitment_progress(s, AS_OF, svc.Filters(operation_id=data["op2"]))
        by_company = svc.commitment_progress(s, AS_OF, svc.Filters(company_id=data["alpha"]))
        cchf = svc.commitment_progress(s, AS_OF, svc.Filters(territory="CCHF"))
    assert {r.commitment_id for r in by_buyer} == {data["late"], data["ahead"]}
    assert {r.commitment_id for r in by_op} == {data["on_time"], data["empty"]}
    assert {r.commitment_id for r in by_company} == {data["late"], data["on_time"]}
    assert {r.commitment_id for r in cchf} == {data["on_time"], data["empty"]}
    assert _by_id(by_buyer)[data["late"]].progress.achieved_h100 == 10_000


def test_period_filter_counts_only_hours_of_its_months(any_engine, data):
    with Session(any_engine) as s:
        rows = _by_id(
            svc.commitment_progress(s, AS_OF, svc.Filters(period_start=date(2026, 3, 1), period_end=date(2026, 5, 31)))
        )
    late = rows[data["late"]].progress
    assert late.achieved_h100 == 7_500  # March and May, not June
    assert late.projection.last_month == date(2026, 5, 1)
    assert rows[data["ahead"]].progress.achieved_h100 == 30_000  # March and April
    # expected over 1 March – 31 May only
    assert late.expected_h100 == round(100_000 * 151 / 365) - round(100_000 * 59 / 365)


def test_roll_ups_equal_the_sum_of_their_commitments(any_engine, data):
    with Session(any_engine) as s:
        rows = svc.commitment_progress(s, AS_OF)
        limits = svc.thresholds(s)
    for level in svc.Level:
        groups = svc.roll_ups(rows, level, AS_OF, limits)
        assert sum(g.progress.committed_h100 for g in groups) == 350_000
        assert sum(g.progress.achieved_h100 for g in groups) == 115_000
        assert sum(g.progress.count for g in groups) == 4
    companies = {g.label: g.progress for g in svc.roll_ups(rows, svc.Level.COMPANY, AS_OF)}
    assert companies["Alpha"].achieved_h100 == 55_000
    assert companies["Alpha"].committed_h100 == 200_000
    territories = {g.key: g.progress for g in svc.roll_ups(rows, svc.Level.TERRITORY, AS_OF)}
    assert territories["CCHF"].committed_h100 == 150_000
    assert svc.total(rows, AS_OF).achieved_h100 == 115_000


def test_rollup_progress_reads_and_sums_in_one_call(any_engine, data):
    with Session(any_engine) as s:
        buyers = svc.rollup_progress(s, svc.Level.BUYER, AS_OF)
    assert {b.label: b.progress.achieved_h100 for b in buyers} == {"Acheteur Un": 70_000, "Acheteur Deux": 45_000}


def test_late_commitments_lists_late_and_missed(any_engine, data):
    with Session(any_engine) as s:
        rows = svc.commitment_progress(s, AS_OF, limits=Thresholds())
        after = svc.commitment_progress(s, date(2027, 2, 1))
    assert [r.commitment_id for r in svc.late_commitments(rows)] == [data["late"], data["empty"]]
    missed = svc.late_commitments(after)
    assert {r.progress.status for r in missed} == {ProgressStatus.DONE_MISSED}
    assert svc.late_commitments(after, include_missed=False) == []


def test_territories_lists_the_epci_codes(any_engine, data):
    with Session(any_engine) as s:
        assert {"CUD", "CCHF"} <= set(svc.territories(s))


def test_the_kept_summaries_give_the_same_figures_as_the_monthly_totals(any_engine, monkeypatch):
    """The dashboard reads one kept summary per commitment; without period filters it must agree with the figures
    computed from the monthly totals, and a new projection window is taken into the summaries at once."""
    from clausier import demo
    from clausier.services import hours_totals

    demo.generate(any_engine, size="S", seed=5, today=date(2026, 3, 15))
    with Session(any_engine) as s:
        assert svc._summaries_fit(s, svc.thresholds(s))
        kept = svc.commitment_progress(s, date(2026, 3, 15))
        with monkeypatch.context() as m:
            m.setattr(svc, "_summaries_fit", lambda *_: False)
            computed = svc.commitment_progress(s, date(2026, 3, 15))
        assert len(kept) > 50 and sum(r.progress.achieved_h100 for r in kept) > 0
        assert kept == computed
        assert sum(r.progress.projection is not None for r in kept) > 10

        set_setting(s, "projection_months", 6, by="admin")
        s.flush()
        assert svc._summaries_fit(s, svc.thresholds(s)) and hours_totals.mismatches(s) == []
        six = svc.commitment_progress(s, date(2026, 3, 15))
        with monkeypatch.context() as m:
            m.setattr(svc, "_summaries_fit", lambda *_: False)
            assert six == svc.commitment_progress(s, date(2026, 3, 15))
        assert six != kept  # the projections changed with the window


def test_the_table_equals_the_rules_on_the_raw_hours_of_the_demo(any_engine):
    """End to end on both databases: every commitment of the S demo, as the dashboards read it (kept totals,
    numpy columns), equals the scalar rules of §3.4 fed with its lot's dates and its hours summed from the rows
    themselves; a buyer filter keeps exactly that buyer's commitments, with the same figures."""
    from collections import defaultdict

    from sqlalchemy import func, select

    from clausier import demo
    from clausier.rules.progress import progress, recent_of
    from models import Commitment, HoursEntry, Lot

    as_of = date(2026, 3, 15)
    demo.generate(any_engine, size="S", seed=7, today=as_of)
    with Session(any_engine) as s:
        limits = svc.thresholds(s)
        months: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for cid, month, hours in s.execute(
            select(HoursEntry.commitment_id, HoursEntry.month, func.sum(HoursEntry.hours_h100)).group_by(
                HoursEntry.commitment_id, HoursEntry.month
            )
        ):
            months[cid].append((month, int(hours)))
        expected = {
            cid: progress(
                committed,
                sum(h for _, h in months[cid]),
                start,
                end,
                as_of,
                recent_of(months[cid], limits.projection_months),
                limits,
            )
            for cid, committed, start, end in s.execute(
                select(Commitment.id, Commitment.hours_committed_h100, Lot.execution_start, Lot.execution_end).join(
                    Lot, Lot.id == Commitment.lot_id
                )
            )
        }
        table = svc.progress_table(s, as_of, limits=limits)
        assert {r.commitment_id: r.progress for r in table} == expected
        assert len({p.status for p in expected.values()}) >= 4  # the demo has commitments of several kinds
        buyer = table[0].buyer_id
        one = svc.progress_table(s, as_of, svc.Filters(buyer_id=buyer), limits)
        assert 0 < len(one) < len(table)
        assert {r.commitment_id: r.progress for r in one} == {
            r.commitment_id: r.progress for r in table if r.buyer_id == buyer
        }
