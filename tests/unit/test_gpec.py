"""DESIGN §3.8 — GPEC rules: need spread over the remaining months, FTE conversion, availability, gaps with and
without trainings. Hand-built figures, written out."""

from __future__ import annotations

from datetime import date

import pytest

from clausier.rules import gpec
from clausier.rules.gpec import Candidate, LotNeed, PlannedTraining, Quarter

TODAY = date(2026, 5, 10)  # in T2 2026
FTE_HOURS = 151.67
Q2, Q3, Q4, Q1_27 = Quarter(2026, 2), Quarter(2026, 3), Quarter(2026, 4), Quarter(2027, 1)


def test_quarters_start_with_the_current_one():
    assert gpec.quarters(TODAY, 4) == [Q2, Q3, Q4, Q1_27]
    assert [q.label for q in gpec.quarters(date(2026, 12, 31), 2)] == ["T4 2026", "T1 2027"]
    assert (Q3.start, Q3.end) == (date(2026, 7, 1), date(2026, 9, 30))
    with pytest.raises(ValueError):
        gpec.quarters(TODAY, 0)


def test_remaining_hours_of_a_lot_never_count_an_overachieved_commitment_below_zero():
    # 1 000 h committed, 290 h achieved → 710 h; 500 h committed, 600 h achieved → 0 (not −100).
    assert gpec.remaining_h100([(100_000, 29_000), (50_000, 60_000)]) == 71_000


def test_need_is_spread_evenly_from_this_month_to_the_end_month():
    # 910 h left, started in January, ends 20/12/2026: May to December = 8 months, 113,75 h a month.
    spread = gpec.spread_over_months(91_000, date(2026, 1, 15), date(2026, 12, 20), TODAY)
    assert list(spread) == [date(2026, m, 1) for m in range(5, 13)]
    assert all(hours == pytest.approx(113.75) for hours in spread.values())

    need = gpec.need_hours([LotNeed(1, "F1703", 91_000, date(2026, 1, 15), date(2026, 12, 20))], TODAY, [Q2, Q3, Q4])
    assert need[("F1703", Q2)] == pytest.approx(227.5)  # May and June only
    assert need[("F1703", Q3)] == pytest.approx(341.25)
    assert need[("F1703", Q4)] == pytest.approx(341.25)


def test_need_of_a_lot_not_started_yet_starts_at_its_start_month():
    spread = gpec.spread_over_months(60_000, date(2026, 8, 17), date(2026, 9, 30), TODAY)
    assert spread == {date(2026, 8, 1): 300.0, date(2026, 9, 1): 300.0}


def test_need_of_a_late_lot_falls_in_this_month():
    assert gpec.spread_over_months(45_000, date(2025, 1, 1), date(2026, 3, 31), TODAY) == {date(2026, 5, 1): 450.0}


def test_months_past_the_horizon_are_left_out_and_lots_without_end_are_apart():
    lots = [
        LotNeed(1, "F1703", 120_000, date(2026, 7, 1), date(2027, 6, 30)),  # 12 months, 100 h each
        LotNeed(2, None, 30_000, None, date(2026, 6, 30)),  # no trade: May and June, 150 h each
        LotNeed(3, "K2204", 50_000, date(2026, 1, 1), None),  # no end: cannot be spread
    ]
    need = gpec.need_hours(lots, TODAY, [Q2, Q3])
    assert need == {("F1703", Q3): pytest.approx(300.0), (gpec.NO_TRADE, Q2): pytest.approx(300.0)}
    assert [lot.lot_id for lot in gpec.unscheduled(lots)] == [3]


def test_fte_of_a_quarter_is_its_hours_over_three_full_time_months():
    assert gpec.fte(455.01, FTE_HOURS) == pytest.approx(1.0)
    assert gpec.fte(910.02, FTE_HOURS) == pytest.approx(2.0)
    assert gpec.fte(341.25, FTE_HOURS) == pytest.approx(0.74998, abs=1e-5)
    assert gpec.fte(420, 140) == pytest.approx(1.0)  # the hours of a full-time month are a setting
    with pytest.raises(ValueError):
        gpec.fte(100, 0)


def _candidate(pid: int, **fields) -> Candidate:
    defaults = {"trade_codes": frozenset({"F1703"}), "validations": (date(2025, 1, 2),)}
    return Candidate(participant_id=pid, **{**defaults, **fields})


