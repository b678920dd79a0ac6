"""Formations (DESIGN §2, §3.8): short trainings set up to close a skills gap — title, trade, training body (a
partner) or funder (a temp agency, France Travail…), dates, seats — and their participants. They count in the
GPEC supply (``clausier.services.gpec``): the seats, less the drop-outs, in the quarter the training ends.

Adding, removing or changing a participant's status bumps the training's version: two people filling the last
seat at the same time get a clear message instead of an overbooked training.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, col, delete, or_, select

from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date
from clausier.rules.names import ascii_fold
from clausier.services import audit
from clausier.services.users import CurrentUser, require
from models import Participant, ParticipantTrade, Partner, Trade, Training, TrainingParticipant
from models.enums import ParticipantStatus, PartnerKind, Role, TrainingStatus

LIMITS = {"title": 200, "funder": 200}
MAX_SEATS = 500
FIELD_LABELS = {
    "title": "intitulé",
    "trade_code": "métier",
    "partner_id": "organisme",
    "funder": "financeur",
    "start_date": "dates",
    "end_date": "dates",
    "seats": "places",
    "notes": "notes",
}
# Partners listed first as training bodies; any other partner may be chosen too (a GEIQ, an agency…).
BODY_KINDS = (PartnerKind.TRAINING_BODY, PartnerKind.TEMP_AGENCY, PartnerKind.GEIQ, PartnerKind.SIAE)


class Period:
    """Filter of the list by the training's dates, relative to today."""

    ALL = "toutes"
    UPCOMING = "a_venir"
    RUNNING = "en_cours"
    PAST = "terminees"
    LABELS = {ALL: "Toutes", UPCOMING: "À venir", RUNNING: "En cours", PAST: "Terminées"}


@dataclass
class TrainingInput:
    """What the forms send, checked by ``_checked``."""

    title: str = ""
    trade_code: str | None = None
    partner_id: int | None = None
    funder: str = ""
    start_date: date | None = None
    end_date: date | None = None
    seats: int | None = 10
    notes: str = ""


@dataclass(frozen=True)
class TrainingRow:
    training: Training
    trade_label: str
    partner: str
    registered: int  # participants not dropped out (they hold a seat)
    completed: int
    dropped: int

    @property
    def free_seats(self) -> int:
        return max(0, self.training.seats - self.registered)


@dataclass(frozen=True)
class Enrolment:
    """A participant of a training."""

    participant_id: int
    name: str
    birth_date: date | None  # None unless read with the personal data
    status: TrainingStatus
    anonymised: bool


@dataclass(frozen=True)
class ParticipantTraining:
    """A training of one participant (for the participant's page)."""

    training_id: int
    title: str
    trade_code: str
    trade_label: str
    partner: str
    funder: str
    start_date: date
    end_date: date
    status: TrainingStatus


# --- reading ----------------------------------------------------------------------------------------------------


def _counts():
    held = func.sum(case((TrainingParticipant.status != TrainingStatus.DROPPED, 1), else_=0))
    completed = func.sum(case((TrainingParticipant.status == TrainingStatus.COMPLETED, 1), else_=0))
    dropped = func.sum(case((TrainingParticipant.status == TrainingStatus.DROPPED, 1), else_=0))
    return (
        select(
            TrainingParticipant.training_id,
            held.label("held"),
            completed.label("completed"),
            dropped.label("dropped"),
        )
        .group_by(TrainingParticipant.training_id)
        .subquery()
    )


def list_trainings(
    session: Session,
    *,
    today: date,
    period: str = Period.ALL,
    trade_code: str | None = None,
    search: str = "",
) -> list[TrainingRow]:
    """Trainings, the latest start first, with their trade, training body and how many seats are taken."""
    counts = _counts()
    query = (
        select(Training, Trade.label, Partner.name, counts.c.held, counts.c.completed, counts.c.dropped)
        .join(Trade, col(Trade.code) == col(Training.trade_code))
        .outerjoin(Partner, col(Partner.id) == col(Training.partner_id))
        .outerjoin(counts, counts.c.training_id == col(Training.id))
    )
    if trade_code:
        query = query.where(Training.trade_code == trade_code)
    if period == Period.UPCOMING:
        query = query.where(col(Training.start_date) > today)
    elif period == Period.RUNNING:
        query = query.where(col(Training.start_date) <= today, col(Training.end_date) >= today)
    elif period == Period.PAST:
        query = query.where(col(Training.end_date) < today)
    query = query.order_by(col(Training.start_date).desc(), col(Training.id).desc())
    rows = [
        TrainingRow(t, label, partner or "", int(held or 0), int(done or 0), int(out or 0))
        for t, label, partner, held, done, out in session.exec(query)
    ]
    words = ascii_fold(search).lower().split()
    if words:
        rows = [
            r
            for r in rows
            if all(
                w in ascii_fold(" ".join([r.training.title, r.partner, r.training.funder, r.trade_label])).lower()
                for w in words
            )
        ]
    return rows


