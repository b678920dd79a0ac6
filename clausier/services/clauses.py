"""Clause setup (DESIGN §3.1, §4.1): buyers, operations, lots with their insertion hours, companies, commitments.

Every write checks the role (saisie or admin), refuses bad input with a French message per field
(``ValidationError``), refuses a stale edit (``version``), records an audit event, and never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session

from clausier.db import ConcurrentEditError, update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.rules.hours import insertion_hours_h100
from clausier.rules.siret import check_siret
from clausier.rules.units import basis_points, cents, hundredths
from clausier.services import audit
from clausier.services.users import CurrentUser, require
from models import (
    Buyer,
    Commitment,
    CommitmentMonthHours,
    Commune,
    Company,
    HoursEntry,
    JobOffer,
    Lot,
    Operation,
    Trade,
    WorkKind,
)
from models.enums import (
    BuyerKind,
    ClauseKind,
    CompanyKind,
    CompanySize,
    LegalBasis,
    Modality,
    OperationStatus,
    Role,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_contact(errors: dict[str, str], email: str) -> None:
    if email and not EMAIL_RE.match(email.strip()):
        errors["contact_email"] = "L'adresse e-mail du contact n'est pas valide."


def _check_dates(errors: dict[str, str], start: date | None, end: date | None, key: str = "end") -> None:
    if start and end and end < start:
        errors[key] = "La date de fin doit être postérieure à la date de début."


# --- achieved hours, aggregated in SQL ----------------------------------------------------------------------------


def _achieved_by_commitment():
    return (
        select(
            CommitmentMonthHours.commitment_id.label("commitment_id"),
            func.sum(CommitmentMonthHours.hours_h100).label("achieved"),
        )
        .group_by(CommitmentMonthHours.commitment_id)
        .subquery()
    )


@dataclass(frozen=True)
class HoursSummary:
    committed_h100: int
    achieved_h100: int

    @property
    def remaining_h100(self) -> int:
        return max(0, self.committed_h100 - self.achieved_h100)

    @property
    def rate(self) -> float | None:
        return self.achieved_h100 / self.committed_h100 if self.committed_h100 else None


# --- buyers -------------------------------------------------------------------------------------------------------


@dataclass
class BuyerInput:
    name: str
    kind: BuyerKind = BuyerKind.LOCAL_AUTHORITY
    siret: str = ""
    commune_id: int | None = None
    address: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""


@dataclass(frozen=True)
class BuyerRow:
    buyer: Buyer
    operations: int
    hours: HoursSummary


def _buyer_values(session: Session, data: BuyerInput, buyer_id: int | None) -> dict:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Le nom du donneur d'ordre est obligatoire."
    siret_value = None
    if data.siret.strip():
        try:
            siret_value = check_siret(data.siret)
        except ValueError as exc:
            errors["siret"] = str(exc)
        else:
            other = session.execute(select(Buyer).where(Buyer.siret == siret_value, Buyer.id != buyer_id)).scalar()
            if other is not None:
                errors["siret"] = f"Ce SIRET est déjà celui du donneur d'ordre « {other.name} »."
    _check_contact(errors, data.contact_email)
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "kind": BuyerKind(data.kind),
        "siret": siret_value,
        "commune_id": data.commune_id,
        "address": data.address.strip(),
        "contact_name": data.contact_name.strip(),
        "contact_email": data.contact_email.strip(),
        "contact_phone": data.contact_phone.strip(),
        "notes": data.notes.strip(),
    }


def create_buyer(session: Session, user: CurrentUser, data: BuyerInput) -> Buyer:
    require(user, Role.SAISIE)
    buyer = Buyer(**_buyer_values(session, data, None))
    session.add(buyer)
    session.flush()
    audit.record(session, user.login, "création", "buyer", buyer.id, buyer.name)
    return buyer


def _update(
    session: Session, user: CurrentUser, model: type, record_id: int, version: int, what: str, values: dict
) -> None:
    """Save an edited record unless someone saved it meanwhile (version), and audit it."""
    update_versioned(session, model, record_id, version, what, **values)
    audit.record(session, user.login, "modification", model.__tablename__, record_id, values.get("name", ""))


def _archive(
    session: Session, user: CurrentUser, model: type, record_id: int, version: int, what: str, archived: bool
) -> None:
    require(user, Role.SAISIE)
    update_versioned(session, model, record_id, version, what, archived=archived)
    audit.record(session, user.login, "archivage" if archived else "désarchivage", model.__tablename__, record_id)


def update_buyer(session: Session, user: CurrentUser, buyer_id: int, version: int, data: BuyerInput) -> None:
    require(user, Role.SAISIE)
    values = _buyer_values(session, data, buyer_id)
    _update(session, user, Buyer, buyer_id, version, f"le donneur d'ordre « {values['name']} »", values)


def archive_buyer(session: Session, user: CurrentUser, buyer_id: int, version: int, archived: bool = True) -> None:
    _archive(session, user, Buyer, buyer_id, version, "ce donneur d'ordre", archived)


def list_buyers(
    session: Session, search: str = "", kind: BuyerKind | None = None, include_archived: bool = False
) -> list[BuyerRow]:
    achieved = _achieved_by_commitment()
    per_buyer = (
        select(
            Operation.buyer_id.label("buyer_id"),
            func.count(func.distinct(Operation.id)).label("operations"),
            func.coalesce(func.sum(Commitment.hours_committed_h100), 0).label("committed"),
            func.coalesce(func.sum(achieved.c.achieved), 0).label("achieved"),
        )
        .join(Lot, Lot.operation_id == Operation.id, isouter=True)
        .join(Commitment, Commitment.lot_id == Lot.id, isouter=True)
        .join(achieved, achieved.c.commitment_id == Commitment.id, isouter=True)
        .group_by(Operation.buyer_id)
        .subquery()
    )
    query = (
        select(Buyer, per_buyer.c.operations, per_buyer.c.committed, per_buyer.c.achieved)
        .join(per_buyer, per_buyer.c.buyer_id == Buyer.id, isouter=True)
        .order_by(Buyer.name)
    )
    if search.strip():
        query = query.where(
            or_(
                func.lower(Buyer.name).contains(search.strip().lower(), autoescape=True),
                Buyer.siret.contains(search.strip().lower(), autoescape=True),
            )
        )
    if kind:
        query = query.where(Buyer.kind == kind)
    if not include_archived:
        query = query.where(Buyer.archived.is_(False))
    return [
        BuyerRow(buyer, int(ops or 0), HoursSummary(int(committed or 0), int(done or 0)))
        for buyer, ops, committed, done in session.execute(query).all()
    ]


# --- operations ---------------------------------------------------------------------------------------------------


@dataclass
class OperationInput:
    buyer_id: int | None
    name: str
    commune_id: int | None = None
    work_kind_code: str | None = None
    status: OperationStatus = OperationStatus.SPOTTED
    legal_basis: LegalBasis = LegalBasis.EXECUTION_CONDITION
    description: str = ""
    planned_start: date | None = None
    planned_end: date | None = None


@dataclass(frozen=True)
class OperationRow:
    operation: Operation
    buyer_name: str
    lots: int
    hours: HoursSummary


def _operation_values(session: Session, data: OperationInput) -> dict:
    errors: dict[str, str] = {}
    if data.buyer_id is None or session.get(Buyer, data.buyer_id) is None:
        errors["buyer_id"] = "Choisissez le donneur d'ordre."
    if not data.name.strip():
        errors["name"] = "Le nom de l'opération est obligatoire."
    if data.work_kind_code and session.get(WorkKind, data.work_kind_code) is None:
        errors["work_kind_code"] = "Nature de travaux inconnue."
    _check_dates(errors, data.planned_start, data.planned_end, "planned_end")
    if errors:
        raise ValidationError(errors)
    return {
        "buyer_id": data.buyer_id,
        "name": data.name.strip(),
        "commune_id": data.commune_id,
        "work_kind_code": data.work_kind_code or None,
        "status": OperationStatus(data.status),
        "legal_basis": LegalBasis(data.legal_basis),
        "description": data.description.strip(),
        "planned_start": data.planned_start,
        "planned_end": data.planned_end,
    }


def create_operation(session: Session, user: CurrentUser, data: OperationInput) -> Operation:
    require(user, Role.SAISIE)
    operation = Operation(**_operation_values(session, data))
    session.add(operation)
    session.flush()
    audit.record(session, user.login, "création", "operation", operation.id, operation.name)
    return operation


def update_operation(
    session: Session, user: CurrentUser, operation_id: int, version: int, data: OperationInput
) -> None:
    require(user, Role.SAISIE)
    values = _operation_values(session, data)
    _update(session, user, Operation, operation_id, version, f"l'opération « {values['name']} »", values)


def list_operations(
    session: Session,
    search: str = "",
    buyer_id: int | None = None,
    status: OperationStatus | None = None,
    include_archived: bool = False,
) -> list[OperationRow]:
    achieved = _achieved_by_commitment()
    per_operation = (
        select(
            Lot.operation_id.label("operation_id"),
            func.count(func.distinct(Lot.id)).label("lots"),
            func.coalesce(func.sum(Commitment.hours_committed_h100), 0).label("committed"),
            func.coalesce(func.sum(achieved.c.achieved), 0).label("achieved"),
        )
        .join(Commitment, Commitment.lot_id == Lot.id, isouter=True)
        .join(achieved, achieved.c.commitment_id == Commitment.id, isouter=True)
        .group_by(Lot.operation_id)
        .subquery()
    )
    query = (
        select(Operation, Buyer.name, per_operation.c.lots, per_operation.c.committed, per_operation.c.achieved)
        .join(Buyer, Buyer.id == Operation.buyer_id)
        .join(per_operation, per_operation.c.operation_id == Operation.id, isouter=True)
        .order_by(Buyer.name, Operation.name)
    )
    if search.strip():
        query = query.where(func.lower(Operation.name).contains(search.strip().lower(), autoescape=True))
    if buyer_id is not None:
        query = query.where(Operation.buyer_id == buyer_id)
    if status:
        query = query.where(Operation.status == status)
    if not include_archived:
        query = query.where(Operation.archived.is_(False))
    return [
        OperationRow(op, buyer, int(lots or 0), HoursSummary(int(c or 0), int(a or 0)))
        for op, buyer, lots, c, a in session.execute(query).all()
    ]


# --- lots and the hours calculator (§3.1) -------------------------------------------------------------------------


@dataclass
class HoursCalculation:
    """The parameters of §3.1 in integer units, and the hours they give."""

    amount_cents: int
    labour_share_bp: int
    insertion_rate_bp: int
    hourly_cost_cents: int
    hours_h100: int


def calculate_hours(
    amount_eur: object, labour_share_pct: object, insertion_rate_pct: object, hourly_cost_eur: object
) -> HoursCalculation:
    """The live calculator: French ValueError naming the parameter that is wrong."""
    amount = cents(amount_eur, "Montant HT")
    share = basis_points(labour_share_pct, "Part de main-d'œuvre")
    rate = basis_points(insertion_rate_pct, "Taux d'insertion")
    cost = cents(hourly_cost_eur, "Coût horaire")
    if amount < 0:
        raise ValueError("Montant HT : il doit être positif.")
    if not 0 < share <= 10_000:
        raise ValueError("Part de main-d'œuvre : elle doit être comprise entre 0 et 100 %.")
    if not 0 < rate <= 10_000:
        raise ValueError("Taux d'insertion : il doit être compris entre 0 et 100 %.")
    if cost <= 0:
        raise ValueError("Coût horaire : il doit être positif.")
    return HoursCalculation(amount, share, rate, cost, insertion_hours_h100(amount, share, rate, cost))


def work_kind_defaults(session: Session, code: str | None) -> WorkKind | None:
    return session.get(WorkKind, code) if code else None


@dataclass
class LotInput:
    operation_id: int | None
    reference: str
    label: str
    trade_code: str | None = None
    work_kind_code: str | None = None
    carries_clause: bool = True
    clause_kind: ClauseKind = ClauseKind.HOURS
    amount_eur: object = 0
    labour_share_pct: object = 50
    insertion_rate_pct: object = 5
    hourly_cost_eur: object = 30
    contractual_hours: object | None = None  # None: keep the computed figure
    execution_start: date | None = None
    execution_end: date | None = None


def _lot_values(session: Session, data: LotInput, lot_id: int | None) -> dict:
    errors: dict[str, str] = {}
    if data.operation_id is None or session.get(Operation, data.operation_id) is None:
        errors["operation_id"] = "Choisissez l'opération."
    reference = data.reference.strip()
    if not reference:
        errors["reference"] = "La référence du lot est obligatoire (ex. « Lot 03 »)."
    elif data.operation_id is not None:
        same = session.execute(
            select(Lot.id).where(Lot.operation_id == data.operation_id, Lot.reference == reference, Lot.id != lot_id)
        ).scalar()
        if same is not None:
            errors["reference"] = f"L'opération a déjà un lot « {reference} »."
    if not data.label.strip():
        errors["label"] = "L'intitulé du lot est obligatoire."
    if data.trade_code and session.get(Trade, data.trade_code) is None:
        errors["trade_code"] = f"Code ROME inconnu : {data.trade_code}."
    if data.work_kind_code and session.get(WorkKind, data.work_kind_code) is None:
        errors["work_kind_code"] = "Nature de travaux inconnue."
    _check_dates(errors, data.execution_start, data.execution_end, "execution_end")
    calculation = None
    try:
        calculation = calculate_hours(
            data.amount_eur, data.labour_share_pct, data.insertion_rate_pct, data.hourly_cost_eur
        )
    except ValueError as exc:
        errors["hours"] = str(exc)
    contractual = None
    if data.contractual_hours not in (None, ""):
        try:
            contractual = hundredths(data.contractual_hours, "Heures du marché")
        except ValueError as exc:
            errors["contractual_hours"] = str(exc)
        else:
            if contractual < 0:
                errors["contractual_hours"] = "Heures du marché : elles doivent être positives."
    if errors:
        raise ValidationError(errors)
    assert calculation is not None
    return {
        "operation_id": data.operation_id,
        "reference": reference,
        "label": data.label.strip(),
        "trade_code": data.trade_code or None,
        "work_kind_code": data.work_kind_code or None,
        "carries_clause": bool(data.carries_clause),
        "clause_kind": ClauseKind(data.clause_kind),
        "amount_cents": calculation.amount_cents,
        "labour_share_bp": calculation.labour_share_bp,
        "insertion_rate_bp": calculation.insertion_rate_bp,
        "hourly_cost_cents": calculation.hourly_cost_cents,
        "hours_computed_h100": calculation.hours_h100,
        "hours_contractual_h100": calculation.hours_h100 if contractual is None else contractual,
        "execution_start": data.execution_start,
        "execution_end": data.execution_end,
    }


def create_lot(session: Session, user: CurrentUser, data: LotInput) -> Lot:
    """A lot keeps both the computed and the contractual hours, with the parameters used (§3.1)."""
    require(user, Role.SAISIE)
    lot = Lot(**_lot_values(session, data, None))
    session.add(lot)
    session.flush()
    audit.record(
        session,
        user.login,
        "création",
        "lot",
        lot.id,
        f"{lot.reference} : {lot.hours_contractual_h100 / 100:g} h (calcul : {lot.hours_computed_h100 / 100:g} h)",
    )
    return lot


def update_lot(session: Session, user: CurrentUser, lot_id: int, version: int, data: LotInput) -> str | None:
    """Change a lot; returns a warning when its new hours no longer match the split between its companies."""
    require(user, Role.SAISIE)
    values = _lot_values(session, data, lot_id)
    committed = session.execute(
        select(func.coalesce(func.sum(Commitment.hours_committed_h100), 0)).where(Commitment.lot_id == lot_id)
    ).scalar_one()
    update_versioned(session, Lot, lot_id, version, f"le lot « {values['reference']} »", **values)
    audit.record(session, user.login, "modification", "lot", lot_id, values["reference"])
    if committed and committed != values["hours_contractual_h100"]:
        return str(SplitMismatch(committed, values["hours_contractual_h100"])) + " Reprenez l'attribution du lot."
    return None


class SplitMismatch(DomainError):
    def __init__(self, split_h100: int, lot_h100: int) -> None:
        super().__init__(
            f"La répartition entre les entreprises fait {split_h100 / 100:g} h alors que le lot en compte "
            f"{lot_h100 / 100:g} h : elle doit faire exactement le total du lot."
        )


def get_lot(session: Session, lot_id: int) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise DomainError("Lot introuvable.")
    return lot


@dataclass(frozen=True)
class LotRow:
    lot: Lot
    operation_name: str
    buyer_name: str
    companies: str
    hours: HoursSummary


def list_lots(session: Session, operation_id: int | None = None, search: str = "") -> list[LotRow]:
    achieved = _achieved_by_commitment()
    per_lot = (
        select(
            Commitment.lot_id.label("lot_id"),
            func.coalesce(func.sum(Commitment.hours_committed_h100), 0).label("committed"),
            func.coalesce(func.sum(achieved.c.achieved), 0).label("achieved"),
        )
        .join(achieved, achieved.c.commitment_id == Commitment.id, isouter=True)
        .group_by(Commitment.lot_id)
        .subquery()
    )
    query = (
        select(Lot, Operation.name, Buyer.name, per_lot.c.committed, per_lot.c.achieved)
        .join(Operation, Operation.id == Lot.operation_id)
        .join(Buyer, Buyer.id == Operation.buyer_id)
        .join(per_lot, per_lot.c.lot_id == Lot.id, isouter=True)
        .order_by(Buyer.name, Operation.name, Lot.reference)
    )
    if operation_id is not None:
        query = query.where(Lot.operation_id == operation_id)
    if search.strip():
        query = query.where(
            or_(
                func.lower(Lot.label).contains(search.strip().lower(), autoescape=True),
                func.lower(Lot.reference).contains(search.strip().lower(), autoescape=True),
            )
        )
    rows = session.execute(query).all()
    names: dict[int, list[str]] = {}
    lot_ids = [lot.id for lot, *_ in rows]
    if lot_ids:
        for lot_id, name in session.execute(
            select(Commitment.lot_id, Company.name)
            .join(Company, Company.id == Commitment.company_id)
            .where(Commitment.lot_id.in_(lot_ids))
            .order_by(Company.name)
        ).all():
            names.setdefault(lot_id, []).append(name)
    return [
        LotRow(lot, op, buyer, ", ".join(names.get(lot.id, [])), HoursSummary(int(c or 0), int(a or 0)))
        for lot, op, buyer, c, a in rows
    ]


# --- companies ----------------------------------------------------------------------------------------------------


@dataclass
class CompanyInput:
    siret: str
    name: str
    kind: CompanyKind = CompanyKind.ORDINARY
    size: CompanySize | None = None
    sector: str = ""
    commune_id: int | None = None
    address: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""


@dataclass(frozen=True)
class CompanyRow:
    company: Company
    commitments: int
    hours: HoursSummary


def _company_values(session: Session, data: CompanyInput, company_id: int | None) -> dict:
    errors: dict[str, str] = {}
    siret_value = ""
    try:
        siret_value = check_siret(data.siret)
    except ValueError as exc:
        errors["siret"] = str(exc)
    else:
        other = session.execute(select(Company).where(Company.siret == siret_value, Company.id != company_id)).scalar()
        if other is not None:
            errors["siret"] = f"Ce SIRET est déjà enregistré pour l'entreprise « {other.name} »."
    if not data.name.strip():
        errors["name"] = "La raison sociale est obligatoire."
    _check_contact(errors, data.contact_email)
    if errors:
        raise ValidationError(errors)
    return {
        "siret": siret_value,
        "name": data.name.strip(),
        "kind": CompanyKind(data.kind),
        "size": CompanySize(data.size) if data.size else None,
        "sector": data.sector.strip(),
        "commune_id": data.commune_id,
        "address": data.address.strip(),
        "contact_name": data.contact_name.strip(),
        "contact_email": data.contact_email.strip(),
        "contact_phone": data.contact_phone.strip(),
        "notes": data.notes.strip(),
    }


def create_company(session: Session, user: CurrentUser, data: CompanyInput) -> Company:
    require(user, Role.SAISIE)
    company = Company(**_company_values(session, data, None))
    session.add(company)
    session.flush()
    audit.record(session, user.login, "création", "company", company.id, f"{company.name} ({company.siret})")
    return company


def update_company(session: Session, user: CurrentUser, company_id: int, version: int, data: CompanyInput) -> None:
    require(user, Role.SAISIE)
    values = _company_values(session, data, company_id)
    _update(session, user, Company, company_id, version, f"l'entreprise « {values['name']} »", values)


def archive_company(session: Session, user: CurrentUser, company_id: int, version: int, archived: bool = True) -> None:
    _archive(session, user, Company, company_id, version, "cette entreprise", archived)


def list_companies(
    session: Session, search: str = "", kind: CompanyKind | None = None, include_archived: bool = False
) -> list[CompanyRow]:
    achieved = _achieved_by_commitment()
    per_company = (
        select(
            Commitment.company_id.label("company_id"),
            func.count(Commitment.id).label("commitments"),
            func.coalesce(func.sum(Commitment.hours_committed_h100), 0).label("committed"),
            func.coalesce(func.sum(achieved.c.achieved), 0).label("achieved"),
        )
        .join(achieved, achieved.c.commitment_id == Commitment.id, isouter=True)
        .group_by(Commitment.company_id)
        .subquery()
    )
    query = (
        select(Company, per_company.c.commitments, per_company.c.committed, per_company.c.achieved)
        .join(per_company, per_company.c.company_id == Company.id, isouter=True)
        .order_by(Company.name)
    )
    if search.strip():
        digits = re.sub(r"\s", "", search)
        query = query.where(
            or_(
                func.lower(Company.name).contains(search.strip().lower(), autoescape=True),
                Company.siret.contains(digits, autoescape=True),
            )
        )
    if kind:
        query = query.where(Company.kind == kind)
    if not include_archived:
        query = query.where(Company.archived.is_(False))
    return [
        CompanyRow(company, int(n or 0), HoursSummary(int(c or 0), int(a or 0)))
        for company, n, c, a in session.execute(query).all()
    ]


# --- commitments: the award of a lot, split between companies -----------------------------------------------------


@dataclass
class Share:
    company_id: int
    hours: object  # as typed (« 416,5 »)


@dataclass(frozen=True)
class CommitmentRow:
    commitment: Commitment
    company_name: str
    company_siret: str
    lot_reference: str
    lot_label: str
    operation_name: str
    buyer_name: str
    hours: HoursSummary


def award_token(session: Session, lot_id: int) -> str:
    """What the award of a lot is made of now: its commitments' ids and versions (``"12:3,15:1"``, ``""`` for a lot
    not awarded yet). The award form keeps the token it was drawn with; :func:`award_lot` refuses a save when
    the token changed meanwhile (someone else awarded the lot, or changed one of its commitments)."""
    rows = session.execute(
        select(Commitment.id, Commitment.version).where(Commitment.lot_id == lot_id).order_by(Commitment.id)
    ).all()
    return ",".join(f"{commitment_id}:{version}" for commitment_id, version in rows)


def award_lot(
    session: Session,
    user: CurrentUser,
    lot_id: int,
    expected: str,
    shares: list[Share],
    usual_modality: Modality = Modality.DIRECT_HIRE,
    pooling_allowed: bool = False,
) -> list[Commitment]:
    """Award a lot to one company or to a group (co-traitance): the split must add up exactly to the lot's
    contractual hours (§3.1). Replaces the lot's previous award; a company that already has hours on the lot
    cannot be taken out of it. ``expected``: the :func:`award_token` the form was drawn with — an award saved by
    someone else in between is refused (``ConcurrentEditError``), never silently replaced."""
    require(user, Role.SAISIE)
    # The lot's row is locked first (an UPDATE that changes nothing: PostgreSQL locks the row, SQLite takes its
    # write lock), so that two awards of one lot run one after the other and the second sees the first's result.
    lot_t = Lot.__table__
    locked = session.execute(update(lot_t).where(lot_t.c.id == lot_id).values(version=lot_t.c.version)).rowcount
    lot = session.get(Lot, lot_id, populate_existing=True) if locked else None
    if lot is None:
        raise DomainError("Lot introuvable.")
    if award_token(session, lot_id) != expected:
        raise ConcurrentEditError(f"l'attribution du lot « {lot.reference} »")
    errors: dict[str, str] = {}
    if not shares:
        errors["shares"] = "Choisissez au moins une entreprise attributaire."
    parsed: dict[int, int] = {}
    for index, share in enumerate(shares, start=1):
        company = session.get(Company, share.company_id)
        if company is None:
            errors[f"share{index}"] = f"Ligne {index} : entreprise introuvable."
            continue
        if share.company_id in parsed:
            errors[f"share{index}"] = f"Ligne {index} : « {company.name} » figure deux fois."
            continue
        try:
            hours = hundredths(share.hours, f"Heures de « {company.name} »")
        except ValueError as exc:
            errors[f"share{index}"] = str(exc)
            continue
        if hours <= 0:
            errors[f"share{index}"] = f"Heures de « {company.name} » : elles doivent être positives."
            continue
        parsed[share.company_id] = hours
    if not errors and sum(parsed.values()) != lot.hours_contractual_h100:
        errors["shares"] = str(SplitMismatch(sum(parsed.values()), lot.hours_contractual_h100))
    existing = {
        c.company_id: c
        for c in session.execute(
            select(Commitment).where(Commitment.lot_id == lot_id).execution_options(populate_existing=True)
        ).scalars()
    }
    for company_id, commitment in existing.items():
        if company_id not in parsed:
            has_hours = session.execute(
                select(func.count()).select_from(HoursEntry).where(HoursEntry.commitment_id == commitment.id)
            ).scalar_one()
            if has_hours:
                name = session.get(Company, company_id).name
                errors[f"keep{company_id}"] = (
                    f"« {name} » a déjà des heures réalisées sur ce lot : elle ne peut pas être retirée de l'attribution."
                )
    if errors:
        raise ValidationError(errors)

    what = f"l'attribution du lot « {lot.reference} »"
    commitment_t = Commitment.__table__
    for company_id, commitment in existing.items():
        if company_id not in parsed:  # each write names the version read above: nothing changes it unseen
            removed = session.execute(
                delete(commitment_t).where(
                    commitment_t.c.id == commitment.id, commitment_t.c.version == commitment.version
                )
            ).rowcount
            if removed != 1:
                raise ConcurrentEditError(what)
            session.expunge(commitment)
    result = []
    for company_id, hours in parsed.items():
        values = {
            "hours_committed_h100": hours,
            "usual_modality": Modality(usual_modality),
            "pooling_allowed": pooling_allowed,
        }
        commitment = existing.get(company_id)
        if commitment is None:
            commitment = Commitment(lot_id=lot_id, company_id=company_id, **values)
            session.add(commitment)
        else:
            update_versioned(session, Commitment, commitment.id, commitment.version, what, **values)
            session.expire(commitment)
        result.append(commitment)
    session.flush()
    audit.record(
        session,
        user.login,
        "attribution",
        "lot",
        lot_id,
        f"{lot.reference} : " + ", ".join(f"{session.get(Company, c).name} {h / 100:g} h" for c, h in parsed.items()),
    )
    return result


def list_commitments(
    session: Session, company_id: int | None = None, lot_id: int | None = None, buyer_id: int | None = None
) -> list[CommitmentRow]:
    achieved = _achieved_by_commitment()
    query = (
        select(
            Commitment,
            Company.name,
            Company.siret,
            Lot.reference,
            Lot.label,
            Operation.name,
            Buyer.name,
            achieved.c.achieved,
        )
        .join(Company, Company.id == Commitment.company_id)
        .join(Lot, Lot.id == Commitment.lot_id)
        .join(Operation, Operation.id == Lot.operation_id)
        .join(Buyer, Buyer.id == Operation.buyer_id)
        .join(achieved, achieved.c.commitment_id == Commitment.id, isouter=True)
        .order_by(Buyer.name, Operation.name, Lot.reference, Company.name)
    )
    if company_id is not None:
        query = query.where(Commitment.company_id == company_id)
    if lot_id is not None:
        query = query.where(Commitment.lot_id == lot_id)
    if buyer_id is not None:
        query = query.where(Operation.buyer_id == buyer_id)
    return [
        CommitmentRow(c, company, siret_value, ref, label, op, buyer, HoursSummary(c.hours_committed_h100, int(a or 0)))
        for c, company, siret_value, ref, label, op, buyer, a in session.execute(query).all()
    ]


@dataclass(frozen=True)
class OfferRow:
    offer: JobOffer
    trade_label: str
    lot_reference: str | None


def list_company_offers(session: Session, company_id: int) -> list[OfferRow]:
    """The job offers a company opened under its clauses (newest first)."""
    rows = session.execute(
        select(JobOffer, Trade.label, Lot.reference)
        .join(Trade, Trade.code == JobOffer.trade_code)
        .join(Lot, Lot.id == JobOffer.lot_id, isouter=True)
        .where(JobOffer.company_id == company_id)
        .order_by(JobOffer.start_date.desc())
    ).all()
    return [OfferRow(offer, label, ref) for offer, label, ref in rows]


@dataclass
class Choices:
    """Labels for the forms' select boxes."""

    buyers: dict[int, str] = field(default_factory=dict)
    operations: dict[int, str] = field(default_factory=dict)
    lots: dict[int, str] = field(default_factory=dict)
    companies: dict[int, str] = field(default_factory=dict)
    communes: dict[int, str] = field(default_factory=dict)
    work_kinds: dict[str, str] = field(default_factory=dict)
    trades: dict[str, str] = field(default_factory=dict)


