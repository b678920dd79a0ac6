"""Reference data loaded on first start (DESIGN §3.1, §3.2, §3.3) and kept editable by an admin."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, func, select

from clausier import config, settings
from clausier.db import ConcurrentEditError, update_versioned
from clausier.errors import ValidationError
from clausier.rules.units import hundredths
from clausier.services import audit, derived
from clausier.services.users import CurrentUser, require
from models import Commune, ContractType, EligibilityCriterion, Qpv, Trade, WorkKind
from models.enums import Modality, Role

# code, label, labour share (basis points), mean loaded hourly cost (cents), default insertion rate (bp)
WORK_KINDS: list[tuple[str, str, int, int, int]] = [
    ("gros_oeuvre", "Bâtiment – gros œuvre, maçonnerie", 5000, 3000, 500),
    ("second_oeuvre", "Bâtiment – second œuvre, finitions", 6000, 2800, 500),
    ("peinture", "Peinture, revêtements de sols et murs", 7000, 2700, 700),
    ("charpente_metal", "Charpente métallique, serrurerie, menuiseries", 2000, 3200, 500),
    ("lots_techniques", "Lots techniques (électricité, plomberie, CVC)", 4000, 3200, 500),
    ("demolition", "Démolition, désamiantage, curage", 4500, 3000, 700),
    ("vrd", "Voirie et réseaux divers (VRD), travaux publics", 3500, 3000, 500),
    ("espaces_verts", "Espaces verts, paysage", 6000, 2600, 1000),
    ("nettoyage", "Nettoyage, propreté urbaine", 8000, 2500, 1000),
    ("collecte_dechets", "Collecte et tri des déchets", 7000, 2600, 1000),
    ("services", "Services (restauration, gardiennage, accueil…)", 6000, 2500, 700),
]

# code, label, needs a written reason
ELIGIBILITY_CRITERIA: list[tuple[str, str, bool]] = [
    ("deld", "Demandeur d'emploi de longue durée (plus de 12 mois d'inscription)", False),
    ("rsa", "Allocataire du RSA (demandeur d'emploi ou ayant droit)", False),
    ("ass", "Allocataire de l'allocation de solidarité spécifique (ASS)", False),
    ("ai_ata", "Allocataire de l'allocation d'insertion (AI / ATA)", False),
    ("aah", "Allocataire de l'allocation aux adultes handicapés (AAH)", False),
    ("pension_invalidite", "Titulaire d'une pension d'invalidité", False),
    ("rqth", "Travailleur reconnu handicapé (RQTH)", False),
    ("jeune_26", "Jeune de moins de 26 ans sorti du système scolaire depuis au moins 6 mois", False),
    ("senior_50", "Demandeur d'emploi de 50 ans et plus", False),
    ("salarie_siae", "Salarié d'une SIAE, d'une EA, d'un ESAT ou d'un GEIQ", False),
    ("epide_e2c", "Jeune accueilli à l'EPIDE ou en École de la deuxième chance (E2C)", False),
    ("plie", "Participant du PLIE", False),
    (
        "avis_motive",
        "Autre personne validée sur avis motivé (France Travail, Mission Locale, Maison de l'Emploi, MDPH)",
        True,
    ),
]

# code, label, modality the hours usually count under
CONTRACT_TYPES: list[tuple[str, str, Modality]] = [
    ("cdi", "CDI", Modality.DIRECT_HIRE),
    ("cdd", "CDD", Modality.DIRECT_HIRE),
    ("apprentissage", "Contrat d'apprentissage", Modality.DIRECT_HIRE),
    ("professionnalisation", "Contrat de professionnalisation", Modality.DIRECT_HIRE),
    ("pec", "Contrat aidé (PEC – CUI)", Modality.DIRECT_HIRE),
    ("interim", "Mission d'intérim", Modality.PROVISION),
    ("ctti", "Contrat de mission en ETTI (CTTI)", Modality.PROVISION),
    ("mad_ai", "Mise à disposition par une association intermédiaire", Modality.PROVISION),
    ("geiq", "Contrat en GEIQ (mise à disposition)", Modality.PROVISION),
    ("cddi", "CDDI en SIAE (sous-traitance, cotraitance)", Modality.SUBCONTRACTING),
    ("formation", "Action de formation", Modality.TRAINING),
]


@dataclass
class LoadReport:
    trades: int = 0
    communes: int = 0
    qpv: int = 0
    work_kinds: int = 0
    criteria: int = 0
    contract_types: int = 0
    settings: int = 0

    def total(self) -> int:
        return sum(vars(self).values())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def load_reference_data(session: Session, reference_dir: Path | None = None) -> LoadReport:
    """Load what is missing; idempotent. The territory (communes, QPV) is loaded only while it is empty,
    so that an admin's changes are never undone by a restart."""
    reference_dir = reference_dir or config.REFERENCE_DIR
    report = LoadReport()

    known_trades = set(session.exec(select(Trade.code)))
    for row in _read_csv(reference_dir / "rome.csv"):
        if row["code_rome"] not in known_trades:
            session.add(Trade(code=row["code_rome"], label=row["libelle"], domain=row["domaine"]))
            report.trades += 1

    if session.exec(select(func.count()).select_from(Commune)).one() == 0:
        for row in _read_csv(reference_dir / "communes.csv"):
            session.add(
                Commune(
                    insee_code=row["code_insee"] or None,
                    name=row["nom"],
                    postal_codes=row["code_postal"],
                    epci=row["epci"],
                )
            )
            report.communes += 1
        session.flush()

    if session.exec(select(func.count()).select_from(Qpv)).one() == 0:
        communes = {c.name: c.id for c in session.exec(select(Commune))}
        for row in _read_csv(reference_dir / "qpv.csv"):
            session.add(
                Qpv(
                    code=row["code_qpv"] or None,
                    name=row["nom"],
                    commune_id=communes.get(row["commune"]) if row["commune"] else None,
                    list_year=int(row["liste"]),
                )
            )
            report.qpv += 1

    known = set(session.exec(select(WorkKind.code)))
    for code, label, share, cost, rate in WORK_KINDS:
        if code not in known:
            session.add(
                WorkKind(
                    code=code,
                    label=label,
                    labour_share_bp=share,
                    hourly_cost_cents=cost,
                    default_insertion_rate_bp=rate,
                )
            )
            report.work_kinds += 1

    known = set(session.exec(select(EligibilityCriterion.code)))
    for order, (code, label, needs_reason) in enumerate(ELIGIBILITY_CRITERIA):
        if code not in known:
            session.add(EligibilityCriterion(code=code, label=label, needs_reason=needs_reason, sort_order=order))
            report.criteria += 1

    known = set(session.exec(select(ContractType.code)))
    for order, (code, label, modality) in enumerate(CONTRACT_TYPES):
        if code not in known:
            session.add(ContractType(code=code, label=label, usual_modality=modality, sort_order=order))
            report.contract_types += 1

    report.settings = settings.ensure_defaults(session)
    session.flush()
    return report


