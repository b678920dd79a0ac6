"""Réunions et comités (DESIGN §2, §4.1): technical and steering committees, site launch meetings with the companies
of a new operation, ESS working groups, information sessions for participants — with their date, attendees,
operations concerned and notes. For a committee, :func:`build_dossier` makes its dossier in one PDF: the bilan of
the period since the previous committee of the same kind (or the last 12 months), the operations to come with
their hours, the GPEC summary, and the actions carried out since the last committee.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, delete, or_, select

from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date, fmt_hours, fmt_number
from clausier.reports import bilan as bilan_report
from clausier.reports.bilan import Scope, ScopeKind
from clausier.reports.pdf import PdfDocument
from clausier.rules.eligibility import add_months
from clausier.rules.names import ascii_fold
from clausier.services import audit, bilans, gpec, progress
from clausier.services.users import CurrentUser, require
from models import (
    AuditEvent,
    Buyer,
    Commitment,
    CommitmentMonthHours,
    EmploymentContract,
    ImportBatch,
    JobOffer,
    Lot,
    Meeting,
    MeetingOperation,
    Operation,
    Training,
)
from models.enums import MeetingKind, OperationStatus, Role

LIMITS = {"title": 200, "place": 200}
COMMITTEES = (MeetingKind.TECHNICAL_COMMITTEE, MeetingKind.STEERING_COMMITTEE)
UPCOMING_STATUSES = (OperationStatus.SPOTTED, OperationStatus.STUDY, OperationStatus.CLAUSE_INCLUDED)
DEFAULT_PERIOD_MONTHS = 12
FIELD_LABELS = {
    "kind": "type",
    "on": "date",
    "title": "intitulé",
    "place": "lieu",
    "attendees": "participants",
    "notes": "notes",
    "operation_ids": "opérations",
}


@dataclass
class MeetingInput:
    kind: MeetingKind | str | None = None
    on: date | None = None
    title: str = ""
    place: str = ""
    attendees: str = ""
    notes: str = ""
    operation_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class MeetingRow:
    meeting: Meeting
    operations: list[tuple[int, str]]  # (id, « operation (buyer) »)

    @property
    def is_committee(self) -> bool:
        return self.meeting.kind in COMMITTEES


# --- reading ----------------------------------------------------------------------------------------------------


def operation_choices(session: Session) -> dict[int, str]:
    """Operations (not archived) as « name (buyer) », by buyer then name."""
    rows = session.exec(
        select(Operation.id, Operation.name, Buyer.name)
        .join(Buyer, col(Buyer.id) == col(Operation.buyer_id))
        .where(col(Operation.archived).is_(False))
        .order_by(Buyer.name, Operation.name)
    ).all()
    return {oid: f"{name} ({buyer})" for oid, name, buyer in rows}


def _operations_of(session: Session, meeting_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    result: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not meeting_ids:
        return result
    for chunk in range(0, len(meeting_ids), 500):
        ids = meeting_ids[chunk : chunk + 500]
        rows = session.exec(
            select(MeetingOperation.meeting_id, Operation.id, Operation.name, Buyer.name)
            .join(Operation, col(Operation.id) == col(MeetingOperation.operation_id))
            .join(Buyer, col(Buyer.id) == col(Operation.buyer_id))
            .where(col(MeetingOperation.meeting_id).in_(ids))
            .order_by(Operation.name)
        )
        for meeting_id, oid, name, buyer in rows:
            result[meeting_id].append((oid, f"{name} ({buyer})"))
    return result


def list_meetings(
    session: Session,
    *,
    kinds: list[MeetingKind] | tuple = (),
    start: date | None = None,
    end: date | None = None,
    operation_id: int | None = None,
    search: str = "",
) -> list[MeetingRow]:
    """Meetings, the latest first, with the operations they concern."""
    query = select(Meeting)
    kinds = [MeetingKind(k) for k in kinds]
    if kinds:
        query = query.where(col(Meeting.kind).in_(kinds))
    if start is not None:
        query = query.where(col(Meeting.on) >= start)
    if end is not None:
        query = query.where(col(Meeting.on) <= end)
    if operation_id is not None:
        query = query.where(
            col(Meeting.id).in_(
                select(MeetingOperation.meeting_id).where(MeetingOperation.operation_id == operation_id)
            )
        )
    meetings = list(session.exec(query.order_by(col(Meeting.on).desc(), col(Meeting.id).desc())))
    words = ascii_fold(search).lower().split()
    if words:
        meetings = [
            m
            for m in meetings
            if all(w in ascii_fold(" ".join([m.title, m.place, m.attendees, m.notes])).lower() for w in words)
        ]
    operations = _operations_of(session, [m.id for m in meetings])
    return [MeetingRow(m, operations.get(m.id, [])) for m in meetings]


def get_meeting(session: Session, meeting_id: int) -> MeetingRow | None:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    return MeetingRow(meeting, _operations_of(session, [meeting_id]).get(meeting_id, []))


# --- writing ----------------------------------------------------------------------------------------------------


def _checked(session: Session, data: MeetingInput) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    try:
        values["kind"] = MeetingKind(data.kind) if data.kind else None
    except ValueError:
        values["kind"] = None
    if values["kind"] is None:
        errors["kind"] = "Choisissez le type de réunion."
    values["on"] = data.on
    if data.on is None:
        errors["on"] = "La date de la réunion est obligatoire."
    values["title"] = " ".join((data.title or "").split())
    if not values["title"]:
        errors["title"] = "L'intitulé de la réunion est obligatoire."
    elif len(values["title"]) > LIMITS["title"]:
        errors["title"] = f"L'intitulé ne doit pas dépasser {LIMITS['title']} caractères."
    values["place"] = " ".join((data.place or "").split())
    if len(values["place"]) > LIMITS["place"]:
        errors["place"] = f"Le lieu ne doit pas dépasser {LIMITS['place']} caractères."
    values["attendees"] = (data.attendees or "").strip()
    values["notes"] = (data.notes or "").strip()
    ids = sorted({int(i) for i in data.operation_ids or []})
    if ids:
        known = set(session.exec(select(Operation.id).where(col(Operation.id).in_(ids))))
        if len(known) != len(ids):
            errors["operation_ids"] = "Une des opérations choisies n'existe plus : choisissez-les à nouveau."
    if values["kind"] is MeetingKind.SITE_LAUNCH and not ids and "operation_ids" not in errors:
        errors["operation_ids"] = "Une réunion de lancement de chantier concerne au moins une opération."
    values["operation_ids"] = ids
    if errors:
        raise ValidationError(errors)
    return values


def _set_operations(session: Session, meeting_id: int, ids: list[int]) -> None:
    session.execute(delete(MeetingOperation).where(col(MeetingOperation.meeting_id) == meeting_id))
    for oid in ids:
        session.add(MeetingOperation(meeting_id=meeting_id, operation_id=oid))


def create_meeting(session: Session, user: CurrentUser, data: MeetingInput) -> Meeting:
    require(user, Role.SAISIE)
    values = _checked(session, data)
    ids = values.pop("operation_ids")
    meeting = Meeting(**values, created_by=user.login)
    session.add(meeting)
    session.flush()
    _set_operations(session, meeting.id, ids)
    session.flush()
    audit.record(
        session,
        user.login,
        "création",
        "meeting",
        meeting.id,
        f"{meeting.kind.label} du {fmt_date(meeting.on)} : {meeting.title} ({len(ids)} opération(s))",
    )
    return meeting


def update_meeting(session: Session, user: CurrentUser, meeting_id: int, version: int, data: MeetingInput) -> None:
    require(user, Role.SAISIE)
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise DomainError("Cette réunion n'existe plus.")
    values = _checked(session, data)
    ids = values.pop("operation_ids")
    before_ids = sorted(oid for oid, _ in _operations_of(session, [meeting_id]).get(meeting_id, []))
    changed = [FIELD_LABELS[k] for k, v in values.items() if getattr(meeting, k) != v]
    if before_ids != ids:
        changed.append(FIELD_LABELS["operation_ids"])
    update_versioned(session, Meeting, meeting_id, version, f"la réunion « {meeting.title} »", **values)
    if before_ids != ids:
        _set_operations(session, meeting_id, ids)
    session.flush()
    session.expire(meeting)
    audit.record(
        session,
        user.login,
        "modification",
        "meeting",
        meeting_id,
        f"{values['title']} : " + (", ".join(changed) or "aucun changement"),
    )


def delete_meeting(session: Session, user: CurrentUser, meeting_id: int, version: int) -> None:
    require(user, Role.SAISIE)
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise DomainError("Cette réunion n'existe plus.")
    title, on = meeting.title, meeting.on
    update_versioned(session, Meeting, meeting_id, version, f"la réunion « {title} »")
    session.execute(delete(MeetingOperation).where(col(MeetingOperation.meeting_id) == meeting_id))
    session.execute(delete(Meeting).where(col(Meeting.id) == meeting_id))
    session.expunge(meeting)
    audit.record(session, user.login, "suppression", "meeting", meeting_id, f"{title} du {fmt_date(on)}")


# --- committee dossier: period, operations to come, actions ---------------------------------------------------


@dataclass(frozen=True)
class DossierPeriod:
    start: date
    end: date
    previous: Meeting | None  # the previous committee of the same kind, when there is one

    @property
    def text(self) -> str:
        since = (
            f"depuis le {self.previous.kind.label.lower()} du {fmt_date(self.previous.on)}"
            if self.previous is not None
            else f"{DEFAULT_PERIOD_MONTHS} derniers mois"
        )
        return f"du {fmt_date(self.start)} au {fmt_date(self.end)} ({since})"


def previous_committee(session: Session, meeting: Meeting) -> Meeting | None:
    """The latest meeting of the same kind held before this one (same day: the one recorded earlier)."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.kind == meeting.kind,
            Meeting.id != meeting.id,
            or_(col(Meeting.on) < meeting.on, (col(Meeting.on) == meeting.on) & (col(Meeting.id) < meeting.id)),
        )
        .order_by(col(Meeting.on).desc(), col(Meeting.id).desc())
        .limit(1)
    ).first()


