"""Settings an admin can change (DESIGN §3): defaults here, values in the ``setting`` table with who and when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError
from clausier.imports.reading import Limits
from models import Setting
from models.base import utcnow
from models.hours import MAX_HOURS_H100


@dataclass(frozen=True)
class SettingDef:
    key: str
    label: str  # French, shown on the settings page
    default: Any
    kind: str  # "int", "float", "bool", "str", "list"
    section: str
    minimum: float | None = None
    maximum: float | None = None


DEFINITIONS: list[SettingDef] = [
    # Eligibility (§3.2)
    SettingDef(
        "eligibility_validity_months", "Durée de validité de l'éligibilité (mois)", 24, "int", "Éligibilité", 1, 120
    ),
    SettingDef("eligibility_warning_days", "Alerte avant fin d'éligibilité (jours)", 60, "int", "Éligibilité", 0, 365),
    # Progress (§3.4)
    SettingDef("status_on_time_pace", "Seuil « dans les temps » (rythme)", 0.8, "float", "Avancement", 0, 1),
    SettingDef("status_ahead_pace", "Seuil « en avance » (rythme)", 1.0, "float", "Avancement", 0, 5),
    SettingDef("projection_months", "Mois retenus pour la projection", 3, "int", "Avancement", 1, 24),
    # Modalities (§3.3)
    SettingDef("training_hours_count", "Les heures de formation comptent", True, "bool", "Modalités"),
    SettingDef(
        "training_cap_share", "Plafond des heures de formation (part de l'engagement)", 0.3, "float", "Modalités", 0, 1
    ),
    SettingDef("subcontracting_counts", "La sous-traitance à une SIAE, EA ou ESAT compte", True, "bool", "Modalités"),
    # Hours import (§5.1)
    # The maximum is the database's own limit (CHECK hours_range of hoursentry): a setting never allows what a
    # constraint refuses (tests/unit/test_reference_settings.py holds them equal).
    SettingDef(
        "max_hours_per_month",
        "Heures maximales par personne et par mois",
        250,
        "float",
        "Heures",
        1,
        MAX_HOURS_H100 / 100,
    ),
    SettingDef(
        "hours_grace_months",
        "Délai après la fin d'exécution d'un lot pour les relevés tardifs (mois)",
        3,
        "int",
        "Heures",
        0,
        24,
    ),
    # Imports (§5.1): bounds of one file, so that a hostile or mistaken file cannot exhaust the server
    SettingDef("import_max_file_mb", "Imports : taille maximale d'un fichier (Mo)", 50, "int", "Imports", 1, 500),
    SettingDef(
        "import_max_unpacked_mb",
        "Imports : taille maximale d'un classeur décompressé (Mo)",
        200,
        "int",
        "Imports",
        1,
        2000,
    ),
    SettingDef("import_max_rows", "Imports : lignes maximales d'un fichier", 250_000, "int", "Imports", 1, 2_000_000),
    SettingDef("import_max_columns", "Imports : colonnes maximales d'un fichier", 100, "int", "Imports", 5, 1000),
    SettingDef(
        "import_max_cell_chars", "Imports : caractères maximaux d'une cellule", 10_000, "int", "Imports", 50, 100_000
    ),
    SettingDef(
        "import_max_errors_shown",
        "Imports : erreurs affichées au plus (les autres sont comptées)",
        1_000,
        "int",
        "Imports",
        10,
        100_000,
    ),
    # Follow-up (§3.7)
    SettingDef("followup_first_contact_days", "Premier contact après l'embauche (jours)", 7, "int", "Suivi", 1, 60),
    SettingDef("followup_interval_days", "Intervalle entre deux suivis (jours)", 30, "int", "Suivi", 1, 180),
    SettingDef(
        "followup_site_visit_min_months",
        "Visite sur site pour les contrats d'au moins (mois)",
        3,
        "int",
        "Suivi",
        1,
        36,
    ),
    SettingDef("outcome_after_months", "Situation demandée après la fin du contrat (mois)", 6, "int", "Suivi", 1, 24),
    # Matching (§3.6)
    SettingDef("matching_weight_trade", "Poids : métier", 35, "int", "Rapprochement", 0, 100),
    SettingDef(
        "matching_weight_requirements", "Poids : prérequis (permis, certificats)", 20, "int", "Rapprochement", 0, 100
    ),
    SettingDef("matching_weight_mobility", "Poids : mobilité", 20, "int", "Rapprochement", 0, 100),
    SettingDef("matching_weight_experience", "Poids : expérience", 15, "int", "Rapprochement", 0, 100),
    SettingDef(
        "matching_weight_eligibility", "Poids : éligibilité (marge de validité)", 10, "int", "Rapprochement", 0, 100
    ),
    SettingDef(
        "matching_related_trade_share",
        "Métier proche (même domaine ROME, 3 premiers caractères) : part du poids métier et expérience",
        0.5,
        "float",
        "Rapprochement",
        0,
        1,
    ),
    SettingDef(
        "matching_mobility_same_epci_share",
        "Mobilité : part pour une commune de la même intercommunalité (ou lieu non précisé)",
        0.6,
        "float",
        "Rapprochement",
        0,
        1,
    ),
    SettingDef(
        "matching_mobility_other_share", "Mobilité : part pour une autre commune", 0.2, "float", "Rapprochement", 0, 1
    ),
    SettingDef(
        "matching_mobility_vehicle_bonus", "Mobilité : bonus véhicule personnel", 0.4, "float", "Rapprochement", 0, 1
    ),
    SettingDef(
        "matching_mobility_licence_b_bonus",
        "Mobilité : bonus permis B (sans véhicule)",
        0.2,
        "float",
        "Rapprochement",
        0,
        1,
    ),
    SettingDef(
        "matching_open_ended_months",
        "Éligibilité : durée visée pour un poste sans date de fin (mois)",
        6,
        "int",
        "Rapprochement",
        1,
        60,
    ),
    # Reports (§3.9)
    SettingDef("small_cell_threshold", "Effectif minimal affiché dans les bilans", 3, "int", "Bilans", 1, 20),
    SettingDef("fte_hours_per_month", "Heures d'un ETP par mois", 151.67, "float", "GPEC", 1, 250),
    # Market spotting (§5.3)
    SettingDef("decp_buyer_sirens", "SIREN des acheteurs du territoire", ["245900428"], "list", "Repérage"),
    SettingDef(
        "decp_places", "Lieux d'exécution du territoire (codes postaux ou départements)", ["59"], "list", "Repérage"
    ),
    SettingDef(
        "decp_works_threshold_eur", "Seuil des marchés de travaux à repérer (€ HT)", 500000, "int", "Repérage", 0, None
    ),
    # Privacy (§6)
    SettingDef("retention_years", "Anonymisation après la fin du dernier contrat (années)", 5, "int", "RGPD", 1, 30),
    # Login
    SettingDef("login_max_failures", "Échecs de connexion avant blocage", 5, "int", "Connexion", 1, 50),
    SettingDef("login_lock_minutes", "Durée du blocage après échecs (minutes)", 15, "int", "Connexion", 1, 1440),
    SettingDef(
        "session_lifetime_hours", "Durée maximale d'une session de connexion (heures)", 12, "int", "Connexion", 1, 720
    ),
    SettingDef(
        "session_idle_minutes", "Fin d'une session sans activité après (minutes)", 240, "int", "Connexion", 5, 43200
    ),
]
BY_KEY = {d.key: d for d in DEFINITIONS}
# The settings the next follow-up due of a running contract depends on (kept on the contract, DESIGN §3.7).
FOLLOW_UP_DUE_KEYS = ("followup_first_contact_days", "followup_interval_days", "followup_site_visit_min_months")


def coerce(definition: SettingDef, value: Any) -> Any:
    """Check and convert a value for a setting; French message on error."""
    try:
        if definition.kind == "int":
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise ValueError
            value = int(float(value))
        elif definition.kind == "float":
            value = float(str(value).replace(",", "."))
        elif definition.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError
        elif definition.kind == "list":
            if isinstance(value, str):
                value = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
            value = [str(v) for v in value]
        else:
            value = str(value)
    except (TypeError, ValueError):
        raise ValueError(f"« {definition.label} » : valeur invalide ({value!r}).") from None
    if definition.kind in ("int", "float"):
        if definition.minimum is not None and value < definition.minimum:
            raise ValueError(f"« {definition.label} » doit être au moins {definition.minimum:g}.")
        if definition.maximum is not None and value > definition.maximum:
            raise ValueError(f"« {definition.label} » doit être au plus {definition.maximum:g}.")
    return value


def get(session: Session, key: str) -> Any:
    definition = BY_KEY[key]
    row = session.get(Setting, key)
    return definition.default if row is None else json.loads(row.value)


def get_all(session: Session) -> dict[str, Any]:
    values = {d.key: d.default for d in DEFINITIONS}
    for row in session.exec(select(Setting)):
        if row.key in values:
            values[row.key] = json.loads(row.value)
    return values


def tokens(session: Session) -> dict[str, str | None]:
    """What each setting holds now, as stored (its JSON text; None: never saved, its default applies). A settings
    form keeps these when it is drawn and gives each back to :func:`set_value`, which refuses a setting saved by
    someone else meanwhile (the ``setting`` table has no version: the stored text is the compare-and-set token)."""
    stored = dict(session.execute(select(Setting.key, Setting.value)).all())
    return {d.key: stored.get(d.key) for d in DEFINITIONS}


def value_of(key: str, token: str | None) -> Any:
    """The value a token of :func:`tokens` stands for."""
    return BY_KEY[key].default if token is None else json.loads(token)


def set_value(session: Session, key: str, value: Any, by: str, *, expected: str | None) -> Any:
    """Change a setting (admin), recording who and when. ``expected``: the setting as the user saw it (its token
    from :func:`tokens`); written as one conditional UPDATE (or, for a first write, an INSERT that does nothing
    when a row exists), so that two admins never silently overwrite each other (``ConcurrentEditError``).
    What the setting feeds is computed again by the caller's service (``services.derived.settings_changed``)."""
    definition = BY_KEY.get(key)
    if definition is None:
        raise ValueError(f"Paramètre inconnu : {key}")
    value = coerce(definition, value)
    table = Setting.__table__
    row = {"value": json.dumps(value, ensure_ascii=False), "changed_by": by, "changed_at": utcnow()}
    if expected is None:
        dialect = session.get_bind().dialect.name
        first = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table).values(key=key, **row)
        inserted = first.on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key)
        written = len(session.execute(inserted).all())  # (rowcount is -1 here with psycopg)
    else:
        written = session.execute(
            update(table).where(table.c.key == key, table.c.value == expected).values(**row)
        ).rowcount
    if written != 1:
        raise ConcurrentEditError(f"le paramètre « {definition.label} »")
    cached = session.identity_map.get(session.identity_key(Setting, key))
    if cached is not None:  # read earlier in this session: read again
        session.expire(cached)
    return value


def ensure_defaults(session: Session) -> int:
    """Write the default of every setting not in the database yet; returns how many were added."""
    existing = set(session.exec(select(Setting.key)))
    added = 0
    for definition in DEFINITIONS:
        if definition.key not in existing:
            session.add(Setting(key=definition.key, value=json.dumps(definition.default, ensure_ascii=False)))
            added += 1
    return added


def import_limits(session: Session) -> Limits:
    """The bounds of one import file set by the admin (section « Imports »)."""
    mb = 1024 * 1024
    return Limits(
        max_file_bytes=int(get(session, "import_max_file_mb")) * mb,
        max_uncompressed_bytes=int(get(session, "import_max_unpacked_mb")) * mb,
        max_rows=int(get(session, "import_max_rows")),
        max_columns=int(get(session, "import_max_columns")),
        max_cell_chars=int(get(session, "import_max_cell_chars")),
        max_errors=int(get(session, "import_max_errors_shown")),
    )
