"""Suivi dans l'emploi (DESIGN §3.7): the running contracts with their next follow-up due and who follows them,
a contract's log of calls, mails and site visits, the end of a contract with its outcome, and the situation six
months later. The due dates are computed by ``clausier.rules.followup`` from the contract and its log.

The participants' phones and the notes of the log are personal data (``clausier.privacy``): the reading functions
give them only when asked with ``with_personal_data=True``, blank otherwise.

Each contract also keeps its next follow-up due (``next_due_on``, ``next_due_kind``), so that the home page counts
them with one indexed query instead of walking every running contract's log: every write that can change it (a
contract created or edited, a follow-up logged, an end recorded, a follow-up setting changed, the demo data) calls
:func:`refresh_next_due` in the same transaction, which computes it again with the rules. :func:`next_due_mismatches`
compares the kept values with the computed ones (tests); :func:`due_counts` and :func:`soonest_due` read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date
from clausier.rules import followup as rules
from clausier.rules.followup import Due, DueKind, FollowUpSettings
from clausier.rules.names import person_label
from clausier.services import audit
from clausier.services.derived import (  # the next follow-up due is kept data: computed there, named here too
    NO_CONTACT,
    contact_logs,
    follow_up_settings,
    refresh_next_due,
    running_conditions,
    sync_participant_status,
)
from clausier.services.users import CurrentUser, require
from models import Company, ContractType, EmploymentContract, FollowUp, Participant
from models.enums import ContractOutcome, FollowUpKind, Role, SixMonthOutcome

NOTES_LIMIT = 4000


@dataclass(frozen=True)
class ContractDue:
    """A contract not ended yet, with what is due about it and who follows it."""

    contract_id: int
    version: int
    participant_id: int
    participant: str
    phone: str  # "" unless read with the personal data
    employer: str
    user_company: str
    contract_type: str
    start_date: date
    planned_end: date | None
    in_charge: str
    last_contact: date | None
    due: Due | None

    @property
    def label(self) -> str:
        return f"n° {self.contract_id} — {self.participant} — {self.user_company or self.employer}"


@dataclass(frozen=True)
class SixMonthDue:
    """An ended contract whose situation six months later is due and not recorded."""

    contract_id: int
    version: int
    participant_id: int
    participant: str
    phone: str  # "" unless read with the personal data
    user_company: str
    contract_type: str
    start_date: date
    actual_end: date
    outcome: ContractOutcome | None
    in_charge: str
    due_on: date

    @property
    def label(self) -> str:
        return f"n° {self.contract_id} — {self.participant} — {self.user_company} — fin le {fmt_date(self.actual_end)}"


@dataclass(frozen=True)
class LogEntry:
    """One follow-up of a contract's log; ``notes`` blank unless read with the personal data."""

    id: int
    on: date
    kind: FollowUpKind
    by: str
    notes: str
    next_due: date | None


@dataclass
class FollowUpInput:
    """What the follow-up form sends."""

    on: date | None = None
    kind: FollowUpKind | str | None = FollowUpKind.CALL
    notes: str = ""
    next_due: date | None = None


# --- reading ----------------------------------------------------------------------------------------------------


def _names(session: Session, model, ids_query) -> dict:
    """Names of the rows of ``model`` whose id is in ``ids_query`` (a subquery: the database looks them up by
    primary key, instead of walking the whole table to join it)."""
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids_query))).all())


def _people(session: Session, ids_query, with_personal_data: bool) -> dict[int, tuple[str, str]]:
    """id → (« NAME First name », phone) of the participants whose id is in ``ids_query``; the phone read only
    with the personal data ("" otherwise)."""
    p = Participant
    if not with_personal_data:  # the phones are not even read
        rows = session.execute(select(p.id, p.last_name, p.first_name).where(p.id.in_(ids_query)))
        return {pid: (person_label(last, first), "") for pid, last, first in rows}
    rows = session.execute(select(p.id, p.last_name, p.first_name, p.phone).where(p.id.in_(ids_query)))
    return {pid: (person_label(last, first), phone) for pid, last, first, phone in rows}


