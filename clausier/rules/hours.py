"""DESIGN §3.1 — insertion hours of a lot."""

from __future__ import annotations


def insertion_hours_h100(
    amount_cents: int, labour_share_bp: int, insertion_rate_bp: int, hourly_cost_cents: int
) -> int:
    """``amount × labour share × insertion rate ÷ hourly cost``, rounded half up to the whole hour, in hundredths.

    Integers throughout (money in cents, rates in basis points): €1,000,000 × 50 % × 5 % ÷ €30/h = 833 h."""
    if hourly_cost_cents <= 0:
        raise ValueError("Le coût horaire doit être positif.")
    if amount_cents < 0 or not 0 <= labour_share_bp <= 10_000 or not 0 <= insertion_rate_bp <= 10_000:
        raise ValueError("Montant, part de main-d'œuvre et taux d'insertion doivent être positifs (taux ≤ 100 %).")
    numerator = amount_cents * labour_share_bp * insertion_rate_bp
    denominator = hourly_cost_cents * 10_000 * 10_000
    return ((2 * numerator + denominator) // (2 * denominator)) * 100
