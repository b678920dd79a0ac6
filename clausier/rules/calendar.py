"""Month arithmetic, in one place (two meanings, two names)."""

from __future__ import annotations

import calendar
from datetime import date

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` months later (or earlier); the month's last day when it has no such day:
    31/08 + 6 months = 28/02 (29/02 in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if day.day <= 28:
        return date(year, month + 1, day.day)
    last = 29 if month == 1 and calendar.isleap(year) else _MONTH_DAYS[month]
    return date(year, month + 1, min(day.day, last))


def shift_month(month: date, n: int) -> date:
    """The first day of the month ``n`` months after the month of ``month`` (a month key, day ignored)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def months_between(first: date, second: date) -> int:
    """Whole months from the month of ``first`` to the month of ``second``."""
    return (second.year - first.year) * 12 + second.month - first.month
