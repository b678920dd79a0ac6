"""DESIGN §5.3 — market spotting from public procurement open data (DECP, official JSON format v2).

Three steps, each usable alone (page, command line, tests):

- ``parse(data, file_name)`` reads an uploaded file, checks it against the official schema
  (``data/reference/decp/schema_decp_v2.0.3.json``) and returns its markets, modifications applied. Nothing is
  written; a file that cannot be used is refused whole with a French ``ValidationError``.
- ``spot(session, decp_file, today)`` keeps the markets of the territory (settings ``decp_buyer_sirens`` and
  ``decp_places``), estimates their insertion hours (§3.1, kind of work guessed from the CPV code), flags the
  opportunities (works above ``decp_works_threshold_eur`` without social consideration) and those already turned
  into an operation.
- ``create_operation_from_market(...)`` turns one market into an operation, its lot, its buyer, its holders
  (companies) and, for a single holder, its commitment — one transaction, role ``saisie``, audited.
"""

from __future__ import annotations

import gc
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from jsonschema import Draft7Validator
from sqlmodel import Session, col, select
from stdnum.fr import siret as stdnum_siret

from clausier import config, settings
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_hours, fmt_money
from clausier.rules.calendar import add_months
from clausier.rules.hours import insertion_hours_h100
from clausier.schema_check import Check, Unsupported, compile_schema
from clausier.services import audit, clauses
from clausier.services.users import CurrentUser, require
from models import Buyer, Commune, Company, ImportBatch, Operation, WorkKind
from models.enums import BuyerKind, ImportKind, LegalBasis, OperationStatus, Role

SCHEMA_PATH = config.REFERENCE_DIR / "decp" / "schema_decp_v2.0.3.json"
NO_SOCIAL_CONSIDERATION = "Pas de considération sociale"
MAX_ERRORS_SHOWN = 5
MAX_AMOUNT_CENTS = 2**63 - 1  # Lot.amount_cents is a BIGINT column (migration 0002)
MARKET = "marche"
CONCESSION = "contrat-concession"

# Kind of work guessed from the CPV code: the longest matching prefix wins (codes of models.WorkKind).
CPV_WORK_KINDS: dict[str, str] = {
    "4511": "demolition",  # démolition, préparation de chantier, terrassement
    "4521": "gros_oeuvre",  # construction de bâtiments
    "4522": "gros_oeuvre",  # ouvrages d'art et de génie civil
    "4523": "vrd",  # routes, canalisations, réseaux
    "4524": "vrd",  # ouvrages hydrauliques
    "4526": "charpente_metal",  # couverture, charpente, travaux spécialisés
    "4531": "lots_techniques",  # électricité
    "4532": "second_oeuvre",  # isolation
    "4533": "lots_techniques",  # plomberie, chauffage, ventilation
    "4535": "lots_techniques",  # installations mécaniques
    "4541": "second_oeuvre",  # plâtrerie
    "4542": "charpente_metal",  # menuiserie, serrurerie
    "4543": "peinture",  # revêtements de sols et de murs
    "4544": "peinture",  # peinture, vitrerie
    "4545": "second_oeuvre",  # autres travaux de parachèvement
    "7731": "espaces_verts",  # plantation et entretien d'espaces verts
    "9051": "collecte_dechets",  # collecte et traitement des déchets
    "9061": "nettoyage",  # nettoyage et balayage des voies
    "9091": "nettoyage",  # services de nettoyage
}
WORKS_DEFAULT_KIND = "gros_oeuvre"  # other works (CPV 45…)
SERVICES_DEFAULT_KIND = "services"  # other services (CPV 50… to 98…)
CONCESSION_WORK_KINDS = {"Concession de travaux": WORKS_DEFAULT_KIND}  # other concessions: services

# Places of execution compared by prefix with the setting ``decp_places`` (a région or pays code is not: the
# region code « 32 » is not the département 32).
PREFIX_PLACE_TYPES = {"Code postal", "Code commune", "Code arrondissement", "Code canton", "Code département"}


