"""Participants: eligibility — validity read at a date (DESIGN §3.2), criteria added and removed, and the
eligibilities lapsing soon for the home page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from clausier import settings
from clausier.errors import DomainError, ValidationError
from clausier.rules import eligibility as rules
from clausier.rules.eligibility import EligibilityStatus
from clausier.rules.names import ascii_fold
from clausier.services import audit
from clausier.services.participants.common import EligibilityFilter, display_name
from clausier.services.participants.edit import one_line
from clausier.services.users import CurrentUser, require
from models import (
    Eligibility,
    EligibilityCriterion,
    EmploymentContract,
    Participant,
)
from models.enums import (
    Role,
)

# --- eligibility, read -----------------------------------------------------------------------------------------


def validity_months(session: Session) -> int:
    return int(settings.get(session, "eligibility_validity_months"))


def warning_days(session: Session) -> int:
    return int(settings.get(session, "eligibility_warning_days"))


def valid_eligibility(session: Session, participant_id: int, on: date) -> EligibilityStatus:
    """A participant's eligibility on ``on`` (valid?, end of validity, criteria valid on that day)."""
    pairs = session.exec(
        select(Eligibility.criterion_code, Eligibility.validated_on).where(Eligibility.participant_id == participant_id)
    ).all()
    return rules.status_on(pairs, validity_months(session), on)


def _validated_between(start: date | None, end: date):
    """Participants with a validation from ``start`` (or ever) to ``end``, both included (one scan, for IN)."""
    query = select(Eligibility.participant_id).where(Eligibility.validated_on <= end)
    return query if start is None else query.where(Eligibility.validated_on >= start)


def last_validation(on: date):
    """Correlated: a participant's latest validation on or before ``on`` (for the rows shown, by its index)."""
    return (
        select(func.max(Eligibility.validated_on))
        .where(Eligibility.participant_id == Participant.id, Eligibility.validated_on <= on)
        .correlate(Participant)
        .scalar_subquery()
    )


def eligibility_ends(session: Session, on: date, participant_ids: Iterable[int] | None = None) -> dict[int, date]:
    """The last valid day of the eligibility of every participant eligible on ``on`` (one grouped query); a
    participant missing from the result is not eligible on that day."""
    months = validity_months(session)
    # The latest validation on or before ``on`` is valid exactly when one lies in [first valid, on]: group only those.
    query = (
        select(Eligibility.participant_id, func.max(Eligibility.validated_on))
        .where(Eligibility.validated_on >= rules.first_validation_valid_on(on, months), Eligibility.validated_on <= on)
        .group_by(Eligibility.participant_id)
    )
    found: dict[int, date] = {}
    if participant_ids is None:
        found = dict(session.exec(query).all())
    else:
        ids = sorted(set(participant_ids))
        for start in range(0, len(ids), 5_000):  # bounded IN lists
            found |= dict(
                session.exec(query.where(col(Eligibility.participant_id).in_(ids[start : start + 5_000]))).all()
            )
    ends: dict[date, date] = {}
    return {
        pid: ends.get(last) or ends.setdefault(last, rules.eligibility_end(last, months)) for pid, last in found.items()
    }


def eligibility_condition(state: str | None, today: date, months: int, warning: int):
    """The SQL condition of an eligibility state of the list (set-based: each a scan of the validations)."""
    first_valid = rules.first_validation_valid_on(today, months)
    first_not_lapsing = rules.first_validation_valid_on(today + timedelta(days=warning + 1), months)
    pid = col(Participant.id)
    if state == EligibilityFilter.VALID:
        return pid.in_(_validated_between(first_not_lapsing, today))
    if state == EligibilityFilter.LAPSING:
        return and_(
            pid.in_(_validated_between(first_valid, first_not_lapsing - timedelta(days=1))),
            pid.not_in(_validated_between(first_not_lapsing, today)),
        )
    if state == EligibilityFilter.LAPSED:
        return and_(pid.in_(_validated_between(None, today)), pid.not_in(_validated_between(first_valid, today)))
    if state == EligibilityFilter.NONE:
        return pid.not_in(_validated_between(None, today))
    return None


# --- writing: eligibility ------------------------------------------------------------------------------------------


