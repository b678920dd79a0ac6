"""Participants — the pool of eligible people (*vivier*, DESIGN §3.2, §4.1), their eligibility, and the GDPR
duties on them (DESIGN §6).

Who sees what (the rule of this module): the contact and identity details — phone, e-mail, postal address, birth
date, the id in the PLIE's software and the free-text notes — are personal data for ``admin`` and ``saisie`` only
(the roles that may export personal data, ``clausier.reports.exports.may_export``). A ``lecture`` user sees the
name, the age, the commune, the QPV, the qualification, trades, licences, mobility, referent and eligibility, which
the reports show anyway; the reading functions blank the rest for that role (server side), and the search does not
look into phone and e-mail for it either.

Anonymisation (``anonymise``, admin): the name, birth day, contact, address, id in the PLIE's software and every
free text about the person (notes, eligibility reasons, candidacy check comments and refusal reasons, contract
and follow-up notes) are wiped; what the reports count is kept — sex, birth year (the birth date becomes 1 July of
that year: age bands stay right within half a year), commune, QPV, qualification, trades, licences, eligibility
criteria and dates, candidacies, contracts and hours. The audit trail names participants by their number only.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, delete, select

from clausier import settings
from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.reports import exports
from clausier.rules import eligibility as rules
from clausier.rules.eligibility import EligibilityStatus
from clausier.rules.names import ascii_fold, name_key
from clausier.services import audit
from clausier.services.users import CurrentUser, require
from models import (
    AuditEvent,
    Candidacy,
    CandidacyEvent,
    Commitment,
    Commune,
    Company,
    ContractType,
    Eligibility,
    EligibilityCriterion,
    EmploymentContract,
    FollowUp,
    HoursEntry,
    JobOffer,
    Lot,
    Participant,
    ParticipantTrade,
    Qpv,
    Trade,
    Training,
    TrainingParticipant,
)
from models.base import utcnow
from models.enums import (
    CandidacyStatus,
    ContractOutcome,
    ExperienceLevel,
    FollowUpKind,
    Modality,
    ParticipantStatus,
    QualificationLevel,
    Role,
    Sex,
    TrainingStatus,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 .()\-]+$")
LIMITS = {
    "last_name": 120,
    "first_name": 120,
    "address": 300,
    "phone": 30,
    "email": 200,
    "counsellor": 120,
    "antenna": 120,
    "licences": 300,
    "external_id": 60,
}
FIELD_LABELS = {
    "last_name": "nom",
    "first_name": "prénom",
    "sex": "sexe",
    "birth_date": "date de naissance",
    "commune_id": "commune",
    "address": "adresse",
    "qpv_id": "QPV",
    "phone": "téléphone",
    "email": "e-mail",
    "qualification_level": "niveau de qualification",
    "counsellor": "conseiller référent",
    "antenna": "antenne",
    "licences": "permis et certificats",
    "own_vehicle": "véhicule",
    "max_distance_km": "distance maximale",
    "available_from": "disponible à partir du",
    "status": "disponibilité",
    "notes": "notes",
    "external_id": "identifiant du logiciel du PLIE",
    "trades": "métiers",
}
ANONYMOUS_NAME = "Anonyme"
COMMON_LICENCES = [
    "B",
    "BE",
    "C",
    "CE",
    "D",
    "CACES R482 (engins de chantier)",
    "CACES R486 (nacelles)",
    "CACES R489 (chariots)",
    "CACES R490 (grues auxiliaires)",
    "AIPR",
    "Habilitation électrique",
    "SST",
    "Travail en hauteur",
]
EARLIEST = date(1900, 1, 1)


class EligibilityFilter:
    """Values of the eligibility filter of the list."""

    VALID = "valide"
    LAPSING = "bientot"
    LAPSED = "expiree"
    NONE = "aucune"
    LABELS = {
        VALID: "Valide",
        LAPSING: "Expire bientôt",
        LAPSED: "Expirée",
        NONE: "Jamais validée",
    }


def may_see_contact(user: CurrentUser | None) -> bool:
    """Phone, e-mail, address, birth date, notes: for the roles that may export personal data (admin, saisie)."""
    return exports.may_export(user, personal_data=True)


def split_licences(text: str | Iterable[str]) -> list[str]:
    """« B; CACES R489 » → ["B", "CACES R489"] (stored ``;``-separated; the order kept, repeats dropped)."""
    parts = text.split(";") if isinstance(text, str) else list(text)
    result: list[str] = []
    for part in parts:
        clean = " ".join(str(part or "").split())
        if clean and clean.lower() not in {p.lower() for p in result}:
            result.append(clean)
    return result


def join_licences(licences: Iterable[str]) -> str:
    return ";".join(split_licences(list(licences)))


def display_name(last_name: str, first_name: str) -> str:
    return f"{last_name} {first_name}".strip()


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


def _last_validation(on: date):
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


def _eligibility_condition(state: str | None, today: date, months: int, warning: int):
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


# --- list ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantFilters:
    """Filters of the list (hashable: a cache key). Empty values do not filter."""

    search: str = ""
    trade_code: str | None = None
    eligibility: str | None = None  # an EligibilityFilter value
    antenna: str | None = None
    counsellor: str | None = None
    status: ParticipantStatus | None = None
    commune_id: int | None = None
    qpv: bool | None = None  # True: lives in a QPV, False: does not


@dataclass(frozen=True)
class ParticipantRow:
    """One line of the list; contact fields blank for a role that may not see them."""

    id: int
    last_name: str
    first_name: str
    sex: Sex | None
    birth_date: date | None
    age: int | None
    phone: str
    email: str
    commune: str
    qpv: str
    trades: tuple[str, ...]
    eligibility_end: date | None
    eligibility_state: str  # an EligibilityFilter value
    counsellor: str
    antenna: str
    status: ParticipantStatus
    licences: str
    version: int

    @property
    def name(self) -> str:
        return display_name(self.last_name, self.first_name)


def _state(last: date | None, end: date | None, today: date, warning: int) -> str:
    if last is None:
        return EligibilityFilter.NONE
    if end is None or end < today:
        return EligibilityFilter.LAPSED
    return EligibilityFilter.LAPSING if (end - today).days <= warning else EligibilityFilter.VALID


def eligibility_text(state: str, end: date | None) -> str:
    """« Valide jusqu'au 14/03/2026 », « Expire le … », « Expirée le … », « Jamais validée »."""
    when = end.strftime("%d/%m/%Y") if end else ""
    return {
        EligibilityFilter.VALID: f"Valide jusqu'au {when}",
        EligibilityFilter.LAPSING: f"Expire le {when}",
        EligibilityFilter.LAPSED: f"Expirée le {when}",
    }.get(state, "Jamais validée")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_digits_sql():
    phone = Participant.phone
    for ch in (" ", ".", "-", "(", ")", "+"):
        phone = func.replace(phone, ch, "")
    return phone


