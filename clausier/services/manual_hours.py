"""Manual entry and correction of hours for one commitment and some months (issue 4): the lines typed on
screen go through exactly the checks of the file import (DESIGN §5.1) and are written the same way — one
recorded batch, history of every value, undo by an admin."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlmodel import Session

from clausier.db import ConcurrentEditError
from clausier.errors import DomainError
from clausier.imports.hours_statement import Bad, Statement, StatementLine, parse_hours, parse_month
from clausier.imports.reading import LineError, text
from clausier.services import audit, derived, import_hours
from clausier.services.users import CurrentUser, require
from models import (
    Commitment,
    EmploymentContract,
    HoursChange,
    HoursEntry,
    ImportBatch,
    Lot,
    Operation,
    Participant,
)
from models.base import utcnow
from models.enums import Modality, Role

SOURCE = "Saisie manuelle"


@dataclass
class ManualRow:
    """One line of the on-screen table, as typed."""

    participant_id: int | None
    month: Any  # « 03/2026 », « mars 2026 », a date…
    hours: Any  # « 151,67 », 151.67…
    modality: Modality | None = None


@dataclass(frozen=True)
class EntryRow:
    participant_id: int
    participant: str
    month: date
    hours_h100: int
    modality: Modality
    source: str  # the file (or manual entry) that brought the current value
    by: str


def commitments_of(session: Session, company_id: int) -> dict[int, str]:
    """The company's commitments, labelled by lot (the lot reference and label, and its operation)."""
    rows = session.execute(
        select(Commitment.id, Lot.reference, Lot.label, Operation.name)
        .join(Lot, Lot.id == Commitment.lot_id)
        .join(Operation, Operation.id == Lot.operation_id)
        .where(Commitment.company_id == company_id)
        .order_by(Operation.name, Lot.reference)
    ).all()
    return {cid: f"{op} — {ref} {label}" for cid, ref, label, op in rows}


def entries(session: Session, commitment_id: int) -> list[EntryRow]:
    """The hours of a commitment, month by month, with the file or the person that brought each value."""
    rows = session.execute(
        select(HoursEntry, Participant.last_name, Participant.first_name, ImportBatch.file_name)
        .join(Participant, Participant.id == HoursEntry.participant_id)
        .join(ImportBatch, ImportBatch.id == HoursEntry.import_batch_id, isouter=True)
        .where(HoursEntry.commitment_id == commitment_id)
        .order_by(HoursEntry.month.desc(), Participant.last_name)
    ).all()
    return [
        EntryRow(e.participant_id, f"{last} {first}", e.month, e.hours_h100, e.modality, file or "—", e.entered_by)
        for e, last, first, file in rows
    ]


def participants_for(session: Session, commitment_id: int) -> dict[int, str]:
    """The people who can have hours on this commitment: under a contract with the company (employer or user
    company) or already with hours on it."""
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise DomainError("Engagement introuvable.")
    with_contract = select(EmploymentContract.participant_id).where(
        or_(
            EmploymentContract.commitment_id == commitment_id,
            EmploymentContract.employer_company_id == commitment.company_id,
            EmploymentContract.user_company_id == commitment.company_id,
        )
    )
    with_hours = select(HoursEntry.participant_id).where(HoursEntry.commitment_id == commitment_id)
    rows = session.execute(
        select(Participant.id, Participant.last_name, Participant.first_name, Participant.birth_date)
        .where(Participant.id.in_(with_contract.union(with_hours)))
        .order_by(Participant.last_name, Participant.first_name)
    ).all()
    return {
        pid: f"{last} {first}" + (f" ({born.strftime('%d/%m/%Y')})" if born else "") for pid, last, first, born in rows
    }


def check(session: Session, commitment_id: int, rows: list[ManualRow], today: date) -> import_hours.Preview:
    """The import's checks on these lines (line 2 = first line of the table, as in a file with its header): they
    enter the import at ``classify`` as typed lines, with the commitment and person chosen on screen."""
    if session.get(Commitment, commitment_id) is None:
        raise DomainError("Engagement introuvable.")
    statement = Statement(SOURCE, "", {"id_participant": "participant", "marche": "engagement"})
    for line, row in enumerate(rows, start=2):
        statement.lines.append(_typed(statement, line, commitment_id, row))
    statement.errors.sort(key=lambda e: e.line)
    return import_hours.classify(session, statement, today)