# --- what a file holds --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holder:
    """A titulaire (or concessionnaire): its identifier and the identifier's type (SIRET, TVA, HORS-UE…)."""

    id: str
    id_type: str
    name: str | None = None

    @property
    def valid_siret(self) -> bool:
        return self.id_type == "SIRET" and stdnum_siret.is_valid(self.id)


@dataclass(frozen=True, slots=True)
class DecpMarket:
    """One market (or concession) of a DECP file, with its modifications applied (latest amount, duration,
    holders). Money in cents."""

    index: int  # position in the file (0-based), unique even when two markets share an id
    id: str
    is_concession: bool
    buyer_siret: str
    buyer_name: str | None
    object: str
    cpv: str | None  # as published, e.g. "45000000-7"; None for a concession
    nature: str
    procedure: str
    amount_cents: int  # after modifications
    duration_months: int  # after modifications
    notification_date: date | None  # dateNotification (market) or dateSignature (concession)
    execution_start: date | None  # the notification date, or dateDebutExecution for a concession
    place_code: str | None
    place_type: str | None
    holders: tuple[Holder, ...]  # after modifications
    social_considerations: tuple[str, ...]
    initial_amount_cents: int
    initial_duration_months: int
    initial_holders: tuple[Holder, ...]
    modifications: int = 0

    @property
    def buyer_siren(self) -> str:
        return self.buyer_siret[:9]

    @property
    def social_consideration(self) -> bool:
        """A social consideration is declared: any value but « Pas de considération sociale »."""
        return any(value != NO_SOCIAL_CONSIDERATION for value in self.social_considerations)

    @property
    def is_works(self) -> bool:
        return not self.is_concession and (self.cpv or "").startswith("45")

    @property
    def execution_end(self) -> date | None:
        if self.execution_start is None:
            return None
        return add_months(self.execution_start, self.duration_months) - timedelta(days=1)

    @property
    def buyer_label(self) -> str:
        return self.buyer_name or f"Acheteur {self.buyer_siret}"


@dataclass(frozen=True, slots=True)
class DecpFile:
    file_name: str
    checksum: str  # SHA-256 of the bytes, hex
    markets: tuple[DecpMarket, ...]

    @property
    def concessions(self) -> int:
        return sum(1 for m in self.markets if m.is_concession)


@dataclass(frozen=True, slots=True)
class SpottedMarket:
    """A market of the territory, as the spotting screen lists it."""

    market: DecpMarket
    by_buyer: bool  # the buyer's SIREN is a territory's one
    by_place: bool  # the place of execution is in the territory
    opportunity: bool
    work_kind_code: str | None
    work_kind_label: str | None
    labour_share_bp: int | None
    hourly_cost_cents: int | None
    insertion_rate_bp: int | None
    estimated_hours_h100: int | None
    operation_id: int | None = None  # already turned into this operation
    operation_name: str | None = None
    ended: bool = False  # execution over at ``today``


# --- reading a file -----------------------------------------------------------------------------------------------


@cache
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validators() -> dict[str, tuple[Draft7Validator, Check | None]]:
    """For each kind of record, its definition in the official schema (references resolved in the whole schema)
    as a ``jsonschema`` validator (the reference, and the error messages) and as a fast predicate (None when the
    schema uses a keyword ``schema_check`` does not compile). The root of the schema is checked by ``_records``."""
    schema = _schema()
    validators: dict[str, tuple[Draft7Validator, Check | None]] = {}
    for key in (MARKET, CONCESSION):
        definition = {"$ref": f"#/definitions/{key}", "definitions": schema["definitions"]}
        try:
            fast = compile_schema(definition)
        except Unsupported:
            fast = None
        validators[key] = (Draft7Validator(definition), fast)
    return validators


def _refuse(message: str) -> ValidationError:
    return ValidationError({"fichier": message})


_JSON_REASONS = {
    "Expecting value": "valeur attendue",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendus",
    "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
    "Unterminated string starting at": "texte entre guillemets non terminé",
    "Extra data": "données en trop après la fin du JSON",
    "Invalid control character at": "caractère de contrôle interdit",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Invalid \\uXXXX escape": "séquence \\uXXXX invalide",
}