def running_contracts(
    session: Session,
    *,
    in_charge: str | None = None,
    contract_ids: list[int] | None = None,
    limits: FollowUpSettings | None = None,
    with_personal_data: bool = False,
) -> list[ContractDue]:
    """Every contract without an actual end (or those of ``in_charge``, or these ids), with its next follow-up due
    computed from its dates and its log; the soonest due first. The participants' phones only
    ``with_personal_data``."""
    limits = limits or follow_up_settings(session)
    c = EmploymentContract
    conditions = running_conditions(in_charge, contract_ids)
    logs = contact_logs(session, conditions)
    rows = session.execute(
        select(
            c.id,
            c.version,
            c.participant_id,
            c.employer_company_id,
            c.user_company_id,
            c.contract_type_code,
            c.start_date,
            c.planned_end,
            c.in_charge,
        ).where(*conditions)
    ).all()
    people = _people(session, select(c.participant_id).where(*conditions), with_personal_data)
    companies = _names(
        session,
        Company,
        select(c.employer_company_id).where(*conditions).union(select(c.user_company_id).where(*conditions)),
    )
    types = dict(session.execute(select(ContractType.code, ContractType.label)).all())
    result = []
    for cid, version, pid, employer_id, user_company_id, type_code, start, planned, who in rows:
        log = logs.get(cid, NO_CONTACT)
        person, phone = people.get(pid, ("", ""))
        result.append(
            ContractDue(
                contract_id=cid,
                version=version,
                participant_id=pid,
                participant=person,
                phone=phone,
                employer=companies.get(employer_id, ""),
                user_company=companies.get(user_company_id, ""),
                contract_type=types.get(type_code, type_code),
                start_date=start,
                planned_end=planned,
                in_charge=who,
                last_contact=log.last_contact,
                due=rules.next_follow_up(start, planned, None, log, limits),
            )
        )
    result.sort(key=lambda r: (r.due.on if r.due else date.max, r.contract_id))
    return result


def this_week(rows: list[ContractDue], as_of: date, in_charge: str | None = None) -> list[ContractDue]:
    """Whom to call this week: the overdue follow-ups and those due within seven days (of ``in_charge`` only,
    when given), the oldest first."""
    chosen = [r for r in rows if in_charge is None or r.in_charge == in_charge]
    return [row for row, _due in rules.this_week([(r, r.due) for r in chosen], as_of)]


def overdue(rows: list[ContractDue], as_of: date, in_charge: str | None = None) -> list[ContractDue]:
    chosen = [r for r in rows if in_charge is None or r.in_charge == in_charge]
    return [row for row, _due in rules.overdue([(r, r.due) for r in chosen], as_of)]


def _six_month_conditions(as_of: date, limits: FollowUpSettings, in_charge: str | None) -> list:
    c = EmploymentContract
    last_end = rules.last_end_with_six_month_due(as_of, limits)
    conditions = [c.actual_end.is_not(None), c.actual_end <= last_end, c.outcome_6m.is_(None)]
    if in_charge is not None:
        conditions.append(c.in_charge == in_charge)
    return conditions


def six_month_due_counts(session: Session, as_of: date, *, limits: FollowUpSettings | None = None) -> dict[str, int]:
    """How many six-month situations are due and not recorded, by person in charge (counted in SQL)."""
    limits = limits or follow_up_settings(session)
    c = EmploymentContract
    return dict(
        session.execute(
            select(c.in_charge, func.count()).where(*_six_month_conditions(as_of, limits, None)).group_by(c.in_charge)
        ).all()
    )