def _typed(statement: Statement, line: int, commitment_id: int, row: ManualRow) -> StatementLine:
    ok = True

    def parsed(column: str, value: Any, parse: Any) -> Any:
        nonlocal ok
        try:
            return parse(value)
        except Bad as bad:
            ok = False
            statement.errors.append(LineError(line, statement.label(column), text(value), str(bad)))
            return None

    hours = parsed("heures", row.hours if row.hours is not None else "", parse_hours)
    if hours is not None:
        statement.file_hours_h100 += hours
    month = parsed("mois", row.month if row.month is not None else "", parse_month)
    if row.participant_id is None:
        ok = False
        statement.errors.append(LineError(line, "participant", "", "choisissez la personne"))
    modality = Modality(row.modality) if row.modality else None
    return StatementLine(
        line, None, "", "", "", "", None, month, hours, modality, None, ok=ok,
        participant_id=row.participant_id, commitment_id=commitment_id,
    )  # fmt: skip


def save(
    session: Session,
    user: CurrentUser,
    commitment_id: int,
    rows: list[ManualRow],
    today: date,
    shown: list[tuple[int, date, int]],
):
    """Check then write the lines (all or nothing). Returns (preview, batch); batch is None when nothing changes
    or when the preview has errors (nothing is written then)."""
    require(user, Role.SAISIE)
    preview = check(session, commitment_id, rows, today)
    if preview.errors or not (preview.to_add or preview.changed):
        return preview, None
    # ``shown``: the commitment's hours (participant, month, hours) as the table showed them. A line to write whose
    # value is no longer the one shown (another entry or an import saved it meanwhile) refuses the whole save.
    before = {(participant_id, month): hours for participant_id, month, hours in shown}
    if any(before.get((r.participant_id, r.month)) != r.old_hours_h100 for r in preview.to_add + preview.changed):
        raise ConcurrentEditError("les heures de cet engagement")
    preview.file_name = f"{SOURCE} ({user.login})"
    preview.checksum = hashlib.sha256(
        repr([(r.participant_id, str(r.month), str(r.hours)) for r in rows]).encode()
    ).hexdigest()
    batch = import_hours.apply(session, preview, user)
    return preview, batch


def remove(session: Session, user: CurrentUser, commitment_id: int, shown: list[tuple[int, date, int]]) -> int:
    """Delete hours of a commitment: ``shown`` lists the (participant, month, hours) the user saw and chose.

    All or nothing: when one of them changed or vanished since it was shown, nothing is deleted. Each removal is
    kept in the history (old value → none, by whom, when) and the totals are recomputed in the same transaction.
    An import's undo then refuses to touch these rows (they changed since), which is what the team expects."""
    require(user, Role.SAISIE)
    if not shown:
        raise DomainError("Choisissez au moins une ligne d'heures à supprimer.")
    if len({(p, m) for p, m, _ in shown}) != len(shown):
        raise DomainError("La même ligne d'heures est choisie deux fois.")
    entries_t, changes_t = HoursEntry.__table__, HoursChange.__table__
    conn = session.connection()
    deleted = 0
    for participant_id, month, hours_h100 in shown:
        result = conn.execute(
            delete(entries_t).where(
                and_(
                    entries_t.c.commitment_id == commitment_id,
                    entries_t.c.participant_id == participant_id,
                    entries_t.c.month == month,
                    entries_t.c.hours_h100 == hours_h100,
                )
            )
        )
        deleted += result.rowcount
    if deleted != len(shown):
        raise DomainError(
            "Des heures ont été modifiées depuis leur affichage : rechargez la page, rien n'a été supprimé."
        )
    now = utcnow()
    conn.execute(
        insert(changes_t),
        [{"commitment_id": commitment_id, "participant_id": p, "month": m, "old_hours_h100": h,
          "new_hours_h100": None, "import_batch_id": None, "by": user.login, "at": now} for p, m, h in shown],
    )  # fmt: skip
    derived.hours_written(session, {(commitment_id, m) for _, m, _ in shown})
    months = sorted({m for _, m, _ in shown})
    audit.record(
        session,
        user.login,
        "suppression d'heures",
        "hoursentry",
        commitment_id,
        f"{deleted} ligne(s), {sum(h for _, _, h in shown) / 100:.2f} h, mois "
        + ", ".join(m.strftime("%m/%Y") for m in months),
    )
    return deleted