def _json_error(file_name: str, text: str, error: json.JSONDecodeError) -> ValidationError:
    reason = _JSON_REASONS.get(error.msg, error.msg)
    truncated = error.pos >= len(text.rstrip())
    message = (
        f"Le fichier « {file_name} » n'est pas un JSON valide : ligne {error.lineno}, colonne {error.colno}, {reason}."
    )
    if truncated:
        message += " Le fichier s'arrête avant la fin : il est sans doute tronqué (téléchargement interrompu ?)."
    return _refuse(message)


def _records(document: Any, file_name: str) -> list[tuple[str, dict]]:
    """The records of the root ``marches`` object, as (kind, record); refuses any other shape."""
    other = (
        f"Le fichier « {file_name} » n'est pas au format DECP v2 (format réglementaire des données essentielles de "
        "la commande publique) : il faut un objet racine « marches » contenant une liste « marche » et/ou "
        "« contrat-concession »."
    )
    if not isinstance(document, dict) or "marches" not in document:
        raise _refuse(other)
    root = document["marches"]
    if isinstance(root, list):
        raise _refuse(
            other + " Ce fichier ressemble à l'ancien format DECP (v1, « marches » est une liste) : "
            "téléchargez les données au format v2."
        )
    if not isinstance(root, dict) or not ({MARKET, CONCESSION} & root.keys()):
        raise _refuse(other)
    records: list[tuple[str, dict]] = []
    for key in [k for k in root if k in (MARKET, CONCESSION)]:  # in the file's order
        if not isinstance(root[key], list):
            raise _refuse(other + f" Ici, « {key} » n'est pas une liste.")
        records.extend((key, record) for record in root[key])
    unknown = sorted(set(document) - {"marches"}) + sorted(set(root) - {MARKET, CONCESSION})
    if unknown:
        raise _refuse(other + " Champs inconnus : " + ", ".join(f"« {k} »" for k in unknown) + ".")
    if not records:
        raise _refuse(f"Le fichier « {file_name} » ne contient aucun marché ni contrat de concession.")
    return records


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(l'enregistrement entier)"


def _french(error) -> str:
    """One schema error in French (jsonschema's own messages are in English)."""
    kind, value, instance = error.validator, error.validator_value, error.instance
    shown = json.dumps(instance, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    if kind == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        return "champ obligatoire absent : " + ", ".join(f"« {m} »" for m in missing)
    if kind == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {}))) if isinstance(instance, dict) else []
        return "champ non prévu par le format : " + ", ".join(f"« {e} »" for e in extra)
    if kind == "enum":
        return f"valeur {shown} non admise (valeurs possibles : " + ", ".join(f"« {v} »" for v in value) + ")"
    if kind == "type":
        names = {"string": "un texte", "number": "un nombre", "integer": "un nombre entier", "boolean": "vrai/faux"}
        names |= {"object": "un objet", "array": "une liste"}
        return f"valeur {shown} : il faut {names.get(value, value)}"
    if kind == "pattern":
        return f"valeur {shown} au mauvais format (motif attendu : {value})"
    if kind == "minimum":
        return f"valeur {shown} : au moins {value}"
    if kind == "maximum":
        return f"valeur {shown} : au plus {value}"
    if kind == "minLength":
        return f"valeur {shown} : au moins {value} caractère(s)"
    if kind == "maxLength":
        return f"texte trop long ({len(instance)} caractères, {value} au plus)"
    if kind == "minItems":
        return f"liste vide ou trop courte (au moins {value} élément(s))"
    if kind == "uniqueItems":
        return "la liste contient des éléments en double"
    return f"valeur {shown} refusée ({kind})"


