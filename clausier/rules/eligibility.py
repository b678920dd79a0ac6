"""DESIGN §3.2 — eligibility to the clause (*éligibilité*). Pure: dates, the validity and the warning are parameters
(settings « eligibility_validity_months » and « eligibility_warning_days »).

Decisions the design leaves open, taken here:

- **Validity window**: an eligibility validated on day D for N months is valid from D to the day before the
  N-month anniversary of D, both included (validated 15/03/2024 for 24 months: valid up to 14/03/2026, lapsed on
  15/03/2026). An anniversary that does not exist falls on the month's last day (31/01 + 1 month → 28 or 29/02).
  Not valid before its validation date.
- **A participant with several criteria** is eligible on a date when one of them is valid on it; the end of the
  participant's eligibility is the latest end among them. Since the end grows with the validation date, that is
  the same as: *the latest validation on or before the date is still valid* (what a bulk query can use:
  ``max(validated_on) where validated_on <= d``).
- **Lapsing**: valid today and ending within the warning days (the last valid day is today + warning days at most).
- **Age** in whole years at a given date; someone born on 29 February is a year older on 1 March in the years
  without one.
- **Criteria with a condition one can compute** (checked at the validation date, or at whatever date is asked):
  young person under 26 (age < 26), job seeker aged 50 or more (age ≥ 50), long-term job seeker (registered more
  than 12 months before, when the registration date is known — the data model keeps no such date, so the check
  only runs when a caller has one), and the « avis motivé » criterion, which needs a written reason and a
  prescriber among France Travail, Mission Locale, Maison de l'Emploi and MDPH (stored as « Prescripteur : motif »
  in ``Eligibility.reason``). The other criteria (RSA, RQTH, SIAE employee…) are facts the facilitator checks on
  the proof: nothing to compute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from clausier.rules.calendar import add_months

# Criterion codes of the reference list (clausier.services.reference.ELIGIBILITY_CRITERIA).
LONG_TERM_JOB_SEEKER = "deld"
YOUNG_UNDER_26 = "jeune_26"
SENIOR_50 = "senior_50"
REASONED_OPINION = "avis_motive"

YOUNG_MAX_AGE = 26  # strictly under
SENIOR_MIN_AGE = 50
LONG_TERM_MONTHS = 12  # strictly more than
PRESCRIBERS = ("France Travail", "Mission Locale", "Maison de l'Emploi", "MDPH")
REASON_SEPARATOR = " : "


def eligibility_end(validated_on: date, validity_months: int) -> date:
    """The last day an eligibility validated on ``validated_on`` is valid (the day before its anniversary)."""
    if validity_months < 1:
        raise ValueError("La durée de validité de l'éligibilité doit être d'au moins un mois.")
    return add_months(validated_on, validity_months) - timedelta(days=1)


def is_valid_on(validated_on: date | None, validity_months: int, on: date) -> bool:
    """Is an eligibility validated on ``validated_on`` valid on ``on``? Never before its validation, nor without."""
    if validated_on is None:
        return False
    return validated_on <= on <= eligibility_end(validated_on, validity_months)


def days_left(validated_on: date, validity_months: int, today: date) -> int:
    """Days from ``today`` to the last valid day (0 on the last day, negative once lapsed)."""
    return (eligibility_end(validated_on, validity_months) - today).days


def first_validation_valid_on(on: date, validity_months: int) -> date:
    """The earliest validation date still valid on ``on``: an eligibility validated on ``v <= on`` is valid on
    ``on`` exactly when ``v >= first_validation_valid_on(on, months)`` (a bound for SQL filters)."""
    day = add_months(on, -validity_months)
    while eligibility_end(day - timedelta(days=1), validity_months) >= on:
        day -= timedelta(days=1)
    while eligibility_end(day, validity_months) < on:
        day += timedelta(days=1)
    return day


def lapsing(validated_on: date | None, validity_months: int, today: date, warning_days: int) -> bool:
    """Valid today and ending within ``warning_days`` days (the home page's warning)."""
    if not is_valid_on(validated_on, validity_months, today):
        return False
    return days_left(validated_on, validity_months, today) <= warning_days


def lapsed(validated_on: date | None, validity_months: int, today: date) -> bool:
    """Validated once, and no longer valid today."""
    return validated_on is not None and validated_on <= today and not is_valid_on(validated_on, validity_months, today)


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on ``on`` (born on 29 February: a year older on 1 March in the other years)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


# --- criteria one can compute ---------------------------------------------------------------------------------


def young_under_26(birth_date: date | None, on: date) -> bool | None:
    """Young person under 26 on ``on``; None when the birth date is unknown."""
    return None if birth_date is None else age_on(birth_date, on) < YOUNG_MAX_AGE


def senior_50(birth_date: date | None, on: date) -> bool | None:
    """Job seeker aged 50 or more on ``on``; None when the birth date is unknown."""
    return None if birth_date is None else age_on(birth_date, on) >= SENIOR_MIN_AGE


def long_term_job_seeker(registered_since: date | None, on: date) -> bool | None:
    """Registered as a job seeker for more than 12 months on ``on``; None when the registration date is unknown."""
    if registered_since is None:
        return None
    return add_months(registered_since, LONG_TERM_MONTHS) < on


def split_reason(reason: str) -> tuple[str, str]:
    """« France Travail : motif » → (« France Travail », « motif »); no known prescriber in front: ("", reason)."""
    text = (reason or "").strip()
    for prescriber in PRESCRIBERS:
        if text.startswith(prescriber + REASON_SEPARATOR.rstrip()):
            return prescriber, text[len(prescriber) :].lstrip(" :").strip()
    return "", text


def join_reason(prescriber: str, reason: str) -> str:
    """The stored reason of an « avis motivé »: « Prescripteur : motif »."""
    reason = " ".join((reason or "").split())
    return f"{prescriber}{REASON_SEPARATOR}{reason}" if prescriber else reason


def criterion_problem(
    code: str,
    *,
    on: date,
    birth_date: date | None = None,
    needs_reason: bool = False,
    reason: str = "",
    prescriber: str = "",
    registered_since: date | None = None,
) -> str | None:
    """Why criterion ``code`` does not hold on ``on`` (French), or None when it holds or cannot be computed.

    ``needs_reason`` comes from the reference list (the « avis motivé » criterion needs one whatever its code)."""
    when = on.strftime("%d/%m/%Y")
    if code == YOUNG_UNDER_26:
        if birth_date is None:
            return "Ce critère demande la date de naissance du participant (moins de 26 ans)."
        if not young_under_26(birth_date, on):
            return (
                f"Le participant a {age_on(birth_date, on)} ans au {when} : ce critère est réservé aux moins de 26 ans."
            )
    elif code == SENIOR_50:
        if birth_date is None:
            return "Ce critère demande la date de naissance du participant (50 ans et plus)."
        if not senior_50(birth_date, on):
            return f"Le participant a {age_on(birth_date, on)} ans au {when} : ce critère demande 50 ans et plus."
    elif code == LONG_TERM_JOB_SEEKER and registered_since is not None:
        if registered_since > on:
            return "La date d'inscription comme demandeur d'emploi est postérieure à la date de validation."
        if not long_term_job_seeker(registered_since, on):
            return (
                f"Inscrit depuis le {registered_since.strftime('%d/%m/%Y')} : moins de 12 mois d'inscription au "
                f"{when}, ce n'est pas un demandeur d'emploi de longue durée."
            )
    if needs_reason or code == REASONED_OPINION:
        if prescriber not in PRESCRIBERS:
            return "Indiquez le prescripteur de l'avis motivé : " + ", ".join(PRESCRIBERS) + "."
        if not " ".join((reason or "").split()):
            return "Ce critère demande le motif de l'avis motivé."
    return None


# --- a participant's eligibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """One validated criterion of a participant."""

    criterion_code: str
    validated_on: date
    end: date


@dataclass(frozen=True)
class EligibilityStatus:
    """A participant's eligibility on a date: valid or not, until when, through which criteria."""

    on: date
    valid: bool
    end: date | None  # last valid day among the criteria valid on ``on``; else the latest end seen (lapsed), or None
    criteria: tuple[str, ...] = ()  # codes of the criteria valid on ``on``
    validations: tuple[Validation, ...] = field(default=(), repr=False)  # every criterion recorded

    @property
    def lapsed(self) -> bool:
        return not self.valid and self.end is not None and self.end < self.on

    def lapsing(self, warning_days: int) -> bool:
        return self.valid and self.end is not None and (self.end - self.on).days <= warning_days


def status_on(validations: Iterable[tuple[str, date]], validity_months: int, on: date) -> EligibilityStatus:
    """The eligibility on ``on`` from the (criterion code, validation date) pairs of one participant."""
    rows = sorted(
        (Validation(code, validated, eligibility_end(validated, validity_months)) for code, validated in validations),
        key=lambda v: (v.validated_on, v.criterion_code),
    )
    valid_now = [v for v in rows if v.validated_on <= on <= v.end]
    if valid_now:
        return EligibilityStatus(
            on=on,
            valid=True,
            end=max(v.end for v in valid_now),
            criteria=tuple(sorted({v.criterion_code for v in valid_now})),
            validations=tuple(rows),
        )
    past = [v.end for v in rows if v.validated_on <= on]
    return EligibilityStatus(on=on, valid=False, end=max(past) if past else None, validations=tuple(rows))
