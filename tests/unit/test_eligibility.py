"""DESIGN §3.2 — eligibility: validity window, lapse, age at the right date, each computable criterion."""

from __future__ import annotations

from datetime import date

import pytest

from clausier.rules import eligibility as rules
from clausier.rules.eligibility import (
    add_months,
    age_on,
    criterion_problem,
    eligibility_end,
    first_validation_valid_on,
    is_valid_on,
    lapsed,
    lapsing,
    status_on,
)

# --- validity window ------------------------------------------------------------------------------------------


def test_eligibility_is_valid_24_months_up_to_the_day_before_its_anniversary():
    assert eligibility_end(date(2024, 3, 15), 24) == date(2026, 3, 14)
    assert is_valid_on(date(2024, 3, 15), 24, date(2026, 3, 14))
    assert not is_valid_on(date(2024, 3, 15), 24, date(2026, 3, 15))


def test_eligibility_is_valid_from_its_validation_day_not_before():
    assert is_valid_on(date(2024, 3, 15), 24, date(2024, 3, 15))
    assert not is_valid_on(date(2024, 3, 15), 24, date(2024, 3, 14))


def test_no_validation_is_never_valid():
    assert not is_valid_on(None, 24, date(2026, 1, 1))
    assert not lapsing(None, 24, date(2026, 1, 1), 60)
    assert not lapsed(None, 24, date(2026, 1, 1))


def test_validity_follows_the_setting():
    assert eligibility_end(date(2024, 3, 15), 12) == date(2025, 3, 14)
    assert not is_valid_on(date(2024, 3, 15), 12, date(2025, 3, 15))
    assert is_valid_on(date(2024, 3, 15), 36, date(2027, 3, 14))


def test_an_anniversary_that_does_not_exist_falls_on_the_months_last_day():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert eligibility_end(date(2024, 2, 29), 24) == date(2026, 2, 27)  # anniversary 28/02/2026
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_a_validity_under_one_month_is_refused():
    with pytest.raises(ValueError, match="au moins un mois"):
        eligibility_end(date(2024, 1, 1), 0)


def test_first_validation_valid_on_is_the_exact_bound():
    on = date(2026, 3, 14)
    assert first_validation_valid_on(on, 24) == date(2024, 3, 15)
    # 29/02/2024 ends on 27/02/2026 (anniversary 28/02): not valid on 28/02/2026; 01/03/2024 ends on 28/02/2026.
    assert first_validation_valid_on(date(2026, 2, 28), 24) == date(2024, 3, 1)
    assert not is_valid_on(date(2024, 2, 29), 24, date(2026, 2, 28))


# --- lapse -------------------------------------------------------------------------------------------------------


def test_eligibility_lapsing_within_the_warning_days():
    validated = date(2024, 3, 15)  # last valid day 14/03/2026
    assert not lapsing(validated, 24, date(2026, 1, 12), 60)  # 61 days left
    assert lapsing(validated, 24, date(2026, 1, 13), 60)  # 60 days left
    assert lapsing(validated, 24, date(2026, 3, 14), 60)  # last day
    assert not lapsing(validated, 24, date(2026, 3, 15), 60)  # lapsed: no longer "lapsing"


def test_lapsed_eligibility_the_day_after_its_end():
    validated = date(2024, 3, 15)
    assert not lapsed(validated, 24, date(2026, 3, 14))
    assert lapsed(validated, 24, date(2026, 3, 15))
    assert not lapsed(validated, 24, date(2024, 3, 1))  # not validated yet: not lapsed either


def test_a_participant_is_eligible_through_any_valid_criterion_until_the_latest_end():
    pairs = [("rsa", date(2023, 1, 10)), ("plie", date(2024, 6, 1)), ("rqth", date(2024, 9, 1))]
    status = status_on(pairs, 24, date(2024, 12, 1))
    assert status.valid and status.criteria == ("plie", "rqth", "rsa")
    assert status.end == date(2026, 8, 31)
    later = status_on(pairs, 24, date(2026, 7, 1))  # rsa lapsed on 10/01/2025, plie on 01/06/2026
    assert later.valid and later.criteria == ("rqth",) and later.end == date(2026, 8, 31)
    assert later.lapsing(61) and not later.lapsing(60)  # 01/07 → 31/08: 61 days left
    gone = status_on(pairs, 24, date(2026, 9, 1))
    assert not gone.valid and gone.lapsed and gone.end == date(2026, 8, 31) and gone.criteria == ()