def six_month_due(
    session: Session,
    as_of: date,
    *,
    in_charge: str | None = None,
    limits: FollowUpSettings | None = None,
    with_personal_data: bool = False,
) -> list[SixMonthDue]:
    """Ended contracts whose situation six months after the end is due (``outcome_after_months``) and not
    recorded yet, the oldest due first. The participants' phones only ``with_personal_data``."""
    limits = limits or follow_up_settings(session)
    c = EmploymentContract
    conditions = _six_month_conditions(as_of, limits, in_charge)
    rows = session.execute(
        select(
            c.id,
            c.version,
            c.participant_id,
            c.user_company_id,
            c.contract_type_code,
            c.start_date,
            c.actual_end,
            c.outcome,
            c.in_charge,
        ).where(*conditions)
    ).all()
    people = _people(session, select(c.participant_id).where(*conditions), with_personal_data)
    companies = _names(session, Company, select(c.user_company_id).where(*conditions))
    types = dict(session.execute(select(ContractType.code, ContractType.label)).all())
    result = []
    due_of: dict[date, date | None] = {}  # a few hundred distinct end dates for tens of thousands of contracts
    for cid, version, pid, user_company_id, type_code, start, end, outcome, who in rows:
        if end not in due_of:
            due_of[end] = rules.six_month_due_on(end, False, limits)
        due_on = due_of[end]
        if due_on is None or due_on > as_of:
            continue
        person, phone = people.get(pid, ("", ""))
        result.append(
            SixMonthDue(
                contract_id=cid,
                version=version,
                participant_id=pid,
                participant=person,
                phone=phone,
                user_company=companies.get(user_company_id, ""),
                contract_type=types.get(type_code, type_code),
                start_date=start,
                actual_end=end,
                outcome=ContractOutcome(outcome) if outcome else None,
                in_charge=who,
                due_on=due_on,
            )
        )
    result.sort(key=lambda r: (r.due_on, r.contract_id))
    return result


# --- the next follow-up due kept on each contract ---------------------------------------------------------------


def due_counts(session: Session, as_of: date, week_days: int = rules.WEEK_DAYS) -> dict[str, tuple[int, int]]:
    """Per person in charge: (follow-ups due this week — overdue or due within ``week_days`` days —, of which
    overdue), counted in SQL from the kept due dates (the index of the running contracts by person and date)."""
    c = EmploymentContract
    late = func.sum(case((c.next_due_on < as_of, 1), else_=0))
    rows = session.execute(
        select(c.in_charge, func.count(), late)
        .where(c.actual_end.is_(None), c.next_due_on <= as_of + timedelta(days=week_days))
        .group_by(c.in_charge)
    )
    return {who: (int(count), int(overdue or 0)) for who, count, overdue in rows}


def soonest_due(
    session: Session, in_charge: str, as_of: date, limit: int, week_days: int = rules.WEEK_DAYS
) -> list[tuple[int, Due]]:
    """The first ``limit`` contracts of ``in_charge`` whose follow-up is due this week (overdue or within
    ``week_days`` days), the soonest first (then by contract number), from the kept due dates."""
    c = EmploymentContract
    rows = session.execute(
        select(c.id, c.next_due_on, c.next_due_kind)
        .where(c.actual_end.is_(None), c.in_charge == in_charge, c.next_due_on <= as_of + timedelta(days=week_days))
        .order_by(c.next_due_on, c.id)
        .limit(limit)
    )
    return [(cid, Due(on, DueKind(kind))) for cid, on, kind in rows]


def log(session: Session, contract_id: int, *, with_personal_data: bool = False) -> list[LogEntry]:
    """A contract's follow-ups, the newest first; their notes only ``with_personal_data``."""
    f = FollowUp
    notes = [f.notes] if with_personal_data else []  # without them, not even read
    query = select(f.id, f.on, f.kind, f.by, f.next_due, *notes).where(f.contract_id == contract_id)
    return [
        LogEntry(fid, on, FollowUpKind(kind), by, text[0] if text else "", next_due)
        for fid, on, kind, by, next_due, *text in session.execute(query.order_by(f.on.desc(), f.id.desc()))
    ]


def next_due_of(session: Session, contract_id: int) -> Due | None:
    """What is due now about one contract: its next follow-up while it runs, its six-month situation once ended."""
    contract = session.get(EmploymentContract, contract_id)
    if contract is None:
        raise DomainError("Ce contrat n'existe plus.")
    limits = follow_up_settings(session)
    if contract.actual_end is not None:
        on = rules.six_month_due_on(contract.actual_end, contract.outcome_6m is not None, limits)
        return Due(on, DueKind.SIX_MONTHS) if on else None
    contacts = [(f.on, f.kind, f.next_due) for f in log(session, contract_id)]
    return rules.next_follow_up(
        contract.start_date, contract.planned_end, None, rules.log_of(contacts, contract.start_date), limits
    )


# --- writing ----------------------------------------------------------------------------------------------------


