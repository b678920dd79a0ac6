"""Contrats de travail (DESIGN §3.3, §4.1): who works for whom, on which commitment, under which contract and
modality; the checks of what is typed; the list with its filters; the hours statements (§5.1) of a contract.

Hours entries carry a ``contract_id`` column that the hours import does not fill: :func:`link_hours` links the
entries of a contract's (commitment, participant) whose month falls within its dates, when the contract is saved,
and :func:`link_unlinked_hours` does it for every entry still without a contract (after an import).

A contract's notes and the participants' birth dates are personal data (``clausier.privacy``): the reading functions
give them only when asked with ``with_personal_data=True``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from clausier import settings
from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date
from clausier.rules import eligibility
from clausier.rules.followup import check_end
from clausier.rules.names import ascii_fold, person_label
from clausier.rules.units import hundredths
from clausier.services import audit, derived
from clausier.services.derived import contract_period_end, link_unlinked_hours, sync_participant_status  # noqa: F401
from clausier.services.users import CurrentUser, require
from models import (
    Candidacy,
    Commitment,
    Company,
    ContractType,
    Eligibility,
    EmploymentContract,
    HoursEntry,
    ImportBatch,
    JobOffer,
    Lot,
    Operation,
    Participant,
    User,
)
from models.enums import CompanyKind, ContractOutcome, Modality, Role

# Who may be the legal employer of a person provided to the user company (mise à disposition).
PROVIDER_KINDS = (CompanyKind.ETTI, CompanyKind.AI, CompanyKind.GEIQ, CompanyKind.TEMP_AGENCY)
# Subcontracting or co-contracting with an SIAE (EI, ETTI, AI, ACI), an EA or an ESAT.
SUBCONTRACTOR_KINDS = (
    CompanyKind.EI,
    CompanyKind.ETTI,
    CompanyKind.AI,
    CompanyKind.ACI,
    CompanyKind.EA,
    CompanyKind.ESAT,
)
MAX_WEEKLY_H100 = 4800  # 48 h, the legal weekly maximum (and the table's CHECK)
NOTES_LIMIT = 4000

FIELD_LABELS = {
    "participant_id": "participant",
    "employer_company_id": "employeur",
    "user_company_id": "entreprise utilisatrice",
    "commitment_id": "engagement",
    "contract_type_code": "type de contrat",
    "modality": "modalité",
    "start_date": "début",
    "planned_end": "fin prévue",
    "actual_end": "fin réelle",
    "weekly_hours_h100": "durée hebdomadaire",
    "in_charge": "suivi par",
    "outcome": "issue",
    "notes": "notes",
}


@dataclass
class ContractInput:
    """What the contract form sends, checked by ``_checked``. ``weekly_hours`` in hours as typed (35, « 17,5 »)."""

    participant_id: int | None = None
    employer_company_id: int | None = None
    user_company_id: int | None = None
    commitment_id: int | None = None
    contract_type_code: str | None = None
    modality: Modality | str | None = None
    start_date: date | None = None
    planned_end: date | None = None
    actual_end: date | None = None
    outcome: ContractOutcome | str | None = None
    weekly_hours: object = 35
    in_charge: str = ""
    notes: str = ""
    offer_id: int | None = None
    candidacy_id: int | None = None


@dataclass(frozen=True)
class Saved:
    """A saved contract, and a warning to show with the success (a lapsed eligibility), if any."""

    contract_id: int
    warning: str | None = None


@dataclass(frozen=True)
class FormChoices:
    """The choices of the contract form."""

    companies: dict[int, str] = field(default_factory=dict)  # id → « Name (SIRET) »
    company_kinds: dict[int, CompanyKind] = field(default_factory=dict)
    contract_types: dict[str, str] = field(default_factory=dict)  # code → label
    usual_modality: dict[str, Modality] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # login → name (active users)


@dataclass(frozen=True)
class ContractFilters:
    company_id: int | None = None  # employer or user company
    commitment_id: int | None = None
    state: str = "running"  # "running" (no actual end), "ended", "all"
    participant: str = ""  # words of the name, without accents nor case
    participant_id: int | None = None
    in_charge: str | None = None
    contract_id: int | None = None


@dataclass(frozen=True)
class ContractRow:
    """One line of the contracts list."""

    id: int
    version: int
    participant_id: int
    participant: str
    birth_date: date | None  # None unless read with the personal data
    employer: str
    user_company: str
    commitment: str  # « Operation — REF label », or "" without a commitment
    contract_type: str
    modality: Modality
    start_date: date
    planned_end: date | None
    actual_end: date | None
    weekly_hours_h100: int
    in_charge: str
    outcome: ContractOutcome | None

    @property
    def running(self) -> bool:
        return self.actual_end is None

    @property
    def label(self) -> str:
        return f"n° {self.id} — {self.participant} — {self.user_company or self.employer} — dès le {fmt_date(self.start_date)}"


@dataclass(frozen=True)
class HoursRow:
    """One month of hours statement attached to a contract."""

    month: date
    hours_h100: int
    modality: Modality
    source: str  # the imported file, or « Saisie manuelle » / the person who typed it
    linked: bool  # the entry names this contract (else it matches by commitment, person and month)


# --- reading ----------------------------------------------------------------------------------------------------


def form_choices(session: Session) -> FormChoices:
    companies: dict[int, str] = {}
    kinds: dict[int, CompanyKind] = {}
    for cid, name, siret, kind in session.execute(
        select(Company.id, Company.name, Company.siret, Company.kind)
        .where(Company.archived.is_(False))
        .order_by(Company.name, Company.id)
    ):
        companies[cid] = f"{name} ({siret})"
        kinds[cid] = CompanyKind(kind)
    types: dict[str, str] = {}
    usual: dict[str, Modality] = {}
    for code, label, modality in session.execute(
        select(ContractType.code, ContractType.label, ContractType.usual_modality)
        .where(ContractType.active.is_(True))
        .order_by(ContractType.sort_order, ContractType.label)
    ):
        types[code] = label
        usual[code] = Modality(modality)
    return FormChoices(companies, kinds, types, usual, user_names(session))


def user_names(session: Session) -> dict[str, str]:
    """login → name of the active users (who may follow a contract)."""
    return dict(session.execute(select(User.login, User.name).where(User.active.is_(True)).order_by(User.name)).all())


def find_participants(
    session: Session, search: str, limit: int = 50, *, with_personal_data: bool = False
) -> dict[int, str]:
    """Participants whose name holds every word typed (without accents nor case), by name; at most ``limit``.
    Labelled with the birth date (to tell namesakes apart) only ``with_personal_data``."""
    words = ascii_fold(search).lower().split()
    if not words:
        return {}
    query = select(Participant.id, Participant.last_name, Participant.first_name, Participant.birth_date).where(
        Participant.anonymised_at.is_(None)
    )
    for word in words:
        query = query.where(Participant.name_key.contains(word, autoescape=True))
    rows = session.execute(query.order_by(Participant.last_name, Participant.first_name).limit(limit)).all()
    return {pid: person_label(last, first, born if with_personal_data else None) for pid, last, first, born in rows}


def participant_labels(session: Session, ids: list[int], *, with_personal_data: bool = False) -> dict[int, str]:
    """« NAME First name » of these participants, with the birth date only ``with_personal_data``."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(Participant.id, Participant.last_name, Participant.first_name, Participant.birth_date).where(
            Participant.id.in_(ids)
        )
    ).all()
    return {pid: person_label(last, first, born if with_personal_data else None) for pid, last, first, born in rows}