def get_training(session: Session, training_id: int) -> Training | None:
    return session.get(Training, training_id)


def enrolments(session: Session, training_id: int, *, with_personal_data: bool = False) -> list[Enrolment]:
    """The participants of a training, by name; their birth dates only ``with_personal_data``."""
    rows = session.exec(
        select(
            Participant.id,
            Participant.last_name,
            Participant.first_name,
            Participant.birth_date,
            Participant.anonymised_at,
            TrainingParticipant.status,
        )
        .join(TrainingParticipant, col(TrainingParticipant.participant_id) == col(Participant.id))
        .where(TrainingParticipant.training_id == training_id)
    ).all()
    result = [
        Enrolment(
            pid,
            f"{last} {first}".strip(),
            birth if with_personal_data else None,
            TrainingStatus(status),
            anonymised is not None,
        )
        for pid, last, first, birth, anonymised, status in rows
    ]
    result.sort(key=lambda e: (ascii_fold(e.name).lower(), e.participant_id))
    return result


def for_participant(session: Session, participant_id: int) -> list[ParticipantTraining]:
    """The trainings of one participant, the latest first."""
    rows = session.exec(
        select(Training, Trade.label, Partner.name, TrainingParticipant.status)
        .join(TrainingParticipant, col(TrainingParticipant.training_id) == col(Training.id))
        .join(Trade, col(Trade.code) == col(Training.trade_code))
        .outerjoin(Partner, col(Partner.id) == col(Training.partner_id))
        .where(TrainingParticipant.participant_id == participant_id)
        .order_by(col(Training.start_date).desc(), col(Training.id).desc())
    ).all()
    return [
        ParticipantTraining(
            training_id=t.id,
            title=t.title,
            trade_code=t.trade_code,
            trade_label=label,
            partner=partner or "",
            funder=t.funder,
            start_date=t.start_date,
            end_date=t.end_date,
            status=TrainingStatus(status),
        )
        for t, label, partner, status in rows
    ]


def partner_choices(session: Session, include_id: int | None = None) -> dict[int, str]:
    """Partners that may run a training: training bodies, agencies, GEIQ and SIAE first, then the others;
    archived ones left out, except ``include_id`` (the one a training already names)."""
    rows = session.exec(
        select(Partner.id, Partner.name, Partner.kind).where(
            or_(col(Partner.archived).is_(False), Partner.id == include_id)
        )
    ).all()
    rows = sorted(rows, key=lambda r: (PartnerKind(r[2]) not in BODY_KINDS, ascii_fold(r[1]).lower(), r[0]))
    return {pid: f"{name} ({PartnerKind(kind).label})" for pid, name, kind in rows}


def participant_choices(
    session: Session,
    *,
    search: str = "",
    trade_code: str | None = None,
    exclude_training_id: int | None = None,
    with_personal_data: bool = False,
) -> dict[int, str]:
    """Participants one may register: not anonymised nor out of the scheme, matching every word of ``search``
    (name, without accents nor case); those targeting ``trade_code`` first. At most 100. Labelled with the birth
    date (to tell namesakes apart) only ``with_personal_data``."""
    query = select(Participant.id, Participant.last_name, Participant.first_name, Participant.birth_date).where(
        col(Participant.anonymised_at).is_(None), Participant.status != ParticipantStatus.EXITED
    )
    for word in ascii_fold(search).lower().split():
        query = query.where(col(Participant.name_key).contains(word, autoescape=True))
    if exclude_training_id is not None:
        query = query.where(
            col(Participant.id).not_in(
                select(TrainingParticipant.participant_id).where(TrainingParticipant.training_id == exclude_training_id)
            )
        )
    if trade_code:
        in_trade = col(Participant.id).in_(
            select(ParticipantTrade.participant_id).where(ParticipantTrade.trade_code == trade_code)
        )
        query = query.order_by(case((in_trade, 0), else_=1))
    query = query.order_by(Participant.last_name, Participant.first_name, Participant.id).limit(100)
    return {
        pid: f"{last} {first}" + (f" (né(e) le {fmt_date(birth)})" if birth and with_personal_data else "")
        for pid, last, first, birth in session.exec(query)
    }