def dossier_period(session: Session, meeting: Meeting) -> DossierPeriod:
    """From the day after the previous committee of the same kind (or 12 months back) to the committee's day."""
    previous = previous_committee(session, meeting)
    if previous is not None:
        start = min(previous.on + timedelta(days=1), meeting.on)
    else:
        start = add_months(meeting.on, -DEFAULT_PERIOD_MONTHS) + timedelta(days=1)
    return DossierPeriod(start, meeting.on, previous)


@dataclass(frozen=True)
class UpcomingOperation:
    operation_id: int
    name: str
    buyer: str
    status: OperationStatus
    planned_start: date | None
    lots: int
    hours_h100: int  # contractual hours of its lots carrying a clause


def upcoming_operations(
    session: Session,
    *,
    buyer_id: int | None = None,
    operation_id: int | None = None,
    operation_ids: list[int] | None = None,
) -> list[UpcomingOperation]:
    """Operations to come (« repérée », « à l'étude », « clause intégrée »), with their lots' clause hours."""
    hours = (
        select(
            Lot.operation_id.label("operation_id"),
            func.count(Lot.id).label("lots"),
            func.coalesce(func.sum(Lot.hours_contractual_h100), 0).label("hours"),
        )
        .where(col(Lot.carries_clause).is_(True))
        .group_by(Lot.operation_id)
        .subquery()
    )
    query = (
        select(
            Operation.id,
            Operation.name,
            Buyer.name,
            Operation.status,
            Operation.planned_start,
            hours.c.lots,
            hours.c.hours,
        )
        .join(Buyer, col(Buyer.id) == col(Operation.buyer_id))
        .outerjoin(hours, hours.c.operation_id == col(Operation.id))
        .where(col(Operation.status).in_(UPCOMING_STATUSES), col(Operation.archived).is_(False))
    )
    if buyer_id is not None:
        query = query.where(Operation.buyer_id == buyer_id)
    if operation_id is not None:
        query = query.where(Operation.id == operation_id)
    if operation_ids is not None:
        query = query.where(col(Operation.id).in_(operation_ids or [-1]))
    rows = [
        UpcomingOperation(oid, name, buyer, OperationStatus(status), start, int(lots or 0), int(h or 0))
        for oid, name, buyer, status, start, lots, h in session.exec(query)
    ]
    order = {s: i for i, s in enumerate(reversed(UPCOMING_STATUSES))}  # the nearest to start first
    rows.sort(key=lambda r: (order[r.status], r.planned_start or date.max, r.buyer, r.name))
    return rows