@dataclass
class EligibilityInput:
    criterion_code: str | None = None
    validated_on: date | None = None
    proof_date: date | None = None
    prescriber: str = ""  # for the « avis motivé » criterion
    reason: str = ""
    registered_since: date | None = None  # job-seeker registration (checks the long-term criterion; not stored)


def check_eligibility(
    session: Session, data: EligibilityInput, birth_date: date | None, today: date
) -> tuple[EligibilityCriterion, str]:
    """The criterion and the reason to store, or ValidationError (fields criterion_code, validated_on,
    proof_date, reason)."""
    errors: dict[str, str] = {}
    criterion = session.get(EligibilityCriterion, data.criterion_code) if data.criterion_code else None
    if criterion is None or not criterion.active:
        errors["criterion_code"] = "Choisissez un critère d'éligibilité de la liste."
    if data.validated_on is None:
        errors["validated_on"] = "La date de validation est obligatoire."
    elif data.validated_on > today:
        errors["validated_on"] = "La date de validation ne peut pas être dans le futur."
    elif data.validated_on < date(2000, 1, 1):
        errors["validated_on"] = "La date de validation n'est pas plausible."
    if data.proof_date and data.validated_on and data.proof_date > data.validated_on:
        errors["proof_date"] = "La date du justificatif doit précéder la date de validation."
    reason = ""
    if criterion is not None and data.validated_on is not None and "validated_on" not in errors:
        needs_reason = criterion.needs_reason or criterion.code == rules.REASONED_OPINION
        problem = rules.criterion_problem(
            criterion.code,
            on=data.validated_on,
            birth_date=birth_date,
            needs_reason=needs_reason,
            reason=data.reason,
            prescriber=data.prescriber,
            registered_since=data.registered_since,
        )
        if problem:
            errors["reason" if needs_reason else "criterion_code"] = problem
        reason = rules.join_reason(data.prescriber, data.reason) if needs_reason else one_line(data.reason)
    if errors:
        raise ValidationError(errors)
    return criterion, reason


def add_eligibility(
    session: Session, user: CurrentUser, participant_id: int, data: EligibilityInput, today: date
) -> Eligibility:
    """Record a criterion validated by the logged-in facilitator; the criterion is checked at the validation date."""
    require(user, Role.SAISIE)
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise DomainError("Ce participant n'existe plus.")
    if participant.anonymised_at is not None:
        raise DomainError("Ce participant a été anonymisé : sa fiche ne se modifie plus.")
    criterion, reason = check_eligibility(session, data, participant.birth_date, today)
    same = session.exec(
        select(Eligibility.id).where(
            Eligibility.participant_id == participant_id,
            Eligibility.criterion_code == criterion.code,
            Eligibility.validated_on == data.validated_on,
        )
    ).first()
    if same is not None:
        raise ValidationError({"criterion_code": "Ce critère est déjà enregistré à cette date de validation."})
    row = Eligibility(
        participant_id=participant_id,
        criterion_code=criterion.code,
        proof_date=data.proof_date,
        validated_on=data.validated_on,
        validated_by=user.login,
        reason=reason,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        user.login,
        "éligibilité",
        "eligibility",
        row.id,
        f"Participant n° {participant_id} : critère « {criterion.code} » validé le {data.validated_on:%d/%m/%Y}",
    )
    return row


def remove_eligibility(session: Session, user: CurrentUser, eligibility_id: int) -> None:
    """Remove a criterion recorded by mistake (the audit trail keeps what it was)."""
    require(user, Role.SAISIE)
    row = session.get(Eligibility, eligibility_id)
    if row is None:
        raise DomainError("Ce critère a déjà été retiré.")
    participant = session.get(Participant, row.participant_id)
    if participant is not None and participant.anonymised_at is not None:
        raise DomainError("Ce participant a été anonymisé : sa fiche ne se modifie plus.")
    summary = (
        f"Participant n° {row.participant_id} : critère « {row.criterion_code} » du {row.validated_on:%d/%m/%Y} retiré"
    )
    session.delete(row)
    session.flush()
    audit.record(session, user.login, "suppression", "eligibility", eligibility_id, summary)