def test_availability_follows_eligibility_contracts_and_availability_date():
    # Reference days: today (10/05/2026) for T2, then 01/07/2026, 01/10/2026, 01/01/2027.
    horizon = [Q2, Q3, Q4, Q1_27]
    people = [
        _candidate(1),  # validated 02/01/2025 for 24 months: valid up to 01/01/2027 included, so all four
        _candidate(2, contracts=((date(2026, 3, 2), date(2026, 8, 31)),)),  # at work until August: T4, T1
        _candidate(3, available_from=date(2026, 9, 1)),  # free from September: T4, T1
        _candidate(4, anonymised=True),
        _candidate(5, exited=True),
        _candidate(6, validations=(date(2023, 1, 2),)),  # lapsed on 02/01/2025
        _candidate(7, validations=(), trade_codes=frozenset({"F1703", "K2204"})),  # never validated
        _candidate(8, trade_codes=frozenset({"F1703", "K2204"}), contracts=((date(2026, 6, 1), None),)),  # T2 only
        _candidate(9, validations=(date(2026, 5, 11),)),  # validated tomorrow: not today, yes from T3
        _candidate(10, validations=(date(2024, 6, 15),)),  # valid up to 14/06/2026: T2 only
    ]
    assert gpec.available_people(people, horizon, TODAY, 24) == {
        ("F1703", Q2): 3,  # 1, 8, 10
        ("F1703", Q3): 2,  # 1, 9
        ("F1703", Q4): 4,  # 1, 2, 3, 9
        ("F1703", Q1_27): 4,  # 1, 2, 3, 9
        ("K2204", Q2): 1,  # 8
    }
    # With a 12-month validity, 1, 2 and 3 (validated 02/01/2025) have lapsed by today: only 9 is left.
    assert gpec.available_people(people, horizon, TODAY, 12) == {
        ("F1703", Q3): 1,
        ("F1703", Q4): 1,
        ("F1703", Q1_27): 1,
    }


def test_gap_without_trainings():
    # 910,02 h in T3 = 2 FTE of F1703; one person available → short of 1 FTE.
    need = {("F1703", Q3): 910.02}
    cells = gpec.gaps(need, {("F1703", Q3): 1}, {}, [Q2, Q3], FTE_HOURS)
    assert [(c.trade_code, c.quarter, round(c.need_fte, 4), c.available, c.trained) for c in cells] == [
        ("F1703", Q2, 0.0, 0, 0),
        ("F1703", Q3, 2.0, 1, 0),
    ]
    assert cells[1].gap == pytest.approx(1.0)
    assert cells[0].gap == pytest.approx(0.0)


def test_gap_with_a_training_counted_in_the_quarter_it_ends():
    trainings = [
        PlannedTraining(1, "F1703", date(2026, 9, 15), seats=8, dropped=2),  # T3: 6 trained
        PlannedTraining(2, "F1703", date(2026, 10, 2), seats=5),  # T4: 5
        PlannedTraining(3, "K2204", date(2028, 1, 10), seats=5),  # past the horizon
    ]
    trained = gpec.trained_people(trainings, [Q2, Q3, Q4])
    assert trained == {("F1703", Q3): 6, ("F1703", Q4): 5}
    cells = gpec.gaps({("F1703", Q3): 910.02}, {("F1703", Q3): 1}, trained, [Q2, Q3, Q4], FTE_HOURS)
    by_quarter = {c.quarter: c for c in cells}
    assert by_quarter[Q3].gap == pytest.approx(2.0 - (1 + 6))  # −5: a surplus
    assert by_quarter[Q4].gap == pytest.approx(-5.0)
    assert by_quarter[Q2].gap == pytest.approx(0.0)


def test_trades_with_only_people_available_are_listed_on_request():
    available = {("K2204", Q2): 3}
    assert gpec.gaps({("F1703", Q2): 455.01}, available, {}, [Q2], FTE_HOURS)[0].trade_code == "F1703"
    assert len(gpec.gaps({("F1703", Q2): 455.01}, available, {}, [Q2], FTE_HOURS)) == 1
    every = gpec.gaps({("F1703", Q2): 455.01}, available, {}, [Q2], FTE_HOURS, every_trade=True)
    assert [(c.trade_code, c.gap) for c in every] == [("F1703", pytest.approx(1.0)), ("K2204", -3)]


def test_the_per_quarter_count_agrees_with_the_availability_rule_person_by_person():
    horizon = [Q2, Q3, Q4, Q1_27]
    people = [
        _candidate(1, validations=(date(2024, 5, 11),)),  # last valid day 10/05/2026: today only
        _candidate(2, validations=(date(2024, 5, 10),)),  # lapsed yesterday
        _candidate(3, validations=(date(2024, 7, 1), date(2026, 9, 30))),  # two validations, a gap between
        _candidate(4, contracts=((date(2026, 7, 1), date(2026, 7, 1)),)),  # a one-day contract on 01/07
    ]
    counted = gpec.available_people(people, horizon, TODAY, 24)
    for quarter in horizon:
        day = gpec.reference_day(quarter, TODAY)
        expected = sum(gpec.is_available(p, day, 24) for p in people)
        assert counted.get(("F1703", quarter), 0) == expected, quarter
    assert [counted.get(("F1703", q), 0) for q in horizon] == [3, 0, 2, 2]