def _validate(records: list[tuple[str, dict]], file_name: str) -> None:
    """Each record against its definition in the official schema; refuses the file with the first errors.

    Every record is checked in full: by the fast predicate of ``schema_check`` (about 35 µs a market), and by
    ``jsonschema`` (about 1 ms) only when the predicate refuses it, for the messages."""
    validators = _validators()
    messages: list[str] = []
    invalid = 0
    for position, (key, record) in enumerate(records, start=1):
        validator, fast = validators[key]
        if fast is not None and fast(record):
            continue  # valid (the fast check is never more lenient than jsonschema)
        errors = sorted(validator.iter_errors(record), key=lambda e: [str(p) for p in e.absolute_path])
        if not errors:
            continue
        invalid += 1
        if len(messages) >= MAX_ERRORS_SHOWN:
            continue
        record_id = record.get("id") if isinstance(record, dict) else None
        what = "contrat de concession" if key == CONCESSION else "marché"
        name = f"{what} « {record_id} »" if isinstance(record_id, str) and record_id else f"{what} sans identifiant"
        for error in errors[: MAX_ERRORS_SHOWN - len(messages)]:
            messages.append(f"{name} (n° {position} du fichier), champ {_path(error.absolute_path)} : {_french(error)}")
    if invalid:
        head = (
            f"Le fichier « {file_name} » n'est pas conforme au schéma DECP v2.0.3 : {invalid} enregistrement(s) "
            f"invalide(s) sur {len(records)}. Rien n'a été lu."
        )
        raise ValidationError({"fichier": head} | {f"erreur_{i}": m for i, m in enumerate(messages, start=1)})


def _cents(value: Any) -> int:
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return 0


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _holders(items: list, key: str) -> tuple[Holder, ...]:
    holders = []
    for item in items or []:
        inner = item.get(key, {})
        name = inner.get("denominationSociale") or inner.get("nom")
        holders.append(
            Holder(id=str(inner.get("id", "")).strip(), id_type=str(inner.get("typeIdentifiant", "")), name=name)
        )
    return tuple(holders)


def _modifications(record: dict) -> list[dict]:
    items = [item.get("modification", {}) for item in record.get("modifications") or []]
    return sorted(items, key=lambda m: m.get("id", 0))  # ids are given in the order of notification


def _market(index: int, key: str, record: dict) -> DecpMarket:
    concession = key == CONCESSION
    buyer = record["autoriteConcedante" if concession else "acheteur"]
    holders_key, holder_key = ("concessionnaires", "concessionnaire") if concession else ("titulaires", "titulaire")
    amount_key = "valeurGlobale" if concession else "montant"
    initial_amount = _cents(record[amount_key])
    initial_duration = int(record["dureeMois"])
    initial_holders = _holders(record.get(holders_key), holder_key)
    amount, duration, holders = initial_amount, initial_duration, initial_holders
    modifications = _modifications(record)
    for modification in modifications:  # each states the new values, the latest counts
        if amount_key in modification:
            amount = _cents(modification[amount_key])
        if "dureeMois" in modification:
            duration = int(modification["dureeMois"])
        if not concession and modification.get("titulaires"):
            holders = _holders(modification["titulaires"], "titulaire")
    place = record.get("lieuExecution") or {}
    notified = _date(record.get("dateSignature" if concession else "dateNotification"))
    return DecpMarket(
        index=index,
        id=str(record["id"]),
        is_concession=concession,
        buyer_siret=str(buyer["id"]),
        buyer_name=buyer.get("nom") or None,
        object=str(record.get("objet", "")).strip(),
        cpv=None if concession else str(record["codeCPV"]),
        nature=str(record.get("nature", "")),
        procedure=str(record.get("procedure", "")),
        amount_cents=amount,
        duration_months=duration,
        notification_date=notified,
        execution_start=_date(record.get("dateDebutExecution")) if concession else notified,
        place_code=place.get("code"),
        place_type=place.get("typeCode"),
        holders=holders,
        social_considerations=tuple((record.get("considerationsSociales") or {}).get("considerationSociale") or []),
        initial_amount_cents=initial_amount,
        initial_duration_months=initial_duration,
        initial_holders=initial_holders,
        modifications=len(modifications),
    )


