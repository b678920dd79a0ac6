"""DESIGN §3.7 — follow-up in employment: next contact due, site visits, overdue lists, end and six-month outcome."""

from __future__ import annotations

from datetime import date, timedelta

from clausier import settings
from clausier.rules.followup import (
    ContactLog,
    Due,
    DueKind,
    FollowUpSettings,
    add_months,
    check_end,
    check_six_month,
    last_end_with_six_month_due,
    log_of,
    needs_site_visit,
    next_follow_up,
    overdue,
    six_month_due_on,
    six_month_outcome_due,
    this_week,
)
from models.enums import ContractOutcome, FollowUpKind, SixMonthOutcome

S = FollowUpSettings()  # 7 days, 30 days, 3 months, 6 months
CALL, MAIL, VISIT = FollowUpKind.CALL, FollowUpKind.MAIL, FollowUpKind.SITE_VISIT


def test_settings_defaults_are_those_of_the_settings_page():
    defaults = {d.key: d.default for d in settings.DEFINITIONS}
    assert FollowUpSettings.from_values(defaults) == FollowUpSettings(7, 30, 3, 6)


def test_first_contact_is_due_in_the_first_week():
    due = next_follow_up(date(2026, 3, 2), date(2026, 8, 31), None, ContactLog(), S)
    assert due == Due(date(2026, 3, 9), DueKind.FIRST_CONTACT)


def test_long_contract_gets_a_site_visit_one_month_after_the_first_contact_then_monthly_contacts():
    start, end = date(2026, 3, 2), date(2026, 8, 31)
    after_call = log_of([(date(2026, 3, 5), CALL, None)], start)
    assert next_follow_up(start, end, None, after_call, S) == Due(date(2026, 4, 4), DueKind.SITE_VISIT)
    # A mail does not replace the visit.
    after_mail = log_of([(date(2026, 3, 5), CALL, None), (date(2026, 4, 3), MAIL, None)], start)
    assert next_follow_up(start, end, None, after_mail, S) == Due(date(2026, 5, 3), DueKind.SITE_VISIT)
    after_visit = log_of([(date(2026, 3, 5), CALL, None), (date(2026, 4, 2), VISIT, None)], start)
    assert next_follow_up(start, end, None, after_visit, S) == Due(date(2026, 5, 2), DueKind.CONTACT)


def test_short_contract_has_no_site_visit_and_its_end_comes_due():
    start, end = date(2026, 3, 2), date(2026, 4, 17)  # six weeks
    assert not needs_site_visit(start, end, S)
    after_call = log_of([(date(2026, 3, 6), CALL, None)], start)
    assert next_follow_up(start, end, None, after_call, S) == Due(date(2026, 4, 5), DueKind.CONTACT)
    after_two = log_of([(date(2026, 3, 6), CALL, None), (date(2026, 4, 3), MAIL, None)], start)
    # The next monthly contact (3 May) falls after the planned end: recording the end is what is due.
    assert next_follow_up(start, end, None, after_two, S) == Due(date(2026, 4, 17), DueKind.END)


def test_very_short_contract_asks_for_the_first_contact_before_it_ends():
    start, end = date(2026, 3, 2), date(2026, 3, 6)
    assert next_follow_up(start, end, None, ContactLog(), S) == Due(date(2026, 3, 6), DueKind.FIRST_CONTACT)


def test_three_months_or_more_is_long_and_an_open_ended_contract_too():
    assert needs_site_visit(date(2026, 3, 1), date(2026, 5, 31), S)  # exactly three months
    assert not needs_site_visit(date(2026, 3, 1), date(2026, 5, 30), S)
    assert needs_site_visit(date(2026, 11, 30), date(2027, 2, 27), S)  # 30/11 + 3 months = 28/02 (last day)
    assert not needs_site_visit(date(2026, 11, 30), date(2027, 2, 26), S)
    assert needs_site_visit(date(2026, 3, 1), None, S)  # CDI
    assert not needs_site_visit(date(2026, 3, 1), date(2026, 5, 31), FollowUpSettings(site_visit_min_months=4))


def test_a_next_date_set_on_the_last_follow_up_wins_over_the_monthly_rhythm():
    start = date(2026, 3, 2)
    contacts = [(date(2026, 3, 5), CALL, date(2026, 3, 20)), (date(2026, 3, 1), CALL, date(2026, 3, 3))]
    log = log_of(contacts, start)  # the call of 1 March precedes the start: not counted
    assert log == ContactLog(last_contact=date(2026, 3, 5), site_visit_done=False, next_due_set=date(2026, 3, 20))
    assert next_follow_up(start, None, None, log, S) == Due(date(2026, 3, 20), DueKind.SITE_VISIT)


def test_contacts_before_the_start_do_not_count_as_first_contact():
    start = date(2026, 3, 9)
    log = log_of([(date(2026, 3, 6), CALL, None)], start)
    assert log == ContactLog()
    assert next_follow_up(start, None, None, log, S) == Due(date(2026, 3, 16), DueKind.FIRST_CONTACT)


