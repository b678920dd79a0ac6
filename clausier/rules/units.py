"""Integer units at the edges: money in cents, rates in basis points, hours in hundredths (STYLE)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def to_decimal(value: object, what: str) -> Decimal:
    """A number typed the French way (« 1 234,50 ») or given as a number; French ValueError otherwise."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value or "").strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    text = text.rstrip("€%h").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} : « {value} » n'est pas un nombre.") from None
    if not number.is_finite():
        raise ValueError(f"{what} : « {value} » n'est pas un nombre.")
    return number


def _scaled(value: object, what: str, factor: int) -> int:
    return int((to_decimal(value, what) * factor).quantize(Decimal(1), ROUND_HALF_UP))


def cents(euros: object, what: str = "Montant") -> int:
    return _scaled(euros, what, 100)


def basis_points(percent: object, what: str = "Taux") -> int:
    """12,5 (%) → 1250."""
    return _scaled(percent, what, 100)


def hundredths(hours: object, what: str = "Heures") -> int:
    """151,67 (h) → 15167."""
    return _scaled(hours, what, 100)


def in_units(stored):
    """Hundredths (hours), cents (money) or basis points (rates) as the number shown — 15167 → 151.67 —, for a
    value, None (left None), or a numpy/pandas column. The one way pages turn stored integers into numbers."""
    return None if stored is None else stored / 100
