"""Offres d'emploi (DESIGN §3.5): a position a company opens under its clause, usually on a lot it is committed
on; with its trade, contract type, posts, dates, weekly hours, place, requirements and channel.

Every write checks the role (saisie or admin), refuses bad input with a French message per field
(``ValidationError``), refuses a stale edit (``version``), records an audit event, and never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlmodel import Session

from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.rules.matching import REQUIREMENTS, parse_requirements
from clausier.rules.names import ascii_fold
from clausier.rules.units import hundredths
from clausier.services import audit
from clausier.services.users import CurrentUser, require
from models import Candidacy, Commitment, Commune, Company, ContractType, JobOffer, Lot, Operation, Trade
from models.enums import CandidacyStatus, OfferChannel, OfferStatus, Role

TITLE_MAX = 200
PLACE_MAX = 200
MAX_POSTS = 200
MAX_WEEKLY_H100 = 4800  # 48 h, the legal weekly maximum (and the table's CHECK)


@dataclass
class OfferInput:
    """What the offer form sends (numbers as typed), checked by ``_values``."""

    company_id: int | None = None
    lot_id: int | None = None
    trade_code: str | None = None
    title: str = ""
    contract_type_code: str | None = None
    posts: object = 1
    start_date: date | None = None
    end_date: date | None = None
    weekly_hours: object = 35
    place_commune_id: int | None = None
    place: str = ""
    requirements: Sequence[str] = ()
    description: str = ""
    channel: OfferChannel | str | None = OfferChannel.CANDIDATHEQUE


@dataclass(frozen=True)
class OfferRow:
    """One line of the offers list."""

    offer: JobOffer
    company_name: str
    lot_label: str  # « Opération — Lot 03 Gros œuvre », "" without lot
    trade_label: str
    contract_type_label: str
    commune: str
    candidacies: int  # open or closed, every candidacy of the offer
    hired: int

    @property
    def posts_left(self) -> int:
        return max(0, self.offer.posts - self.hired)


@dataclass
class OfferChoices:
    """Labels for the form's select boxes."""

    companies: dict[int, str] = field(default_factory=dict)
    trades: dict[str, str] = field(default_factory=dict)
    contract_types: dict[str, str] = field(default_factory=dict)
    communes: dict[int, str] = field(default_factory=dict)


# --- reading ----------------------------------------------------------------------------------------------------


def choices(session: Session) -> OfferChoices:
    """Companies, trades, contract types and communes (the lots come with ``lots_of``, for one company)."""
    result = OfferChoices()
    result.companies = company_choices(session)
    result.trades = {
        code: f"{code} – {label}"
        for code, label in session.execute(select(Trade.code, Trade.label).order_by(Trade.code))
    }
    result.contract_types = dict(
        session.execute(
            select(ContractType.code, ContractType.label)
            .where(ContractType.active.is_(True))
            .order_by(ContractType.sort_order)
        ).all()
    )
    result.communes = dict(
        session.execute(
            select(Commune.id, Commune.name).where(Commune.in_territory.is_(True)).order_by(Commune.name)
        ).all()
    )
    return result


def company_choices(session: Session) -> dict[int, str]:
    return {
        cid: f"{name} ({siret})"
        for cid, name, siret in session.execute(
            select(Company.id, Company.name, Company.siret).where(Company.archived.is_(False)).order_by(Company.name)
        ).all()
    }


def lots_of(session: Session, company_id: int | None) -> tuple[dict[int, str], dict[int, str]]:
    """The lots a company is committed on (« Opération — Lot 03 Gros œuvre »), and their trades."""
    if company_id is None:
        return {}, {}
    lots: dict[int, str] = {}
    trades: dict[int, str] = {}
    for lot_id, reference, label, operation, trade in session.execute(
        select(Lot.id, Lot.reference, Lot.label, Operation.name, Lot.trade_code)
        .join(Commitment, Commitment.lot_id == Lot.id)
        .join(Operation, Operation.id == Lot.operation_id)
        .where(Commitment.company_id == company_id)
        .order_by(Operation.name, Lot.reference)
    ).all():
        lots[lot_id] = f"{operation} — {reference} {label}"
        if trade:
            trades[lot_id] = trade
    return lots, trades