@dataclass
class Actions:
    """What the team did between two committees (from the tables and the audit journal)."""

    start: date
    end: date
    meetings: dict[MeetingKind, int] = field(default_factory=dict)
    operations_created: list[tuple[str, str]] = field(default_factory=list)  # (operation, buyer)
    offers_opened: int = 0
    posts_opened: int = 0
    contracts_started: int = 0
    people_hired: int = 0
    hours_months_h100: int = 0  # hours achieved in the months of the period
    imports: int = 0  # hours files imported (not undone)
    import_rows: int = 0  # rows added or changed by them
    trainings_ended: int = 0
    journal: dict[str, int] = field(default_factory=dict)  # audit actions by kind


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, UTC), datetime.combine(end + timedelta(days=1), time.min, UTC)


def actions_between(session: Session, start: date, end: date) -> Actions:
    """The actions carried out from ``start`` to ``end`` (both included)."""
    since, until = _utc_bounds(start, end)
    actions = Actions(start, end)
    for kind, count in session.exec(
        select(Meeting.kind, func.count())
        .where(col(Meeting.on) >= start, col(Meeting.on) <= end)
        .group_by(Meeting.kind)
    ):
        actions.meetings[MeetingKind(kind)] = int(count)
    actions.operations_created = [
        (name, buyer)
        for name, buyer in session.exec(
            select(Operation.name, Buyer.name)
            .join(Buyer, col(Buyer.id) == col(Operation.buyer_id))
            .where(col(Operation.created_at) >= since, col(Operation.created_at) < until)
            .order_by(Operation.created_at, Operation.id)
        )
    ]
    offers, posts = session.exec(
        select(func.count(), func.coalesce(func.sum(JobOffer.posts), 0)).where(
            col(JobOffer.created_at) >= since, col(JobOffer.created_at) < until
        )
    ).one()
    actions.offers_opened, actions.posts_opened = int(offers), int(posts)
    contracts, people = session.exec(
        select(func.count(), func.count(func.distinct(EmploymentContract.participant_id))).where(
            col(EmploymentContract.start_date) >= start, col(EmploymentContract.start_date) <= end
        )
    ).one()
    actions.contracts_started, actions.people_hired = int(contracts), int(people)
    actions.hours_months_h100 = int(
        session.exec(
            select(func.coalesce(func.sum(CommitmentMonthHours.hours_h100), 0)).where(
                col(CommitmentMonthHours.month) >= start.replace(day=1), col(CommitmentMonthHours.month) <= end
            )
        ).one()
    )
    imports, rows = session.exec(
        select(func.count(), func.coalesce(func.sum(ImportBatch.rows_added + ImportBatch.rows_changed), 0)).where(
            col(ImportBatch.at) >= since, col(ImportBatch.at) < until, col(ImportBatch.undone_at).is_(None)
        )
    ).one()
    actions.imports, actions.import_rows = int(imports), int(rows)
    actions.trainings_ended = int(
        session.exec(select(func.count()).where(col(Training.end_date) >= start, col(Training.end_date) <= end)).one()
    )
    for action, count in session.exec(
        select(AuditEvent.action, func.count())
        .where(col(AuditEvent.at) >= since, col(AuditEvent.at) < until)
        .group_by(AuditEvent.action)
        .order_by(AuditEvent.action)
    ):
        actions.journal[action] = int(count)
    return actions


