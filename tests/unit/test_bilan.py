"""DESIGN §3.9 — the pure rules of the bilan: small cells, age bands, periods, chart data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clausier.errors import DomainError
from clausier.reports import bilan as B

OTHERS = B.others_label(3)


# --- small cells ---------------------------------------------------------------------------------------------------


def test_no_small_cell_leaves_the_table_as_it_is_but_without_zeros():
    assert B.protect([("A", 0), ("B", 5), ("C", 4)], 3) == [("B", 5), ("C", 4)]


def test_one_small_cell_takes_the_next_smallest_with_it():
    # B alone in « Autres » would be given back by the total: C (the next smallest) joins it
    assert B.protect([("A", 10), ("B", 2), ("C", 5)], 3) == [("A", 10), (OTHERS, 7)]


def test_small_cells_whose_sum_is_still_small_take_the_next_smallest():
    assert B.protect([("A", 10), ("B", 1), ("C", 1), ("D", 8)], 3) == [("A", 10), (OTHERS, 10)]


def test_two_small_cells_making_the_threshold_are_merged_alone():
    assert B.protect([("A", 10), ("B", 2), ("C", 2)], 3) == [("A", 10), (OTHERS, 4)]


def test_a_table_smaller_than_the_threshold_is_one_hidden_line():
    rows = B.protect([("A", 1), ("B", 1)], 3)
    assert rows == [(OTHERS, 2)]
    assert B.shown(rows[0][1], 3) == "< 3"


def test_threshold_one_shows_everything():
    assert B.protect([("A", 1), ("B", 2)], 1) == [("A", 1), ("B", 2)]


def test_shown_hides_only_small_positive_counts():
    assert [B.shown(n, 3) for n in (0, 1, 2, 3, 40)] == [0, "< 3", "< 3", 3, 40]


@given(
    st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=12),
    st.integers(min_value=2, max_value=6),
)
def test_no_output_cell_shows_fewer_people_than_the_threshold(counts, threshold):
    pairs = [(f"c{i}", n) for i, n in enumerate(counts)]
    rows = B.protect(pairs, threshold)
    total = sum(counts)
    assert sum(n for _, n in rows) == total  # nobody lost, nobody counted twice
    values = [B.shown(n, threshold) for _, n in rows]
    if total >= threshold:
        assert all(isinstance(v, int) and v >= threshold for v in values)
    else:
        assert values in ([], [f"< {threshold}"])
    merged = {label for label, _ in pairs} - {label for label, _ in rows}
    small = {label for label, n in pairs if 0 < n < threshold}
    assert small <= merged | {label for label, n in pairs if n == 0}
    # a merged line never holds a single category (the total would give it back), unless it is hidden itself
    positives_merged = [label for label, n in pairs if label in merged and n > 0]
    if len(positives_merged) == 1:
        assert values == [f"< {threshold}"]


# --- ages and periods ------------------------------------------------------------------------------------------------


def test_age_on_a_date_counts_whole_years():
    assert B.age_on(date(2000, 3, 15), date(2026, 3, 14)) == 25
    assert B.age_on(date(2000, 3, 15), date(2026, 3, 15)) == 26
    assert B.age_on(date(2004, 2, 29), date(2026, 2, 28)) == 21


def test_age_bands_under_26_26_to_49_50_and_over():
    assert [B.age_band(a) for a in (16, 25, 26, 49, 50, 64)] == [
        "Moins de 26 ans",
        "Moins de 26 ans",
        "26 à 49 ans",
        "26 à 49 ans",
        "50 ans et plus",
        "50 ans et plus",
    ]


def test_period_presets_default_to_the_calendar_year():
    presets = B.period_presets(date(2026, 11, 26))
    assert list(presets) == ["Année 2026", "12 derniers mois complets", "Année 2025"]
    assert presets["Année 2026"] == B.Period(date(2026, 1, 1), date(2026, 12, 31))
    assert presets["12 derniers mois complets"] == B.Period(date(2025, 11, 1), date(2026, 10, 31))
    assert presets["Année 2025"] == B.Period(date(2025, 1, 1), date(2025, 12, 31))
    assert presets["Année 2026"].label == "du 01/01/2026 au 31/12/2026"


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(DomainError, match="La fin de la période doit suivre son début"):
        B.Period(date(2026, 2, 1), date(2026, 1, 31))


def test_a_scope_other_than_all_needs_its_item():
    with pytest.raises(DomainError):
        B.Scope(B.ScopeKind.BUYER)


def test_six_month_situations_due_in_a_period():
    # contracts ended from 01/07/2025 to 31/12/2025: 31/12 + 6 months is 30/06
    assert B.due_window(B.Period(date(2026, 1, 1), date(2026, 6, 30)), 6) == (date(2025, 7, 1), date(2025, 12, 31))
    # 31/08/2025 + 6 months = 28/02/2026 (the month is shorter): due in February, not in March
    assert B.due_window(B.Period(date(2026, 3, 1), date(2026, 3, 31)), 6) == (date(2025, 9, 1), date(2025, 9, 30))
    assert B.due_window(B.Period(date(2026, 2, 1), date(2026, 2, 28)), 6) == (date(2025, 8, 1), date(2025, 8, 31))


# --- what the charts draw --------------------------------------------------------------------------------------------


def _breakdown(unit: str, values: list, shares: list) -> B.Breakdown:
    frame = pd.DataFrame({"Sexe": ["Femme", "Homme"][: len(values)], unit: values, B.SHARE: shares})
    return B.Breakdown("sexe", "Personnes par sexe", "Sexe", unit, frame, sum(v for v in values if isinstance(v, int)))


def test_chart_items_write_the_value_and_the_share():
    items = B.chart_items(_breakdown(B.PEOPLE, [12, 8], [60.0, 40.0]))
    assert items == [("Femme", 12.0, "12 · 60 %"), ("Homme", 8.0, "8 · 40 %")]
    hours = B.chart_items(_breakdown(B.HOURS, [1234.5, 100.0], [92.5, 7.5]))
    assert hours[0][2] == "1\u202f234 h · 92,5 %"


def test_no_chart_when_a_count_is_hidden():
    assert B.chart_items(_breakdown(B.PEOPLE, ["< 3"], [None])) == []


def test_long_labels_are_cut_for_the_axis_and_kept_apart():
    long = "Allocataire de l'allocation de solidarité spécifique (ASS)"
    assert B._short(long).endswith("…") and len(B._short(long)) <= B.LABEL_CHARS
    same = ["x" * 60 + "a", "x" * 60 + "b"]
    assert len(set(B._short_labels(same))) == 2
