"""Data kept for speed, brought up to date in one place (DESIGN §6, issue 13).

- :func:`hours_written` — after any write of ``hoursentry``: the totals per (commitment, month) and per commitment,
  and the contract each new entry belongs to.
- :func:`followup_changed` — after a write touching follow-up: the next follow-up due kept on the contracts.
- :func:`sync_participant_status` — after a contract's dates change: « en emploi » or « disponible ».
- :func:`settings_changed` — after settings were saved: what depends on them is computed again (the projection's
  window of the hours summaries, the next follow-up due of every running contract).
- :func:`rebuild_all` and :func:`mismatches` — ``python -m clausier check [--repair]``: the proof that every kept
  value equals its source.

A new writer of hours or of settings calls one function here, in its own transaction, and nothing else."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlmodel import Session

from clausier import settings
from clausier.rules import followup as rules
from clausier.rules.followup import Due, FollowUpSettings
from clausier.services import hours_totals
from models import EmploymentContract, FollowUp, HoursEntry, Participant
from models.enums import FollowUpKind, ParticipantStatus

PROJECTION_KEYS = frozenset({"projection_months"})


def hours_written(session: Session, commitment_months: Iterable[tuple[int, date]], batch_id: int | None = None) -> None:
    """Totals of the touched (commitment, month) pairs; with ``batch_id``, the contract of each entry it created."""
    session.flush()
    hours_totals.refresh(session, commitment_months)
    if batch_id is not None:
        link_unlinked_hours(session, batch_id)


def settings_changed(session: Session, keys: Iterable[str]) -> None:
    """Compute again what the changed settings feed."""
    keys = set(keys)
    session.flush()
    if keys & PROJECTION_KEYS:
        hours_totals.rebuild_summary(session)
    if keys & set(settings.FOLLOW_UP_DUE_KEYS):
        refresh_next_due(session)


def followup_changed(session: Session, contract_ids: Iterable[int] | None = None) -> None:
    """After a write touching follow-up (a contract created, edited or ended, a follow-up logged): the next
    follow-up due kept on these contracts (every running one when None), computed again."""
    refresh_next_due(session, None if contract_ids is None else list(contract_ids))


def rebuild_all(session: Session) -> None:
    """Every kept value from its source (``check --repair``, demo data, restore)."""
    hours_totals.rebuild(session)
    refresh_next_due(session)


def mismatches(session: Session) -> dict[str, list]:
    """Kept values that differ from their sources, by kind (empty lists: all agree)."""
    return {"heures": hours_totals.mismatches(session), "suivis": next_due_mismatches(session)}


# --- hours and contracts ------------------------------------------------------------------------------------------


def contract_period_end(actual_end: date | None, planned_end: date | None) -> date | None:
    return actual_end or planned_end


def link_unlinked_hours(session: Session, batch_id: int | None = None) -> int:
    """Attach every hours entry that names no contract (of one import batch, when given) to the contract of its
    commitment and person whose period holds its month (the one that started last, when two do); returns how
    many were attached. The hours import calls it for its batch, in its transaction."""
    c = EmploymentContract
    query = (
        select(HoursEntry.id, HoursEntry.month, c.id, c.start_date, c.actual_end, c.planned_end)
        .join(
            c,
            and_(c.commitment_id == HoursEntry.commitment_id, c.participant_id == HoursEntry.participant_id),
        )
        .where(HoursEntry.contract_id.is_(None))
    )
    if batch_id is not None:
        query = query.where(HoursEntry.import_batch_id == batch_id)
    rows = session.execute(query).all()
    chosen: dict[int, tuple[date, int]] = {}
    for entry_id, month, contract_id, start, actual, planned in rows:
        end = contract_period_end(actual, planned)
        if month < date(start.year, start.month, 1) or (end is not None and month > end):
            continue
        if entry_id not in chosen or chosen[entry_id] < (start, contract_id):
            chosen[entry_id] = (start, contract_id)
    table = HoursEntry.__table__
    by_contract: dict[int, list[int]] = {}
    for entry_id, (_start, contract_id) in chosen.items():
        by_contract.setdefault(contract_id, []).append(entry_id)
    for contract_id, entry_ids in by_contract.items():
        for i in range(0, len(entry_ids), 500):
            session.execute(update(table).where(table.c.id.in_(entry_ids[i : i + 500])).values(contract_id=contract_id))
    return len(chosen)


def sync_participant_status(session: Session, participant_id: int, today: date) -> None:
    """« En emploi » while the person has a running contract (started, no actual end), « Disponible » again when
    none is left; a person who left the scheme (« sorti ») is not touched."""
    participant = session.get(Participant, participant_id)
    if participant is None or participant.status is ParticipantStatus.EXITED:
        return
    running = session.execute(
        select(EmploymentContract.id).where(
            EmploymentContract.participant_id == participant_id,
            EmploymentContract.start_date <= today,
            EmploymentContract.actual_end.is_(None),
        )
    ).first()
    wanted = ParticipantStatus.IN_EMPLOYMENT if running else ParticipantStatus.ACTIVE
    if participant.status is not wanted:
        table = Participant.__table__
        session.execute(
            update(table).where(table.c.id == participant_id).values(status=wanted.value, version=table.c.version + 1)
        )
        session.expire(participant)


# --- the next follow-up due kept on each contract (DESIGN §3.7) -----------------------------------------------

NO_CONTACT = rules.ContactLog()
CHUNK = 900  # contract ids per IN list (below the 999 bound parameters of older SQLite versions)


def follow_up_settings(session: Session) -> FollowUpSettings:
    return FollowUpSettings.from_values(settings.get_all(session))


def running_conditions(in_charge: str | None, contract_ids: list[int] | None) -> list:
    c = EmploymentContract
    conditions = [c.actual_end.is_(None)]
    if in_charge is not None:
        conditions.append(c.in_charge == in_charge)
    if contract_ids is not None:
        conditions.append(c.id.in_(contract_ids))
    return conditions


def contact_logs(session: Session, conditions: list) -> dict[int, rules.ContactLog]:
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
    conditions = running_conditions(in_charge, contract_ids)
    logs = contact_logs(session, conditions)
    result = []
    for cid, who, start, planned in session.execute(
        select(c.id, c.in_charge, c.start_date, c.planned_end).where(*conditions)
    ):
        log = logs.get(cid, NO_CONTACT)
        result.append((cid, who, rules.next_follow_up(start, planned, None, log, limits)))
    return result


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
