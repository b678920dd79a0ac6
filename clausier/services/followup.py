"""Suivi dans l'emploi (DESIGN §3.7): the running contracts with their next follow-up due and who follows them,
a contract's log of calls, mails and site visits, the end of a contract with its outcome, and the situation six
months later. The due dates are computed by ``clausier.rules.followup`` from the contract and its log.

Each contract also keeps its next follow-up due (``next_due_on``, ``next_due_kind``), so that the home page counts
them with one indexed query instead of walking every running contract's log: every write that can change it (a
contract created or edited, a follow-up logged, an end recorded, a follow-up setting changed, the demo data) calls
:func:`refresh_next_due` in the same transaction, which computes it again with the rules. :func:`next_due_mismatches`
compares the kept values with the computed ones (tests); :func:`due_counts` and :func:`soonest_due` read them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlmodel import Session

from clausier import settings
from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date
from clausier.rules import followup as rules
from clausier.rules.followup import Due, DueKind, FollowUpSettings
from clausier.services import audit
from clausier.services.contracts import person_label, sync_participant_status
from clausier.services.users import CurrentUser, require
from models import Company, ContractType, EmploymentContract, FollowUp, Participant
from models.enums import ContractOutcome, FollowUpKind, Role, SixMonthOutcome

NOTES_LIMIT = 4000
NO_CONTACT = rules.ContactLog()
CHUNK = 900  # contract ids per IN list (below the 999 bound parameters of older SQLite versions)


def follow_up_settings(session: Session) -> FollowUpSettings:
    return FollowUpSettings.from_values(settings.get_all(session))


@dataclass(frozen=True)
class ContractDue:
    """A contract not ended yet, with what is due about it and who follows it."""

    contract_id: int
    version: int
    participant_id: int
    participant: str
    phone: str
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
    phone: str
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
    if model is Participant:
        rows = session.execute(
            select(Participant.id, Participant.last_name, Participant.first_name, Participant.phone).where(
                Participant.id.in_(ids_query)
            )
        )
        return {pid: (person_label(last, first), phone) for pid, last, first, phone in rows}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids_query))).all())


def _running_conditions(in_charge: str | None, contract_ids: list[int] | None) -> list:
    c = EmploymentContract
    conditions = [c.actual_end.is_(None)]
    if in_charge is not None:
        conditions.append(c.in_charge == in_charge)
    if contract_ids is not None:
        conditions.append(c.id.in_(contract_ids))
    return conditions


def _logs(session: Session, conditions: list) -> dict[int, rules.ContactLog]:
    """The :class:`ContactLog` of the contracts meeting ``conditions``, from their follow-ups (read from the
    contracts, by the follow-ups' index; the kind comes as « site visit or not », cheaper to read than the enum)."""
    c, f = EmploymentContract, FollowUp
    visit = case((f.kind == FollowUpKind.SITE_VISIT, 1), else_=0)
    contacts: dict[int, list[tuple[date, FollowUpKind, date | None]]] = defaultdict(list)
    for contract_id, on, is_visit, next_due in session.execute(
        select(f.contract_id, f.on, visit, f.next_due)
        .select_from(c)
        .join(f, f.contract_id == c.id)
        .where(*conditions, f.on >= c.start_date)
    ):
        contacts[contract_id].append((on, FollowUpKind.SITE_VISIT if is_visit else FollowUpKind.CALL, next_due))
    return {cid: rules.log_of(found, date.min) for cid, found in contacts.items()}


def follow_up_dues(
    session: Session,
    *,
    in_charge: str | None = None,
    contract_ids: list[int] | None = None,
    limits: FollowUpSettings | None = None,
) -> list[tuple[int, str, Due | None]]:
    """(contract id, person in charge, next follow-up due) of every contract without an actual end (or those of
    ``in_charge``, or these ids): the due dates alone, for counts."""
    limits = limits or follow_up_settings(session)
    c = EmploymentContract
    conditions = _running_conditions(in_charge, contract_ids)
    logs = _logs(session, conditions)
    result = []
    for cid, who, start, planned in session.execute(
        select(c.id, c.in_charge, c.start_date, c.planned_end).where(*conditions)
    ):
        log = logs.get(cid, NO_CONTACT)
        result.append((cid, who, rules.next_follow_up(start, planned, None, log, limits)))
    return result


def running_contracts(
    session: Session,
    *,
    in_charge: str | None = None,
    contract_ids: list[int] | None = None,
    limits: FollowUpSettings | None = None,
) -> list[ContractDue]:
    """Every contract without an actual end (or those of ``in_charge``, or these ids), with its next follow-up due
    computed from its dates and its log; the soonest due first."""
    limits = limits or follow_up_settings(session)
    c = EmploymentContract
    conditions = _running_conditions(in_charge, contract_ids)
    logs = _logs(session, conditions)
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
    people = _names(session, Participant, select(c.participant_id).where(*conditions))
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
    session: Session, as_of: date, *, in_charge: str | None = None, limits: FollowUpSettings | None = None
) -> list[SixMonthDue]:
    """Ended contracts whose situation six months after the end is due (``outcome_after_months``) and not
    recorded yet, the oldest due first."""
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
    people = _names(session, Participant, select(c.participant_id).where(*conditions))
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