# --- the dossier ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dossier:
    pdf: bytes
    page_count: int
    file_name: str
    period: DossierPeriod
    scope_label: str


def scope_choices(session: Session) -> dict[str, dict[int, str]]:
    """Buyers, operations, lots and companies a dossier may cover (those with commitments)."""
    found = progress.filter_choices(session)
    lots = {
        lot_id: f"{ref} {label} – {operation}"
        for lot_id, ref, label, operation in session.exec(
            select(Lot.id, Lot.reference, Lot.label, Operation.name)
            .join(Operation, col(Operation.id) == col(Lot.operation_id))
            .where(col(Lot.id).in_(select(Commitment.lot_id)))
            .order_by(Operation.name, Lot.reference)
        )
    }
    return {"buyer": found["buyers"], "operation": found["operations"], "lot": lots, "company": found["companies"]}


def _upcoming_for_scope(session: Session, scope: Scope) -> list[UpcomingOperation]:
    if scope.kind is ScopeKind.BUYER:
        return upcoming_operations(session, buyer_id=scope.item_id)
    if scope.kind is ScopeKind.OPERATION:
        return upcoming_operations(session, operation_id=scope.item_id)
    if scope.kind is ScopeKind.LOT:
        lot = session.get(Lot, scope.item_id)
        return upcoming_operations(session, operation_id=lot.operation_id if lot else -1)
    return upcoming_operations(session)  # all, or a company: every operation to come may concern it