def parse(data: bytes, file_name: str) -> DecpFile:
    """Read a DECP file (official JSON format v2): its markets and concessions, modifications applied.

    Refuses the whole file with a French ``ValidationError`` (key « fichier », then the first errors): empty
    file, not JSON or truncated (line and column), another format, or records invalid against the schema
    (which record, which field). Writes nothing."""
    if not data or not data.strip():
        raise _refuse(f"Le fichier « {file_name} » est vide.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refuse(
            f"Le fichier « {file_name} » n'est pas encodé en UTF-8 (octet {error.start + 1}) : ce n'est pas un "
            "fichier DECP au format JSON."
        ) from None
    if not text.strip():
        raise _refuse(f"Le fichier « {file_name} » est vide.")
    collecting = gc.isenabled()
    gc.disable()  # a big file makes millions of objects and no cycle: the collector would only slow it down
    try:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise _json_error(file_name, text, error) from None
        except RecursionError:
            raise _refuse(f"Le fichier « {file_name} » est trop imbriqué pour être un fichier DECP.") from None
        records = _records(document, file_name)
        _validate(records, file_name)
        markets = tuple(_market(i, key, record) for i, (key, record) in enumerate(records))
    finally:
        if collecting:
            gc.enable()
    return DecpFile(file_name=file_name, checksum=hashlib.sha256(data).hexdigest(), markets=markets)


# --- spotting -----------------------------------------------------------------------------------------------------


def guess_work_kind(market: DecpMarket) -> str | None:
    """The kind of work (``WorkKind.code``) of a market from its CPV code; None for supplies (CPV 03… to 44…
    and 48…), whose insertion hours are not estimated."""
    if market.is_concession:
        return CONCESSION_WORK_KINDS.get(market.nature, SERVICES_DEFAULT_KIND)
    cpv = (market.cpv or "")[:8]
    for length in (5, 4):
        kind = CPV_WORK_KINDS.get(cpv[:length])
        if kind:
            return kind
    if cpv.startswith("45"):
        return WORKS_DEFAULT_KIND
    if cpv[:2].isdigit() and int(cpv[:2]) >= 50:
        return SERVICES_DEFAULT_KIND
    return None


def in_territory(market: DecpMarket, buyer_sirens: set[str], places: list[str]) -> tuple[bool, bool]:
    """(by buyer, by place): the buyer's SIREN is one of the territory's; the place of execution code starts
    with one of the territory's codes (postal code, commune, arrondissement, canton or département)."""
    by_buyer = market.buyer_siren in buyer_sirens
    code = (market.place_code or "").replace(" ", "")
    by_place = bool(code) and market.place_type in PREFIX_PLACE_TYPES and any(code.startswith(p) for p in places)
    return by_buyer, by_place


def _operations_by_market(session: Session) -> dict[str, list[tuple[int, str, str | None]]]:
    rows = session.exec(
        select(Operation.decp_id, Operation.id, Operation.name, Buyer.siret)
        .join(Buyer, col(Buyer.id) == Operation.buyer_id)
        .where(col(Operation.decp_id).is_not(None))
    )
    found: dict[str, list[tuple[int, str, str | None]]] = {}
    for decp_id, operation_id, name, buyer_siret in rows:
        found.setdefault(decp_id, []).append((operation_id, name, buyer_siret))
    return found


def _existing_operation(
    operations: dict[str, list[tuple[int, str, str | None]]], market: DecpMarket
) -> tuple[int, str] | None:
    """The operation made from this market: same market id, and a buyer with the market's SIRET or none (market
    ids are only unique within one buyer)."""
    for operation_id, name, buyer_siret in operations.get(market.id, []):
        if buyer_siret in (None, market.buyer_siret):
            return operation_id, name
    return None


