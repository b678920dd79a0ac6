"""Participants: creating and editing a participant (checked fields, trades, the same person never twice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, delete, select

from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.rules import eligibility as rules
from clausier.rules.names import name_key
from clausier.services import audit
from clausier.services.participants.common import (
    EARLIEST,
    EMAIL_RE,
    FIELD_LABELS,
    LIMITS,
    PHONE_RE,
    join_licences,
    split_licences,
)
from clausier.services.users import CurrentUser, require
from models import (
    Commune,
    Participant,
    ParticipantTrade,
    Qpv,
    Trade,
)
from models.enums import (
    ExperienceLevel,
    ParticipantStatus,
    QualificationLevel,
    Role,
    Sex,
)

# --- writing: the participant ------------------------------------------------------------------------------------


@dataclass
class TradeInput:
    code: str
    experience: ExperienceLevel | str = ExperienceLevel.NONE
    experience_months: int | None = 0


@dataclass
class ParticipantInput:
    """What the forms (and the import) send, checked by ``_checked``."""

    last_name: str = ""
    first_name: str = ""
    sex: Sex | str | None = None
    birth_date: date | None = None
    commune_id: int | None = None
    address: str = ""
    qpv_id: int | None = None
    phone: str = ""
    email: str = ""
    qualification_level: QualificationLevel | str | None = None
    counsellor: str = ""
    antenna: str = ""
    licences: Sequence[str] | str = ()
    own_vehicle: bool = False
    max_distance_km: int | float | None = None
    available_from: date | None = None
    status: ParticipantStatus | str = ParticipantStatus.ACTIVE
    notes: str = ""
    external_id: str = ""
    trades: Sequence[TradeInput] = ()


def one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def check_phone(phone: str) -> str | None:
    """Why a phone number is refused (French), or None."""
    digits = sum(ch.isdigit() for ch in phone)
    if not PHONE_RE.match(phone) or not 8 <= digits <= 15:
        return (
            f"Le téléphone « {phone} » n'est pas valide : des chiffres (10 pour un numéro français), "
            "avec des espaces, points ou tirets si vous voulez, et « + » devant un indicatif."
        )
    return None


def check_email(email: str) -> str | None:
    if not EMAIL_RE.match(email):
        return f"L'adresse e-mail « {email} » n'est pas valide."
    return None


def _checked(session: Session, data: ParticipantInput, today: date, *, participant_id: int | None = None) -> dict:
    """The cleaned values of a participant, or ValidationError with a French message per field."""
    errors: dict[str, str] = {}
    values: dict = {}
    for name in ("last_name", "first_name", "address", "phone", "email", "counsellor", "antenna", "external_id"):
        values[name] = one_line(getattr(data, name))
        if len(values[name]) > LIMITS[name]:
            errors[name] = f"Ce champ ne doit pas dépasser {LIMITS[name]} caractères."
    if not values["last_name"]:
        errors["last_name"] = "Le nom est obligatoire."
    if not values["first_name"]:
        errors["first_name"] = "Le prénom est obligatoire."
    values["external_id"] = values["external_id"] or None

    try:
        values["sex"] = Sex(data.sex) if data.sex else None
    except ValueError:
        errors["sex"] = "Sexe inconnu : choisissez Femme ou Homme."
    values["birth_date"] = data.birth_date or None
    if values["birth_date"] is not None:
        if values["birth_date"] < EARLIEST or values["birth_date"] > today:
            errors["birth_date"] = "La date de naissance n'est pas plausible."
        elif rules.age_on(values["birth_date"], today) < 14:
            errors["birth_date"] = "La date de naissance donne moins de 14 ans : vérifiez-la."

    values["commune_id"] = data.commune_id or None
    if values["commune_id"] is not None and session.get(Commune, values["commune_id"]) is None:
        errors["commune_id"] = "Cette commune n'existe pas (ou plus) : choisissez-en une autre."
    values["qpv_id"] = data.qpv_id or None
    if values["qpv_id"] is not None:
        qpv = session.get(Qpv, values["qpv_id"])
        if qpv is None:
            errors["qpv_id"] = "Ce quartier prioritaire n'existe pas (ou plus)."
        elif qpv.commune_id and values["commune_id"] and qpv.commune_id != values["commune_id"]:
            errors["qpv_id"] = "Ce quartier prioritaire n'est pas dans la commune choisie."

    if values["phone"] and "phone" not in errors:
        problem = check_phone(values["phone"])
        if problem:
            errors["phone"] = problem
    if values["email"] and "email" not in errors:
        problem = check_email(values["email"])
        if problem:
            errors["email"] = problem

    try:
        values["qualification_level"] = (
            QualificationLevel(data.qualification_level) if data.qualification_level else None
        )
    except ValueError:
        errors["qualification_level"] = "Niveau de qualification inconnu."
    values["licences"] = join_licences(split_licences(data.licences))
    if len(values["licences"]) > LIMITS["licences"]:
        errors["licences"] = f"Les permis et certificats ne doivent pas dépasser {LIMITS['licences']} caractères."
    values["own_vehicle"] = bool(data.own_vehicle)
    distance = data.max_distance_km
    values["max_distance_km"] = None
    if distance not in (None, ""):
        try:
            number = float(str(distance).replace(",", "."))
        except ValueError:
            number = -1
        if number < 0 or number > 1000 or not float(number).is_integer():
            errors["max_distance_km"] = "La distance maximale est un nombre entier de kilomètres (0 à 1 000)."
        else:
            values["max_distance_km"] = int(number)
    values["available_from"] = data.available_from or None
    try:
        values["status"] = ParticipantStatus(data.status or ParticipantStatus.ACTIVE)
    except ValueError:
        errors["status"] = "Disponibilité inconnue."
    values["notes"] = (data.notes or "").strip()

    trades: dict[str, tuple[ExperienceLevel, int]] = {}
    problems = []
    for t in data.trades:
        code = (t.code or "").strip().upper()
        if not code:
            continue
        try:
            level = ExperienceLevel(t.experience or ExperienceLevel.NONE)
        except ValueError:
            problems.append(f"expérience inconnue pour {code}")
            continue
        months = t.experience_months or 0
        if not isinstance(months, int) or months < 0 or months > 600:
            problems.append(f"durée d'expérience invalide pour {code} (0 à 600 mois)")
            continue
        trades[code] = (level, months)
    if trades:
        known = set(session.exec(select(Trade.code).where(col(Trade.code).in_(list(trades)))))
        unknown = [c for c in trades if c not in known]
        if unknown:
            problems.insert(0, "métier(s) inconnu(s) du référentiel ROME : " + ", ".join(sorted(unknown)))
    if problems:
        errors["trades"] = "Métiers : " + " ; ".join(problems) + "."
    values["trades"] = trades

    if "last_name" not in errors and "first_name" not in errors:
        values["name_key"] = name_key(values["last_name"], values["first_name"])
        other = find_same_person(session, values["name_key"], values["birth_date"], exclude_id=participant_id)
        if other is not None:
            born = f", né(e) le {values['birth_date'].strftime('%d/%m/%Y')}" if values["birth_date"] else ""
            errors["last_name"] = (
                f"Une personne du même nom{born} est déjà enregistrée (participant n° {other}) : "
                "complétez sa fiche plutôt que d'en créer une seconde."
            )
    if values.get("external_id") and "external_id" not in errors:
        same = select(Participant.id).where(Participant.external_id == values["external_id"])
        if participant_id is not None:
            same = same.where(Participant.id != participant_id)
        other = session.exec(same).first()
        if other is not None:
            errors["external_id"] = f"Cet identifiant est déjà celui du participant n° {other}."
    if errors:
        raise ValidationError(errors)
    return values


def find_same_person(session: Session, key: str, birth_date: date | None, exclude_id: int | None = None) -> int | None:
    """The participant with the same name (without accents nor case) and birth date, if any (DESIGN §5.2)."""
    query = select(Participant.id).where(
        Participant.name_key == key,
        Participant.birth_date == birth_date if birth_date else col(Participant.birth_date).is_(None),
        col(Participant.anonymised_at).is_(None),
    )
    if exclude_id is not None:
        query = query.where(Participant.id != exclude_id)
    return session.exec(query.order_by(Participant.id)).first()


def _set_trades(session: Session, participant_id: int, trades: dict[str, tuple[ExperienceLevel, int]]) -> None:
    session.execute(delete(ParticipantTrade).where(col(ParticipantTrade.participant_id) == participant_id))
    for code, (level, months) in sorted(trades.items()):
        session.add(
            ParticipantTrade(participant_id=participant_id, trade_code=code, experience=level, experience_months=months)
        )


def _trades_of(session: Session, participant_id: int) -> dict[str, tuple[ExperienceLevel, int]]:
    return {
        code: (ExperienceLevel(level), months)
        for code, level, months in session.exec(
            select(ParticipantTrade.trade_code, ParticipantTrade.experience, ParticipantTrade.experience_months).where(
                ParticipantTrade.participant_id == participant_id
            )
        )
    }


def create_participant(session: Session, user: CurrentUser, data: ParticipantInput, today: date) -> Participant:
    """A new participant (saisie or admin); refused when the same person (name and birth date) exists."""
    require(user, Role.SAISIE)
    values = _checked(session, data, today)
    trades = values.pop("trades")
    participant = Participant(**values)
    session.add(participant)
    session.flush()
    _set_trades(session, participant.id, trades)
    session.flush()
    audit.record(session, user.login, "création", "participant", participant.id, f"Participant n° {participant.id}")
    return participant


def update_participant(
    session: Session, user: CurrentUser, participant_id: int, version: int, data: ParticipantInput, today: date
) -> None:
    """Save a participant read at ``version``; refused when someone else saved it meanwhile."""
    require(user, Role.SAISIE)
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise DomainError("Ce participant n'existe plus.")
    if participant.anonymised_at is not None:
        raise DomainError("Ce participant a été anonymisé : sa fiche ne se modifie plus.")
    values = _checked(session, data, today, participant_id=participant_id)
    trades = values.pop("trades")
    before_trades = _trades_of(session, participant_id)
    changed = [
        FIELD_LABELS[name] for name in values if name in FIELD_LABELS and getattr(participant, name) != values[name]
    ]
    if before_trades != trades:
        changed.append(FIELD_LABELS["trades"])
    update_versioned(
        session, Participant, participant_id, version, f"la fiche du participant n° {participant_id}", **values
    )
    if before_trades != trades:
        _set_trades(session, participant_id, trades)
    session.flush()
    session.expire(participant)
    audit.record(
        session,
        user.login,
        "modification",
        "participant",
        participant_id,
        f"Participant n° {participant_id} : " + (", ".join(changed) or "aucun changement"),
    )