def requirement_choices() -> dict[str, str]:
    """The controlled vocabulary of requirements: code → French label."""
    return dict(REQUIREMENTS)


def _rows_query():
    candidacies = select(func.count()).select_from(Candidacy).where(Candidacy.offer_id == JobOffer.id).scalar_subquery()
    hired = (
        select(func.count())
        .select_from(Candidacy)
        .where(Candidacy.offer_id == JobOffer.id, Candidacy.status == CandidacyStatus.HIRED)
        .scalar_subquery()
    )
    return (
        select(
            JobOffer,
            Company.name,
            Lot.reference,
            Lot.label,
            Operation.name,
            Trade.label,
            ContractType.label,
            Commune.name,
            candidacies,
            hired,
        )
        .join(Company, Company.id == JobOffer.company_id)
        .join(Trade, Trade.code == JobOffer.trade_code)
        .join(ContractType, ContractType.code == JobOffer.contract_type_code)
        .join(Lot, Lot.id == JobOffer.lot_id, isouter=True)
        .join(Operation, Operation.id == Lot.operation_id, isouter=True)
        .join(Commune, Commune.id == JobOffer.place_commune_id, isouter=True)
    )


def _row(values) -> OfferRow:
    offer, company, reference, label, operation, trade, contract_type, commune, candidacies, hired = values
    lot = f"{operation} — {reference} {label}" if reference else ""
    return OfferRow(offer, company, lot, trade, contract_type, commune or "", int(candidacies or 0), int(hired or 0))


def list_offers(
    session: Session,
    *,
    statuses: Iterable[OfferStatus] = (),
    company_id: int | None = None,
    trade_code: str | None = None,
    channel: OfferChannel | None = None,
    search: str = "",
    limit: int | None = None,
) -> list[OfferRow]:
    """Offers: the open ones first, soonest start first, then the others latest start first; at most ``limit``
    (the search words are matched in Python, after the limit: a search goes with the other filters)."""
    query = _rows_query()
    statuses = [OfferStatus(s) for s in statuses]
    if statuses:
        query = query.where(JobOffer.status.in_(statuses))
    if company_id is not None:
        query = query.where(JobOffer.company_id == company_id)
    if trade_code:
        query = query.where(JobOffer.trade_code == trade_code)
    if channel is not None:
        query = query.where(JobOffer.channel == OfferChannel(channel))
    query = query.order_by(
        case((JobOffer.status == OfferStatus.OPEN, 0), else_=1),
        case((JobOffer.status == OfferStatus.OPEN, JobOffer.start_date), else_=None),
        JobOffer.start_date.desc(),
        JobOffer.id.desc(),
    )
    if limit is not None and not (search or "").strip():
        query = query.limit(limit)
    rows = [_row(r) for r in session.execute(query).all()]
    words = ascii_fold(search or "").lower().split()
    if words:
        rows = [r for r in rows if all(w in _haystack(r) for w in words)][:limit]
    return rows


def _haystack(r: OfferRow) -> str:
    o = r.offer
    return ascii_fold(
        " ".join((o.title, r.company_name, r.trade_label, o.trade_code, r.lot_label, r.commune, o.place))
    ).lower()


def get_offer(session: Session, offer_id: int) -> OfferRow:
    found = session.execute(_rows_query().where(JobOffer.id == offer_id)).first()
    if found is None:
        raise DomainError("Cette offre n'existe plus.")
    return _row(found)


# --- writing ----------------------------------------------------------------------------------------------------


