"""French display formats (DESIGN §6): numbers as « 1 234,5 », dates dd/mm/yyyy."""

from __future__ import annotations

from datetime import date, datetime

NBSP = "\u202f"  # narrow no-break space, the French thousands separator


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fmt_hours(hours_h100: int | None, decimals: int = 0) -> str:
    """Hours stored in hundredths, shown as French hours."""
    return "—" if hours_h100 is None else fmt_number(hours_h100 / 100, decimals) + " h"


def fmt_hours_exact(hours_h100: int | None) -> str:
    """Hours to the hundredth, decimals only when there are some: « 1 234,25 h », « 151 h », « 0,5 h »."""
    if hours_h100 is None:
        return "—"
    decimals = 0 if hours_h100 % 100 == 0 else (1 if hours_h100 % 10 == 0 else 2)
    return fmt_number(hours_h100 / 100, decimals) + " h"


def fmt_percent(ratio: float | None, decimals: int = 0) -> str:
    return "—" if ratio is None else fmt_number(ratio * 100, decimals) + " %"


def fmt_money(cents: int | None) -> str:
    return "—" if cents is None else fmt_number(cents / 100, 0) + " €"


def fmt_date(value: date | datetime | None) -> str:
    """A French date, or date and time; a time stored with its zone (UTC in the database) in the server's time."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone()
    return value.strftime("%d/%m/%Y %H:%M" if isinstance(value, datetime) else "%d/%m/%Y")
