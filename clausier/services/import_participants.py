"""Participants import (DESIGN §5.2): a CSV or Excel file from the PLIE's participant software or a France Travail
list, its columns mapped on screen to the fields (the mapping saved by name for next time), a preview with every
error by line and column, then everything written in one transaction, or nothing.

    raw = read_file(data, "export-plie.xlsx")                 # FileError (French) when the file cannot be used
    mapping = guess_mapping(raw.header)                        # {file column: field}, or a saved one
    pv = preview(session, raw, mapping, today=date.today())   # new people, people already known, errors
    batch = apply(session, pv, user, "export-plie.xlsx", checksum(data), merge={...}, today=date.today())

People already known — the same name without accents nor case (``clausier.rules.names.name_key``) and the same
birth date, or the same id of the PLIE's software — are never created again: each is either *merged* (its empty
fields filled from the file, trades and eligibility criteria it lacks added) or *skipped*, as the user chooses.
Two lines of the file for the same person are grouped into one (the first line's values win, the next ones fill
what it leaves empty, trades and criteria add up): a file with one line per eligibility criterion works.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from clausier.db import ConcurrentEditError, savepoint, update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.imports.hours_statement import norm_header
from clausier.imports.reading import FileError, Limits, LineError, TooLong, checksum, is_blank, read_table, sheet_names
from clausier.rules import eligibility as rules
from clausier.rules.names import ascii_fold, name_key
from clausier.services import audit
from clausier.services.participants import check_email, check_phone, join_licences, split_licences
from clausier.services.users import CurrentUser, require
from clausier.settings import import_limits
from models import (
    ColumnMapping,
    Commune,
    Eligibility,
    EligibilityCriterion,
    Participant,
    ParticipantTrade,
    Qpv,
    Trade,
)
from models.base import utcnow
from models.enums import ExperienceLevel, ImportKind, QualificationLevel, Role, Sex
from models.hours import ImportBatch

__all__ = ["FileError", "checksum", "import_limits", "sheet_names"]

# The fields a file column can be mapped to, with their French names (the order of the mapping screen).
FIELDS: dict[str, str] = {
    "external_id": "Identifiant (logiciel du PLIE)",
    "last_name": "Nom",
    "first_name": "Prénom",
    "sex": "Sexe",
    "birth_date": "Date de naissance",
    "commune": "Commune",
    "address": "Adresse",
    "qpv": "Quartier prioritaire (QPV)",
    "phone": "Téléphone",
    "email": "E-mail",
    "qualification_level": "Niveau de qualification",
    "counsellor": "Conseiller référent",
    "antenna": "Antenne",
    "licences": "Permis et certificats",
    "own_vehicle": "Véhicule personnel",
    "criteria": "Critères d'éligibilité",
    "validated_on": "Date de validation de l'éligibilité",
    "prescriber": "Prescripteur (avis motivé)",
    "reason": "Motif (avis motivé)",
    "trades": "Métiers (codes ROME ou libellés)",
    "notes": "Notes",
}
REQUIRED = ("last_name", "first_name", "birth_date")
ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "identifiant", "idparticipant", "identifiantplie", "idplie", "numerodossier", "dossier",
                    "numero", "matricule", "identifiantparticipant", "iddemandeur", "identifiantft"),
    "last_name": ("nom", "nomdefamille", "nomdenaissance", "nomusage", "nomparticipant", "lastname"),
    "first_name": ("prenom", "prenoms", "prenomparticipant", "firstname"),
    "sex": ("sexe", "genre", "civilite", "sex"),
    "birth_date": ("datedenaissance", "datenaissance", "naissance", "nele", "neele", "nea", "ddn", "birthdate"),
    "commune": ("commune", "ville", "communederesidence", "localite", "codeinsee", "codepostal", "cp"),
    "address": ("adresse", "adressepostale", "rue", "adresse1"),
    "qpv": ("qpv", "quartier", "quartierprioritaire", "residentqpv", "habiteenqpv"),
    "phone": ("telephone", "tel", "portable", "telephoneportable", "mobile", "numerodetelephone"),
    "email": ("email", "mail", "courriel", "adressemail", "adresseemail", "adressemel", "mel"),
    "qualification_level": ("niveau", "niveaudequalification", "niveauqualification", "niveaudeformation",
                            "diplome", "qualification"),
    "counsellor": ("conseiller", "referent", "conseillerreferent", "cip", "accompagnateur", "referentplie"),
    "antenna": ("antenne", "structure", "antenneplie", "lieudaccueil"),
    "licences": ("permis", "permisetcertificats", "certificats", "caces", "habilitations"),
    "own_vehicle": ("vehicule", "vehiculepersonnel", "vehicule", "vehicul", "motorise", "voiture"),
    "criteria": ("criteres", "critere", "criteresdeligibilite", "criteredeligibilite", "eligibilite", "public",
                 "statut", "publiccible"),
    "validated_on": ("datedevalidation", "datevalidation", "valideele", "validele", "dateeligibilite",
                     "datedeligibilite", "datevalidationeligibilite"),
    "prescriber": ("prescripteur", "orienteur", "orientepar"),
    "reason": ("motif", "avismotive", "motifavis", "justification"),
    "trades": ("metiers", "metier", "coderome", "codesrome", "rome", "metiersrecherches", "metiervise"),
    "notes": ("notes", "commentaire", "commentaires", "observations", "remarques"),
}  # fmt: skip
_ALIASES = {alias: f for f, aliases in ALIASES.items() for alias in aliases}

_SEXES = {
    "f": Sex.FEMALE, "femme": Sex.FEMALE, "feminin": Sex.FEMALE, "mme": Sex.FEMALE, "madame": Sex.FEMALE,
    "mlle": Sex.FEMALE, "2": Sex.FEMALE, "m": Sex.MALE, "h": Sex.MALE, "homme": Sex.MALE, "masculin": Sex.MALE,
    "monsieur": Sex.MALE, "mr": Sex.MALE, "1": Sex.MALE,
}  # fmt: skip
_QUALIFICATIONS = {
    "sans": QualificationLevel.NONE, "aucun": QualificationLevel.NONE, "aucune": QualificationLevel.NONE,
    "sansqualification": QualificationLevel.NONE, "sansdiplome": QualificationLevel.NONE,
    "1": QualificationLevel.NONE, "2": QualificationLevel.NONE, "niveau1": QualificationLevel.NONE,
    "niveau2": QualificationLevel.NONE, "vbis": QualificationLevel.NONE, "vi": QualificationLevel.NONE,
    "3": QualificationLevel.LEVEL_3, "niveau3": QualificationLevel.LEVEL_3, "cap": QualificationLevel.LEVEL_3,
    "bep": QualificationLevel.LEVEL_3, "capbep": QualificationLevel.LEVEL_3, "v": QualificationLevel.LEVEL_3,
    "4": QualificationLevel.LEVEL_4, "niveau4": QualificationLevel.LEVEL_4, "bac": QualificationLevel.LEVEL_4,
    "bacpro": QualificationLevel.LEVEL_4, "iv": QualificationLevel.LEVEL_4,
    "5": QualificationLevel.LEVEL_5, "niveau5": QualificationLevel.LEVEL_5, "bac2": QualificationLevel.LEVEL_5,
    "bts": QualificationLevel.LEVEL_5, "dut": QualificationLevel.LEVEL_5, "iii": QualificationLevel.LEVEL_5,
    "6": QualificationLevel.LEVEL_6_PLUS, "6+": QualificationLevel.LEVEL_6_PLUS,
    "niveau6": QualificationLevel.LEVEL_6_PLUS, "7": QualificationLevel.LEVEL_6_PLUS,
    "8": QualificationLevel.LEVEL_6_PLUS, "bac3": QualificationLevel.LEVEL_6_PLUS,
    "licence": QualificationLevel.LEVEL_6_PLUS, "master": QualificationLevel.LEVEL_6_PLUS,
    "ii": QualificationLevel.LEVEL_6_PLUS, "i": QualificationLevel.LEVEL_6_PLUS,
}  # fmt: skip
for _level in QualificationLevel:
    _QUALIFICATIONS.setdefault(norm_header(_level.label).replace("+", ""), _level)
    _QUALIFICATIONS.setdefault(norm_header(_level.value).replace("+", ""), _level)
_YES = {"oui", "o", "yes", "y", "1", "x", "vrai", "true"}
_NO = {"non", "n", "no", "0", "faux", "false", "-"}
_CRITERION_ALIASES = {
    "deld": "deld", "de longue duree": "deld", "demandeur d'emploi de longue duree": "deld", "dld": "deld",
    "rsa": "rsa", "brsa": "rsa", "beneficiaire du rsa": "rsa", "allocataire du rsa": "rsa",
    "ass": "ass", "ai": "ai_ata", "ata": "ai_ata", "aah": "aah", "invalidite": "pension_invalidite",
    "pension d'invalidite": "pension_invalidite", "rqth": "rqth", "th": "rqth", "boeth": "rqth",
    "travailleur handicape": "rqth", "jeune": "jeune_26", "jeune -26": "jeune_26", "jeune de moins de 26 ans": "jeune_26",
    "moins de 26 ans": "jeune_26", "-26 ans": "jeune_26", "-26": "jeune_26", "senior": "senior_50",
    "50 ans et plus": "senior_50", "+50 ans": "senior_50", "+50": "senior_50", "de 50 ans et plus": "senior_50",
    "senior +50": "senior_50", "siae": "salarie_siae", "salarie siae": "salarie_siae", "geiq": "salarie_siae",
    "epide": "epide_e2c", "e2c": "epide_e2c", "plie": "plie", "participant plie": "plie",
    "avis motive": "avis_motive", "autre": "avis_motive",
}  # fmt: skip
_PRESCRIBERS = {
    "france travail": "France Travail", "ft": "France Travail", "pole emploi": "France Travail",
    "mission locale": "Mission Locale", "ml": "Mission Locale", "maison de l'emploi": "Maison de l'Emploi",
    "mde": "Maison de l'Emploi", "mdph": "MDPH",
}  # fmt: skip
_ROME = re.compile(r"^([A-Na-n]\d{4})\b")
_SPLIT = re.compile(r"[;|\n]")
MAX_ERRORS_SHOWN = 2_000


# --- reading -------------------------------------------------------------------------------------------------------


@dataclass
class RawFile:
    """The cells of a file: its header (made unique) and its rows with their file line (header = line 1)."""

    file_name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    sheet: str | None = None
    encoding: str = ""
    separator: str = ""


def read_file(data: bytes, file_name: str, sheet: str | None = None, limits: Limits | None = None) -> RawFile:
    """The rows of a CSV (UTF-8 with or without BOM, or Windows-1252; ``;``, ``,`` or tab) or ``.xlsx`` file."""
    read = read_table(data, file_name, sheet, limits or Limits())  # the same reader as the hours import
    rows, header_at, encoding, separator, sheet_name = (
        read.rows,
        read.header_at,
        read.encoding,
        read.separator,
        read.sheet,
    )
    header: list[str] = []
    for index, cell in enumerate(rows[header_at]):
        name = " ".join(str(cell).split()) if cell is not None else ""
        name = name or f"Colonne {index + 1}"
        while name in header:
            name = f"{name} ({index + 1})"
        header.append(name)
    width = len(header)
    body = [
        (header_at + i + 2, list(r[:width]) + [None] * (width - len(r))) for i, r in enumerate(rows[header_at + 1 :])
    ]
    return RawFile(file_name, header, body, sheet_name, encoding, separator)


# --- mapping -------------------------------------------------------------------------------------------------------


def guess_mapping(header: list[str]) -> dict[str, str]:
    """{file column: field} from the usual names of the columns (case, accents, spaces and ``_`` ignored); each
    field is given to its first column only."""
    mapping: dict[str, str] = {}
    for name in header:
        wanted = _ALIASES.get(norm_header(name))
        if wanted and wanted not in mapping.values():
            mapping[name] = wanted
    return mapping


def mapping_for(header: list[str], saved: dict[str, str] | None) -> dict[str, str]:
    """A saved mapping applied to a file's header (columns matched without case nor accents); the columns it does
    not name are guessed."""
    if not saved:
        return guess_mapping(header)
    by_norm = {norm_header(k): v for k, v in saved.items() if v in FIELDS}
    mapping: dict[str, str] = {}
    for name in header:
        wanted = by_norm.get(norm_header(name))
        if wanted and wanted not in mapping.values():
            mapping[name] = wanted
    for name, wanted in guess_mapping(header).items():
        if name not in mapping and wanted not in mapping.values():
            mapping[name] = wanted
    return mapping


def saved_mappings(session: Session) -> dict[str, dict[str, str]]:
    """The saved mappings of participant files, by name."""
    rows = session.exec(
        select(ColumnMapping).where(ColumnMapping.kind == ImportKind.PARTICIPANTS).order_by(ColumnMapping.name)
    ).all()
    return {r.name: json.loads(r.mapping) for r in rows}


def best_mapping(saved: dict[str, dict[str, str]], header: list[str]) -> str | None:
    """The saved mapping that fits this file best: the one naming the most of its columns (all it names must be
    in the file); None when none fits."""
    present = {norm_header(h) for h in header}
    best, best_count = None, 0
    for name, mapping in saved.items():
        named = {norm_header(k) for k, v in mapping.items() if v in FIELDS}
        if named and named <= present and len(named) > best_count:
            best, best_count = name, len(named)
    return best


def save_mapping(session: Session, user: CurrentUser, name: str, mapping: dict[str, str]) -> ColumnMapping:
    """Save (or replace) a mapping under ``name``, for the next file of the same software."""
    require(user, Role.SAISIE)
    clean = " ".join((name or "").split())
    if not clean:
        raise ValidationError({"mapping_name": "Donnez un nom à cette correspondance (par exemple le logiciel)."})
    if len(clean) > 120:
        raise ValidationError({"mapping_name": "Le nom ne doit pas dépasser 120 caractères."})
    kept = {column: wanted for column, wanted in mapping.items() if wanted in FIELDS}
    if not kept:
        raise ValidationError({"mapping_name": "Aucune colonne n'est associée à un champ : rien à enregistrer."})
    text = json.dumps(kept, ensure_ascii=False, sort_keys=True)
    row = session.exec(
        select(ColumnMapping).where(ColumnMapping.kind == ImportKind.PARTICIPANTS, ColumnMapping.name == clean)
    ).first()
    if row is None:
        row = ColumnMapping(kind=ImportKind.PARTICIPANTS, name=clean, mapping=text, created_by=user.login)
        action = "création"
    else:
        row.mapping, row.created_by, row.created_at = text, user.login, utcnow()
        action = "modification"
    session.add(row)
    session.flush()
    audit.record(
        session, user.login, action, "columnmapping", row.id, f"Correspondance « {clean} » ({len(kept)} colonnes)"
    )
    return row


def mapping_problems(mapping: dict[str, str]) -> list[str]:
    """Why a mapping cannot be previewed (French): a required field without a column, a field given twice."""
    problems = []
    fields = [f for f in mapping.values() if f]
    for wanted in REQUIRED:
        if wanted not in fields:
            problems.append(f"Associez une colonne au champ « {FIELDS[wanted]} » (obligatoire).")
    for wanted in sorted({f for f in fields if fields.count(f) > 1}):
        problems.append(f"Le champ « {FIELDS.get(wanted, wanted)} » est associé à plusieurs colonnes.")
    if "criteria" in fields and "validated_on" not in fields:
        problems.append("Les critères d'éligibilité demandent aussi la colonne de leur date de validation.")
    return problems


# --- values ----------------------------------------------------------------------------------------------------


class _Bad(ValueError):
    """A cell refused, with its French reason."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


