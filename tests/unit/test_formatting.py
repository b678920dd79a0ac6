from datetime import UTC, date, datetime, timedelta, timezone

from clausier.formatting import NBSP, fmt_date, fmt_hours, fmt_money, fmt_number, fmt_percent


def test_french_numbers_dates_and_units():
    assert fmt_number(1234.5, 1) == f"1{NBSP}234,5"
    assert fmt_number(1234567) == f"1{NBSP}234{NBSP}567"
    assert fmt_hours(15_167, 2) == "151,67 h"
    assert fmt_hours(83_300) == "833 h"
    assert fmt_percent(0.8) == "80 %"
    assert fmt_money(100_000_000) == f"1{NBSP}000{NBSP}000 €"
    assert fmt_date(date(2026, 3, 1)) == "01/03/2026"
    assert fmt_date(datetime(2026, 3, 1, 9, 5)) == "01/03/2026 09:05"
    stored = datetime(2026, 3, 1, 9, 5, tzinfo=UTC)  # as the database keeps it: shown in the server's time
    assert fmt_date(stored) == stored.astimezone().strftime("%d/%m/%Y %H:%M")
    paris = timezone(timedelta(hours=1))
    assert fmt_date(datetime(2026, 3, 1, 10, 5, tzinfo=paris)) == fmt_date(stored)
    assert fmt_number(None) == fmt_hours(None) == "—"