# --- admin edits ------------------------------------------------------------------------------------------------


@dataclass
class WorkKindRow:
    code: str
    label: str
    labour_share_pct: float
    hourly_cost_eur: float
    default_insertion_rate_pct: float
    active: bool = True


def list_work_kinds(session: Session, active_only: bool = False) -> list[WorkKind]:
    query = select(WorkKind).order_by(WorkKind.label)
    if active_only:
        query = query.where(WorkKind.active.is_(True))
    return list(session.exec(query))


def save_work_kinds(session: Session, admin: CurrentUser, rows: list[WorkKindRow], seen: dict[str, int]) -> int:
    """Change the labour share, hourly cost and default rate of the kinds of work (admin); all or nothing.
    ``seen``: the version of each kind as the table showed it (code → version); a kind whose row differs from
    the database is saved only if nobody saved it since (``ConcurrentEditError``)."""
    require(admin, Role.ADMIN)
    existing = {w.code: w for w in list_work_kinds(session)}
    errors: dict[str, str] = {}
    for row in rows:
        label = (row.label or "").strip() or row.code
        if row.code not in existing:
            errors[row.code] = f"Nature de travaux inconnue : {row.code}."
            continue
        if not label:
            errors[f"{row.code}.label"] = f"{row.code} : le libellé est obligatoire."
        if row.labour_share_pct is None or not 0 < row.labour_share_pct <= 100:
            errors[f"{row.code}.share"] = f"{label} : la part de main-d'œuvre doit être comprise entre 0 et 100 %."
        if row.hourly_cost_eur is None or not row.hourly_cost_eur > 0:
            errors[f"{row.code}.cost"] = f"{label} : le coût horaire doit être positif."
        if row.default_insertion_rate_pct is None or not 0 < row.default_insertion_rate_pct <= 100:
            errors[f"{row.code}.rate"] = f"{label} : le taux d'insertion doit être compris entre 0 et 100 %."
    if errors:
        raise ValidationError(errors)

    changed = 0
    for row in rows:
        kind = existing[row.code]
        values = {
            "label": row.label.strip(),
            "labour_share_bp": hundredths(row.labour_share_pct),
            "hourly_cost_cents": hundredths(row.hourly_cost_eur),
            "default_insertion_rate_bp": hundredths(row.default_insertion_rate_pct),
            "active": bool(row.active),
        }
        if any(getattr(kind, k) != v for k, v in values.items()):
            what = f"la nature de travaux « {kind.label} »"
            if row.code not in seen:  # added since the table was drawn: never written unseen
                raise ConcurrentEditError(what)
            update_versioned(session, WorkKind, row.code, seen[row.code], what, **values)
            session.expire(kind)
            audit.record(
                session,
                admin.login,
                "modification",
                "workkind",
                row.code,
                f"{values['label']} : main-d'œuvre {row.labour_share_pct:g} %, {row.hourly_cost_eur:g} €/h, "
                f"taux {row.default_insertion_rate_pct:g} %",
            )
            changed += 1
    return changed


