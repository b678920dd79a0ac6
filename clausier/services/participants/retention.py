"""Participants: GDPR — anonymisation (one person, or all past the retention period) and the access-right file."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, update
from sqlmodel import Session, col, select

from clausier import settings
from clausier.db import update_versioned
from clausier.errors import DomainError
from clausier.reports import exports
from clausier.rules.names import name_key
from clausier.services import audit
from clausier.services.participants.common import ANONYMOUS_NAME, display_name
from clausier.services.participants.detail import detail
from clausier.services.users import CurrentUser, require
from models import (
    AuditEvent,
    Candidacy,
    CandidacyEvent,
    Eligibility,
    EmploymentContract,
    FollowUp,
    HoursEntry,
    Participant,
)
from models.base import utcnow
from models.enums import (
    Role,
)

# --- GDPR ---------------------------------------------------------------------------------------------------------


def anonymise(session: Session, user: CurrentUser, participant_id: int) -> None:
    """Wipe a participant's identity, contact and free texts, keeping what reports count (see the module's doc)."""
    require(user, Role.ADMIN)
    _anonymise(session, user, [participant_id])


def _anonymise(session: Session, user: CurrentUser, ids: list[int]) -> int:
    done = 0
    for start in range(0, len(ids), 2_000):  # bounded IN lists
        done += _anonymise_some(session, user, ids[start : start + 2_000])
    session.expire_all()
    return done


def _anonymise_some(session: Session, user: CurrentUser, ids: list[int]) -> int:
    if not ids:
        return 0
    people = session.exec(
        select(Participant.id, Participant.birth_date, Participant.anonymised_at, Participant.version).where(
            col(Participant.id).in_(ids)
        )
    ).all()
    found = {pid for pid, *_ in people}
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainError(f"Participant(s) introuvable(s) : n° {', '.join(map(str, missing))}.")
    now = utcnow()
    done = 0
    for pid, birth, anonymised_at, version in people:
        if anonymised_at is not None:
            continue
        update_versioned(
            session,
            Participant,
            pid,
            version,
            f"la fiche du participant n° {pid}",
            last_name=ANONYMOUS_NAME,
            first_name=f"n° {pid}",
            name_key=name_key(ANONYMOUS_NAME, f"n {pid}"),
            birth_date=date(birth.year, 7, 1) if birth else None,
            address="",
            phone="",
            email="",
            notes="",
            external_id=None,
            anonymised_at=now,
        )
        done += 1
    pending = [pid for pid, _, anonymised_at, _ in people if anonymised_at is None]
    if pending:
        session.execute(update(Eligibility).where(col(Eligibility.participant_id).in_(pending)).values(reason=""))
        session.execute(
            update(Candidacy)
            .where(col(Candidacy.participant_id).in_(pending))
            .values(check_comment="", refusal_reason="")
        )
        candidacy_ids = select(Candidacy.id).where(col(Candidacy.participant_id).in_(pending))
        session.execute(
            update(CandidacyEvent).where(col(CandidacyEvent.candidacy_id).in_(candidacy_ids)).values(comment="")
        )
        contract_ids = select(EmploymentContract.id).where(col(EmploymentContract.participant_id).in_(pending))
        session.execute(
            update(EmploymentContract).where(col(EmploymentContract.participant_id).in_(pending)).values(notes="")
        )
        session.execute(update(FollowUp).where(col(FollowUp.contract_id).in_(contract_ids)).values(notes=""))
        for pid in pending:
            audit.record(session, user.login, "anonymisation", "participant", pid, f"Participant n° {pid} anonymisé")
    return done


@dataclass(frozen=True)
class RetentionRow:
    participant_id: int
    name: str
    counsellor: str
    antenna: str
    last_activity: date


def retention_limit(session: Session, today: date) -> date:
    """People with no activity since this day are proposed for anonymisation (setting « retention_years »)."""
    years = int(settings.get(session, "retention_years"))
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _activity_dates(session: Session, ids: list[int] | None = None) -> dict[int, date]:
    """The last activity of participants: latest contract end (or start), hours month, candidacy change,
    eligibility validation, or the creation of the record."""

    def scoped(query, column):
        return query if ids is None else query.where(col(column).in_(ids))

    result: dict[int, date] = {}

    def keep(pid: int, day: date | datetime | str | None) -> None:
        if day is None:
            return
        if isinstance(day, datetime):
            day = day.date()
        elif isinstance(day, str):
            day = date.fromisoformat(day[:10])
        if pid not in result or day > result[pid]:
            result[pid] = day

    contract_end = func.coalesce(
        EmploymentContract.actual_end, EmploymentContract.planned_end, EmploymentContract.start_date
    )
    sources = [
        scoped(select(Participant.id, Participant.created_at), Participant.id),
        scoped(
            select(EmploymentContract.participant_id, func.max(contract_end)).group_by(
                EmploymentContract.participant_id
            ),
            EmploymentContract.participant_id,
        ),
        scoped(
            select(HoursEntry.participant_id, func.max(HoursEntry.month)).group_by(HoursEntry.participant_id),
            HoursEntry.participant_id,
        ),
        scoped(
            select(Candidacy.participant_id, func.max(Candidacy.updated_at)).group_by(Candidacy.participant_id),
            Candidacy.participant_id,
        ),
        scoped(
            select(Eligibility.participant_id, func.max(Eligibility.validated_on)).group_by(Eligibility.participant_id),
            Eligibility.participant_id,
        ),
    ]
    for query in sources:
        for pid, day in session.exec(query):
            keep(pid, day)
    return result


def retention_candidates(session: Session, today: date) -> list[RetentionRow]:
    """Participants not anonymised yet with no activity since ``retention_limit``: no contract running or ended
    since, no hours in a month since, no candidacy changed since, no eligibility validated since, and created
    before. Oldest activity first."""
    limit = retention_limit(session, today)
    limit_dt = datetime(limit.year, limit.month, limit.day, tzinfo=utcnow().tzinfo)
    contract_end = func.coalesce(EmploymentContract.actual_end, EmploymentContract.planned_end)
    pid = Participant.id
    query = select(
        Participant.id, Participant.last_name, Participant.first_name, Participant.counsellor, Participant.antenna
    ).where(
        col(Participant.anonymised_at).is_(None),
        Participant.created_at < limit_dt,
        ~exists().where(EmploymentContract.participant_id == pid, or_(contract_end.is_(None), contract_end >= limit)),
        ~exists().where(HoursEntry.participant_id == pid, HoursEntry.month >= date(limit.year, limit.month, 1)),
        ~exists().where(Candidacy.participant_id == pid, Candidacy.updated_at >= limit_dt),
        ~exists().where(Eligibility.participant_id == pid, Eligibility.validated_on >= limit),
    )
    found = session.exec(query).all()
    activity = _activity_dates(session, [r[0] for r in found]) if len(found) <= 5000 else _activity_dates(session)
    rows = [
        RetentionRow(p, display_name(last, first), counsellor, antenna, activity.get(p, limit))
        for p, last, first, counsellor, antenna in found
    ]
    rows.sort(key=lambda r: (r.last_activity, r.participant_id))
    return rows


def anonymise_expired(session: Session, user: CurrentUser, participant_ids: Iterable[int], today: date) -> int:
    """Anonymise the chosen people among the current retention candidates (one transaction); returns how many.
    Someone with new activity since the list was shown is refused with the others untouched."""
    require(user, Role.ADMIN)
    wanted = sorted(set(participant_ids))
    if not wanted:
        raise DomainError("Choisissez au moins un participant à anonymiser.")
    current = {r.participant_id for r in retention_candidates(session, today)}
    not_due = [i for i in wanted if i not in current]
    if not_due:
        raise DomainError(
            "Ces participants ne sont plus à anonymiser (activité récente ou déjà anonymisés) : n° "
            + ", ".join(map(str, not_due))
            + ". Rien n'a été modifié ; rechargez la liste."
        )
    done = _anonymise(session, user, wanted)
    audit.record(
        session, user.login, "anonymisation", "participant", "", f"{done} participant(s) anonymisé(s) (conservation)"
    )
    return done


def _xlsx_cell(value):
    if isinstance(value, str):
        return exports.neutralise(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value))[: exports.EXCEL_MAX_CELL_CHARS]
    if isinstance(value, datetime):
        return value.astimezone(exports.LOCAL_TZ).replace(tzinfo=None) if value.tzinfo else value
    if hasattr(value, "label"):
        return value.label
    return value


def personal_data_workbook(session: Session, user: CurrentUser, participant_id: int, today: date) -> bytes:
    """Everything recorded about one person, as one Excel file (right of access, admin only); logged."""
    require(user, Role.ADMIN)
    from openpyxl import Workbook
    from openpyxl.styles import Font

    d = detail(session, user, participant_id, today)
    p = session.get(Participant, participant_id)
    sheets: dict[str, tuple[list[str], list[list]]] = {}
    identity = [
        ("Numéro", d.id),
        ("Nom", d.last_name),
        ("Prénom", d.first_name),
        ("Sexe", d.sex.label if d.sex else ""),
        ("Date de naissance", d.birth_date),
        ("Adresse", d.address),
        ("Commune", d.commune),
        ("Quartier prioritaire (QPV)", d.qpv),
        ("Téléphone", d.phone),
        ("E-mail", d.email),
        ("Niveau de qualification", d.qualification_level.label if d.qualification_level else ""),
        ("Conseiller référent", d.counsellor),
        ("Antenne", d.antenna),
        ("Permis et certificats", ", ".join(d.licences)),
        ("Véhicule personnel", "Oui" if d.own_vehicle else "Non"),
        ("Distance maximale (km)", d.max_distance_km),
        ("Disponible à partir du", d.available_from),
        ("Disponibilité", d.status.label),
        ("Identifiant du logiciel du PLIE", d.external_id),
        ("Notes", d.notes),
        ("Fiche créée le", p.created_at),
        ("Anonymisée le", d.anonymised_at),
    ]
    sheets["Identité"] = (["Donnée", "Valeur"], [list(r) for r in identity])
    sheets["Éligibilité"] = (
        ["Critère", "Justificatif du", "Validé le", "Validé par", "Fin de validité", "Motif"],
        [
            [e.criterion_label, e.proof_date, e.validated_on, e.validated_by, e.end, e.reason]
            for e in d.eligibility_lines
        ],
    )
    sheets["Métiers"] = (
        ["Code ROME", "Métier", "Expérience", "Mois d'expérience"],
        [[t.code, t.label, t.experience.label, t.experience_months] for t in d.trades],
    )
    sheets["Positionnements"] = (
        ["Offre", "Entreprise", "Statut", "Le", "Motif de non-retenue"],
        [[c.offer_title, c.company, c.status_label, c.created_on, c.refusal_reason] for c in d.candidacies],
    )
    sheets["Contrats"] = (
        ["Employeur", "Entreprise utilisatrice", "Type", "Modalité", "Début", "Fin prévue", "Fin réelle", "Issue"],
        [
            [c.employer, c.user_company, c.contract_type, c.modality_label, c.start_date, c.planned_end, c.actual_end,
             c.outcome_label]
            for c in d.contracts
        ],
    )  # fmt: skip
    sheets["Heures"] = (
        ["Entreprise", "Lot", "Premier mois", "Dernier mois", "Mois", "Heures"],
        [[h.company, h.lot, h.first_month, h.last_month, h.months, h.hours_h100 / 100] for h in d.hours],
    )
    sheets["Suivis"] = (
        ["Date", "Type", "Par", "Employeur", "Notes", "Prochain suivi"],
        [[f.on, f.kind_label, f.by, f.employer, f.notes, f.next_due] for f in d.followups],
    )
    sheets["Formations"] = (
        ["Formation", "Métier", "Début", "Fin", "Statut"],
        [[t.title, t.trade, t.start_date, t.end_date, t.status_label] for t in d.trainings],
    )
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.table_name == "participant", AuditEvent.record_id == str(participant_id))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    sheets["Journal"] = (
        ["Le", "Par", "Action", "Détail"],
        [[e.at, e.who, e.action, e.summary] for e in events],
    )

    book = Workbook()
    book.remove(book.active)
    for title, (headers, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
        for column in sheet.columns:
            width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
            for c in column[1:]:
                if isinstance(c.value, datetime):
                    c.number_format = "DD/MM/YYYY HH:MM"
                elif isinstance(c.value, date):
                    c.number_format = "DD/MM/YYYY"
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(
        session,
        user.login,
        "export",
        "participant",
        participant_id,
        f"Données du participant n° {participant_id} (droit d'accès) — données personnelles",
    )
    return buffer.getvalue()