def choices(session: Session) -> Choices:
    result = Choices()
    result.buyers = dict(
        session.execute(select(Buyer.id, Buyer.name).where(Buyer.archived.is_(False)).order_by(Buyer.name)).all()
    )
    result.operations = {
        op_id: f"{name} ({buyer})"
        for op_id, name, buyer in session.execute(
            select(Operation.id, Operation.name, Buyer.name)
            .join(Buyer, Buyer.id == Operation.buyer_id)
            .where(Operation.archived.is_(False))
            .order_by(Buyer.name, Operation.name)
        ).all()
    }
    result.lots = {
        lot_id: f"{op} — {ref} {label}"
        for lot_id, ref, label, op in session.execute(
            select(Lot.id, Lot.reference, Lot.label, Operation.name)
            .join(Operation, Operation.id == Lot.operation_id)
            .order_by(Operation.name, Lot.reference)
        ).all()
    }
    result.companies = {
        company_id: f"{name} ({siret_value})"
        for company_id, name, siret_value in session.execute(
            select(Company.id, Company.name, Company.siret).where(Company.archived.is_(False)).order_by(Company.name)
        ).all()
    }
    result.communes = dict(
        session.execute(
            select(Commune.id, Commune.name).where(Commune.in_territory.is_(True)).order_by(Commune.name)
        ).all()
    )
    result.work_kinds = dict(
        session.execute(
            select(WorkKind.code, WorkKind.label).where(WorkKind.active.is_(True)).order_by(WorkKind.label)
        ).all()
    )
    result.trades = {
        code: f"{code} – {label}"
        for code, label in session.execute(select(Trade.code, Trade.label).order_by(Trade.code)).all()
    }
    return result