def commitments_of(session: Session, company_id: int | None) -> dict[int, str]:
    """The commitments of a company, labelled « Operation — REF label »."""
    if company_id is None:
        return {}
    rows = session.execute(
        select(Commitment.id, Lot.reference, Lot.label, Operation.name)
        .join(Lot, Lot.id == Commitment.lot_id)
        .join(Operation, Operation.id == Lot.operation_id)
        .where(Commitment.company_id == company_id)
        .order_by(Operation.name, Lot.reference)
    ).all()
    return {cid: f"{op} — {ref} {label}" for cid, ref, label, op in rows}


def get_contract(session: Session, contract_id: int, *, with_personal_data: bool = False) -> EmploymentContract | None:
    """The contract; without the personal data, a detached copy whose notes are blank (never written back)."""
    contract = session.get(EmploymentContract, contract_id)
    if contract is None or with_personal_data:
        return contract
    return EmploymentContract(**{**contract.model_dump(), "notes": ""})


def input_of(contract: EmploymentContract) -> ContractInput:
    """The form's values for an existing contract."""
    return ContractInput(
        participant_id=contract.participant_id,
        employer_company_id=contract.employer_company_id,
        user_company_id=contract.user_company_id,
        commitment_id=contract.commitment_id,
        contract_type_code=contract.contract_type_code,
        modality=contract.modality,
        start_date=contract.start_date,
        planned_end=contract.planned_end,
        actual_end=contract.actual_end,
        outcome=contract.outcome,
        weekly_hours=contract.weekly_hours_h100 / 100,
        in_charge=contract.in_charge,
        notes=contract.notes,
        offer_id=contract.offer_id,
        candidacy_id=contract.candidacy_id,
    )