def list_participants(
    session: Session,
    user: CurrentUser | None,
    filters: ParticipantFilters = ParticipantFilters(),
    *,
    today: date,
    limit: int | None = None,
) -> tuple[list[ParticipantRow], int]:
    """Participants (not anonymised) matching ``filters``, by name: (the first ``limit`` rows, how many match).

    The search finds every word typed, without accents nor case, in the name — and, for the roles that may see
    them, in the e-mail, the phone number (digits only, spaces and dots ignored) and the PLIE software's id."""
    months, warning = validity_months(session), warning_days(session)
    contact = may_see_contact(user)

    conditions = [col(Participant.anonymised_at).is_(None)]
    for word in ascii_fold(filters.search).lower().split():
        options = [col(Participant.name_key).contains(word, autoescape=True)]
        if contact:
            options.append(func.lower(Participant.email).contains(word, autoescape=True))
            options.append(func.lower(Participant.external_id).contains(word, autoescape=True))
            digits = _digits(word)
            if len(digits) >= 2 and re.fullmatch(r"[\d .()+\-]+", word):  # a number: search the phone too
                options.append(_phone_digits_sql().contains(digits.lstrip("0") or digits, autoescape=True))
        conditions.append(or_(*options))
    if filters.trade_code:
        conditions.append(
            col(Participant.id).in_(
                select(ParticipantTrade.participant_id).where(ParticipantTrade.trade_code == filters.trade_code)
            )
        )
    if filters.antenna:
        conditions.append(Participant.antenna == filters.antenna)
    if filters.counsellor:
        conditions.append(Participant.counsellor == filters.counsellor)
    if filters.status:
        conditions.append(Participant.status == ParticipantStatus(filters.status))
    if filters.commune_id:
        conditions.append(Participant.commune_id == filters.commune_id)
    if filters.qpv is True:
        conditions.append(col(Participant.qpv_id).is_not(None))
    elif filters.qpv is False:
        conditions.append(col(Participant.qpv_id).is_(None))
    state = _eligibility_condition(filters.eligibility, today, months, warning)
    if state is not None:
        conditions.append(state)

    query = (
        select(
            Participant.id,
            Participant.last_name,
            Participant.first_name,
            Participant.sex,
            Participant.birth_date,
            Participant.phone,
            Participant.email,
            Commune.name,
            Qpv.name,
            Participant.counsellor,
            Participant.antenna,
            Participant.status,
            Participant.licences,
            Participant.version,
        )
        .outerjoin(Commune, col(Commune.id) == col(Participant.commune_id))
        .outerjoin(Qpv, col(Qpv.id) == col(Participant.qpv_id))
        .where(*conditions)
        .order_by(Participant.name_key, Participant.id)
    )
    if limit is not None:  # a page of rows: their latest validation by the index, row by row
        found = session.connection().execute(query.add_columns(_last_validation(today)).limit(limit)).all()
        total = len(found)
        if total == limit:  # maybe more: count them (a short page needs no second scan)
            total = session.exec(select(func.count()).select_from(Participant).where(*conditions)).one()
        trades_of = _trade_codes_of(session, [r[0] for r in found], conditions)
    else:  # every row (a download): the latest validations of everyone in one scan
        last_of: dict[int, date] = {}
        for pid, validated in (
            session.connection()
            .execute(
                select(Eligibility.participant_id, Eligibility.validated_on).where(Eligibility.validated_on <= today)
            )
            .all()
        ):
            if pid not in last_of or validated > last_of[pid]:
                last_of[pid] = validated
        found = [(*r, last_of.get(r[0])) for r in session.connection().execute(query).all()]
        total = len(found)
        trades_of = _trade_codes_of(session, None, conditions)
    ends: dict[date, date] = {}
    rows = []
    for pid, last, first, sex, birth, phone, email, commune, qpv, counsellor, antenna, status, lic, version, v in found:
        end = None
        if v:
            end = ends.get(v) or ends.setdefault(v, rules.eligibility_end(v, months))
        rows.append(
            ParticipantRow(
                id=pid,
                last_name=last,
                first_name=first,
                sex=Sex(sex) if sex else None,
                birth_date=birth if contact else None,
                age=rules.age_on(birth, today) if birth else None,
                phone=phone if contact else "",
                email=email if contact else "",
                commune=commune or "",
                qpv=qpv or "",
                trades=tuple(trades_of.get(pid, ())),
                eligibility_end=end,
                eligibility_state=_state(v, end, today, warning),
                counsellor=counsellor,
                antenna=antenna,
                status=ParticipantStatus(status),
                licences=lic,
                version=version,
            )
        )
    return rows, int(total)