def spot(session: Session, decp_file: DecpFile, today: date) -> list[SpottedMarket]:
    """The markets of the territory in the file, in file order, each with its estimated insertion hours (§3.1),
    whether it is an opportunity (works, CPV 45…, amount at least the threshold, no social consideration) and
    the operation already made from it."""
    values = settings.get_all(session)
    buyer_sirens = {str(s).replace(" ", "")[:9] for s in values["decp_buyer_sirens"]}
    places = [str(p).replace(" ", "") for p in values["decp_places"] if str(p).strip()]
    threshold_cents = int(values["decp_works_threshold_eur"]) * 100
    kinds = {k.code: k for k in session.exec(select(WorkKind).where(col(WorkKind.active).is_(True)))}
    operations = _operations_by_market(session)
    spotted: list[SpottedMarket] = []
    for market in decp_file.markets:
        by_buyer, by_place = in_territory(market, buyer_sirens, places)
        if not (by_buyer or by_place):
            continue
        kind = kinds.get(guess_work_kind(market) or "")
        hours = None
        if kind is not None:
            hours = insertion_hours_h100(
                market.amount_cents, kind.labour_share_bp, kind.default_insertion_rate_bp, kind.hourly_cost_cents
            )
        existing = _existing_operation(operations, market)
        end = market.execution_end
        spotted.append(
            SpottedMarket(
                market=market,
                by_buyer=by_buyer,
                by_place=by_place,
                opportunity=market.is_works
                and market.amount_cents >= threshold_cents
                and not market.social_consideration,
                work_kind_code=kind.code if kind else None,
                work_kind_label=kind.label if kind else None,
                labour_share_bp=kind.labour_share_bp if kind else None,
                hourly_cost_cents=kind.hourly_cost_cents if kind else None,
                insertion_rate_bp=kind.default_insertion_rate_bp if kind else None,
                estimated_hours_h100=hours,
                operation_id=existing[0] if existing else None,
                operation_name=existing[1] if existing else None,
                ended=end is not None and end < today,
            )
        )
    return spotted


# --- from a market to an operation -------------------------------------------------------------------------------


def buyer_choices(session: Session) -> list[tuple[int, str]]:
    """The buyers a market may be attached to instead of its own acheteur (id, name), by name."""
    rows = session.exec(select(Buyer.id, Buyer.name).where(col(Buyer.archived).is_(False)).order_by(Buyer.name))
    return [(buyer_id, name) for buyer_id, name in rows]


def _buyer_kind(siret: str) -> BuyerKind:
    """A first guess from the SIREN of a public buyer (editable): 1… State, 24…/25… intercommunality,
    other 2… local authority."""
    if siret.startswith("1"):
        return BuyerKind.STATE
    if siret.startswith(("24", "25")):
        return BuyerKind.INTERCOMMUNAL
    if siret.startswith("2"):
        return BuyerKind.LOCAL_AUTHORITY
    return BuyerKind.PUBLIC_BODY


def _commune_id(session: Session, market: DecpMarket) -> int | None:
    """The commune of the place of execution when the Commune table knows it without ambiguity."""
    code = (market.place_code or "").strip()
    if not code:
        return None
    if market.place_type == "Code commune":
        found = session.exec(select(Commune.id).where(Commune.insee_code == code)).all()
    elif market.place_type == "Code postal":
        rows = session.exec(
            select(Commune.id, Commune.postal_codes).where(col(Commune.postal_codes).contains(code, autoescape=True))
        )
        found = [cid for cid, codes in rows if code in {c.strip() for c in codes.split(";")}]
    else:
        return None
    return found[0] if len(found) == 1 else None


def holder_notes(market: DecpMarket) -> list[str]:
    """What the creation does with the holders, in French, for the user."""
    notes: list[str] = []
    invalid = [h for h in market.holders if not h.valid_siret]
    for holder in invalid:
        notes.append(
            f"Titulaire « {holder.id} » ({holder.id_type or 'type inconnu'}) : ce n'est pas un SIRET valide, "
            "l'entreprise n'est pas créée ; ajoutez-la sur l'écran des entreprises."
        )
    if len(market.holders) > 1:
        notes.append(
            f"Marché attribué à {len(market.holders)} titulaires : aucun engagement n'est créé. Répartissez les heures "
            "du lot entre eux sur l'écran des engagements."
        )
    elif not market.holders or invalid:
        notes.append("Aucun engagement n'est créé : créez-le sur l'écran des engagements.")
    return notes