def add_follow_up(session: Session, user: CurrentUser, contract_id: int, data: FollowUpInput, today: date) -> FollowUp:
    """Log a call, mail, site visit or meeting about a contract (saisie or admin), by the user."""
    require(user, Role.SAISIE)
    contract = session.get(EmploymentContract, contract_id)
    if contract is None:
        raise DomainError("Ce contrat n'existe plus.")
    errors: dict[str, str] = {}
    if data.on is None:
        errors["on"] = "Indiquez la date du contact."
    elif data.on > today:
        errors["on"] = (
            "Le contact ne peut pas être dans le futur : notez-le une fois fait (ou fixez un prochain suivi)."
        )
    elif data.on < contract.start_date:
        errors["on"] = f"Le suivi dans l'emploi commence au début du contrat ({fmt_date(contract.start_date)})."
    try:
        kind = FollowUpKind(data.kind) if data.kind else None
    except ValueError:
        kind = None
    if kind is None:
        errors["kind"] = "Choisissez le type de contact (appel, mail, visite sur site, entretien)."
    notes = (data.notes or "").strip()
    if len(notes) > NOTES_LIMIT:
        errors["notes"] = f"Les notes ne doivent pas dépasser {NOTES_LIMIT} caractères."
    if data.next_due is not None and data.on is not None and data.next_due < data.on:
        errors["next_due"] = "Le prochain suivi ne peut pas précéder ce contact."
    if errors:
        raise ValidationError(errors)
    entry = FollowUp(contract_id=contract_id, on=data.on, kind=kind, by=user.login, notes=notes, next_due=data.next_due)
    session.add(entry)
    session.flush()
    refresh_next_due(session, [contract_id])
    audit.record(
        session,
        user.login,
        "création",
        "followup",
        entry.id,
        f"{kind.label} du {fmt_date(data.on)} sur le contrat n° {contract_id}",
    )
    return entry


def record_end(
    session: Session,
    user: CurrentUser,
    contract_id: int,
    version: int,
    actual_end: date | None,
    outcome: ContractOutcome | str | None,
    today: date,
) -> None:
    """The end of a contract and its outcome (DESIGN §3.7); the person is « disponible » again when no other
    contract runs."""
    require(user, Role.SAISIE)
    contract = session.get(EmploymentContract, contract_id)
    if contract is None:
        raise DomainError("Ce contrat n'existe plus.")
    try:
        outcome = ContractOutcome(outcome) if outcome else None
    except ValueError:
        outcome = None
    errors = rules.check_end(contract.start_date, actual_end, outcome, today)
    if errors:
        raise ValidationError(errors)
    update_versioned(
        session, EmploymentContract, contract_id, version, f"le contrat n° {contract_id}",
        actual_end=actual_end, outcome=outcome,
    )  # fmt: skip
    session.flush()
    session.expire(contract)
    refresh_next_due(session, [contract_id])  # nothing is due about an ended contract but its six-month situation
    sync_participant_status(session, contract.participant_id, today)
    audit.record(
        session,
        user.login,
        "fin de contrat",
        "employmentcontract",
        contract_id,
        f"Contrat n° {contract_id} fini le {fmt_date(actual_end)} : {outcome.label}",
    )


def record_six_month(
    session: Session,
    user: CurrentUser,
    contract_id: int,
    version: int,
    outcome_6m: SixMonthOutcome | str | None,
    recorded_on: date | None,
    today: date,
) -> None:
    """The person's situation six months after the end of the contract (sustainable job, transitional job,
    qualifying training, no solution), with the date it was gathered."""
    require(user, Role.SAISIE)
    contract = session.get(EmploymentContract, contract_id)
    if contract is None:
        raise DomainError("Ce contrat n'existe plus.")
    try:
        outcome_6m = SixMonthOutcome(outcome_6m) if outcome_6m else None
    except ValueError:
        outcome_6m = None
    errors = rules.check_six_month(contract.actual_end, recorded_on, outcome_6m, today)
    if errors:
        raise ValidationError(errors)
    update_versioned(
        session, EmploymentContract, contract_id, version, f"le contrat n° {contract_id}",
        outcome_6m=outcome_6m, outcome_6m_recorded_on=recorded_on,
    )  # fmt: skip
    session.flush()
    session.expire(contract)
    audit.record(
        session,
        user.login,
        "situation à 6 mois",
        "employmentcontract",
        contract_id,
        f"Contrat n° {contract_id} : {outcome_6m.label} (recueillie le {fmt_date(recorded_on)})",
    )