def test_settings_change_the_due_dates():
    quick = FollowUpSettings(first_contact_days=3, interval_days=14, site_visit_min_months=3)
    start = date(2026, 3, 2)
    assert next_follow_up(start, None, None, ContactLog(), quick).on == date(2026, 3, 5)
    log = log_of([(date(2026, 3, 4), CALL, None), (date(2026, 3, 10), VISIT, None)], start)
    assert next_follow_up(start, None, None, log, quick) == Due(date(2026, 3, 24), DueKind.CONTACT)


def test_an_ended_contract_has_no_follow_up_due():
    log = log_of([(date(2026, 3, 5), CALL, None)], date(2026, 3, 2))
    assert next_follow_up(date(2026, 3, 2), date(2026, 8, 31), date(2026, 6, 30), log, S) is None


def test_overdue_means_the_due_date_has_passed_and_this_week_adds_the_next_seven_days():
    as_of = date(2026, 3, 16)
    items = [
        ("yesterday", Due(date(2026, 3, 15), DueKind.CONTACT)),
        ("today", Due(date(2026, 3, 16), DueKind.CONTACT)),
        ("in_7_days", Due(date(2026, 3, 23), DueKind.SITE_VISIT)),
        ("in_8_days", Due(date(2026, 3, 24), DueKind.CONTACT)),
        ("long_ago", Due(date(2026, 1, 10), DueKind.FIRST_CONTACT)),
        ("ended", None),
    ]
    assert [name for name, _ in overdue(items, as_of)] == ["long_ago", "yesterday"]
    assert [name for name, _ in this_week(items, as_of)] == ["long_ago", "yesterday", "today", "in_7_days"]
    assert Due(date(2026, 3, 10), DueKind.CONTACT).days_late(as_of) == 6
    assert Due(date(2026, 3, 20), DueKind.CONTACT).days_late(as_of) == 0


def test_six_month_outcome_is_asked_for_six_months_after_the_actual_end():
    end = date(2026, 8, 31)
    assert six_month_due_on(end, False, S) == date(2027, 2, 28)
    assert not six_month_outcome_due(end, False, date(2027, 2, 27), S)
    assert six_month_outcome_due(end, False, date(2027, 2, 28), S)
    assert not six_month_outcome_due(end, True, date(2027, 6, 1), S)  # recorded
    assert six_month_due_on(None, False, S) is None  # still running
    assert six_month_due_on(end, False, FollowUpSettings(outcome_after_months=12)) == date(2027, 8, 31)


def test_the_sql_bound_of_six_month_outcomes_due_agrees_with_the_rule():
    assert last_end_with_six_month_due(date(2027, 2, 28), S) == date(2026, 8, 31)
    assert last_end_with_six_month_due(date(2027, 2, 27), S) == date(2026, 8, 27)
    assert last_end_with_six_month_due(date(2027, 3, 1), S) == date(2026, 9, 1)
    for as_of in (date(2027, 2, 27), date(2027, 2, 28), date(2028, 2, 29), date(2026, 12, 31)):
        bound = last_end_with_six_month_due(as_of, S)
        for offset in range(-400, 0):
            end = as_of + timedelta(days=offset)
            assert (end <= bound) == six_month_outcome_due(end, False, as_of, S), (as_of, end)


def test_add_months_keeps_the_day_or_takes_the_last_one():
    import calendar

    day = date(2023, 12, 1)
    while day < date(2029, 1, 1):
        for months in (-13, -6, -1, 1, 3, 6, 12, 25):
            index = day.year * 12 + day.month - 1 + months
            year, month = index // 12, index % 12 + 1
            expected = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
            assert add_months(day, months) == expected, (day, months)
        day += timedelta(days=1)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 15), -6) == date(2025, 9, 15)


def test_end_of_contract_checks():
    today = date(2026, 6, 30)
    start = date(2026, 3, 2)
    assert check_end(start, date(2026, 6, 12), ContractOutcome.COMPLETED, today) == {}
    assert check_end(start, None, None, today) == {
        "actual_end": "Indiquez la date de fin réelle du contrat.",
        "outcome": "Choisissez l'issue du contrat.",
    }
    assert check_end(start, date(2026, 3, 1), ContractOutcome.TRIAL_END, today) == {
        "actual_end": "La fin réelle ne peut pas précéder le début du contrat (02/03/2026)."
    }
    assert "futur" in check_end(start, date(2026, 7, 1), ContractOutcome.COMPLETED, today)["actual_end"]


def test_six_month_outcome_checks():
    today = date(2027, 3, 1)
    end = date(2026, 8, 31)
    assert check_six_month(end, date(2027, 2, 28), SixMonthOutcome.SUSTAINABLE_JOB, today) == {}
    assert check_six_month(None, today, SixMonthOutcome.NO_SOLUTION, today) == {
        "outcome_6m": "Le contrat n'est pas terminé : enregistrez d'abord sa fin."
    }
    errors = check_six_month(end, date(2026, 8, 1), None, today)
    assert errors == {
        "outcome_6m": "Choisissez la situation de la personne.",
        "recorded_on": "La situation se recueille après la fin du contrat (31/08/2026).",
    }