# --- writing trainings ------------------------------------------------------------------------------------------


def _checked(session: Session, data: TrainingInput, *, training_id: int | None = None) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    values["title"] = " ".join((data.title or "").split())
    if not values["title"]:
        errors["title"] = "L'intitulé de la formation est obligatoire."
    elif len(values["title"]) > LIMITS["title"]:
        errors["title"] = f"L'intitulé ne doit pas dépasser {LIMITS['title']} caractères."

    values["trade_code"] = (data.trade_code or "").strip().upper() or None
    if values["trade_code"] is None:
        errors["trade_code"] = "Choisissez le métier (code ROME) visé par la formation."
    elif session.get(Trade, values["trade_code"]) is None:
        errors["trade_code"] = f"Métier inconnu du référentiel ROME : {values['trade_code']}."

    values["partner_id"] = data.partner_id or None
    if values["partner_id"] is not None:
        partner = session.get(Partner, values["partner_id"])
        current = session.get(Training, training_id) if training_id is not None else None
        if partner is None:
            errors["partner_id"] = "Cet organisme n'existe pas (ou plus) : choisissez-en un autre."
        elif partner.archived and (current is None or current.partner_id != partner.id):
            errors["partner_id"] = f"Le partenaire « {partner.name} » est archivé : choisissez-en un autre."

    values["funder"] = " ".join((data.funder or "").split())
    if len(values["funder"]) > LIMITS["funder"]:
        errors["funder"] = f"Le financeur ne doit pas dépasser {LIMITS['funder']} caractères."
    if values["partner_id"] is None and not values["funder"] and "partner_id" not in errors:
        errors["partner_id"] = "Indiquez l'organisme de formation ou le financeur (agence d'intérim, France Travail…)."

    values["start_date"], values["end_date"] = data.start_date, data.end_date
    if data.start_date is None:
        errors["start_date"] = "La date de début est obligatoire."
    if data.end_date is None:
        errors["end_date"] = "La date de fin est obligatoire."
    elif data.start_date is not None and data.end_date < data.start_date:
        errors["end_date"] = "La date de fin doit suivre la date de début."

    try:
        seats = int(data.seats) if data.seats is not None and str(data.seats).strip() != "" else None
    except (TypeError, ValueError):
        seats = None
    values["seats"] = seats
    if seats is None:
        errors["seats"] = "Indiquez le nombre de places (un nombre entier)."
    elif not 1 <= seats <= MAX_SEATS:
        errors["seats"] = f"Le nombre de places doit être compris entre 1 et {MAX_SEATS}."
    elif training_id is not None:
        held = _held(session, training_id)
        if seats < held:
            errors["seats"] = f"{held} participants sont déjà inscrits : il faut au moins {held} places."

    values["notes"] = (data.notes or "").strip()
    if errors:
        raise ValidationError(errors)
    return values


def _held(session: Session, training_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).where(
                TrainingParticipant.training_id == training_id, TrainingParticipant.status != TrainingStatus.DROPPED
            )
        ).one()
    )


def _describe(values: dict) -> str:
    return (
        f"{values['title']} ({values['trade_code']}), du {fmt_date(values['start_date'])} au "
        f"{fmt_date(values['end_date'])}, {values['seats']} places"
    )


def create_training(session: Session, user: CurrentUser, data: TrainingInput) -> Training:
    """A new training (saisie or admin)."""
    require(user, Role.SAISIE)
    values = _checked(session, data)
    training = Training(**values)
    session.add(training)
    session.flush()
    audit.record(session, user.login, "création", "training", training.id, "Formation " + _describe(values))
    return training


def _existing(session: Session, training_id: int) -> Training:
    training = session.get(Training, training_id)
    if training is None:
        raise DomainError("Cette formation n'existe plus.")
    return training


def update_training(session: Session, user: CurrentUser, training_id: int, version: int, data: TrainingInput) -> None:
    """Save a training read at ``version``; refused when someone else saved it meanwhile."""
    require(user, Role.SAISIE)
    training = _existing(session, training_id)
    values = _checked(session, data, training_id=training_id)
    changed = sorted({FIELD_LABELS[k] for k, v in values.items() if getattr(training, k) != v})
    update_versioned(session, Training, training_id, version, f"la formation « {training.title} »", **values)
    session.flush()
    session.expire(training)
    audit.record(
        session,
        user.login,
        "modification",
        "training",
        training_id,
        f"{values['title']} : " + (", ".join(changed) or "aucun changement"),
    )