def save_settings(session: Session, admin: CurrentUser, values: dict, seen: dict[str, str | None]) -> int:
    """Change settings (admin): every value checked first, then all saved with who and when. ``seen``: the
    settings as the form showed them (``settings.tokens``); only the values the user changed from those are
    written, each refused when someone else saved it meanwhile (``ConcurrentEditError``, nothing saved)."""
    require(admin, Role.ADMIN)
    errors: dict[str, str] = {}
    checked: dict = {}
    for key, value in values.items():
        definition = settings.BY_KEY.get(key)
        if definition is None:
            errors[key] = f"Paramètre inconnu : {key}."
            continue
        try:
            checked[key] = settings.coerce(definition, value)
        except ValueError as error:
            errors[key] = str(error)
    if errors:
        raise ValidationError(errors)
    changed = 0
    written: set[str] = set()
    for key, value in checked.items():
        if key not in seen:  # a setting the form did not show (added since it was drawn)
            raise ConcurrentEditError(f"le paramètre « {settings.BY_KEY[key].label} »")
        before = settings.value_of(key, seen[key])
        if value != before:
            settings.set_value(session, key, value, by=admin.login, expected=seen[key])
            audit.record(session, admin.login, "paramètre", "setting", key, f"{before!r} → {value!r}")
            changed += 1
            written.add(key)
    derived.settings_changed(session, written)
    return changed


def list_criteria(session: Session) -> list[EligibilityCriterion]:
    return list(session.exec(select(EligibilityCriterion).order_by(EligibilityCriterion.sort_order)))


def list_contract_types(session: Session) -> list[ContractType]:
    return list(session.exec(select(ContractType).order_by(ContractType.sort_order)))