def _trade_codes_of(session: Session, ids: list[int] | None, conditions) -> dict[int, list[str]]:
    """Trade codes per participant: of ``ids``, or of every participant the filters select."""
    query = select(ParticipantTrade.participant_id, ParticipantTrade.trade_code).order_by(
        ParticipantTrade.participant_id, ParticipantTrade.trade_code
    )
    if ids is not None:
        if not ids:
            return {}
        query = query.where(col(ParticipantTrade.participant_id).in_(ids))
    else:
        query = query.where(col(ParticipantTrade.participant_id).in_(select(Participant.id).where(*conditions)))
    result: dict[int, list[str]] = defaultdict(list)
    for pid, code in session.connection().execute(query).all():
        result[pid].append(code)
    return result


@dataclass(frozen=True)
class ListChoices:
    """Choices of the list's filters and of the forms."""

    trades: dict[str, str]  # code → « code – label »
    communes: dict[int, str]
    qpv: dict[int, str]
    antennas: list[str]
    counsellors: list[str]
    criteria: dict[str, str]  # active criteria, code → label
    criteria_needing_reason: frozenset[str]


def choices(session: Session) -> ListChoices:
    trades = {
        code: f"{code} – {label}" for code, label in session.exec(select(Trade.code, Trade.label).order_by(Trade.code))
    }
    communes = dict(session.exec(select(Commune.id, Commune.name).order_by(Commune.name)).all())
    qpv = {
        qid: f"{name} ({commune})" if commune else name
        for qid, name, commune in session.exec(
            select(Qpv.id, Qpv.name, Commune.name)
            .outerjoin(Commune, col(Commune.id) == col(Qpv.commune_id))
            .order_by(Qpv.name)
        )
    }
    antennas = [a for a in session.exec(select(Participant.antenna).distinct().order_by(Participant.antenna)) if a]
    counsellors = [
        c for c in session.exec(select(Participant.counsellor).distinct().order_by(Participant.counsellor)) if c
    ]
    criteria_rows = session.exec(
        select(EligibilityCriterion)
        .where(col(EligibilityCriterion.active).is_(True))
        .order_by(EligibilityCriterion.sort_order)
    ).all()
    return ListChoices(
        trades=trades,
        communes=communes,
        qpv=qpv,
        antennas=antennas,
        counsellors=counsellors,
        criteria={c.code: c.label for c in criteria_rows},
        criteria_needing_reason=frozenset(c.code for c in criteria_rows if c.needs_reason),
    )