def _fold(value: Any) -> str:
    return " ".join(ascii_fold(_text(value)).lower().replace("’", "'").split())


def parse_date(value: Any, what: str = "date") -> date:
    """A date from an Excel date, ``31/12/1990``, ``31-12-1990``, ``31.12.1990``, ``1990-12-31``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text)
    try:
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$", text)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise _Bad(f"{what} impossible") from None
    raise _Bad(f"{what} illisible (attendu jj/mm/aaaa)")


@dataclass
class _Refs:
    communes: dict[str, int]  # folded name, INSEE code, unique postal code → id
    commune_names: dict[int, str]
    qpv: dict[str, int]  # folded name or code → id
    qpv_by_commune: dict[int, list[int]]
    qpv_commune: dict[int, int | None]
    criteria: dict[str, str]  # folded code, label or alias → code
    criteria_needing_reason: set[str]
    trades: dict[str, str]  # code → code, folded label → code
    by_key: dict[tuple[str, date | None], int]  # (name key, birth date) → participant id
    by_external: dict[str, int]


def _load_refs(session: Session) -> _Refs:
    communes: dict[str, int] = {}
    names: dict[int, str] = {}
    postal: dict[str, set[int]] = {}
    for cid, name, insee, codes in session.exec(
        select(Commune.id, Commune.name, Commune.insee_code, Commune.postal_codes)
    ):
        names[cid] = name
        communes.setdefault(_fold(name), cid)
        communes.setdefault(_fold(name).replace("-", " "), cid)
        if insee:
            communes.setdefault(insee, cid)
        for code in (codes or "").split(";"):
            if code.strip():
                postal.setdefault(code.strip(), set()).add(cid)
    for code, ids in postal.items():
        if len(ids) == 1:
            communes.setdefault(code, next(iter(ids)))
    qpv: dict[str, int] = {}
    by_commune: dict[int, list[int]] = {}
    qpv_commune: dict[int, int | None] = {}
    for qid, name, code, commune_id in session.exec(
        select(Qpv.id, Qpv.name, Qpv.code, Qpv.commune_id).order_by(Qpv.list_year.desc())
    ):
        qpv.setdefault(_fold(name), qid)
        if code:
            qpv.setdefault(_fold(code), qid)
        qpv_commune[qid] = commune_id
        if commune_id:
            by_commune.setdefault(commune_id, []).append(qid)
    criteria: dict[str, str] = {}
    needing: set[str] = set()
    for code, label, needs_reason in session.exec(
        select(EligibilityCriterion.code, EligibilityCriterion.label, EligibilityCriterion.needs_reason).where(
            col(EligibilityCriterion.active).is_(True)
        )
    ):
        criteria[_fold(code)] = code
        criteria[_fold(label)] = code
        if needs_reason:
            needing.add(code)
    for alias, code in _CRITERION_ALIASES.items():
        if code in criteria.values():
            criteria.setdefault(alias, code)
    trades: dict[str, str] = {}
    for code, label in session.exec(select(Trade.code, Trade.label)):
        trades[code] = code
        trades.setdefault(_fold(label), code)
    by_key: dict[tuple[str, date | None], int] = {}
    by_external: dict[str, int] = {}
    for pid, key, birth, external in session.exec(
        select(Participant.id, Participant.name_key, Participant.birth_date, Participant.external_id)
        .where(col(Participant.anonymised_at).is_(None))
        .order_by(Participant.id)
    ):
        by_key.setdefault((key, birth), pid)
        if external:
            by_external.setdefault(external, pid)
    return _Refs(communes, names, qpv, by_commune, qpv_commune, criteria, needing, trades, by_key, by_external)


def _split(value: Any) -> list[str]:
    return [p.strip() for p in _SPLIT.split(_text(value) if not isinstance(value, str) else value) if p.strip()]


def _criteria(value: Any, refs: _Refs) -> list[str]:
    whole = _fold(value)
    if whole in refs.criteria:
        return [refs.criteria[whole]]
    parts = [p for chunk in _split(value) for p in (chunk.split(",") if _fold(chunk) not in refs.criteria else [chunk])]
    codes, unknown = [], []
    for part in parts:
        code = refs.criteria.get(_fold(part))
        if code is None:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise _Bad("critère d'éligibilité inconnu : " + ", ".join(f"« {u} »" for u in unknown if u))
    return codes


def _trades(value: Any, refs: _Refs) -> list[str]:
    codes, unknown = [], []
    for part in [p for chunk in _split(value) for p in chunk.split(",")]:
        text = part.strip()
        if not text:
            continue
        m = _ROME.match(text)
        code = refs.trades.get(m[1].upper()) if m else refs.trades.get(_fold(text))
        if code is None:
            unknown.append(text)
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise _Bad("code ROME ou métier inconnu : " + ", ".join(f"« {u} »" for u in unknown))
    return codes


# --- preview -------------------------------------------------------------------------------------------------------


@dataclass
class Person:
    """One person of the file (one line, or several grouped), with the checked values."""

    lines: list[int]
    values: dict[str, Any]  # Participant fields
    trades: list[str] = field(default_factory=list)
    eligibility: list[tuple[str, date, str]] = field(default_factory=list)  # (criterion, validated on, reason)
    participant_id: int | None = None  # a known person
    version: int | None = None
    adds: list[str] = field(default_factory=list)  # what a merge would add (French), for a known person

    @property
    def line(self) -> int:
        return self.lines[0]

    @property
    def key(self) -> tuple[str, date | None]:
        return self.values["name_key"], self.values.get("birth_date")

    @property
    def name(self) -> str:
        return f"{self.values['last_name']} {self.values['first_name']}"


@dataclass
class Preview:
    """What an import would do; nothing is written until ``apply``."""

    file_name: str
    new: list[Person] = field(default_factory=list)
    known: list[Person] = field(default_factory=list)
    grouped: list[tuple[int, int]] = field(default_factory=list)  # (line, line it was grouped with)
    errors: list[LineError] = field(default_factory=list)
    ignored: list[int] = field(default_factory=list)  # blank lines
    lines_read: int = 0
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.lines_read} ligne(s) lue(s) : {len(self.new)} personne(s) à créer, {len(self.known)} déjà "
            f"connue(s), {len(self.grouped)} ligne(s) regroupée(s), {len(self.errors)} erreur(s)."
        )


_TEXT_FIELDS = {"external_id": 60, "last_name": 120, "first_name": 120, "address": 300, "counsellor": 120,
                "antenna": 120, "reason": 2000, "notes": 10_000}  # fmt: skip


def _parse_line(cells: dict[str, tuple[str, Any]], refs: _Refs, today: date) -> tuple[dict, list, list, list]:
    """The values of one line, its trades and criteria, and its errors as (column, value, reason)."""
    values: dict[str, Any] = {}
    errors: list[tuple[str, str, str]] = []

    def cell(name: str) -> tuple[str, Any]:
        return cells.get(name, ("", None))

    def bad(name: str, reason: str) -> None:
        column, value = cell(name)
        errors.append((column, _text(value), reason))

    too_long = {name for name, (_, value) in cells.items() if isinstance(value, TooLong)}
    for name in too_long:
        column, value = cells[name]
        errors.append((column, str(value), f"cellule trop longue ({value.length} caractères)"))
        cells = {**cells, name: (column, None)}

    for name, limit in _TEXT_FIELDS.items():
        text = _text(cell(name)[1]) if name != "notes" else str(cell(name)[1] or "").strip()
        if len(text) > limit:
            bad(name, f"trop long ({len(text)} caractères, {limit} au plus)")
        values[name] = text
    for name in ("last_name", "first_name"):
        if not values[name] and name not in too_long:
            bad(name, "obligatoire")
    values["external_id"] = values["external_id"] or None

    def parsed(name: str, parse) -> Any:
        raw = cell(name)[1]
        if _text(raw) == "":
            return None
        try:
            return parse(raw)
        except _Bad as exc:
            bad(name, str(exc))
            return None

    def sex(raw: Any) -> Sex:
        found = _SEXES.get(_fold(raw).rstrip("."))
        if found is None:
            raise _Bad("sexe inconnu (attendu F ou M, Femme ou Homme)")
        return found

    values["sex"] = parsed("sex", sex)
    values["birth_date"] = parsed("birth_date", lambda raw: parse_date(raw, "date de naissance"))
    if values["birth_date"] is not None and not (date(1900, 1, 1) <= values["birth_date"] <= today):
        bad("birth_date", "date de naissance impossible")
        values["birth_date"] = None
    elif values["birth_date"] is not None and rules.age_on(values["birth_date"], today) < 14:
        bad("birth_date", "date de naissance donnant moins de 14 ans")
    elif values["birth_date"] is None and _text(cell("birth_date")[1]) == "":
        bad("birth_date", "obligatoire (elle sert à reconnaître les personnes déjà connues)")

    def commune(raw: Any) -> int:
        text = _fold(raw)
        found = refs.communes.get(text) or refs.communes.get(text.replace("-", " "))
        if found is None and re.fullmatch(r"\d{5}", _text(raw)):
            found = refs.communes.get(_text(raw))
        if found is None:
            raise _Bad("commune inconnue du territoire")
        return found

    values["commune_id"] = parsed("commune", commune)

    def qpv(raw: Any) -> int | None:
        text = _fold(raw)
        if text in _NO:
            return None
        if text in _YES:
            candidates = refs.qpv_by_commune.get(values.get("commune_id") or -1, [])
            if len(candidates) == 1:
                return candidates[0]
            raise _Bad("indiquez le nom du quartier prioritaire (la commune n'en a pas un seul)")
        found = refs.qpv.get(text)
        if found is None:
            raise _Bad("quartier prioritaire inconnu")
        where = refs.qpv_commune.get(found)
        if where and values.get("commune_id") and where != values["commune_id"]:
            raise _Bad("ce quartier prioritaire n'est pas dans la commune de la ligne")
        return found

    values["qpv_id"] = parsed("qpv", qpv)

    def phone(raw: Any) -> str:
        text = _text(raw)
        if isinstance(raw, int | float) and not isinstance(raw, bool):  # Excel dropped the leading 0
            text = "0" + text if len(text) == 9 else text
        if len(text) > 30 or check_phone(text):
            raise _Bad("téléphone invalide")
        return text

    values["phone"] = parsed("phone", phone) or ""

    def email(raw: Any) -> str:
        text = _text(raw)
        if len(text) > 200 or check_email(text):
            raise _Bad("e-mail invalide")
        return text

    values["email"] = parsed("email", email) or ""

    def qualification(raw: Any) -> QualificationLevel:
        text = norm_header(raw).replace("+", "")
        found = _QUALIFICATIONS.get(text) or _QUALIFICATIONS.get(text.removeprefix("niveau"))
        if found is None:
            raise _Bad("niveau de qualification inconnu (attendu sans, 3, 4, 5, 6+, CAP, Bac…)")
        return found

    values["qualification_level"] = parsed("qualification_level", qualification)
    licences = join_licences(split_licences([p for chunk in _split(cell("licences")[1]) for p in chunk.split(",")]))
    if len(licences) > 300:
        bad("licences", "trop long (300 caractères au plus)")
    values["licences"] = licences

    def vehicle(raw: Any) -> bool:
        text = _fold(raw)
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise _Bad("attendu oui ou non")

    values["own_vehicle"] = bool(parsed("own_vehicle", vehicle))
    trades = parsed("trades", lambda raw: _trades(raw, refs)) or []
    criteria = parsed("criteria", lambda raw: _criteria(raw, refs)) or []
    validated_on = parsed("validated_on", lambda raw: parse_date(raw, "date de validation"))
    if validated_on is not None and validated_on > today:
        bad("validated_on", "date de validation dans le futur")
        validated_on = None
    prescriber = ""
    raw_prescriber = cell("prescriber")[1]
    if _text(raw_prescriber):
        prescriber = _PRESCRIBERS.get(_fold(raw_prescriber), "")
        if not prescriber:
            bad("prescriber", "prescripteur inconnu (France Travail, Mission Locale, Maison de l'Emploi, MDPH)")
    eligibility: list[tuple[str, date, str]] = []
    if criteria and validated_on is None and _text(cell("validated_on")[1]) == "":
        bad("validated_on", "obligatoire quand la ligne donne des critères d'éligibilité")
    if criteria and validated_on is not None:
        for code in criteria:
            needs_reason = code in refs.criteria_needing_reason or code == rules.REASONED_OPINION
            problem = rules.criterion_problem(
                code,
                on=validated_on,
                birth_date=values["birth_date"],
                needs_reason=needs_reason,
                reason=values["reason"],
                prescriber=prescriber or rules.split_reason(values["reason"])[0],
            )
            if problem:
                bad("criteria", problem)
                continue
            if needs_reason:
                given, text = (prescriber, values["reason"]) if prescriber else rules.split_reason(values["reason"])
                reason = rules.join_reason(given, text)
            else:
                reason = values["reason"]
            eligibility.append((code, validated_on, reason))
    del values["reason"]
    if values["last_name"] and values["first_name"]:
        values["name_key"] = name_key(values["last_name"], values["first_name"])
    return values, trades, eligibility, errors


_MERGE_FIELDS = (
    "sex", "birth_date", "commune_id", "address", "qpv_id", "phone", "email", "qualification_level", "counsellor",
    "antenna", "licences", "external_id", "notes",
)  # fmt: skip
_MERGE_LABELS = {
    "sex": "sexe", "birth_date": "date de naissance", "commune_id": "commune", "address": "adresse", "qpv_id": "QPV",
    "phone": "téléphone", "email": "e-mail", "qualification_level": "niveau", "counsellor": "conseiller",
    "antenna": "antenne", "licences": "permis", "external_id": "identifiant", "notes": "notes",
}  # fmt: skip


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _group(into: Person, other: Person) -> None:
    """A later line of the same person fills what the first leaves empty; trades and criteria add up."""
    into.lines.extend(other.lines)
    for name, value in other.values.items():
        if _empty(into.values.get(name)) and not _empty(value):
            into.values[name] = value
    if other.values.get("own_vehicle"):
        into.values["own_vehicle"] = True
    into.trades.extend(c for c in other.trades if c not in into.trades)
    into.eligibility.extend(e for e in other.eligibility if e[:2] not in {x[:2] for x in into.eligibility})


def preview(session: Session, raw: RawFile, mapping: dict[str, str], today: date) -> Preview:
    """Check every line of ``raw`` under ``mapping`` ({file column: field}); nothing is written."""
    problems = mapping_problems(mapping)
    if problems:
        raise FileError(" ".join(problems))
    refs = _load_refs(session)
    index = {wanted: (column, raw.header.index(column)) for column, wanted in mapping.items() if wanted in FIELDS}
    result = Preview(raw.file_name, mapping=dict(mapping))
    people: dict[tuple[str, date | None], Person] = {}
    order: list[Person] = []
    by_external_line: dict[str, tuple[str, date | None]] = {}
    for line, cells in raw.rows:
        if is_blank(cells):
            result.ignored.append(line)
            continue
        result.lines_read += 1
        named = {wanted: (column, cells[i]) for wanted, (column, i) in index.items()}
        values, trades, eligibility, errors = _parse_line(named, refs, today)
        for column, value, reason in errors:
            result.errors.append(LineError(line, column, value, reason))
        if errors:
            continue
        person = Person([line], values, trades, eligibility)
        external = values.get("external_id")
        if external and external in by_external_line and by_external_line[external] != person.key:
            column = index["external_id"][0]
            result.errors.append(
                LineError(
                    line, column, external, "identifiant déjà donné à une autre personne plus haut dans le fichier"
                )
            )
            continue
        first = people.get(person.key)
        if first is not None:
            _group(first, person)
            result.grouped.append((line, first.line))
            continue
        people[person.key] = person
        order.append(person)
        if external:
            by_external_line[external] = person.key

    for person in order:
        known = refs.by_key.get(person.key)
        external = person.values.get("external_id")
        by_id = refs.by_external.get(external) if external else None
        if by_id is not None and by_id != known:
            result.errors.append(
                LineError(
                    person.line,
                    index["external_id"][0],
                    external,
                    f"identifiant déjà celui du participant n° {by_id}, dont le nom ou la date de naissance diffère : "
                    "corrigez le fichier ou la fiche",
                )
            )
            continue
        if known is None:
            result.new.append(person)
        else:
            person.participant_id = known
            result.known.append(person)
    result.errors.sort(key=lambda e: (e.line, e.column))
    if result.known and not result.errors:
        _describe_merges(session, result.known)
    return result


def _describe_merges(session: Session, known: list[Person]) -> None:
    """For each known person: what a merge would add (its version is kept to detect a change meanwhile)."""
    ids = [p.participant_id for p in known]
    current = {p.id: p for p in session.exec(select(Participant).where(col(Participant.id).in_(ids)))}
    trades: dict[int, set[str]] = {}
    for pid, code in session.exec(
        select(ParticipantTrade.participant_id, ParticipantTrade.trade_code).where(
            col(ParticipantTrade.participant_id).in_(ids)
        )
    ):
        trades.setdefault(pid, set()).add(code)
    criteria: dict[int, set[tuple[str, date]]] = {}
    for pid, code, validated in session.exec(
        select(Eligibility.participant_id, Eligibility.criterion_code, Eligibility.validated_on).where(
            col(Eligibility.participant_id).in_(ids)
        )
    ):
        criteria.setdefault(pid, set()).add((code, validated))
    for person in known:
        record = current[person.participant_id]
        person.version = record.version
        adds = [
            _MERGE_LABELS[name]
            for name in _MERGE_FIELDS
            if _empty(getattr(record, name)) and not _empty(person.values.get(name))
        ]
        if person.values.get("own_vehicle") and not record.own_vehicle:
            adds.append("véhicule")
        new_trades = [c for c in person.trades if c not in trades.get(record.id, set())]
        if new_trades:
            adds.append("métiers " + ", ".join(new_trades))
        new_criteria = [e for e in person.eligibility if e[:2] not in criteria.get(record.id, set())]
        if new_criteria:
            adds.append("critères " + ", ".join(f"{c} ({d:%d/%m/%Y})" for c, d, _ in new_criteria))
        person.adds = adds
        person.trades = new_trades
        person.eligibility = new_criteria


def describe(people: list[Person], limit: int = 2_000) -> list[dict[str, Any]]:
    """People of a preview for display (at most ``limit``)."""
    return [
        {
            "Ligne": ", ".join(map(str, p.lines)),
            "Nom": p.values["last_name"],
            "Prénom": p.values["first_name"],
            "Date de naissance": p.values.get("birth_date"),
            "Participant n°": p.participant_id,
            "La fusion ajoute": ", ".join(p.adds) if p.participant_id else "",
            "Métiers": ", ".join(p.trades),
            "Critères": ", ".join(c for c, _, _ in p.eligibility),
        }
        for p in people[:limit]
    ]


# --- apply ---------------------------------------------------------------------------------------------------------

STALE = "Des participants ont été enregistrés depuis l'aperçu : relancez l'aperçu. Rien n'a été enregistré."


def apply(
    session: Session,
    preview_: Preview,
    user: CurrentUser,
    file_name: str,
    file_checksum: str,
    *,
    merge: set[int] | frozenset[int] | None = None,
    today: date,
) -> ImportBatch:
    """Write a checked preview in the caller's transaction (all or nothing): create the new people, merge the known
    ones whose participant id is in ``merge`` (all of them when None), skip the others.

    As for the hours: the writes run under a savepoint, so a refusal (someone created the same people or changed a
    merged record meanwhile) leaves nothing of this import, whatever the caller then commits, but its audit line."""
    require(user, Role.SAISIE)
    if preview_.errors:
        raise DomainError(
            f"Le fichier comporte {len(preview_.errors)} erreur(s) : corrigez-le, rien n'a été enregistré."
        )
    try:
        with savepoint(session):
            return _apply(session, preview_, user, file_name, file_checksum, merge=merge, today=today)
    except DomainError as refusal:
        audit.record(session, user.login, "import de participants refusé", "importbatch", None,
                     f"{file_name} : {refusal}")  # fmt: skip
        session.flush()
        raise


def _apply(
    session: Session,
    preview_: Preview,
    user: CurrentUser,
    file_name: str,
    file_checksum: str,
    *,
    merge: set[int] | frozenset[int] | None,
    today: date,
) -> ImportBatch:
    merge_ids = {p.participant_id for p in preview_.known} if merge is None else set(merge)
    _check_still_new(session, preview_.new)

    trades: list[dict[str, Any]] = []
    criteria: list[dict[str, Any]] = []
    created = merged = unchanged = 0
    now = utcnow()
    if preview_.new:  # one INSERT … RETURNING for all the new people, their ids in the order of the rows
        base = Participant(last_name="", first_name="").model_dump(exclude={"id"}) | {"created_at": now}
        rows = [
            base | {k: v for k, v in person.values.items() if k in Participant.model_fields} for person in preview_.new
        ]
        ids = session.execute(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True), rows
        ).scalars()
        for participant_id, person in zip(ids, preview_.new, strict=True):
            _links(participant_id, person, user, now, trades, criteria)
            created += 1
    to_merge = [p.participant_id for p in preview_.known if p.participant_id in merge_ids and p.adds]
    records: dict[int, Participant] = {}
    for start in range(0, len(to_merge), 2_000):
        records |= {
            r.id: r
            for r in session.exec(select(Participant).where(col(Participant.id).in_(to_merge[start : start + 2_000])))
        }
    for person in preview_.known:
        if person.participant_id not in merge_ids or not person.adds:
            unchanged += 1
            continue
        record = records.get(person.participant_id)
        if record is None or record.anonymised_at is not None:
            raise DomainError(STALE)
        changes = {
            name: person.values[name]
            for name in _MERGE_FIELDS
            if _empty(getattr(record, name)) and not _empty(person.values.get(name))
        }
        if person.values.get("own_vehicle") and not record.own_vehicle:
            changes["own_vehicle"] = True
        try:
            update_versioned(
                session, Participant, record.id, person.version, f"la fiche du participant n° {record.id}", **changes
            )
        except ConcurrentEditError:
            raise DomainError(STALE) from None
        session.expire(record)
        _links(record.id, person, user, now, trades, criteria)
        merged += 1
    if trades:
        session.execute(insert(ParticipantTrade), trades)
    if criteria:
        session.execute(insert(Eligibility), criteria)
    batch = ImportBatch(
        kind=ImportKind.PARTICIPANTS,
        file_name=file_name[:250],
        checksum=file_checksum,
        by=user.login,
        rows_added=created,
        rows_changed=merged,
        rows_unchanged=unchanged,
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        user.login,
        "import des participants",
        "importbatch",
        batch.id,
        f"{file_name} : {created} créé(s), {merged} complété(s), {unchanged} inchangé(s) ou ignoré(s)",
    )
    return batch


def _check_still_new(session: Session, people: list[Person]) -> None:
    """Refuse when one of the people to create was recorded since the preview (set-based reads)."""
    keys = {p.key for p in people}
    names = sorted({key for key, _ in keys})
    for start in range(0, len(names), 2_000):
        for key, birth in session.exec(
            select(Participant.name_key, Participant.birth_date).where(
                col(Participant.name_key).in_(names[start : start + 2_000]), col(Participant.anonymised_at).is_(None)
            )
        ):
            if (key, birth) in keys:
                raise DomainError(STALE)
    externals = sorted({p.values["external_id"] for p in people if p.values.get("external_id")})
    for start in range(0, len(externals), 2_000):
        if session.exec(
            select(Participant.id).where(col(Participant.external_id).in_(externals[start : start + 2_000]))
        ).first():
            raise DomainError(STALE)


def _links(
    participant_id: int, person: Person, user: CurrentUser, now: datetime, trades: list[dict], criteria: list[dict]
) -> None:
    """The trades and eligibility criteria of one person, added to the rows written at the end."""
    for code in person.trades:
        trades.append(
            {"participant_id": participant_id, "trade_code": code, "experience": ExperienceLevel.NONE,
             "experience_months": 0}
        )  # fmt: skip
    for code, validated_on, reason in person.eligibility:
        criteria.append(
            {"participant_id": participant_id, "criterion_code": code, "proof_date": None,
             "validated_on": validated_on, "validated_by": user.login, "reason": reason, "created_at": now}
        )  # fmt: skip


def list_batches(session: Session, limit: int = 50) -> list[ImportBatch]:
    """The latest participant imports, newest first."""
    return list(
        session.exec(
            select(ImportBatch)
            .where(ImportBatch.kind == ImportKind.PARTICIPANTS)
            .order_by(col(ImportBatch.id).desc())
            .limit(limit)
        )
    )