def _import_batch(session: Session, decp_file: DecpFile, login: str) -> ImportBatch:
    batch = session.exec(
        select(ImportBatch).where(
            ImportBatch.kind == ImportKind.DECP,
            ImportBatch.checksum == decp_file.checksum,
            ImportBatch.by == login,
            col(ImportBatch.undone_at).is_(None),
        )
    ).first()
    if batch is None:
        batch = ImportBatch(
            kind=ImportKind.DECP, file_name=decp_file.file_name[:250], checksum=decp_file.checksum, by=login
        )
    batch.rows_added += 1  # markets of this file turned into operations
    session.add(batch)
    return batch


def _buyer(session: Session, user: CurrentUser, market: DecpMarket, buyer_id: int | None) -> tuple[Buyer, bool]:
    """The chosen buyer, else the one with the market's SIRET, else a new one (through the buyers' service, so
    with its checks). A published SIRET whose key is wrong is not stored: the buyer is then named after it."""
    if buyer_id is not None:
        buyer = session.get(Buyer, buyer_id)
        if buyer is None:
            raise ValidationError({"buyer": "Donneur d'ordre introuvable."})
        return buyer, False
    valid = stdnum_siret.is_valid(market.buyer_siret)
    name = market.buyer_label[:200]
    query = select(Buyer).where(Buyer.siret == market.buyer_siret if valid else Buyer.name == name)
    buyer = session.exec(query).first()
    if buyer is not None:
        return buyer, False
    notes = "Créé depuis les données essentielles de la commande publique (DECP)."
    if not valid:
        notes += f" SIRET publié : {market.buyer_siret} (clé de contrôle invalide, non enregistré)."
    data = clauses.BuyerInput(
        name=name, kind=_buyer_kind(market.buyer_siret), siret=market.buyer_siret if valid else "", notes=notes
    )
    return clauses.create_buyer(session, user, data), True


