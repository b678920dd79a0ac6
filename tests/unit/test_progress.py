"""DESIGN §3.4 — progress of a commitment: expected hours, pace, status, projection, roll-ups."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from clausier.rules.progress import (
    ATTENTION_ORDER,
    STATUS_COLOURS,
    STATUS_LABELS,
    ProgressStatus,
    Thresholds,
    elapsed_share,
    expected_hours_h100,
    progress,
    project,
    roll_up,
    status_of,
)

START, END = date(2026, 1, 1), date(2026, 12, 31)  # 365 days
MID = date(2026, 7, 2)  # day 183 of 365
C = 100_000  # 1 000 h committed


def test_expected_is_zero_before_the_start():
    assert expected_hours_h100(C, START, END, date(2025, 12, 31)) == 0


def test_expected_on_the_first_day_is_one_day_of_the_period():
    assert expected_hours_h100(C, START, END, START) == round(C / 365)


def test_expected_is_linear_inside_the_period():
    assert expected_hours_h100(C, START, END, MID) == round(C * 183 / 365)


def test_expected_is_the_whole_commitment_from_the_end_day():
    assert expected_hours_h100(C, START, END, END) == C
    assert expected_hours_h100(C, START, END, date(2030, 1, 1)) == C


def test_expected_is_unknown_without_execution_dates():
    assert expected_hours_h100(C, None, END, MID) is None
    assert expected_hours_h100(C, START, None, MID) is None


def test_elapsed_share_of_a_one_day_period():
    assert elapsed_share(START, START, START) == 1.0


def test_pace_is_achieved_over_expected():
    p = progress(C, 40_000, START, END, MID)
    assert p.expected_h100 == 50_137
    assert p.pace == 40_000 / 50_137
    assert p.rate == 0.4
    assert p.remaining_h100 == 60_000


def test_pace_before_the_period_is_undefined():
    assert progress(C, 0, START, END, date(2025, 6, 1)).pace is None


def test_pace_after_the_period_compares_with_the_whole_commitment():
    assert progress(C, 50_000, START, END, date(2027, 3, 1)).pace == 0.5


def test_remaining_is_never_negative():
    assert progress(C, 150_000, START, END, MID).remaining_h100 == 0


def test_rate_reached_is_done_reached_even_before_the_end():
    assert progress(C, C, START, END, MID).status is ProgressStatus.DONE_REACHED


def test_period_over_below_the_commitment_is_done_missed():
    assert progress(C, C - 1, START, END, date(2027, 1, 1)).status is ProgressStatus.DONE_MISSED


def test_end_day_itself_is_not_yet_over():
    assert progress(C, C - 1, START, END, END).status is ProgressStatus.ON_TIME  # pace 0.99999


def test_before_the_start_without_hours_is_not_started():
    assert progress(C, 0, START, END, date(2025, 12, 1)).status is ProgressStatus.NOT_STARTED


def test_before_the_start_with_hours_is_ahead():
    assert progress(C, 100, START, END, date(2025, 12, 1)).status is ProgressStatus.AHEAD


def test_pace_at_the_ahead_threshold_is_ahead():
    expected = expected_hours_h100(C, START, END, MID)
    assert status_of(C, expected, expected, START, END, MID) is ProgressStatus.AHEAD


def test_pace_just_below_the_ahead_threshold_is_on_time():
    expected = expected_hours_h100(C, START, END, MID)
    assert status_of(C, expected - 1, expected, START, END, MID) is ProgressStatus.ON_TIME


def test_pace_at_the_on_time_threshold_is_on_time():
    assert status_of(C, 40_000, 50_000, START, END, MID) is ProgressStatus.ON_TIME


def test_pace_below_the_on_time_threshold_is_late():
    assert status_of(C, 39_999, 50_000, START, END, MID) is ProgressStatus.LATE


def test_thresholds_are_parameters():
    strict = Thresholds(on_time=0.95, ahead=1.2)
    assert status_of(C, 50_000, 50_000, START, END, MID, strict) is ProgressStatus.ON_TIME
    assert status_of(C, 45_000, 50_000, START, END, MID, strict) is ProgressStatus.LATE
    assert status_of(C, 60_000, 50_000, START, END, MID, strict) is ProgressStatus.AHEAD


def test_without_dates_hours_are_on_time_and_no_hours_not_started():
    assert progress(C, 10, None, None, MID).status is ProgressStatus.ON_TIME
    assert progress(C, 0, None, None, MID).status is ProgressStatus.NOT_STARTED


def test_nothing_committed_is_reached_with_no_rate():
    p = progress(0, 0, START, END, MID)
    assert p.status is ProgressStatus.DONE_REACHED
    assert p.rate is None


def test_period_start_counts_expected_hours_from_that_day():
    p = progress(C, 10_000, START, END, END, period_start=date(2026, 7, 1))
    assert p.expected_h100 == C - round(C * 181 / 365)


def test_projection_averages_the_last_three_months_with_hours():
    months = [(date(2026, 1, 1), 1_000), (date(2026, 3, 1), 3_000), (date(2026, 4, 1), 6_000), (date(2026, 6, 1), 0)]
    proj = project(C, 10_000, months, END, months=2)
    assert proj.monthly_pace_h100 == 4_500  # April and March; June has no hours
    assert proj.last_month == date(2026, 4, 1)
    assert proj.months_used == 2


def test_projection_gives_the_month_the_commitment_is_reached():
    proj = project(C, 70_000, [(date(2026, 2, 1), 10_000), (date(2026, 3, 1), 10_000)], END)
    assert proj.reach_month == date(2026, 6, 1)  # 30 000 h left at 10 000 a month from March
    assert proj.reached_by_end(END) is True


def test_projection_gives_the_hours_reached_by_the_end():
    proj = project(C, 10_000, [(date(2026, 3, 1), 5_000)], END)
    assert proj.at_end_h100 == 10_000 + 9 * 5_000  # April to December
    assert proj.reach_month == date(2027, 9, 1)
    assert proj.reached_by_end(END) is False


def test_projection_without_recent_hours_is_none():
    assert project(C, 0, [], END) is None
    assert project(C, 0, [(date(2026, 3, 1), 0)], END) is None
    assert progress(C, 0, START, END, MID).projection is None


def test_projection_of_a_reached_commitment_has_no_reach_month():
    assert project(C, C, [(date(2026, 3, 1), 5_000)], END).reach_month is None


def test_progress_uses_the_projection_months_threshold():
    months = [(date(2026, m, 1), 1_000 * m) for m in range(1, 7)]
    assert progress(
        C, 21_000, START, END, MID, months, Thresholds(projection_months=1)
    ).projection.monthly_pace_h100 == (6_000)
    assert progress(C, 21_000, START, END, MID, months).projection.monthly_pace_h100 == 5_000


def test_roll_up_sums_committed_achieved_expected_and_recomputes_status():
    a = progress(C, 10_000, START, END, MID)  # late
    b = progress(C, 90_000, START, END, MID)  # ahead
    total = roll_up([a, b], MID)
    assert total.committed_h100 == 2 * C
    assert total.achieved_h100 == 100_000
    assert total.expected_h100 == a.expected_h100 + b.expected_h100
    assert total.count == 2
    assert total.status is ProgressStatus.ON_TIME  # 100 000 / 100 274


def test_roll_up_period_spans_its_children():
    a = progress(C, 0, date(2025, 1, 1), date(2025, 12, 31), MID)
    b = progress(C, 0, START, END, MID)
    total = roll_up([a, b], MID)
    assert (total.start, total.end) == (date(2025, 1, 1), END)
    assert total.status is ProgressStatus.LATE  # the whole is not over while one child runs


def test_roll_up_with_an_undated_child_is_not_over():
    total = roll_up(
        [progress(C, 0, START, END, date(2027, 6, 1)), progress(C, 0, None, None, date(2027, 6, 1))], date(2027, 6, 1)
    )
    assert total.end is None
    assert total.expected_h100 == C


def test_roll_ups_nest():
    kids = [progress(C, h, START, END, MID) for h in (0, 20_000, 70_000)]
    assert roll_up([roll_up(kids[:2], MID), roll_up(kids[2:], MID)], MID) == roll_up(kids, MID)


progress_strategy = st.builds(
    lambda committed, achieved, start_offset, length, recent: progress(
        committed,
        achieved,
        date.fromordinal(START.toordinal() + start_offset),
        date.fromordinal(START.toordinal() + start_offset + length),
        MID,
        recent,
    ),
    st.integers(0, 10_000_000),
    st.integers(0, 10_000_000),
    st.integers(-800, 800),
    st.integers(0, 1_500),
    st.lists(st.tuples(st.dates(date(2024, 1, 1), date(2026, 6, 1)), st.integers(0, 25_000)), max_size=5),
)


@given(st.lists(progress_strategy, max_size=12))
def test_roll_up_equals_the_sum_of_its_parts(children):
    total = roll_up(children, MID)
    assert total.committed_h100 == sum(c.committed_h100 for c in children)
    assert total.achieved_h100 == sum(c.achieved_h100 for c in children)
    assert (total.expected_h100 or 0) == sum(c.expected_h100 or 0 for c in children)
    assert total.remaining_h100 == max(0, total.committed_h100 - total.achieved_h100)
    assert total.count == len(children)
    assert total.status is status_of(
        total.committed_h100, total.achieved_h100, total.expected_h100, total.start, total.end, MID
    )


def test_every_status_has_a_french_label_a_colour_and_an_attention_rank():
    assert set(STATUS_LABELS) == set(STATUS_COLOURS) == set(ATTENTION_ORDER) == set(ProgressStatus)
    assert ProgressStatus.LATE.label == "en retard"
    assert ProgressStatus.DONE_MISSED.label == "terminé – non atteint"
    assert len(set(STATUS_COLOURS.values())) == len(STATUS_COLOURS)


def test_needs_attention_first_puts_late_first_and_reached_last():
    ranked = sorted(ProgressStatus, key=lambda s: s.attention)
    assert ranked[0] is ProgressStatus.LATE
    assert ranked[-1] is ProgressStatus.DONE_REACHED