# --- a participant's page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeLine:
    code: str
    label: str
    experience: ExperienceLevel
    experience_months: int


@dataclass(frozen=True)
class EligibilityLine:
    id: int
    criterion_code: str
    criterion_label: str
    proof_date: date | None
    validated_on: date
    validated_by: str
    end: date
    valid_today: bool
    reason: str  # blank for a role that may not see it


@dataclass(frozen=True)
class CandidacyLine:
    offer_title: str
    company: str
    status_label: str
    created_on: date
    refusal_reason: str


@dataclass(frozen=True)
class ContractLine:
    id: int
    employer: str
    user_company: str
    contract_type: str
    modality_label: str
    start_date: date
    planned_end: date | None
    actual_end: date | None
    outcome_label: str


@dataclass(frozen=True)
class HoursLine:
    company: str
    lot: str
    first_month: date
    last_month: date
    months: int
    hours_h100: int


@dataclass(frozen=True)
class FollowUpLine:
    on: date
    kind_label: str
    by: str
    employer: str
    notes: str
    next_due: date | None


@dataclass(frozen=True)
class TrainingLine:
    title: str
    trade: str
    start_date: date
    end_date: date
    status_label: str


@dataclass
class ParticipantDetail:
    """Everything a participant's page shows; the personal fields blank for a role that may not see them."""

    id: int
    version: int
    last_name: str
    first_name: str
    sex: Sex | None
    birth_date: date | None
    age: int | None
    phone: str
    email: str
    address: str
    commune_id: int | None
    commune: str
    qpv_id: int | None
    qpv: str
    qualification_level: QualificationLevel | None
    counsellor: str
    antenna: str
    licences: list[str]
    own_vehicle: bool
    max_distance_km: int | None
    available_from: date | None
    status: ParticipantStatus
    notes: str
    external_id: str
    anonymised_at: datetime | None
    contact_visible: bool
    eligibility: EligibilityStatus
    eligibility_lines: list[EligibilityLine] = field(default_factory=list)
    trades: list[TradeLine] = field(default_factory=list)
    candidacies: list[CandidacyLine] = field(default_factory=list)
    contracts: list[ContractLine] = field(default_factory=list)
    hours: list[HoursLine] = field(default_factory=list)
    followups: list[FollowUpLine] = field(default_factory=list)
    trainings: list[TrainingLine] = field(default_factory=list)

    @property
    def name(self) -> str:
        return display_name(self.last_name, self.first_name)

    @property
    def hours_total_h100(self) -> int:
        return sum(h.hours_h100 for h in self.hours)