def _slug(text: str) -> str:
    folded = ascii_fold(text).lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def build_dossier(session: Session, meeting_id: int, scope: Scope, today: date, *, gpec_horizon: int = 4) -> Dossier:
    """The committee's dossier as a PDF: the meeting, the bilan of the period for ``scope`` (a
    :class:`~clausier.reports.bilan.Scope`), the operations to come, the GPEC summary and the actions carried out."""
    row = get_meeting(session, meeting_id)
    if row is None:
        raise DomainError("Cette réunion n'existe plus.")
    meeting = row.meeting
    period = dossier_period(session, meeting)
    report = bilans.compute(session, scope, bilan_report.Period(period.start, period.end), today)

    doc = PdfDocument(
        f"Dossier du {meeting.kind.label.lower()} du {fmt_date(meeting.on)}",
        [meeting.title, f"Périmètre : {report.scope_label}", f"Période : {period.text}"],
    )

    doc.heading("La réunion")
    doc.paragraph(
        f"{meeting.kind.label} du {fmt_date(meeting.on)}" + (f", {meeting.place}" if meeting.place else "") + "."
    )
    if meeting.attendees:
        doc.paragraph(f"Participants : {meeting.attendees}")
    if row.operations:
        doc.paragraph("Opérations présentées : " + " ; ".join(label for _, label in row.operations) + ".")
    if meeting.notes:
        doc.paragraph(f"Notes : {meeting.notes}")

    # 1. The bilan of the period, as the Bilans page lays it out (one section a page).
    doc.heading(f"1. Bilan de la période {report.period.label}")
    doc.note(f"{report.scope_label}. Avancement lu au {fmt_date(report.as_of)}.")
    bilans.add_bilan(doc, report)
    doc.page_break()

    # 2. Operations to come.
    upcoming = _upcoming_for_scope(session, scope)
    doc.heading("2. Opérations à venir")
    doc.key_figures(
        [
            ("Opérations à venir", fmt_number(len(upcoming))),
            ("Lots avec clause", fmt_number(sum(u.lots for u in upcoming))),
            ("Heures d'insertion prévues", fmt_hours(sum(u.hours_h100 for u in upcoming))),
        ]
    )
    doc.table(
        pd.DataFrame(
            {
                "Opération": [u.name for u in upcoming],
                "Donneur d'ordre": [u.buyer for u in upcoming],
                "Statut": [u.status.label for u in upcoming],
                "Début prévu": [u.planned_start for u in upcoming],
                "Lots": [u.lots for u in upcoming],
                "Heures prévues": [u.hours_h100 / 100 for u in upcoming],
            }
        ),
        title="Opérations repérées, à l'étude ou avec clause intégrée",
        max_rows=60,
    )

    # 3. GPEC.
    forecast = gpec.compute(session, today, gpec_horizon)
    doc.heading("3. GPEC : besoins et viviers par métier")
    doc.note(
        "Besoin en équivalents temps plein (ETP) des heures restant à réaliser sur les lots non terminés, réparties "
        f"sur leurs mois d'exécution ({fmt_number(forecast.fte_hours_per_month, 2)} h par mois) ; écart = besoin − "
        "(participants disponibles avec une éligibilité valide + personnes formées). Au-dessus de 0 : il manque des "
        "candidats."
    )
    if forecast.cells:
        doc.table(gpec.summary_frame(forecast, "Besoin (ETP)"), title="Besoin (ETP) par trimestre", max_rows=40)
        doc.table(gpec.summary_frame(forecast), title="Écart (ETP) par trimestre", max_rows=40)
    else:
        doc.paragraph("Aucun besoin à venir sur les lots en cours ou prévus.")

    # 4. Actions carried out.
    actions = actions_between(session, period.start, period.end)
    doc.heading(f"4. Actions menées {period.text}")
    doc.key_figures(
        [
            ("Réunions tenues", fmt_number(sum(actions.meetings.values()))),
            ("Opérations créées", fmt_number(len(actions.operations_created))),
            ("Offres ouvertes", f"{fmt_number(actions.offers_opened)} ({fmt_number(actions.posts_opened)} postes)"),
            ("Contrats signés", fmt_number(actions.contracts_started)),
            ("Personnes recrutées", _people_text(actions.people_hired, report.threshold)),
            ("Heures réalisées", fmt_hours(actions.hours_months_h100)),
            ("Relevés d'heures importés", f"{fmt_number(actions.imports)} ({fmt_number(actions.import_rows)} lignes)"),
            ("Formations terminées", fmt_number(actions.trainings_ended)),
        ]
    )
    doc.table(
        pd.DataFrame(
            {"Réunion": [k.label for k in actions.meetings], "Nombre": list(actions.meetings.values())},
        ),
        title="Réunions tenues",
    )
    doc.table(
        pd.DataFrame(actions.operations_created, columns=["Opération", "Donneur d'ordre"]),
        title="Opérations créées",
        max_rows=40,
    )
    doc.table(
        pd.DataFrame({"Action": list(actions.journal), "Nombre": list(actions.journal.values())}),
        title="Journal des actions (écritures, imports, exports, connexions)",
    )
    pdf = doc.build()
    return Dossier(pdf, doc.page_count or 0, dossier_file_name(meeting), period, report.scope_label)


def dossier_file_name(meeting: Meeting) -> str:
    """« dossier-comite-de-pilotage-2026-03-12.pdf »."""
    return f"dossier-{_slug(meeting.kind.label)}-{meeting.on.isoformat()}.pdf"


def _people_text(n: int, threshold: int) -> str:
    return f"< {threshold}" if 0 < n < threshold else fmt_number(n)
