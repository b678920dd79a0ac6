"""Follow-up in employment (DESIGN §3.7): when the next contact about a running contract is due, what it is,
whether it is overdue; the end of a contract and the situation six months later.

Every number comes from the settings ``followup_first_contact_days``, ``followup_interval_days``,
``followup_site_visit_min_months`` and ``outcome_after_months`` (see :class:`FollowUpSettings`); dates are
parameters, never "today"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any, TypeVar

from clausier.rules.calendar import add_months
from models.enums import FollowUpKind

WEEK_DAYS = 7  # "whom to call this week": overdue, or due within the next seven days
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class DueKind(str, Enum):
    """What is due about a contract."""

    FIRST_CONTACT = "premier_contact"
    CONTACT = "contact"
    SITE_VISIT = "visite"
    END = "fin"
    SIX_MONTHS = "six_mois"

    @property
    def label(self) -> str:
        return _DUE_LABELS[self]


_DUE_LABELS = {
    DueKind.FIRST_CONTACT: "Premier contact",
    DueKind.CONTACT: "Contact mensuel (appel ou mail)",
    DueKind.SITE_VISIT: "Visite sur site",
    DueKind.END: "Fin du contrat à enregistrer",
    DueKind.SIX_MONTHS: "Situation à 6 mois à recueillir",
}


@dataclass(frozen=True)
class FollowUpSettings:
    """The follow-up settings (admin), with the defaults of ``clausier.settings``."""

    first_contact_days: int = 7
    interval_days: int = 30
    site_visit_min_months: int = 3
    outcome_after_months: int = 6

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> FollowUpSettings:
        """From ``settings.get_all(session)``."""
        return cls(
            first_contact_days=int(values["followup_first_contact_days"]),
            interval_days=int(values["followup_interval_days"]),
            site_visit_min_months=int(values["followup_site_visit_min_months"]),
            outcome_after_months=int(values["outcome_after_months"]),
        )


@dataclass(frozen=True)
class ContactLog:
    """What the next due date needs from a contract's logged follow-ups (those on or after its start)."""

    last_contact: date | None = None
    site_visit_done: bool = False
    next_due_set: date | None = None  # the next due date written on the latest follow-up, when one was


@dataclass(frozen=True)
class Due:
    """Something due about a contract on a date."""

    on: date
    kind: DueKind

    def overdue(self, as_of: date) -> bool:
        """The due date has passed."""
        return self.on < as_of

    def days_late(self, as_of: date) -> int:
        return max(0, (as_of - self.on).days)

    def this_week(self, as_of: date, days: int = WEEK_DAYS) -> bool:
        """Overdue, or due within the next ``days`` days."""
        return self.on <= as_of + timedelta(days=days)


def log_of(contacts: Iterable[tuple[date, FollowUpKind, date | None]], start: date) -> ContactLog:
    """The :class:`ContactLog` of a contract from its follow-ups ``(on, kind, next_due)``, in any order.

    Contacts before the contract's start do not count (follow-up *in employment*)."""
    counted = sorted((c for c in contacts if c[0] >= start), key=lambda c: c[0])
    if not counted:
        return ContactLog()
    last_on = counted[-1][0]
    next_dues = [c[2] for c in counted if c[0] == last_on and c[2] is not None]
    return ContactLog(
        last_contact=last_on,
        site_visit_done=any(FollowUpKind(c[1]) is FollowUpKind.SITE_VISIT for c in counted),
        next_due_set=max(next_dues) if next_dues else None,
    )


def needs_site_visit(start: date, planned_end: date | None, settings: FollowUpSettings) -> bool:
    """A site visit is due for contracts of ``site_visit_min_months`` months or more; an open-ended contract
    (no planned end, a CDI) is long. 01/03 → 31/05 is three months."""
    if planned_end is None:
        return True
    return planned_end >= add_months(start, settings.site_visit_min_months) - timedelta(days=1)