def test_a_participant_without_eligibility_is_neither_valid_nor_lapsed():
    status = status_on([], 24, date(2026, 1, 1))
    assert not status.valid and not status.lapsed and status.end is None


def test_a_validation_after_the_date_asked_does_not_count():
    status = status_on([("rsa", date(2026, 5, 1))], 24, date(2026, 4, 30))
    assert not status.valid and status.end is None


# --- age -----------------------------------------------------------------------------------------------------------


def test_age_at_the_date_asked_not_today():
    born = date(2000, 6, 15)
    assert age_on(born, date(2026, 6, 14)) == 25
    assert age_on(born, date(2026, 6, 15)) == 26


def test_someone_born_on_29_february_is_older_on_1_march_in_other_years():
    born = date(2000, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 25
    assert age_on(born, date(2026, 3, 1)) == 26
    assert age_on(born, date(2028, 2, 29)) == 28


# --- each criterion --------------------------------------------------------------------------------------------


def test_young_under_26_is_checked_at_the_validation_date():
    born = date(2000, 6, 15)
    assert criterion_problem("jeune_26", on=date(2026, 6, 14), birth_date=born) is None
    problem = criterion_problem("jeune_26", on=date(2026, 6, 15), birth_date=born)
    assert problem == "Le participant a 26 ans au 15/06/2026 : ce critère est réservé aux moins de 26 ans."
    assert "date de naissance" in criterion_problem("jeune_26", on=date(2026, 1, 1), birth_date=None)


def test_job_seeker_aged_50_or_more_from_the_50th_birthday():
    born = date(1976, 4, 2)
    assert criterion_problem("senior_50", on=date(2026, 4, 2), birth_date=born) is None
    problem = criterion_problem("senior_50", on=date(2026, 4, 1), birth_date=born)
    assert problem == "Le participant a 49 ans au 01/04/2026 : ce critère demande 50 ans et plus."
    assert rules.senior_50(None, date(2026, 1, 1)) is None


def test_long_term_job_seeker_needs_more_than_12_months_when_the_registration_date_is_known():
    on = date(2026, 3, 10)
    assert criterion_problem("deld", on=on, registered_since=date(2025, 3, 9)) is None
    problem = criterion_problem("deld", on=on, registered_since=date(2025, 3, 10))
    assert problem is not None and "moins de 12 mois" in problem
    assert criterion_problem("deld", on=on) is None  # no registration date: nothing to compute
    assert rules.long_term_job_seeker(None, on) is None
    assert "postérieure" in criterion_problem("deld", on=on, registered_since=date(2026, 4, 1))


def test_reasoned_opinion_needs_a_prescriber_and_a_reason():
    on = date(2026, 1, 5)
    assert "prescripteur" in criterion_problem("avis_motive", on=on, reason="Parcours suivi")
    assert "prescripteur" in criterion_problem("avis_motive", on=on, prescriber="Pôle emploi", reason="x")
    assert criterion_problem("avis_motive", on=on, prescriber="Mission Locale", reason="  ") == (
        "Ce critère demande le motif de l'avis motivé."
    )
    assert criterion_problem("avis_motive", on=on, prescriber="MDPH", reason="Orientation validée") is None


def test_a_criterion_marked_as_needing_a_reason_in_the_reference_list_needs_one_too():
    assert criterion_problem("autre_local", on=date(2026, 1, 5), needs_reason=True) is not None
    assert criterion_problem("autre_local", on=date(2026, 1, 5)) is None


@pytest.mark.parametrize(
    "code", ["rsa", "ass", "ai_ata", "aah", "pension_invalidite", "rqth", "salarie_siae", "epide_e2c", "plie"]
)
def test_criteria_proven_by_a_document_have_nothing_to_compute(code):
    assert criterion_problem(code, on=date(2026, 1, 5), birth_date=date(1990, 1, 1)) is None


def test_the_reason_of_a_reasoned_opinion_keeps_its_prescriber():
    stored = rules.join_reason("Maison de l'Emploi", "  Parcours   validé en commission ")
    assert stored == "Maison de l'Emploi : Parcours validé en commission"
    assert rules.split_reason(stored) == ("Maison de l'Emploi", "Parcours validé en commission")
    assert rules.split_reason("Texte libre") == ("", "Texte libre")