def defaults_from_candidacy(session: Session, candidacy_id: int) -> ContractInput:
    """The contract form pre-filled from a candidacy (DESIGN §3.5, *retenu*): the person, the offer's company as
    user company and (until someone says otherwise) as employer, that company's commitment on the offer's lot,
    the offer's contract type with its usual modality, its dates and weekly hours, the person in charge."""
    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        raise DomainError("Ce positionnement n'existe plus.")
    offer = session.get(JobOffer, candidacy.offer_id)
    commitment_id = None
    if offer.lot_id is not None:
        commitment_id = session.execute(
            select(Commitment.id).where(Commitment.lot_id == offer.lot_id, Commitment.company_id == offer.company_id)
        ).scalar_one_or_none()
    contract_type = session.get(ContractType, offer.contract_type_code)
    return ContractInput(
        participant_id=candidacy.participant_id,
        employer_company_id=offer.company_id,
        user_company_id=offer.company_id,
        commitment_id=commitment_id,
        contract_type_code=offer.contract_type_code,
        modality=contract_type.usual_modality if contract_type else Modality.DIRECT_HIRE,
        start_date=offer.start_date,
        planned_end=offer.end_date,
        weekly_hours=offer.weekly_hours_h100 / 100,
        in_charge=candidacy.in_charge or offer.created_by or "",
        offer_id=offer.id,
        candidacy_id=candidacy.id,
    )


def _contract_conditions(filters: ContractFilters) -> list:
    c = EmploymentContract
    conditions = []
    if filters.state == "running":
        conditions.append(c.actual_end.is_(None))
    elif filters.state == "ended":
        conditions.append(c.actual_end.is_not(None))
    if filters.company_id is not None:
        conditions.append(or_(c.employer_company_id == filters.company_id, c.user_company_id == filters.company_id))
    if filters.commitment_id is not None:
        conditions.append(c.commitment_id == filters.commitment_id)
    if filters.participant_id is not None:
        conditions.append(c.participant_id == filters.participant_id)
    if filters.in_charge:
        conditions.append(c.in_charge == filters.in_charge)
    if filters.contract_id is not None:
        conditions.append(c.id == filters.contract_id)
    words = ascii_fold(filters.participant or "").lower().split()
    if words:
        people = select(Participant.id).where(*[Participant.name_key.contains(word, autoescape=True) for word in words])
        conditions.append(c.participant_id.in_(people))
    return conditions


def count_contracts(session: Session, filters: ContractFilters = ContractFilters()) -> int:
    return session.execute(
        select(func.count()).select_from(EmploymentContract).where(*_contract_conditions(filters))
    ).scalar_one()