def _values(session: Session, data: OfferInput) -> dict:
    errors: dict[str, str] = {}
    company = session.get(Company, data.company_id) if data.company_id is not None else None
    if company is None:
        errors["company_id"] = "Choisissez l'entreprise qui ouvre le poste."
    elif company.archived:
        errors["company_id"] = f"L'entreprise « {company.name} » est archivée : choisissez-en une autre."

    if data.lot_id is not None:
        if session.get(Lot, data.lot_id) is None:
            errors["lot_id"] = "Ce lot n'existe plus."
        elif company is not None:
            committed = session.execute(
                select(Commitment.id).where(Commitment.lot_id == data.lot_id, Commitment.company_id == company.id)
            ).first()
            if committed is None:
                errors["lot_id"] = (
                    f"« {company.name} » n'est pas engagée sur ce lot : choisissez un lot qui lui est attribué, "
                    "ou aucun lot."
                )

    trade = session.get(Trade, data.trade_code) if data.trade_code else None
    if trade is None:
        errors["trade_code"] = "Choisissez le métier (code ROME)."

    title = " ".join((data.title or "").split())
    if not title and trade is not None:
        title = f"{trade.label} (H/F)"[:TITLE_MAX]
    if len(title) > TITLE_MAX:
        errors["title"] = f"L'intitulé ne doit pas dépasser {TITLE_MAX} caractères."

    contract_type = session.get(ContractType, data.contract_type_code) if data.contract_type_code else None
    if contract_type is None or not contract_type.active:
        errors["contract_type_code"] = "Choisissez le type de contrat."

    posts = None
    try:
        posts_value = float(str(data.posts).strip().replace(",", "."))
        if posts_value != int(posts_value):
            raise ValueError
        posts = int(posts_value)
    except (TypeError, ValueError):
        errors["posts"] = f"Nombre de postes : « {data.posts} » n'est pas un nombre entier."
    else:
        if not 1 <= posts <= MAX_POSTS:
            errors["posts"] = f"Le nombre de postes doit être entre 1 et {MAX_POSTS}."

    if data.start_date is None:
        errors["start_date"] = "La date de début est obligatoire."
    if data.end_date is not None and data.start_date is not None and data.end_date < data.start_date:
        errors["end_date"] = "La date de fin doit être postérieure à la date de début."

    weekly = None
    try:
        weekly = hundredths(data.weekly_hours, "Heures par semaine")
    except ValueError as exc:
        errors["weekly_hours"] = str(exc)
    else:
        if not 0 < weekly <= MAX_WEEKLY_H100:
            errors["weekly_hours"] = "Les heures par semaine doivent être entre 0 et 48 (maximum légal)."

    if data.place_commune_id is not None and session.get(Commune, data.place_commune_id) is None:
        errors["place_commune_id"] = "Cette commune n'existe pas (ou plus) : choisissez-en une autre."
    place = " ".join((data.place or "").split())
    if len(place) > PLACE_MAX:
        errors["place"] = f"Le lieu ne doit pas dépasser {PLACE_MAX} caractères."

    codes = parse_requirements(list(data.requirements or ()))
    unknown = [c for c in codes if c not in REQUIREMENTS]
    if unknown:
        errors["requirements"] = "Prérequis hors de la liste : " + ", ".join(unknown) + "."
    requirements = ";".join(codes)

    try:
        channel = OfferChannel(data.channel) if data.channel else None
    except ValueError:
        channel = None
    if channel is None:
        errors["channel"] = "Choisissez le canal de diffusion (niveau 1 ou niveau 2)."

    if errors:
        raise ValidationError(errors)
    return {
        "company_id": company.id,
        "lot_id": data.lot_id,
        "trade_code": trade.code,
        "title": title,
        "contract_type_code": contract_type.code,
        "posts": posts,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "weekly_hours_h100": weekly,
        "place_commune_id": data.place_commune_id,
        "place": place,
        "requirements": requirements,
        "description": (data.description or "").strip(),
        "channel": channel,
    }