def next_follow_up(
    start: date,
    planned_end: date | None,
    actual_end: date | None,
    log: ContactLog,
    settings: FollowUpSettings,
) -> Due | None:
    """The next follow-up due for a contract, or None once its end is recorded.

    - No contact yet: the first contact, ``first_contact_days`` after the start.
    - Then one contact every ``interval_days`` after the last one, or on the date the last follow-up set.
      For a contract of ``site_visit_min_months`` months or more that contact is a site visit until one is logged.
    - A contact that would fall after the planned end: the end is due then (record it and its outcome) —
      or, when nobody was in touch yet, the first contact before the contract is over."""
    if actual_end is not None:
        return None
    if log.last_contact is None:
        due = Due(start + timedelta(days=settings.first_contact_days), DueKind.FIRST_CONTACT)
    else:
        on = log.next_due_set or log.last_contact + timedelta(days=settings.interval_days)
        visit = needs_site_visit(start, planned_end, settings) and not log.site_visit_done
        due = Due(on, DueKind.SITE_VISIT if visit else DueKind.CONTACT)
    if planned_end is not None and due.on > planned_end:
        kind = DueKind.FIRST_CONTACT if log.last_contact is None else DueKind.END
        return Due(max(planned_end, start), kind)
    return due


def six_month_due_on(actual_end: date | None, recorded: bool, settings: FollowUpSettings) -> date | None:
    """When the situation six months after the end is to be asked for (``outcome_after_months`` after the
    actual end), or None: contract not ended, or the situation already recorded."""
    if actual_end is None or recorded:
        return None
    return add_months(actual_end, settings.outcome_after_months)


def six_month_outcome_due(actual_end: date | None, recorded: bool, as_of: date, settings: FollowUpSettings) -> bool:
    """The six-month situation is asked for from its due date on, until it is recorded."""
    due = six_month_due_on(actual_end, recorded, settings)
    return due is not None and due <= as_of


def last_end_with_six_month_due(as_of: date, settings: FollowUpSettings) -> date:
    """The latest actual end whose six-month situation is due on ``as_of``: the situation of a contract ended on
    ``e`` is due on ``as_of`` exactly when ``e <= last_end_with_six_month_due(as_of)`` (a bound for SQL)."""
    day = add_months(as_of, -settings.outcome_after_months) + timedelta(days=3)
    while add_months(day, settings.outcome_after_months) > as_of:
        day -= timedelta(days=1)
    return day


T = TypeVar("T")


def overdue(items: Sequence[tuple[T, Due | None]], as_of: date) -> list[tuple[T, Due]]:
    """The items whose follow-up is overdue, the oldest first."""
    found = [(item, due) for item, due in items if due is not None and due.overdue(as_of)]
    return sorted(found, key=lambda pair: pair[1].on)


def this_week(items: Sequence[tuple[T, Due | None]], as_of: date, days: int = WEEK_DAYS) -> list[tuple[T, Due]]:
    """Whom to call this week: overdue items and those due within ``days`` days, the oldest first."""
    found = [(item, due) for item, due in items if due is not None and due.this_week(as_of, days)]
    return sorted(found, key=lambda pair: pair[1].on)


# --- checks of what is typed ------------------------------------------------------------------------------------


def check_end(start: date, actual_end: date | None, outcome: object, today: date) -> dict[str, str]:
    """French messages per field for the end of a contract (date and outcome), empty when fine."""
    errors: dict[str, str] = {}
    if actual_end is None:
        errors["actual_end"] = "Indiquez la date de fin réelle du contrat."
    elif actual_end < start:
        errors["actual_end"] = f"La fin réelle ne peut pas précéder le début du contrat ({start:%d/%m/%Y})."
    elif actual_end > today:
        errors["actual_end"] = "La fin réelle ne peut pas être dans le futur : enregistrez-la une fois le contrat fini."
    if outcome is None or outcome == "":
        errors["outcome"] = "Choisissez l'issue du contrat."
    return errors


def check_six_month(actual_end: date | None, recorded_on: date | None, outcome: object, today: date) -> dict[str, str]:
    """French messages per field for the situation six months after the end."""
    errors: dict[str, str] = {}
    if actual_end is None:
        errors["outcome_6m"] = "Le contrat n'est pas terminé : enregistrez d'abord sa fin."
        return errors
    if outcome is None or outcome == "":
        errors["outcome_6m"] = "Choisissez la situation de la personne."
    if recorded_on is None:
        errors["recorded_on"] = "Indiquez la date à laquelle la situation a été recueillie."
    elif recorded_on < actual_end:
        errors["recorded_on"] = f"La situation se recueille après la fin du contrat ({actual_end:%d/%m/%Y})."
    elif recorded_on > today:
        errors["recorded_on"] = "La date de recueil ne peut pas être dans le futur."
    return errors