def _chunks(ids: list, size: int = 900):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def list_contracts(
    session: Session,
    filters: ContractFilters = ContractFilters(),
    limit: int | None = None,
    *,
    with_personal_data: bool = False,
) -> list[ContractRow]:
    """Contracts matching the filters, the newest start first (all of them, or the first ``limit``); the
    participants' birth dates only ``with_personal_data``.

    The contracts are read alone, then the names of their people, companies and lots by primary key: the
    database never walks the participants to join them (50,000 at size L)."""
    c = EmploymentContract
    query = (
        select(
            c.id,
            c.version,
            c.participant_id,
            c.employer_company_id,
            c.user_company_id,
            c.commitment_id,
            c.contract_type_code,
            c.modality,
            c.start_date,
            c.planned_end,
            c.actual_end,
            c.weekly_hours_h100,
            c.in_charge,
            c.outcome,
        )
        .where(*_contract_conditions(filters))
        .order_by(c.start_date.desc(), c.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    found = session.execute(query).all()

    people: dict[int, tuple[str, date | None]] = {}
    companies: dict[int, str] = {}
    lots: dict[int, str] = {}
    person_ids = sorted({r[2] for r in found})
    company_ids = sorted({r[3] for r in found} | {r[4] for r in found} - {None})
    commitment_ids = sorted({r[5] for r in found} - {None})
    for chunk in _chunks(person_ids):
        for pid, last, first, born in session.execute(
            select(Participant.id, Participant.last_name, Participant.first_name, Participant.birth_date).where(
                Participant.id.in_(chunk)
            )
        ):
            people[pid] = (person_label(last, first), born if with_personal_data else None)
    for chunk in _chunks(company_ids):
        companies.update(session.execute(select(Company.id, Company.name).where(Company.id.in_(chunk))).all())
    for chunk in _chunks(commitment_ids):
        for cid, ref, label, op in session.execute(
            select(Commitment.id, Lot.reference, Lot.label, Operation.name)
            .join(Lot, Lot.id == Commitment.lot_id)
            .join(Operation, Operation.id == Lot.operation_id)
            .where(Commitment.id.in_(chunk))
        ):
            lots[cid] = f"{op} — {ref} {label}"
    types = dict(session.execute(select(ContractType.code, ContractType.label)).all())
    modalities = {m.value: m for m in Modality} | {m: m for m in Modality}
    outcomes = {o.value: o for o in ContractOutcome} | {o: o for o in ContractOutcome} | {None: None}

    rows = []
    for row in found:
        cid, version, pid, employer, user_company, commitment, type_code, modality = row[:8]
        start, planned, actual, weekly, who, outcome = row[8:]
        person, born = people.get(pid, ("", None))
        rows.append(
            ContractRow(
                cid,
                version,
                pid,
                person,
                born,
                companies.get(employer, ""),
                companies.get(user_company, ""),
                lots.get(commitment, ""),
                types.get(type_code, type_code),
                modalities[modality],
                start,
                planned,
                actual,
                weekly,
                who,
                outcomes[outcome],
            )
        )
    return rows


def _month(day: date) -> date:
    return day.replace(day=1)


def _matching(contract: EmploymentContract):
    """SQL condition: the hours entries of the contract's commitment and person in a month of its period."""
    end = contract_period_end(contract.actual_end, contract.planned_end)
    condition = and_(
        HoursEntry.commitment_id == contract.commitment_id,
        HoursEntry.participant_id == contract.participant_id,
        HoursEntry.month >= _month(contract.start_date),
    )
    if end is not None:
        condition = and_(condition, HoursEntry.month <= end)
    return condition


def contract_hours(session: Session, contract_id: int) -> list[HoursRow]:
    """The hours statements of a contract, month by month: the entries that name it, and those of its commitment
    and person in a month of its period that name no contract yet."""
    contract = session.get(EmploymentContract, contract_id)
    if contract is None:
        raise DomainError("Ce contrat n'existe plus.")
    condition = HoursEntry.contract_id == contract_id
    if contract.commitment_id is not None:
        condition = or_(condition, and_(HoursEntry.contract_id.is_(None), _matching(contract)))
    rows = session.execute(
        select(HoursEntry.month, HoursEntry.hours_h100, HoursEntry.modality, HoursEntry.contract_id,
               ImportBatch.file_name, HoursEntry.entered_by)
        .outerjoin(ImportBatch, ImportBatch.id == HoursEntry.import_batch_id)
        .where(condition)
        .order_by(HoursEntry.month)
    ).all()  # fmt: skip
    return [
        HoursRow(month, hours, Modality(modality), file or by or "—", linked == contract_id)
        for month, hours, modality, linked, file, by in rows
    ]


def link_hours(session: Session, contract_id: int) -> int:
    """Attach to a contract the hours entries of its commitment and person in its period that name no contract,
    and detach those that name it but no longer fit (dates, commitment or person changed). Returns how many
    entries were attached. The entries' version is left alone: the link is no change of their hours."""
    contract = session.get(EmploymentContract, contract_id)
    if contract is None:
        return 0
    table = HoursEntry.__table__
    if contract.commitment_id is None:
        session.execute(update(table).where(table.c.contract_id == contract_id).values(contract_id=None))
        return 0
    session.execute(
        update(table).where(table.c.contract_id == contract_id, ~_matching(contract)).values(contract_id=None)
    )
    result = session.execute(
        update(table).where(table.c.contract_id.is_(None), _matching(contract)).values(contract_id=contract_id)
    )
    return result.rowcount or 0


# --- checks -----------------------------------------------------------------------------------------------------


def _company_name(session: Session, company_id: int | None) -> str:
    company = session.get(Company, company_id) if company_id is not None else None
    return company.name if company else ""


def _eligibility_warning(session: Session, participant: Participant, start: date) -> str | None:
    """A warning (not a refusal, DESIGN §3.2) when the person's eligibility was not valid on the contract's start."""
    months = settings.get(session, "eligibility_validity_months")
    validations = session.execute(
        select(Eligibility.criterion_code, Eligibility.validated_on).where(Eligibility.participant_id == participant.id)
    ).all()
    status = eligibility.status_on([(code, day) for code, day in validations], months, start)
    if status.valid:
        return None
    who = f"{participant.first_name} {participant.last_name}"
    if status.end is None:
        reason = "aucune éligibilité n'était validée à cette date"
    else:
        reason = f"son éligibilité a pris fin le {fmt_date(status.end)}"
    return (
        f"Attention : au début du contrat ({fmt_date(start)}), {reason} pour {who}. Le contrat est enregistré, "
        "mais ses heures seront signalées dans les imports et les bilans : faites valider à nouveau l'éligibilité."
    )


def _overlapping(
    session: Session, participant_id: int, commitment_id: int, start: date, end: date | None, contract_id: int | None
) -> EmploymentContract | None:
    """Another contract of the person on the commitment whose period meets [start, end] (end None: open)."""
    c = EmploymentContract
    other_end = func.coalesce(c.actual_end, c.planned_end)
    query = select(c).where(
        c.participant_id == participant_id,
        c.commitment_id == commitment_id,
        or_(other_end.is_(None), other_end >= start),
    )
    if end is not None:
        query = query.where(c.start_date <= end)
    if contract_id is not None:
        query = query.where(c.id != contract_id)
    return session.execute(query.order_by(c.start_date)).scalars().first()


def _checked(
    session: Session, data: ContractInput, today: date, *, contract_id: int | None = None
) -> tuple[dict, str | None]:
    """The cleaned values of a contract and a warning, or ValidationError with a French message per field."""
    errors: dict[str, str] = {}
    values: dict = {}

    participant = session.get(Participant, data.participant_id) if data.participant_id else None
    if participant is None:
        errors["participant_id"] = "Choisissez le participant (recherchez-le par son nom)."
    elif participant.anonymised_at is not None:
        errors["participant_id"] = "Ce participant a été anonymisé : aucun contrat ne peut lui être ajouté."
    values["participant_id"] = data.participant_id

    user_company = session.get(Company, data.user_company_id) if data.user_company_id else None
    if user_company is None:
        errors["user_company_id"] = "Choisissez l'entreprise utilisatrice (celle où la personne travaille)."
    values["user_company_id"] = data.user_company_id

    employer = session.get(Company, data.employer_company_id) if data.employer_company_id else None
    if employer is None:
        errors["employer_company_id"] = (
            "Choisissez l'employeur : l'entreprise elle-même, ou l'ETTI, le GEIQ, l'association intermédiaire "
            "ou l'agence d'intérim qui met la personne à disposition."
        )
    values["employer_company_id"] = data.employer_company_id

    values["commitment_id"] = data.commitment_id or None
    if values["commitment_id"] is not None:
        commitment = session.get(Commitment, values["commitment_id"])
        if commitment is None:
            errors["commitment_id"] = "Cet engagement n'existe plus : choisissez-en un autre."
        elif user_company is not None and commitment.company_id != user_company.id:
            errors["commitment_id"] = (
                f"Cet engagement est celui de « {_company_name(session, commitment.company_id)} », pas de "
                f"l'entreprise utilisatrice « {user_company.name} » : choisissez un engagement de celle-ci."
            )

    contract_type = session.get(ContractType, data.contract_type_code) if data.contract_type_code else None
    if contract_type is None:
        errors["contract_type_code"] = "Choisissez le type de contrat."
    values["contract_type_code"] = data.contract_type_code

    try:
        modality = Modality(data.modality) if data.modality else None
    except ValueError:
        modality = None
    if modality is None and contract_type is not None:
        modality = contract_type.usual_modality
    if modality is None:
        errors["modality"] = "Choisissez la modalité (embauche directe, mise à disposition…)."
    values["modality"] = modality

    if employer is not None and user_company is not None and modality is not None:
        problem = _employer_problem(employer, user_company, modality)
        if problem:
            errors["employer_company_id"] = problem

    start, planned, actual = data.start_date, data.planned_end, data.actual_end
    if start is None:
        errors["start_date"] = "Indiquez la date de début du contrat."
    if start is not None and planned is not None and planned < start:
        errors["planned_end"] = f"La fin prévue ne peut pas précéder le début ({fmt_date(start)})."
    try:
        outcome = ContractOutcome(data.outcome) if data.outcome else None
    except ValueError:
        outcome = None
    if actual is not None or outcome is not None:
        if start is not None:
            errors.update({k: v for k, v in check_end(start, actual, outcome, today).items() if k not in errors})
        elif actual is None:
            errors["actual_end"] = "Indiquez la date de fin réelle du contrat."
    values.update(start_date=start, planned_end=planned, actual_end=actual, outcome=outcome)

    try:
        weekly = hundredths(data.weekly_hours, "Durée hebdomadaire")
    except ValueError as exc:
        errors["weekly_hours_h100"] = str(exc)
    else:
        if not 0 < weekly <= MAX_WEEKLY_H100:
            errors["weekly_hours_h100"] = "La durée hebdomadaire doit être de plus de 0 et d'au plus 48 heures."
        values["weekly_hours_h100"] = weekly

    in_charge = (data.in_charge or "").strip()
    if in_charge and session.execute(select(User.id).where(User.login == in_charge)).first() is None:
        errors["in_charge"] = f"« {in_charge} » n'est pas un utilisateur de Clausier."
    values["in_charge"] = in_charge

    values["notes"] = (data.notes or "").strip()
    if len(values["notes"]) > NOTES_LIMIT:
        errors["notes"] = f"Les notes ne doivent pas dépasser {NOTES_LIMIT} caractères."

    values["offer_id"] = data.offer_id if data.offer_id and session.get(JobOffer, data.offer_id) else None
    candidacy = session.get(Candidacy, data.candidacy_id) if data.candidacy_id else None
    values["candidacy_id"] = candidacy.id if candidacy and candidacy.participant_id == data.participant_id else None

    if (
        participant is not None
        and values["commitment_id"] is not None
        and start is not None
        and not {"commitment_id", "planned_end", "actual_end"} & errors.keys()
    ):
        other = _overlapping(
            session, participant.id, values["commitment_id"], start, contract_period_end(actual, planned), contract_id
        )
        if other is not None:
            other_end = contract_period_end(other.actual_end, other.planned_end)
            until = f"au {fmt_date(other_end)}" if other_end else "sans date de fin"
            errors["start_date"] = (
                f"Cette personne a déjà un contrat sur cet engagement (n° {other.id}, du {fmt_date(other.start_date)} "
                f"{until}) : les deux périodes se chevauchent."
            )

    if errors:
        raise ValidationError(errors)
    return values, _eligibility_warning(session, participant, start)


def _employer_problem(employer: Company, user_company: Company, modality: Modality) -> str | None:
    """The employer's kind must fit the modality (DESIGN §3.3)."""
    if modality is Modality.PROVISION:
        if employer.kind not in PROVIDER_KINDS:
            return (
                "Une mise à disposition passe par une ETTI, une association intermédiaire, un GEIQ ou une agence "
                f"d'intérim : « {employer.name} » est de type « {employer.kind.label} »."
            )
        if employer.id == user_company.id:
            return "Pour une mise à disposition, l'employeur n'est pas l'entreprise utilisatrice elle-même."
    elif modality is Modality.SUBCONTRACTING:
        if employer.kind not in SUBCONTRACTOR_KINDS:
            return (
                "La sous-traitance ou la cotraitance passe par une SIAE (EI, ETTI, AI, ACI), une EA ou un ESAT : "
                f"« {employer.name} » est de type « {employer.kind.label} »."
            )
    elif modality is Modality.DIRECT_HIRE and employer.id != user_company.id:
        return (
            f"Pour une embauche directe, l'employeur est l'entreprise utilisatrice (« {user_company.name} »). "
            "Si la personne est fournie par une ETTI, une AI, un GEIQ ou une agence, choisissez la modalité "
            "« mise à disposition »."
        )
    return None


# --- writing ----------------------------------------------------------------------------------------------------


def _refresh_next_due(session: Session, contract_id: int) -> None:
    """The next follow-up due kept on the contract, computed again."""
    derived.followup_changed(session, [contract_id])


def _summary(session: Session, values: dict) -> str:
    participant = session.get(Participant, values["participant_id"])
    type_label = session.get(ContractType, values["contract_type_code"]).label
    end = values["actual_end"] or values["planned_end"]
    period = f"du {fmt_date(values['start_date'])}" + (f" au {fmt_date(end)}" if end else "")
    company = _company_name(session, values["user_company_id"])
    return f"{type_label} de {participant.first_name} {participant.last_name} chez {company} {period}"


def create_contract(session: Session, user: CurrentUser, data: ContractInput, today: date) -> Saved:
    """A new contract (saisie or admin); its hours statements are attached, the person's status follows."""
    require(user, Role.SAISIE)
    values, warning = _checked(session, data, today)
    contract = EmploymentContract(**values)
    session.add(contract)
    session.flush()
    _refresh_next_due(session, contract.id)
    link_hours(session, contract.id)
    sync_participant_status(session, contract.participant_id, today)
    audit.record(session, user.login, "création", "employmentcontract", contract.id, _summary(session, values))
    return Saved(contract.id, warning)


def update_contract(
    session: Session, user: CurrentUser, contract_id: int, version: int, data: ContractInput, today: date
) -> Saved:
    """Save a contract read at ``version``; refused when someone else saved it meanwhile."""
    require(user, Role.SAISIE)
    contract = session.get(EmploymentContract, contract_id)
    if contract is None:
        raise DomainError("Ce contrat n'existe plus.")
    values, warning = _checked(session, data, today, contract_id=contract_id)
    before_participant = contract.participant_id
    changed = [FIELD_LABELS[k] for k, v in values.items() if k in FIELD_LABELS and getattr(contract, k) != v]
    update_versioned(session, EmploymentContract, contract_id, version, f"le contrat n° {contract_id}", **values)
    session.flush()
    session.expire(contract)
    _refresh_next_due(session, contract_id)  # its dates or its end may have changed
    link_hours(session, contract_id)
    sync_participant_status(session, values["participant_id"], today)
    if before_participant != values["participant_id"]:
        sync_participant_status(session, before_participant, today)
    audit.record(
        session,
        user.login,
        "modification",
        "employmentcontract",
        contract_id,
        f"Contrat n° {contract_id} : " + (", ".join(changed) or "aucun changement"),
    )
    return Saved(contract_id, warning)
