"""Partenaires (DESIGN §2, §4.1): France Travail, Département, Missions Locales, temp agencies, SIAE, GEIQ,
training bodies, ESS structures — with a contact and the trades they work in; and the ESS and SIAE structures
by trade, for buyers preparing reserved markets."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlmodel import Session, col, delete, select

from clausier.db import update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.rules.names import ascii_fold
from clausier.rules.siret import check_siret
from clausier.services import audit
from clausier.services.users import CurrentUser, require
from models import Commitment, Commune, Company, JobOffer, Lot, Partner, PartnerTrade, Trade
from models.enums import CompanyKind, PartnerKind, Role

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 .()\-]+$")

# Structures listed for reserved markets and ESS partnerships.
STRUCTURE_PARTNER_KINDS = (PartnerKind.ESS, PartnerKind.SIAE, PartnerKind.GEIQ)
STRUCTURE_COMPANY_KINDS = (
    CompanyKind.EI,
    CompanyKind.ETTI,
    CompanyKind.AI,
    CompanyKind.ACI,
    CompanyKind.ESS,
    CompanyKind.EA,
    CompanyKind.ESAT,
)

LIMITS = {"name": 200, "address": 300, "contact_name": 120, "contact_email": 200, "contact_phone": 30}
FIELD_LABELS = {
    "name": "nom",
    "kind": "type",
    "siret": "SIRET",
    "commune_id": "commune",
    "address": "adresse",
    "contact_name": "contact",
    "contact_email": "e-mail",
    "contact_phone": "téléphone",
    "notes": "notes",
    "trade_codes": "métiers",
}


@dataclass(frozen=True)
class TradeRef:
    code: str
    label: str

    @property
    def text(self) -> str:
        return f"{self.code} – {self.label}"


@dataclass(frozen=True)
class PartnerRow:
    """One line of the partners list."""

    partner: Partner
    commune: str
    trades: list[TradeRef] = field(default_factory=list)


@dataclass(frozen=True)
class Structure:
    """An ESS or SIAE structure (a partner, or a company of the same kind) and the trades it works in."""

    source: str  # "partenaire" or "entreprise"
    id: int
    name: str
    kind_label: str
    siret: str
    commune: str
    contact_name: str
    contact_email: str
    contact_phone: str
    trades: list[TradeRef] = field(default_factory=list)


@dataclass
class PartnerInput:
    """What the forms send, checked by ``_checked``."""

    name: str = ""
    kind: PartnerKind | str | None = None
    siret: str = ""
    commune_id: int | None = None
    address: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""
    trade_codes: Sequence[str] = ()


# --- reading ----------------------------------------------------------------------------------------------------


def trades(session: Session) -> list[Trade]:
    """Every ROME trade, by code (choices of the forms and filters)."""
    return list(session.exec(select(Trade).order_by(Trade.code)))


def get_partner(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


def partner_trades(session: Session, partner_id: int) -> list[TradeRef]:
    """The trades a partner works in, by code."""
    rows = session.exec(
        select(Trade.code, Trade.label)
        .join(PartnerTrade, col(PartnerTrade.trade_code) == col(Trade.code))
        .where(PartnerTrade.partner_id == partner_id)
        .order_by(Trade.code)
    )
    return [TradeRef(code, label) for code, label in rows]


def _matches(words: list[str], *texts: str | None) -> bool:
    haystack = ascii_fold(" ".join(t or "" for t in texts)).lower()
    return all(word in haystack for word in words)


def list_partners(
    session: Session,
    *,
    search: str = "",
    kinds: Iterable[PartnerKind] = (),
    trade_code: str | None = None,
    include_archived: bool = False,
) -> list[PartnerRow]:
    """Partners by name, with their commune and trades.

    ``search`` finds every word typed, without accents nor case, in the name, contact, e-mail, phone, SIRET,
    commune or notes; ``kinds`` and ``trade_code`` filter in SQL; archived partners only when asked."""
    query = select(Partner, Commune.name).outerjoin(Commune, col(Commune.id) == col(Partner.commune_id))
    kinds = [PartnerKind(k) for k in kinds]
    if kinds:
        query = query.where(col(Partner.kind).in_(kinds))
    if trade_code:
        query = query.where(
            col(Partner.id).in_(select(PartnerTrade.partner_id).where(PartnerTrade.trade_code == trade_code))
        )
    if not include_archived:
        query = query.where(col(Partner.archived).is_(False))
    found = session.exec(query).all()

    words = ascii_fold(search).lower().split()
    if words:
        found = [
            (p, commune)
            for p, commune in found
            if _matches(words, p.name, p.contact_name, p.contact_email, p.contact_phone, p.siret, commune, p.notes)
        ]
    trades_of = _trades_of_partners(session, [p.id for p, _ in found])
    rows = [PartnerRow(partner=p, commune=commune or "", trades=trades_of.get(p.id, [])) for p, commune in found]
    rows.sort(key=lambda r: (ascii_fold(r.partner.name).lower(), r.partner.id))
    return rows


def _trades_of_partners(session: Session, partner_ids: list[int]) -> dict[int, list[TradeRef]]:
    result: dict[int, list[TradeRef]] = defaultdict(list)
    if not partner_ids:
        return result
    rows = session.exec(
        select(PartnerTrade.partner_id, Trade.code, Trade.label)
        .join(Trade, col(Trade.code) == col(PartnerTrade.trade_code))
        .where(col(PartnerTrade.partner_id).in_(partner_ids))
        .order_by(Trade.code)
    )
    for partner_id, code, label in rows:
        result[partner_id].append(TradeRef(code, label))
    return result


# --- writing ----------------------------------------------------------------------------------------------------


def _checked(session: Session, data: PartnerInput, *, partner_id: int | None = None) -> dict:
    """The cleaned values of a partner, or ValidationError with a French message per field."""
    errors: dict[str, str] = {}
    values: dict = {}

    values["name"] = " ".join((data.name or "").split())
    if not values["name"]:
        errors["name"] = "Le nom du partenaire est obligatoire."
    elif len(values["name"]) > LIMITS["name"]:
        errors["name"] = f"Le nom ne doit pas dépasser {LIMITS['name']} caractères."

    try:
        values["kind"] = PartnerKind(data.kind) if data.kind else None
    except ValueError:
        values["kind"] = None
    if values["kind"] is None:
        errors["kind"] = "Choisissez le type de partenaire."

    values["siret"] = None
    values["company_id"] = None
    if (data.siret or "").strip():
        try:
            values["siret"] = check_siret(data.siret)
        except ValueError as exc:
            errors["siret"] = str(exc)
        else:
            same = select(Partner.name).where(Partner.siret == values["siret"], col(Partner.archived).is_(False))
            if partner_id is not None:
                same = same.where(Partner.id != partner_id)
            other = session.exec(same).first()
            if other is not None:
                errors["siret"] = f"Le SIRET {values['siret']} est déjà celui du partenaire « {other} »."
            company = session.exec(select(Company.id).where(Company.siret == values["siret"])).first()
            values["company_id"] = company  # the partner is also a company of the app: linked

    values["commune_id"] = data.commune_id or None
    if values["commune_id"] is not None and session.get(Commune, values["commune_id"]) is None:
        errors["commune_id"] = "Cette commune n'existe pas (ou plus) : choisissez-en une autre."

    for name in ("address", "contact_name", "contact_email", "contact_phone"):  # one line each
        values[name] = " ".join((getattr(data, name) or "").split())
        if len(values[name]) > LIMITS[name]:
            errors[name] = f"Ce champ ne doit pas dépasser {LIMITS[name]} caractères."
    if values["contact_email"] and "contact_email" not in errors and not EMAIL_RE.match(values["contact_email"]):
        errors["contact_email"] = f"L'adresse e-mail « {values['contact_email']} » n'est pas valide."
    phone = values["contact_phone"]
    if phone and "contact_phone" not in errors:
        digits = sum(ch.isdigit() for ch in phone)
        if not PHONE_RE.match(phone) or not 8 <= digits <= 15:
            errors["contact_phone"] = (
                f"Le téléphone « {phone} » n'est pas valide : des chiffres (10 pour un numéro français), "
                "avec des espaces, points ou tirets si vous voulez, et « + » devant un indicatif."
            )

    values["notes"] = (data.notes or "").strip()

    codes = sorted({c.strip().upper() for c in data.trade_codes if c and c.strip()})
    if codes:
        known = set(session.exec(select(Trade.code).where(col(Trade.code).in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            errors["trade_codes"] = "Métier(s) inconnu(s) du référentiel ROME : " + ", ".join(unknown) + "."
    values["trade_codes"] = codes

    if errors:
        raise ValidationError(errors)
    return values


def _set_trades(session: Session, partner_id: int, codes: list[str]) -> None:
    session.execute(delete(PartnerTrade).where(col(PartnerTrade.partner_id) == partner_id))
    for code in codes:
        session.add(PartnerTrade(partner_id=partner_id, trade_code=code))


def create_partner(session: Session, user: CurrentUser, data: PartnerInput) -> Partner:
    """A new partner (saisie or admin)."""
    require(user, Role.SAISIE)
    values = _checked(session, data)
    codes = values.pop("trade_codes")
    partner = Partner(**values)
    session.add(partner)
    session.flush()
    _set_trades(session, partner.id, codes)
    session.flush()
    audit.record(
        session, user.login, "création", "partner", partner.id, f"Partenaire {partner.name} ({partner.kind.label})"
    )
    return partner


def update_partner(session: Session, user: CurrentUser, partner_id: int, version: int, data: PartnerInput) -> None:
    """Save a partner read at ``version``; refused when someone else saved it meanwhile (optimistic locking)."""
    require(user, Role.SAISIE)
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise DomainError("Ce partenaire n'existe plus.")
    values = _checked(session, data, partner_id=partner_id)
    codes = values.pop("trade_codes")
    before = {name: getattr(partner, name) for name in values}
    before_codes = [t.code for t in partner_trades(session, partner_id)]
    changed = [FIELD_LABELS[name] for name in values if before[name] != values[name] and name in FIELD_LABELS]
    if before_codes != codes:
        changed.append(FIELD_LABELS["trade_codes"])
    update_versioned(session, Partner, partner_id, version, f"le partenaire « {partner.name} »", **values)
    if before_codes != codes:
        _set_trades(session, partner_id, codes)
    session.flush()
    session.expire(partner)
    audit.record(
        session,
        user.login,
        "modification",
        "partner",
        partner_id,
        f"{values['name']} : " + (", ".join(changed) or "aucun changement"),
    )


def archive_partner(session: Session, user: CurrentUser, partner_id: int, version: int, archived: bool = True) -> None:
    """Archive a partner (kept for history, out of lists and choices), or bring it back."""
    require(user, Role.SAISIE)
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise DomainError("Ce partenaire n'existe plus.")
    update_versioned(session, Partner, partner_id, version, f"le partenaire « {partner.name} »", archived=archived)
    session.expire(partner)
    audit.record(session, user.login, "archivage" if archived else "désarchivage", "partner", partner_id, partner.name)


# --- ESS and SIAE structures by trade ---------------------------------------------------------------------------


def structures_by_trade(session: Session, trade_code: str | None = None) -> list[Structure]:
    """The ESS and SIAE structures working in a trade (all of them when ``trade_code`` is None), by name.

    Partners of kind ESS, SIAE or GEIQ with the trades recorded for them, and companies of kind EI, ETTI, AI, ACI,
    ESS, EA or ESAT with the trades seen in their work: the trades of the lots they committed to and of the
    offers they opened. A partner linked to a company (same SIRET) is listed once, with the trades of both.
    Archived records are left out."""
    partners = session.exec(
        select(Partner, Commune.name)
        .outerjoin(Commune, col(Commune.id) == col(Partner.commune_id))
        .where(col(Partner.kind).in_(STRUCTURE_PARTNER_KINDS), col(Partner.archived).is_(False))
    ).all()
    companies = session.exec(
        select(Company, Commune.name)
        .outerjoin(Commune, col(Commune.id) == col(Company.commune_id))
        .where(col(Company.kind).in_(STRUCTURE_COMPANY_KINDS), col(Company.archived).is_(False))
    ).all()

    partner_codes: dict[int, set[str]] = defaultdict(set)
    partner_ids = [p.id for p, _ in partners]
    if partner_ids:
        for partner_id, code in session.exec(
            select(PartnerTrade.partner_id, PartnerTrade.trade_code).where(
                col(PartnerTrade.partner_id).in_(partner_ids)
            )
        ):
            partner_codes[partner_id].add(code)

    linked = {p.company_id for p, _ in partners if p.company_id is not None}
    company_codes = _company_trades(session, sorted(linked | {c.id for c, _ in companies}))

    structures: list[tuple[Structure, set[str]]] = []
    for p, commune in partners:
        codes = partner_codes[p.id] | company_codes.get(p.company_id, set())
        structures.append((_structure("partenaire", p, p.kind.label, commune), codes))
    for c, commune in companies:
        if c.id not in linked:
            structures.append((_structure("entreprise", c, c.kind.label, commune), company_codes.get(c.id, set())))
    if trade_code:
        structures = [(s, codes) for s, codes in structures if trade_code in codes]

    wanted = sorted({code for _, codes in structures for code in codes})
    labels = dict(session.exec(select(Trade.code, Trade.label).where(col(Trade.code).in_(wanted))).all())
    result = [
        replace(s, trades=[TradeRef(code, labels.get(code, "")) for code in sorted(codes)]) for s, codes in structures
    ]
    result.sort(key=lambda s: (ascii_fold(s.name).lower(), s.source, s.id))
    return result


def _structure(source: str, record: Partner | Company, kind_label: str, commune: str | None) -> Structure:
    return Structure(
        source=source,
        id=record.id,
        name=record.name,
        kind_label=kind_label,
        siret=record.siret or "",
        commune=commune or "",
        contact_name=record.contact_name,
        contact_email=record.contact_email,
        contact_phone=record.contact_phone,
    )


def _company_trades(session: Session, company_ids: list[int]) -> dict[int, set[str]]:
    """Trades seen in a company's work: the lots it committed to and the offers it opened (distinct, in SQL)."""
    result: dict[int, set[str]] = defaultdict(set)
    if not company_ids:
        return result
    from_lots = (
        select(Commitment.company_id, Lot.trade_code)
        .join(Lot, col(Lot.id) == col(Commitment.lot_id))
        .where(col(Commitment.company_id).in_(company_ids), col(Lot.trade_code).is_not(None))
        .distinct()
    )
    from_offers = (
        select(JobOffer.company_id, JobOffer.trade_code).where(col(JobOffer.company_id).in_(company_ids)).distinct()
    )
    for query in (from_lots, from_offers):
        for company_id, code in session.exec(query):
            result[company_id].add(code)
    return result