def detail(session: Session, user: CurrentUser | None, participant_id: int, today: date) -> ParticipantDetail:
    """A participant's page; DomainError when it does not exist."""
    p = session.get(Participant, participant_id)
    if p is None:
        raise DomainError("Ce participant n'existe plus.")
    contact = may_see_contact(user)
    months = validity_months(session)
    commune = session.get(Commune, p.commune_id) if p.commune_id else None
    qpv = session.get(Qpv, p.qpv_id) if p.qpv_id else None

    labels = dict(session.exec(select(EligibilityCriterion.code, EligibilityCriterion.label)).all())
    elig_rows = session.exec(
        select(Eligibility)
        .where(Eligibility.participant_id == participant_id)
        .order_by(col(Eligibility.validated_on).desc(), Eligibility.id)
    ).all()
    elig_lines = [
        EligibilityLine(
            id=e.id,
            criterion_code=e.criterion_code,
            criterion_label=labels.get(e.criterion_code, e.criterion_code),
            proof_date=e.proof_date,
            validated_on=e.validated_on,
            validated_by=e.validated_by,
            end=rules.eligibility_end(e.validated_on, months),
            valid_today=rules.is_valid_on(e.validated_on, months, today),
            reason=e.reason if contact else "",
        )
        for e in elig_rows
    ]
    status = rules.status_on([(e.criterion_code, e.validated_on) for e in elig_rows], months, today)

    trades = [
        TradeLine(code, label, ExperienceLevel(exp), n)
        for code, label, exp, n in session.exec(
            select(Trade.code, Trade.label, ParticipantTrade.experience, ParticipantTrade.experience_months)
            .join(ParticipantTrade, col(ParticipantTrade.trade_code) == col(Trade.code))
            .where(ParticipantTrade.participant_id == participant_id)
            .order_by(Trade.code)
        )
    ]
    candidacies = [
        CandidacyLine(
            offer_title=title,
            company=company,
            status_label=CandidacyStatus(st).label,
            created_on=created.date(),
            refusal_reason=reason if contact else "",
        )
        for title, company, st, created, reason in session.exec(
            select(JobOffer.title, Company.name, Candidacy.status, Candidacy.created_at, Candidacy.refusal_reason)
            .join(JobOffer, col(JobOffer.id) == col(Candidacy.offer_id))
            .join(Company, col(Company.id) == col(JobOffer.company_id))
            .where(Candidacy.participant_id == participant_id)
            .order_by(col(Candidacy.created_at).desc())
        )
    ]
    user_company = Company.__table__.alias("user_company")
    contracts = [
        ContractLine(
            id=cid,
            employer=employer,
            user_company=user_name or "",
            contract_type=type_label,
            modality_label=Modality(modality).label,
            start_date=start,
            planned_end=planned,
            actual_end=actual,
            outcome_label=ContractOutcome(outcome).label if outcome else "",
        )
        for cid, employer, user_name, type_label, modality, start, planned, actual, outcome in session.exec(
            select(
                EmploymentContract.id,
                Company.name,
                user_company.c.name,
                ContractType.label,
                EmploymentContract.modality,
                EmploymentContract.start_date,
                EmploymentContract.planned_end,
                EmploymentContract.actual_end,
                EmploymentContract.outcome,
            )
            .join(Company, col(Company.id) == col(EmploymentContract.employer_company_id))
            .outerjoin(user_company, user_company.c.id == EmploymentContract.user_company_id)
            .join(ContractType, col(ContractType.code) == col(EmploymentContract.contract_type_code))
            .where(EmploymentContract.participant_id == participant_id)
            .order_by(col(EmploymentContract.start_date).desc())
        )
    ]
    hours = [
        HoursLine(company, f"{reference} – {label}", first, last, int(n), int(total))
        for company, reference, label, first, last, n, total in session.exec(
            select(
                Company.name,
                Lot.reference,
                Lot.label,
                func.min(HoursEntry.month),
                func.max(HoursEntry.month),
                func.count(HoursEntry.id),
                func.sum(HoursEntry.hours_h100),
            )
            .join(Commitment, col(Commitment.id) == col(HoursEntry.commitment_id))
            .join(Company, col(Company.id) == col(Commitment.company_id))
            .join(Lot, col(Lot.id) == col(Commitment.lot_id))
            .where(HoursEntry.participant_id == participant_id)
            .group_by(Company.name, Lot.reference, Lot.label)
            .order_by(func.max(HoursEntry.month).desc())
        )
    ]
    followups = [
        FollowUpLine(on, FollowUpKind(kind).label, by, employer, notes if contact else "", next_due)
        for on, kind, by, employer, notes, next_due in session.exec(
            select(FollowUp.on, FollowUp.kind, FollowUp.by, Company.name, FollowUp.notes, FollowUp.next_due)
            .join(EmploymentContract, col(EmploymentContract.id) == col(FollowUp.contract_id))
            .join(Company, col(Company.id) == col(EmploymentContract.employer_company_id))
            .where(EmploymentContract.participant_id == participant_id)
            .order_by(col(FollowUp.on).desc())
        )
    ]
    trainings = [
        TrainingLine(title, f"{code} – {label}", start, end, TrainingStatus(st).label)
        for title, code, label, start, end, st in session.exec(
            select(
                Training.title,
                Trade.code,
                Trade.label,
                Training.start_date,
                Training.end_date,
                TrainingParticipant.status,
            )
            .join(TrainingParticipant, col(TrainingParticipant.training_id) == col(Training.id))
            .join(Trade, col(Trade.code) == col(Training.trade_code))
            .where(TrainingParticipant.participant_id == participant_id)
            .order_by(col(Training.start_date).desc())
        )
    ]
    return ParticipantDetail(
        id=p.id,
        version=p.version,
        last_name=p.last_name,
        first_name=p.first_name,
        sex=Sex(p.sex) if p.sex else None,
        birth_date=p.birth_date if contact else None,
        age=rules.age_on(p.birth_date, today) if p.birth_date else None,
        phone=p.phone if contact else "",
        email=p.email if contact else "",
        address=p.address if contact else "",
        commune_id=p.commune_id,
        commune=commune.name if commune else "",
        qpv_id=p.qpv_id,
        qpv=qpv.name if qpv else "",
        qualification_level=QualificationLevel(p.qualification_level) if p.qualification_level else None,
        counsellor=p.counsellor,
        antenna=p.antenna,
        licences=split_licences(p.licences),
        own_vehicle=p.own_vehicle,
        max_distance_km=p.max_distance_km,
        available_from=p.available_from,
        status=ParticipantStatus(p.status),
        notes=p.notes if contact else "",
        external_id=(p.external_id or "") if contact else "",
        anonymised_at=p.anonymised_at,
        contact_visible=contact,
        eligibility=status,
        eligibility_lines=elig_lines,
        trades=trades,
        candidacies=candidacies,
        contracts=contracts,
        hours=hours,
        followups=followups,
        trainings=trainings,
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


def _one_line(value: str | None) -> str:
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
        values[name] = _one_line(getattr(data, name))
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
        reason = rules.join_reason(data.prescriber, data.reason) if needs_reason else _one_line(data.reason)
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