def delete_training(session: Session, user: CurrentUser, training_id: int, version: int) -> None:
    """Delete a training and its registrations (a training entered by mistake, or cancelled)."""
    require(user, Role.SAISIE)
    training = _existing(session, training_id)
    title = training.title
    update_versioned(session, Training, training_id, version, f"la formation « {title} »")
    people = _held(session, training_id)
    session.execute(delete(TrainingParticipant).where(col(TrainingParticipant.training_id) == training_id))
    session.execute(delete(Training).where(col(Training.id) == training_id))
    session.expunge(training)
    audit.record(session, user.login, "suppression", "training", training_id, f"{title} ({people} inscrit(s))")


# --- writing participants ---------------------------------------------------------------------------------------


def add_participant(
    session: Session,
    user: CurrentUser,
    training_id: int,
    version: int,
    participant_id: int | None,
    status: TrainingStatus = TrainingStatus.REGISTERED,
) -> None:
    """Register a participant; refused when the training is full (drop-outs free their seat)."""
    require(user, Role.SAISIE)
    training = _existing(session, training_id)
    status = TrainingStatus(status)
    participant = session.get(Participant, participant_id) if participant_id else None
    if participant is None:
        raise ValidationError({"participant_id": "Choisissez le participant à inscrire."})
    if participant.anonymised_at is not None:
        raise ValidationError({"participant_id": "Ce participant a été anonymisé : il ne peut plus être inscrit."})
    if session.get(TrainingParticipant, (training_id, participant_id)) is not None:
        raise ValidationError({"participant_id": "Ce participant est déjà inscrit à cette formation."})
    if status is not TrainingStatus.DROPPED and _held(session, training_id) >= training.seats:
        raise ValidationError(
            {"participant_id": f"La formation est complète ({training.seats} places) : aucune place libre."}
        )
    # The version check first: two people filling the last seat at once cannot both succeed.
    update_versioned(session, Training, training_id, version, f"la formation « {training.title} »")
    session.add(TrainingParticipant(training_id=training_id, participant_id=participant_id, status=status))
    session.flush()
    session.expire(training)
    audit.record(
        session,
        user.login,
        "inscription",
        "trainingparticipant",
        f"{training_id}/{participant_id}",
        f"Participant n° {participant_id} inscrit à « {training.title} » ({status.label})",
    )


def set_status(
    session: Session, user: CurrentUser, training_id: int, version: int, participant_id: int, status: TrainingStatus
) -> None:
    """Change a participant's status (inscrit, terminé, abandon); back from « abandon » needs a free seat."""
    require(user, Role.SAISIE)
    training = _existing(session, training_id)
    status = TrainingStatus(status)
    link = session.get(TrainingParticipant, (training_id, participant_id))
    if link is None:
        raise DomainError("Ce participant n'est plus inscrit à cette formation.")
    if link.status == status:
        return
    if link.status is TrainingStatus.DROPPED and _held(session, training_id) >= training.seats:
        raise ValidationError(
            {"status": f"La formation est complète ({training.seats} places) : ce participant ne peut pas revenir."}
        )
    before = TrainingStatus(link.status)
    update_versioned(session, Training, training_id, version, f"la formation « {training.title} »")
    link.status = status
    session.add(link)
    session.flush()
    session.expire(training)
    audit.record(
        session,
        user.login,
        "modification",
        "trainingparticipant",
        f"{training_id}/{participant_id}",
        f"« {training.title} », participant n° {participant_id} : {before.label} → {status.label}",
    )


def remove_participant(
    session: Session, user: CurrentUser, training_id: int, version: int, participant_id: int
) -> None:
    """Take a participant off a training (registered by mistake); a drop-out is better recorded as « abandon »."""
    require(user, Role.SAISIE)
    training = _existing(session, training_id)
    link = session.get(TrainingParticipant, (training_id, participant_id))
    if link is None:
        raise DomainError("Ce participant n'est plus inscrit à cette formation.")
    update_versioned(session, Training, training_id, version, f"la formation « {training.title} »")
    session.delete(link)
    session.flush()
    session.expire(training)
    audit.record(
        session,
        user.login,
        "désinscription",
        "trainingparticipant",
        f"{training_id}/{participant_id}",
        f"Participant n° {participant_id} retiré de « {training.title} »",
    )