def create_operation_from_market(
    session: Session,
    user: CurrentUser,
    market: DecpMarket,
    buyer_id: int | None = None,
    *,
    decp_file: DecpFile,
) -> Operation:
    """Turn a market into an operation (status « repérée », condition d'exécution L2112-2, ``decp_id`` set)
    and its lot (reference = the market id, the number companies quote on their hours statements), with the
    insertion hours of §3.1 from the kind of work guessed from the CPV and its default rate (computed =
    contractual).

    The buyer is ``buyer_id`` when given, else the one with the market's SIRET, else a new one. Each holder
    with a valid SIRET becomes a company if unknown; a single holder gets a commitment of the lot's hours,
    several holders none (the split is done on the commitments screen). Buyer, operation, lot, companies and
    commitment go through the clause services (same checks and audit as the forms). Records the file as an
    import batch. Refuses a market already turned into an operation. Never commits."""
    require(user, Role.SAISIE)
    if market not in decp_file.markets:
        raise DomainError("Ce marché n'appartient pas au fichier importé : rechargez le fichier.")
    existing = _existing_operation(_operations_by_market(session), market)
    if existing is None and buyer_id is not None:
        existing = session.exec(
            select(Operation.id, Operation.name).where(Operation.decp_id == market.id, Operation.buyer_id == buyer_id)
        ).first()
    if existing is not None:
        raise DomainError(f"Le marché « {market.id} » est déjà l'opération « {existing[1]} » : rien n'a été créé.")
    if market.amount_cents > MAX_AMOUNT_CENTS:
        raise DomainError(
            f"Le montant du marché « {market.id} » ({fmt_money(market.amount_cents)}) dépasse ce qu'un lot peut "
            f"enregistrer ({fmt_money(MAX_AMOUNT_CENTS)}) : rien n'a été créé. Créez l'opération à la main."
        )
    kind = session.get(WorkKind, guess_work_kind(market) or SERVICES_DEFAULT_KIND)  # supplies: a start, to adjust
    if kind is None:
        raise DomainError("La nature de travaux de ce marché est introuvable dans le référentiel.")

    summary: list[str] = []
    buyer, created = _buyer(session, user, market, buyer_id)
    if created:
        summary.append(f"donneur d'ordre « {buyer.name} » créé")
    start, end = market.execution_start, market.execution_end
    name = (market.object or f"Marché {market.id}")[:250]
    operation = clauses.create_operation(
        session,
        user,
        clauses.OperationInput(
            buyer_id=buyer.id,
            name=name,
            commune_id=_commune_id(session, market),
            work_kind_code=kind.code,
            status=OperationStatus.SPOTTED,
            legal_basis=LegalBasis.EXECUTION_CONDITION,
            description=(
                f"Repérée dans les DECP : marché « {market.id} » ({market.nature}, {market.procedure}), "
                f"CPV {market.cpv or '—'}, notifié le {start.strftime('%d/%m/%Y') if start else '—'} pour "
                f"{market.duration_months} mois, fichier « {decp_file.file_name} »."
            ),
            planned_start=start,
            planned_end=end,
        ),
    )
    operation.decp_id = market.id
    session.add(operation)
    lot = clauses.create_lot(
        session,
        user,
        clauses.LotInput(
            operation_id=operation.id,
            reference=market.id[:60],
            label=name,
            work_kind_code=kind.code,
            amount_eur=Decimal(market.amount_cents) / 100,
            labour_share_pct=Decimal(kind.labour_share_bp) / 100,
            insertion_rate_pct=Decimal(kind.default_insertion_rate_bp) / 100,
            hourly_cost_eur=Decimal(kind.hourly_cost_cents) / 100,
            execution_start=start,
            execution_end=end,
        ),
    )

    companies: list[Company] = []
    for holder in market.holders:
        if not holder.valid_siret:
            continue
        company = session.exec(select(Company).where(Company.siret == holder.id)).first()
        if company is None:
            company = clauses.create_company(
                session,
                user,
                clauses.CompanyInput(
                    siret=holder.id,
                    name=(holder.name or f"Titulaire {holder.id}")[:200],
                    notes=f"Créée depuis les DECP : titulaire du marché « {market.id} ».",
                ),
            )
            summary.append(f"entreprise « {company.name} » créée")
        if company not in companies:
            companies.append(company)
    if len(market.holders) == 1 and len(companies) == 1 and lot.hours_contractual_h100 > 0:
        hours = Decimal(lot.hours_contractual_h100) / 100
        share = clauses.Share(company_id=companies[0].id, hours=hours)
        clauses.award_lot(session, user, lot.id, "", [share])  # "": the lot is new, not awarded yet
        summary.append(f"engagement de {fmt_hours(lot.hours_contractual_h100)} pour « {companies[0].name} »")

    batch = _import_batch(session, decp_file, user.login)
    session.flush()
    audit.record(
        session,
        user.login,
        "import DECP",
        "operation",
        operation.id,
        f"« {operation.name} » depuis le marché « {market.id} » (fichier {decp_file.file_name}, import {batch.id}) : "
        f"lot {lot.reference}, {fmt_hours(lot.hours_contractual_h100)}" + "".join(f" ; {s}" for s in summary),
    )
    return operation


def filtered(
    spotted: list[SpottedMarket], *, opportunities_only: bool = False, works_only: bool = False
) -> list[SpottedMarket]:
    """The screen's filters: opportunities only, works (CPV 45…) only."""
    return [s for s in spotted if (s.opportunity or not opportunities_only) and (s.market.is_works or not works_only)]


@dataclass
class DecpSummary:
    """The counts shown above the table."""

    read: int
    concessions: int
    in_territory: int
    opportunities: int
    already: int
    works: int


def summarize(decp_file: DecpFile, spotted: list[SpottedMarket]) -> DecpSummary:
    return DecpSummary(
        read=len(decp_file.markets),
        concessions=decp_file.concessions,
        in_territory=len(spotted),
        opportunities=sum(1 for s in spotted if s.opportunity),
        already=sum(1 for s in spotted if s.operation_id is not None),
        works=sum(1 for s in spotted if s.market.is_works),
    )
