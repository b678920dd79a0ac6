"""Participants: a participant's page — identity, trades, eligibility, candidacies, contracts, hours, follow-ups,
trainings; personal data only for the roles that may see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from clausier.errors import DomainError
from clausier.rules import eligibility as rules
from clausier.rules.eligibility import EligibilityStatus
from clausier.services.participants.common import display_name, may_see_contact, split_licences
from clausier.services.participants.eligibility import validity_months
from clausier.services.users import CurrentUser
from models import (
    Candidacy,
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
from models.enums import (
    CandidacyStatus,
    ContractOutcome,
    ExperienceLevel,
    FollowUpKind,
    Modality,
    ParticipantStatus,
    QualificationLevel,
    Sex,
    TrainingStatus,
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