def _summary(values: dict) -> str:
    return f"{values['title']} ({values['trade_code']}), {values['posts']} poste(s) au {values['start_date']:%d/%m/%Y}"


def create_offer(session: Session, user: CurrentUser, data: OfferInput) -> JobOffer:
    """A new open offer (saisie or admin)."""
    require(user, Role.SAISIE)
    values = _values(session, data)
    offer = JobOffer(**values, status=OfferStatus.OPEN, created_by=user.login)
    session.add(offer)
    session.flush()
    audit.record(session, user.login, "création", "joboffer", offer.id, _summary(values))
    return offer


def update_offer(session: Session, user: CurrentUser, offer_id: int, version: int, data: OfferInput) -> None:
    """Save an offer read at ``version``; refused when someone else saved it meanwhile."""
    require(user, Role.SAISIE)
    offer = session.get(JobOffer, offer_id)
    if offer is None:
        raise DomainError("Cette offre n'existe plus.")
    values = _values(session, data)
    hired = _hired(session, offer_id)
    if values["posts"] < hired:
        raise ValidationError({"posts": f"{hired} personne(s) déjà retenue(s) : il faut au moins {hired} poste(s)."})
    update_versioned(session, JobOffer, offer_id, version, f"l'offre « {offer.title} »", **values)
    session.expire(offer)
    audit.record(session, user.login, "modification", "joboffer", offer_id, _summary(values))


def set_status(session: Session, user: CurrentUser, offer_id: int, version: int, status: OfferStatus) -> None:
    """Mark an offer filled (pourvue), cancelled (annulée), or open again."""
    require(user, Role.SAISIE)
    offer = session.get(JobOffer, offer_id)
    if offer is None:
        raise DomainError("Cette offre n'existe plus.")
    status = OfferStatus(status)
    if status is offer.status:
        raise DomainError(f"L'offre est déjà « {status.label} ».")
    update_versioned(session, JobOffer, offer_id, version, f"l'offre « {offer.title} »", status=status)
    before = offer.status
    session.expire(offer)
    audit.record(
        session, user.login, "statut", "joboffer", offer_id, f"{offer.title} : {before.label} → {status.label}"
    )


def _hired(session: Session, offer_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(Candidacy)
        .where(Candidacy.offer_id == offer_id, Candidacy.status == CandidacyStatus.HIRED)
    ).scalar_one()


def open_offer_choices(session: Session) -> dict[int, str]:
    """Open offers for a select box: « Intitulé — Entreprise (début dd/mm/yyyy) », soonest first."""
    rows = session.execute(
        select(JobOffer.id, JobOffer.title, Company.name, JobOffer.start_date)
        .join(Company, Company.id == JobOffer.company_id)
        .where(JobOffer.status == OfferStatus.OPEN)
        .order_by(JobOffer.start_date, JobOffer.id)
    ).all()
    return {oid: f"{title} — {company} (début {start:%d/%m/%Y})" for oid, title, company, start in rows}


def offer_labels(
    session: Session, offer_ids: Iterable[int] | None = None, *, company_id: int | None = None, open_only: bool = False
) -> dict[int, str]:
    """« Intitulé — Entreprise (début dd/mm/yyyy) » of offers: those given, or of a company, or the open ones;
    soonest start first."""
    query = select(JobOffer.id, JobOffer.title, Company.name, JobOffer.start_date).join(
        Company, Company.id == JobOffer.company_id
    )
    if offer_ids is not None:
        ids = list(offer_ids)
        if not ids:
            return {}
        query = query.where(JobOffer.id.in_(ids))
    if company_id is not None:
        query = query.where(JobOffer.company_id == company_id)
    if open_only:
        query = query.where(JobOffer.status == OfferStatus.OPEN)
    rows = session.execute(query.order_by(JobOffer.start_date, JobOffer.id)).all()
    return {oid: f"{title} — {company} (début {start:%d/%m/%Y})" for oid, title, company, start in rows}