def _chunks(ids: list[int], size: int = CHUNK):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _stored(due: Due | None) -> tuple[date | None, str | None]:
    return (due.on, due.kind.value) if due is not None else (None, None)


def refresh_next_due(
    session: Session, contract_ids: list[int] | None = None, limits: FollowUpSettings | None = None
) -> int:
    """Compute again the next follow-up due kept on these contracts (every contract when None) from their dates
    and logs, as :func:`follow_up_dues` does, and store it: None for an ended contract. Returns how many running
    contracts were computed. The contract's ``version`` is not bumped: the value is derived, a form open on the
    contract stays valid.

    The contracts' rows are locked first (``FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time): two
    users logging a follow-up on one contract at once, the second waits for the first to commit, then reads both
    follow-ups and the settings, instead of storing a date computed without the first one."""
    table = EmploymentContract.__table__
    clear = update(table).values(next_due_on=None, next_due_kind=None)
    ended = table.c.actual_end.is_not(None)
    lock = select(table.c.id).order_by(table.c.id).with_for_update()
    ids = None if contract_ids is None else sorted({int(i) for i in contract_ids})
    if ids is None:
        session.execute(lock.where(table.c.actual_end.is_(None))).all()
    else:
        for chunk in _chunks(ids):
            session.execute(lock.where(table.c.id.in_(chunk))).all()
    limits = limits or follow_up_settings(session)
    if ids is None:
        dues = follow_up_dues(session, limits=limits)
        session.execute(clear.where(ended, or_(table.c.next_due_on.is_not(None), table.c.next_due_kind.is_not(None))))
    else:
        dues = []
        for chunk in _chunks(ids):
            dues += follow_up_dues(session, contract_ids=chunk, limits=limits)
            session.execute(clear.where(ended, table.c.id.in_(chunk)))
    rows = []
    for cid, _who, due in dues:
        on, kind = _stored(due)
        rows.append({"b_id": cid, "b_on": on, "b_kind": kind})
    if rows:  # one UPDATE by primary key, executed for every row (executemany)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(next_due_on=bindparam("b_on"), next_due_kind=bindparam("b_kind")),
            rows,
        )
    wanted = None if ids is None else set(ids)
    for obj in list(session.identity_map.values()):  # contracts loaded in this session: read the new values
        if isinstance(obj, EmploymentContract) and (wanted is None or obj.id in wanted):
            session.expire(obj, ["next_due_on", "next_due_kind"])
    return len(rows)


def next_due_mismatches(
    session: Session, limits: FollowUpSettings | None = None
) -> list[tuple[int, tuple[date | None, str | None], tuple[date | None, str | None]]]:
    """The contracts whose kept next follow-up due differs from the one computed from their dates and logs, as
    (contract id, kept (date, kind), computed (date, kind)), ``(None, None)`` when nothing is due; empty when
    every write kept it. Ended contracts must keep nothing."""
    c = EmploymentContract
    computed = {cid: _stored(due) for cid, _who, due in follow_up_dues(session, limits=limits)}
    kept = {
        cid: (on, kind)
        for cid, on, kind in session.execute(
            select(c.id, c.next_due_on, c.next_due_kind).where(
                or_(c.actual_end.is_(None), c.next_due_on.is_not(None), c.next_due_kind.is_not(None))
            )
        )
    }
    wrong = []
    for cid in sorted(set(computed) | set(kept)):
        a, b = kept.get(cid, (None, None)), computed.get(cid, (None, None))
        if a != b:
            wrong.append((cid, a, b))
    return wrong


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


def log(session: Session, contract_id: int) -> list[FollowUp]:
    """A contract's follow-ups, the newest first."""
    query = select(FollowUp).where(FollowUp.contract_id == contract_id)
    return list(session.execute(query.order_by(FollowUp.on.desc(), FollowUp.id.desc())).scalars())


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