# --- the home page: eligibility lapsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LapsingRow:
    """A participant whose eligibility ends within the warning days, or has lapsed while under contract."""

    participant_id: int
    name: str
    counsellor: str
    antenna: str
    end: date
    days_left: int  # negative once lapsed
    in_contract: bool

    @property
    def lapsed(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class LapsingSummary:
    """The home page's block: how many eligibilities to renew, how many of them lapsed under a running contract,
    and the first rows (soonest end first)."""

    count: int
    lapsed: int
    rows: list[LapsingRow]


def _running_contract_holders(on: date):
    """(participant, latest validation on or before ``on``) for each contract running on ``on``: started, no end
    recorded and the planned end not passed (none: open-ended), or an end recorded from ``on`` on. Written as two
    ranges of ``actual_end`` so the database reads the few running contracts by its index, not all of them."""
    c, later = EmploymentContract, aliased(Eligibility)
    running = or_(
        and_(col(c.actual_end).is_(None), func.coalesce(c.planned_end, date(9999, 12, 31)) >= on),
        col(c.actual_end) >= on,
    )
    last = (
        select(func.max(later.validated_on))
        .where(later.participant_id == c.participant_id, later.validated_on <= on)
        .correlate(c)
        .scalar_subquery()
    )
    return (
        select(c.participant_id, last)
        .join(Participant, Participant.id == c.participant_id)
        .where(c.start_date <= on, running, col(Participant.anonymised_at).is_(None))
    )


def lapsing_eligibilities(session: Session, today: date, shown: int | None = None) -> LapsingSummary:
    """For the home page: eligibility ending within « eligibility_warning_days » days, and eligibility already
    lapsed for people under a running contract (their hours are flagged). Soonest end first; names are read for
    the first ``shown`` rows only (all when None).

    Two indexed reads: the validations inside the window of those ending soon (none later), and the latest
    validation of each person under a running contract."""
    months, warning = validity_months(session), warning_days(session)
    first_valid = rules.first_validation_valid_on(today, months)
    first_not_lapsing = rules.first_validation_valid_on(today + timedelta(days=warning + 1), months)
    e, later = Eligibility, aliased(Eligibility)
    renewed = (
        select(later.id)
        .where(later.participant_id == e.participant_id)
        .where(later.validated_on >= first_not_lapsing, later.validated_on <= today)
    )
    ending = (  # latest validation in [first valid, first not lapsing): ending within the warning days
        select(e.participant_id, func.max(e.validated_on))
        .join(Participant, Participant.id == e.participant_id)
        .where(e.validated_on >= first_valid, e.validated_on < first_not_lapsing, ~renewed.exists())
        .where(col(Participant.anonymised_at).is_(None))
        .group_by(e.participant_id)
    )
    last_of: dict[int, date] = dict(session.exec(ending).all())
    in_contract: set[int] = set()
    for participant_id, last in session.exec(_running_contract_holders(today)):
        in_contract.add(participant_id)
        if last is not None and _as_date(last) < first_valid:  # validated once, nothing valid today
            last_of[participant_id] = _as_date(last)
    end_of: dict[date, date] = {}
    for last in last_of.values():
        if last not in end_of:
            end_of[last] = rules.eligibility_end(last, months)
    ends = sorted(end_of[last] for last in last_of.values())
    lapsed = sum(1 for end in ends if end < today)
    if shown is not None and len(ends) > shown:
        cutoff = ends[shown - 1] if shown > 0 else date.min  # ties on the last end shown are sorted by name
        wanted = sorted(pid for pid, last in last_of.items() if end_of[last] <= cutoff)
    else:
        wanted = sorted(last_of)
    rows = []
    for start in range(0, len(wanted), 900):
        for participant_id, last_name, first_name, counsellor, antenna in session.exec(
            select(
                Participant.id,
                Participant.last_name,
                Participant.first_name,
                Participant.counsellor,
                Participant.antenna,
            ).where(col(Participant.id).in_(wanted[start : start + 900]))
        ):
            end = end_of[last_of[participant_id]]
            rows.append(
                LapsingRow(
                    participant_id=participant_id,
                    name=display_name(last_name, first_name),
                    counsellor=counsellor,
                    antenna=antenna,
                    end=end,
                    days_left=(end - today).days,
                    in_contract=participant_id in in_contract,
                )
            )
    rows.sort(key=lambda r: (r.end, ascii_fold(r.name).lower(), r.participant_id))
    return LapsingSummary(count=len(ends), lapsed=lapsed, rows=rows if shown is None else rows[:shown])


def _as_date(value) -> date:
    """SQLite returns the maximum of a correlated subquery as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
