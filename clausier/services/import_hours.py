"""Monthly hours statement import (DESIGN §5.1): read a CSV or Excel file, preview every line, apply, undo.

    raw = read_table(data, "releve-mars.csv")             # FileError (French) when the file cannot be used
    pv = preview(session, raw, today=date.today())       # errors, to_add, unchanged, changed — nothing written
    batch = apply(session, pv, user, "releve-mars.csv", checksum(data))   # in the caller's transaction
    undo(session, batch.id, admin)

Fast on big files: the companies, commitments, participants and existing entries are loaded in a few set-based
queries, every line is then checked against dictionaries, and the writes are Core ``executemany`` statements.
"""

from __future__ import annotations

import csv
import difflib
import gc
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from clausier import settings
from clausier.errors import DomainError
from clausier.rules.names import ascii_fold, name_key
from clausier.rules.siret import check_siret
from clausier.services import audit, contracts, hours_totals
from clausier.services.users import CurrentUser, require
from models import Commitment, Company, EmploymentContract, HoursEntry, Lot, Participant
from models.base import utcnow
from models.enums import ImportKind, Modality, Role
from models.hours import HoursChange, ImportBatch

PROGRESS_EVERY = 5000
STALE = "Des heures ont été enregistrées depuis l'aperçu : relancez l'aperçu. Rien n'a été enregistré."
MAX_SUGGESTED_ALL = 50  # unknown names compared with every participant (the rest: the company's people only)

# --- reading ---------------------------------------------------------------------------------------------------

COLUMNS: dict[str, tuple[str, ...]] = {
    "siret": ("siret", "siretentreprise", "siretattributaire", "siretdelentreprise"),
    "marche": ("marche", "lot", "reference", "referencelot", "referencemarche", "numeromarche", "reflot", "numerolot"),
    "nom": ("nom", "nomparticipant", "nomdefamille", "nomsalarie", "nomdusalarie"),
    "prenom": ("prenom", "prenomparticipant", "prenomsalarie", "prenomdusalarie"),
    "date_naissance": ("datenaissance", "datedenaissance", "naissance", "nele", "nea", "neele"),
    "id_participant": ("idparticipant", "identifiantparticipant", "identifiant", "id", "participantid", "idplie"),
    "mois": ("mois", "periode", "moisconcerne", "moisdetravail", "date"),
    "heures": ("heures", "nbheures", "nombreheures", "nombredheures", "heuresrealisees", "heuresinsertion"),
    "modalite": ("modalite", "modalites"),
    "employeur_siret": ("employeursiret", "siretemployeur", "siretdelemployeur"),
}
LABELS = {
    "siret": "siret",
    "marche": "marche",
    "nom": "nom",
    "prenom": "prenom",
    "date_naissance": "date_naissance",
    "id_participant": "id_participant",
    "mois": "mois",
    "heures": "heures",
    "modalite": "modalite",
    "employeur_siret": "employeur_siret",
}


class FileError(DomainError):
    """The file as a whole cannot be read (format, encoding, missing column): a French message."""


def norm_header(value: object) -> str:
    return re.sub(r"[\s_\-.'’()°]", "", ascii_fold(str(value or "")).lower())


_ALIASES = {alias: canonical for canonical, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class RawTable:
    """The cells of a file, with the position of each known column (``columns[canonical] = index``)."""

    file_name: str
    header: list[str]
    columns: dict[str, int]
    rows: list[tuple[int, list[Any]]]  # (file line, cells) — header = line 1
    encoding: str = ""
    separator: str = ""
    sheet: str | None = None

    def column_label(self, canonical: str) -> str:
        index = self.columns.get(canonical)
        return self.header[index] if index is not None else LABELS[canonical]


def checksum(data: bytes) -> str:
    """SHA-256 of the file's bytes (recorded with the import)."""
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _separator(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ";"


def is_blank(cells: Iterable[Any]) -> bool:
    for c in cells:  # a plain loop: it stops at the first filled cell, i.e. usually the first one
        if c is None or (isinstance(c, str) and not c.strip()):
            continue
        return False
    return True


def _read_csv(data: bytes) -> tuple[list[list[Any]], str, str]:
    text, encoding = _decode(data)
    sep = _separator(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return rows, encoding, sep


def _read_xlsx(data: bytes, sheet: str | None) -> tuple[list[list[Any]], str]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # zipfile.BadZipFile, KeyError, InvalidFileException …
        raise FileError(f"Le fichier Excel ne peut pas être lu ({type(error).__name__}).") from None
    try:
        if sheet:
            if sheet not in book.sheetnames:
                raise FileError(
                    f"La feuille « {sheet} » n'existe pas ; feuilles du classeur : {', '.join(book.sheetnames)}."
                )
            ws = book[sheet]
        else:
            ws = book.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        return rows, ws.title
    finally:
        book.close()


@dataclass
class Rows:
    """The cells of a file as read, before any column is interpreted; ``header_at``: the first non-blank row."""

    rows: list[list[Any]]
    header_at: int
    encoding: str = ""
    separator: str = ""
    sheet: str | None = None


def read_rows(data: bytes, file_name: str, sheet: str | None = None) -> Rows:
    """The rows of a CSV (UTF-8 with or without BOM, or Windows-1252; ``;``, ``,`` or tab detected) or ``.xlsx``
    file (first or chosen sheet), shared by the hours and the participants imports; FileError in French."""
    suffix = PurePath(file_name).suffix.lower()
    encoding = separator = ""
    sheet_name = None
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        rows, sheet_name = _read_xlsx(data, sheet)
    elif suffix == ".xls":
        raise FileError("Le format .xls (Excel 97) n'est pas lu : enregistrez le fichier en .xlsx ou en CSV.")
    else:
        rows, encoding, separator = _read_csv(data)
    header_at = next((i for i, r in enumerate(rows) if not is_blank(r)), None)
    if header_at is None:
        raise FileError("Le fichier est vide.")
    return Rows(rows, header_at, encoding, separator, sheet_name)


def read_table(data: bytes, file_name: str, sheet: str | None = None) -> RawTable:
    """The rows of a CSV (UTF-8 with or without BOM, or Windows-1252; ``;`` or ``,``) or ``.xlsx`` file."""
    read = read_rows(data, file_name, sheet)
    rows, header_at, encoding, separator, sheet_name = (
        read.rows,
        read.header_at,
        read.encoding,
        read.separator,
        read.sheet,
    )
    header = ["" if c is None else str(c).strip() for c in rows[header_at]]
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        canonical = _ALIASES.get(norm_header(name))
        if canonical and canonical not in columns:
            columns[canonical] = index
    missing = [c for c in ("siret", "mois", "heures") if c not in columns]
    if "id_participant" not in columns and not ("nom" in columns and "prenom" in columns):
        missing.append("nom et prenom (ou id_participant)")
    if missing:
        found = ", ".join(h for h in header if h) or "aucune"
        raise FileError(
            f"Colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}. Colonnes trouvées : {found}. "
            "Attendu : siret, nom, prenom (ou id_participant), mois, heures ; facultatif : marche, date_naissance, "
            "modalite, employeur_siret."
        )
    body = [(header_at + i + 2, r) for i, r in enumerate(rows[header_at + 1 :])]
    return RawTable(file_name, header, columns, body, encoding, separator, sheet_name)


# --- values ----------------------------------------------------------------------------------------------------

MONTHS_FR = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10,
    "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_RE_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_RE_MY = re.compile(r"^(?:(\d{1,2})[-/.])?(\d{1,2})[-/.](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_RE_NAMED = re.compile(r"^([a-z]+)\.?[\s\-/]*(\d{4}|\d{2})$")


class _Bad(ValueError):
    """A cell value refused, with its French reason."""


def _month_key(year: int, month: int, day: int | None = None) -> date:
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise _Bad("mois impossible")
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise _Bad("date impossible") from None
    return date(year, month, 1)


def parse_month(value: Any) -> date:
    """The first day of the month of ``2026-03``, ``03/2026``, ``3/2026``, ``mars 2026``, ``31/03/2026`` or a date."""
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    text = ascii_fold(str(value if value is not None else "")).strip().lower()
    if not text:
        raise _Bad("mois absent")
    m = _RE_YM.match(text)
    if m:
        return _month_key(int(m[1]), int(m[2]), int(m[3]) if m[3] else None)
    m = _RE_MY.match(text)
    if m:
        return _month_key(int(m[3]), int(m[2]), int(m[1]) if m[1] else None)
    m = _RE_NAMED.match(text)
    if m and m[1] in MONTHS_FR:
        year = int(m[2])
        return _month_key(year + 2000 if year < 100 else year, MONTHS_FR[m[1]])
    raise _Bad("mois illisible (attendu 2026-03, 03/2026, mars 2026 ou 31/03/2026)")


def parse_hours(value: Any) -> int:
    """Hundredths of an hour from ``151,67``, ``151.67``, ``1 234,5`` or a number."""
    if isinstance(value, bool):
        raise _Bad("n'est pas un nombre")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Bad("n'est pas un nombre")
        return int(Decimal(repr(value)).scaleb(2).quantize(Decimal(1), ROUND_HALF_UP))
    text = str(value or "").strip()
    for space in (" ", "\u00a0", "\u202f", "'"):
        text = text.replace(space, "")
    if text.lower().endswith("h"):
        text = text[:-1]
    if "," in text and "." in text:  # 1.234,5 or 1,234.5: the last one is the decimal mark
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    else:
        text = text.replace(",", ".")
    if not text:
        raise _Bad("heures absentes")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Bad("n'est pas un nombre") from None
    if not number.is_finite():
        raise _Bad("n'est pas un nombre")
    return int(number.scaleb(2).quantize(Decimal(1), ROUND_HALF_UP))


def parse_birth_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text) or None
    try:
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$", text)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise _Bad("date de naissance impossible") from None
    raise _Bad("date de naissance illisible (attendu jj/mm/aaaa)")


def _modality_names() -> dict[str, Modality]:
    names: dict[str, Modality] = {}
    for m in Modality:
        for text in (m.value, m.label, m.label.split("(")[0], m.name):
            names[norm_header(text)] = m
    extra = {
        "embauche": Modality.DIRECT_HIRE, "directe": Modality.DIRECT_HIRE, "cdi": Modality.DIRECT_HIRE,
        "cdd": Modality.DIRECT_HIRE, "mad": Modality.PROVISION, "miseadisposition": Modality.PROVISION,
        "interim": Modality.PROVISION, "etti": Modality.PROVISION, "geiq": Modality.PROVISION,
        "ai": Modality.PROVISION, "soustraitance": Modality.SUBCONTRACTING, "cotraitance": Modality.SUBCONTRACTING,
        "formation": Modality.TRAINING,
    }  # fmt: skip
    names.update(extra)
    return names


_MODALITIES = _modality_names()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _siret_text(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):  # Excel turned it into a number
        return str(int(value)).zfill(14)
    return _text(value)


# --- preview ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineError:
    """One refused cell: file line (header = 1), column as written in the file, value, French reason."""

    line: int
    column: str
    value: str
    reason: str


@dataclass(slots=True)
class ImportRow:
    line: int
    commitment_id: int
    participant_id: int
    month: date
    hours_h100: int
    modality: Modality
    employer_company_id: int | None
    entry_id: int | None = None
    old_hours_h100: int | None = None


@dataclass
class Preview:
    """What an import would do; nothing is written until ``apply``."""

    file_name: str
    to_add: list[ImportRow] = field(default_factory=list)
    unchanged: list[ImportRow] = field(default_factory=list)
    changed: list[ImportRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    ignored: list[tuple[int, str]] = field(default_factory=list)  # (line, why): blank or total lines
    lines_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_hours_h100(self) -> int:
        return sum(r.hours_h100 for rows in (self.to_add, self.unchanged, self.changed) for r in rows)

    def summary(self) -> str:
        return (
            f"{self.lines_read} ligne(s) lue(s) : {len(self.to_add)} à ajouter, {len(self.unchanged)} inchangée(s), "
            f"{len(self.changed)} modifiée(s), {len(self.errors)} erreur(s), {len(self.ignored)} ignorée(s)."
        )


@dataclass
class _Refs:
    company_by_siret: dict[str, int]
    commitments_by_company: dict[int, list[tuple[int, str, date | None, date | None, Modality]]]
    people_by_key: dict[str, list[tuple[int, date | None]]]
    people_by_external: dict[str, int]
    people_ids: set[int]
    display_by_key: dict[str, str]


def _load_refs(session: Session) -> _Refs:
    company_by_siret = {siret: cid for cid, siret in session.execute(select(Company.id, Company.siret))}
    by_company: dict[int, list] = {}
    query = select(
        Commitment.id,
        Commitment.company_id,
        Lot.reference,
        Lot.execution_start,
        Lot.execution_end,
        Commitment.usual_modality,
    ).join(Lot, Lot.id == Commitment.lot_id)
    normed: dict[str, str] = {}  # a few lot references shared by many commitments
    modalities = {m.value: m for m in Modality} | {m: m for m in Modality}
    for cid, company_id, reference, start, end, modality in session.execute(query):
        wanted = normed.get(reference)
        if wanted is None:
            wanted = normed[reference] = norm_header(reference)
        usual = modalities.get(modality)
        by_company.setdefault(company_id, []).append(
            (cid, wanted, start, end, usual if usual is not None else Modality(modality))
        )
    by_key: dict[str, list] = {}
    by_external: dict[str, int] = {}
    ids: set[int] = set()
    display: dict[str, str] = {}
    people = select(Participant.id, Participant.name_key, Participant.birth_date, Participant.external_id,
                    Participant.last_name, Participant.first_name)  # fmt: skip
    for pid, key, birth, external, last, first in session.execute(people):
        by_key.setdefault(key, []).append((pid, birth))
        ids.add(pid)
        if external:
            by_external[external.strip().lower()] = pid
        display.setdefault(key, f"{last} {first}")
    return _Refs(company_by_siret, by_company, by_key, by_external, ids, display)


def _name_key(last: str, first: str) -> str:
    """``name_key``, without the accent folding when the names are plain ASCII (most of them)."""
    text = f"{last} {first}"
    return " ".join(text.lower().split()) if text.isascii() else name_key(last, first)


def _month_in(month: date, start: date | None, end: date | None) -> bool:
    return (start is None or month >= date(start.year, start.month, 1)) and (end is None or month <= end)


def _existing(session: Session, keys: set[tuple[int, int, date]]) -> dict[tuple[int, int, date], tuple[int, int]]:
    """(commitment, participant, month) → (entry id, hours) for the keys already stored."""
    found: dict[tuple[int, int, date], tuple[int, int]] = {}
    if not keys:
        return found
    commitments = sorted({k[0] for k in keys})
    months = sorted({k[2] for k in keys})
    t = HoursEntry.__table__
    month_filter = t.c.month.in_(months) if len(months) <= 60 else t.c.month.between(months[0], months[-1])
    for i in range(0, len(commitments), 500):
        chunk = commitments[i : i + 500]
        query = select(t.c.id, t.c.commitment_id, t.c.participant_id, t.c.month, t.c.hours_h100).where(
            t.c.commitment_id.in_(chunk), month_filter
        )
        for eid, cid, pid, month, hours in session.execute(query):
            key = (cid, pid, month)
            if key in keys:
                found[key] = (eid, hours)
    return found


def _suggest(session: Session, refs: _Refs, key: str, company_id: int | None, cache: dict, budget: list[int]) -> str:
    """« Voulez-vous dire : … » with the closest known names, the company's people first."""
    if (key, company_id) in cache:
        return cache[(key, company_id)]
    local: list[str] = []
    if company_id is not None:
        if company_id not in cache:
            query = select(EmploymentContract.participant_id).where(
                (EmploymentContract.employer_company_id == company_id)
                | (EmploymentContract.user_company_id == company_id)
                | EmploymentContract.commitment_id.in_([c[0] for c in refs.commitments_by_company.get(company_id, [])])
            )
            ids = set(session.execute(query).scalars())
            cache[company_id] = sorted(
                {k for k, people in refs.people_by_key.items() if any(p[0] in ids for p in people)}
            )
        local = difflib.get_close_matches(key, cache[company_id], n=3, cutoff=0.6)
    found = list(local)
    if len(found) < 3 and budget[0] > 0:
        budget[0] -= 1
        for match in difflib.get_close_matches(key, refs.people_by_key.keys(), n=3, cutoff=0.7):
            if match not in found:
                found.append(match)
    names = [refs.display_by_key.get(k, k) for k in found[:3]]
    text = f" Noms proches : {', '.join(names)}." if names else ""
    cache[(key, company_id)] = text
    return text


def preview(session: Session, raw: RawTable, today: date, progress: Callable[[float], None] | None = None) -> Preview:
    """Check every line of the file and classify the valid ones (to add, unchanged, changed); nothing is written."""
    collecting = gc.isenabled()
    gc.disable()  # 100,000 rows of small objects: the cyclic collector would rescan them again and again
    try:
        return _preview(session, raw, today, progress)
    finally:
        if collecting:
            gc.enable()


def _preview(session: Session, raw: RawTable, today: date, progress: Callable[[float], None] | None) -> Preview:
    result = Preview(file_name=raw.file_name)
    refs = _load_refs(session)
    max_h100 = int(round(float(settings.get(session, "max_hours_per_month")) * 100))
    this_month = date(today.year, today.month, 1)
    col = raw.columns
    label = raw.column_label
    i_siret, i_mois, i_heures = col["siret"], col["mois"], col["heures"]
    i_marche, i_nom, i_prenom = col.get("marche"), col.get("nom"), col.get("prenom")
    i_birth, i_id, i_mod, i_emp = (
        col.get("date_naissance"),
        col.get("id_participant"),
        col.get("modalite"),
        col.get("employeur_siret"),
    )
    identity = [i for i in (i_siret, i_marche, i_nom, i_prenom, i_id, i_birth, i_mois) if i is not None]
    errors = result.errors

    def cell(cells: list[Any], index: int | None) -> Any:
        return cells[index] if index is not None and index < len(cells) else None

    # The trailing total line: the last non-blank line, when clearly one.
    rows = raw.rows
    last = len(rows) - 1
    while last >= 0 and is_blank(rows[last][1]):
        last -= 1
    total_line: int | None = None
    if last >= 1:
        cells = rows[last][1]
        says_total = any(isinstance(c, str) and "total" in c.lower() for c in cells)
        no_identity = all(_text(cell(cells, i)) == "" for i in identity)
        if says_total or no_identity:
            total_line = last

    siret_cache: dict[str, Any] = {}
    month_cache: dict[Any, Any] = {}
    person_cache: dict[tuple, Any] = {}
    suggest_cache: dict = {}
    ref_cache: dict[str, str] = {}
    hours_cache: dict[str, Any] = {}  # raw text → hundredths or _Bad
    matches_cache: dict[tuple[int, str], list] = {}  # (company, lot reference) → its commitments
    births: dict[Any, Any] = {}
    keys: dict[tuple[str, str], str] = {}
    suggest_budget = [MAX_SUGGESTED_ALL]
    seen: dict[tuple[int, int, date], int] = {}
    valid: list[ImportRow] = []
    hours_sum = 0
    n = len(rows)

    for position, (line, cells) in enumerate(rows):
        if progress is not None and position % PROGRESS_EVERY == 0 and position:
            progress(0.9 * position / n)
        if is_blank(cells):
            result.ignored.append((line, "ligne vide"))
            continue
        if position == total_line:
            try:
                total = parse_hours(cell(cells, i_heures))
            except _Bad:
                total = None
            if total is not None and total == hours_sum:
                result.ignored.append((line, "ligne de total"))
                continue
            if all(_text(cell(cells, i)) == "" for i in identity):
                errors.append(
                    LineError(line, label("heures"), _text(cell(cells, i_heures)),
                              f"ligne de total qui ne correspond pas à la somme des lignes ({hours_sum / 100:g} h)")
                )  # fmt: skip
                continue
        result.lines_read += 1
        before = len(errors)

        # Hours
        raw_hours = cell(cells, i_heures)
        hours = None
        try:
            if raw_hours.__class__ is str:
                hours = hours_cache.get(raw_hours)
                if hours is None:
                    try:
                        hours = hours_cache[raw_hours] = parse_hours(raw_hours)
                    except _Bad as bad:
                        hours_cache[raw_hours] = bad
                        raise
                elif hours.__class__ is _Bad:
                    raise hours
            else:
                hours = parse_hours(raw_hours)
            hours_sum += hours
            if hours <= 0:
                errors.append(
                    LineError(line, label("heures"), _text(raw_hours), "les heures doivent être supérieures à 0")
                )
            elif hours > max_h100:
                errors.append(LineError(line, label("heures"), _text(raw_hours),
                                        f"plus de {max_h100 / 100:g} heures dans le mois pour une personne"))  # fmt: skip
        except _Bad as bad:
            errors.append(LineError(line, label("heures"), _text(raw_hours), str(bad)))

        # Month
        raw_month = cell(cells, i_mois)
        month = None
        month_id = raw_month if isinstance(raw_month, str | datetime | date) else repr(raw_month)
        parsed = month_cache.get(month_id)
        if parsed is None:
            try:
                parsed = parse_month(raw_month)
            except _Bad as bad:
                parsed = bad
            month_cache[month_id] = parsed
        if isinstance(parsed, _Bad):
            errors.append(LineError(line, label("mois"), _text(raw_month), str(parsed)))
        elif parsed > this_month:
            errors.append(
                LineError(line, label("mois"), _text(raw_month), "mois à venir : les heures ne sont pas encore faites")
            )
        else:
            month = parsed

        # Company and commitment
        raw_siret = cell(cells, i_siret)
        raw_siret = raw_siret.strip() if raw_siret.__class__ is str else _siret_text(raw_siret)
        company = siret_cache.get(raw_siret)
        if company is None:
            try:
                compact = check_siret(raw_siret)
                company = refs.company_by_siret.get(compact) or _Bad(
                    "entreprise inconnue : aucun établissement n'a ce SIRET"
                )
            except ValueError as error:
                company = _Bad(str(error))
            siret_cache[raw_siret] = company
        commitment = None
        usual = Modality.DIRECT_HIRE
        if isinstance(company, _Bad):
            errors.append(LineError(line, label("siret"), raw_siret, str(company)))
            company_id = None
        else:
            company_id = company
            candidates = refs.commitments_by_company.get(company_id, [])
            reference = cell(cells, i_marche)
            reference = reference.strip() if reference.__class__ is str else _text(reference)
            if not candidates:
                errors.append(
                    LineError(line, label("siret"), raw_siret, "l'entreprise n'a aucun engagement d'heures d'insertion")
                )
            elif reference:
                wanted = ref_cache.get(reference)
                if wanted is None:
                    wanted = ref_cache[reference] = norm_header(reference)
                matches = matches_cache.get((company_id, wanted))
                if matches is None:
                    matches = matches_cache[(company_id, wanted)] = [c for c in candidates if c[1] == wanted]
                if len(matches) > 1 and month is not None:
                    matches = [c for c in matches if _month_in(month, c[2], c[3])] or matches
                if not matches:
                    errors.append(LineError(line, label("marche"), reference,
                                            "l'entreprise n'a pas d'engagement sur ce lot"))  # fmt: skip
                elif len(matches) > 1:
                    errors.append(LineError(line, label("marche"), reference,
                                            "plusieurs engagements de l'entreprise sur des lots de cette référence"))  # fmt: skip
                else:
                    commitment, usual = matches[0][0], matches[0][4]
            elif len(candidates) == 1:
                commitment, usual = candidates[0][0], candidates[0][4]
            else:
                open_ones = [c for c in candidates if month is not None and _month_in(month, c[2], c[3])]
                if len(open_ones) == 1:
                    commitment, usual = open_ones[0][0], open_ones[0][4]
                elif month is not None or not errors[before:]:
                    errors.append(LineError(line, label("marche"), "",
                                            "l'entreprise a plusieurs engagements en cours : indiquez le lot (colonne marche)"))  # fmt: skip

        # Person
        participant = None
        ext, last_name, first_name = cell(cells, i_id), cell(cells, i_nom), cell(cells, i_prenom)
        ext = ext.strip() if ext.__class__ is str else _text(ext)
        last_name = last_name.strip() if last_name.__class__ is str else _text(last_name)
        first_name = first_name.strip() if first_name.__class__ is str else _text(first_name)
        raw_birth = cell(cells, i_birth)
        person_id = (ext, last_name, first_name, raw_birth if isinstance(raw_birth, str | date) else repr(raw_birth))
        found = person_cache.get(person_id)
        if found is None:
            found = _find_person(refs, ext, last_name, first_name, raw_birth, label, births, keys)
            person_cache[person_id] = found
        if isinstance(found, LineError):
            reason = found.reason
            if found.column == label("nom") and reason.startswith("personne inconnue"):
                reason += _suggest(
                    session, refs, name_key(last_name, first_name), company_id, suggest_cache, suggest_budget
                )
            errors.append(LineError(line, found.column, found.value, reason))
        else:
            participant = found

        # Modality and employer
        modality = usual
        raw_mod = _text(cell(cells, i_mod))
        if raw_mod:
            modality = _MODALITIES.get(norm_header(raw_mod))
            if modality is None:
                errors.append(LineError(line, label("modalite"), raw_mod,
                                        "modalité inconnue (embauche directe, mise à disposition, sous-traitance, formation)"))  # fmt: skip
        employer = None
        raw_emp = _siret_text(cell(cells, i_emp))
        if raw_emp:
            emp = siret_cache.get(raw_emp)
            if emp is None:
                try:
                    emp = refs.company_by_siret.get(check_siret(raw_emp)) or _Bad(
                        "employeur inconnu : aucun établissement n'a ce SIRET"
                    )
                except ValueError as error:
                    emp = _Bad(str(error))
                siret_cache[raw_emp] = emp
            if isinstance(emp, _Bad):
                errors.append(LineError(line, label("employeur_siret"), raw_emp, str(emp)))
            else:
                employer = emp

        if len(errors) > before or commitment is None or participant is None or month is None or hours is None:
            continue
        key = (commitment, participant, month)
        if key in seen:
            errors.append(LineError(line, label("mois"), _text(raw_month),
                                    f"ligne en double : même engagement, même personne, même mois qu'à la ligne {seen[key]}"))  # fmt: skip
            continue
        seen[key] = line
        valid.append(ImportRow(line, commitment, participant, month, hours, modality, employer))

    existing = _existing(session, set(seen))
    for row in valid:
        stored = existing.get((row.commitment_id, row.participant_id, row.month))
        if stored is None:
            result.to_add.append(row)
        else:
            row.entry_id, row.old_hours_h100 = stored
            (result.unchanged if stored[1] == row.hours_h100 else result.changed).append(row)
    errors.sort(key=lambda e: e.line)
    if progress is not None:
        progress(1.0)
    return result


def _find_person(
    refs: _Refs,
    ext: str,
    last: str,
    first: str,
    raw_birth: Any,
    label: Callable,
    births: dict[Any, Any] | None = None,
    keys: dict[tuple[str, str], str] | None = None,
) -> int | LineError:
    """The participant of a line, or why not; ``births`` and ``keys`` cache parsed birth dates and name keys."""
    birth = None
    if raw_birth is not None and _text(raw_birth):
        cacheable = births is not None and raw_birth.__class__ is str
        birth = births.get(raw_birth) if cacheable else None  # type: ignore[union-attr]
        if birth is None:
            try:
                birth = parse_birth_date(raw_birth)
            except _Bad as bad:
                birth = bad
            if cacheable:
                births[raw_birth] = birth  # type: ignore[index]
        if isinstance(birth, _Bad):
            return LineError(0, label("date_naissance"), _text(raw_birth), str(birth))
    if ext:
        pid = refs.people_by_external.get(ext.lower())
        if pid is None and ext.isdigit() and int(ext) in refs.people_ids:
            pid = int(ext)
        if pid is not None:
            return pid
        if not (last or first):
            return LineError(0, label("id_participant"), ext, "identifiant de participant inconnu")
    if not last and not first:
        return LineError(0, label("nom"), "", "nom et prénom absents")
    key = keys.get((last, first)) if keys is not None else None
    if key is None:
        key = _name_key(last, first)
        if keys is not None:
            keys[(last, first)] = key
    people = refs.people_by_key.get(key, [])
    if birth is not None:
        people = [p for p in people if p[1] == birth]
    if len(people) == 1:
        return people[0][0]
    shown = f"{last} {first}".strip()
    if not people:
        born = f", né(e) le {birth:%d/%m/%Y}" if birth else ""
        return LineError(0, label("nom"), shown, f"personne inconnue{born}.")
    return LineError(0, label("nom"), shown, "plusieurs participants portent ce nom : indiquez la date de naissance")


# --- apply and undo --------------------------------------------------------------------------------------------


def apply(session: Session, preview: Preview, user: CurrentUser, file_name: str, checksum: str) -> ImportBatch:
    """Write a checked preview in the caller's transaction (all or nothing); returns the recorded batch."""
    require(user, Role.SAISIE)
    if preview.errors:
        raise DomainError(
            f"Le fichier comporte {len(preview.errors)} erreur(s) : corrigez-le, rien n'a été enregistré."
        )
    now = utcnow()
    batch = ImportBatch(
        kind=ImportKind.HOURS,
        file_name=file_name[:250],
        checksum=checksum,
        by=user.login,
        at=now,
        rows_added=len(preview.to_add),
        rows_changed=len(preview.changed),
        rows_unchanged=len(preview.unchanged),
    )
    session.add(batch)
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        _write_sqlite(session, preview, batch.id, user.login, now)
    else:
        _write_core(session, preview, batch.id, user.login, now)
    hours_totals.refresh(
        session, {(r.commitment_id, r.month) for rows in (preview.to_add, preview.changed) for r in rows}
    )
    contracts.link_unlinked_hours(session, batch.id)  # the contract of each new entry, when one covers its month
    audit.record(
        session,
        user.login,
        "import des heures",
        "importbatch",
        batch.id,
        f"{file_name} : {batch.rows_added} ajoutée(s), {batch.rows_changed} modifiée(s), "
        f"{batch.rows_unchanged} inchangée(s)",
    )
    return batch


def _write_core(session: Session, preview: Preview, batch_id: int, login: str, now: datetime) -> None:
    """The writes as Core ``executemany`` statements (PostgreSQL and any other database)."""
    entries, changes = HoursEntry.__table__, HoursChange.__table__
    if preview.to_add:
        _insert_entries(
            insert(entries),
            [
                {"commitment_id": r.commitment_id, "participant_id": r.participant_id, "month": r.month,
                 "hours_h100": r.hours_h100, "modality": r.modality, "employer_company_id": r.employer_company_id,
                 "import_batch_id": batch_id, "entered_by": login, "updated_at": now, "version": 1}
                for r in preview.to_add
            ],
            session,
        )  # fmt: skip
    if preview.changed:
        stmt = (
            update(entries)
            .where(entries.c.id == _bind("b_id"), entries.c.hours_h100 == _bind("b_old"))
            .values(hours_h100=_bind("b_new"), modality=_bind("b_mod"), employer_company_id=_bind("b_emp"),
                    import_batch_id=batch_id, entered_by=login, updated_at=now, version=entries.c.version + 1)
        )  # fmt: skip
        result = session.connection().execute(
            stmt,
            [{"b_id": r.entry_id, "b_old": r.old_hours_h100, "b_new": r.hours_h100, "b_mod": r.modality,
              "b_emp": r.employer_company_id} for r in preview.changed],
        )  # fmt: skip
        _check_updated(result.rowcount, len(preview.changed))
    history = [
        {"commitment_id": r.commitment_id, "participant_id": r.participant_id, "month": r.month,
         "old_hours_h100": r.old_hours_h100, "new_hours_h100": r.hours_h100, "import_batch_id": batch_id,
         "by": login, "at": now}
        for rows in (preview.to_add, preview.changed) for r in rows
    ]  # fmt: skip
    if history:
        session.execute(insert(changes), history)


def _check_updated(rowcount: int, expected: int) -> None:
    if rowcount not in (-1, expected):
        raise DomainError("Des heures ont été modifiées depuis l'aperçu : relancez l'aperçu, rien n'a été enregistré.")


def _write_sqlite(session: Session, preview: Preview, batch_id: int, login: str, now: datetime) -> None:
    """The same writes on SQLite, straight to the driver's ``executemany`` with values already in stored form.

    Each value is converted once by the column's own SQLAlchemy bind processor (dates as ``YYYY-MM-DD``, the
    modality's value, the UTC timestamp as SQLAlchemy writes it), so the rows read back exactly as before."""
    conn = session.connection()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")  # random inserts into big indexes: a larger page cache
    entries, changes = HoursEntry.__table__, HoursChange.__table__
    month_of = _processor(entries.c.month, conn.dialect)
    modality_of = _processor(entries.c.modality, conn.dialect)
    stamp = _processor(entries.c.updated_at, conn.dialect)(now)
    at = _processor(changes.c.at, conn.dialect)(now)
    months: dict[date, Any] = {}
    modalities: dict[Any, Any] = {}

    def month(value: date) -> Any:
        stored = months.get(value)
        if stored is None:
            stored = months[value] = month_of(value)
        return stored

    def modality(value: Any) -> Any:
        stored = modalities.get(value)
        if stored is None:
            stored = modalities[value] = modality_of(value)
        return stored

    if preview.to_add:
        try:
            conn.exec_driver_sql(
                "INSERT INTO hoursentry (commitment_id, participant_id, month, hours_h100, modality, "
                "employer_company_id, import_batch_id, entered_by, updated_at, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                [(r.commitment_id, r.participant_id, month(r.month), r.hours_h100, modality(r.modality),
                  r.employer_company_id, batch_id, login, stamp) for r in preview.to_add],
            )  # fmt: skip
        except IntegrityError:
            raise DomainError(STALE) from None
    if preview.changed:
        result = conn.exec_driver_sql(
            "UPDATE hoursentry SET hours_h100 = ?, modality = ?, employer_company_id = ?, import_batch_id = ?, "
            "entered_by = ?, updated_at = ?, version = version + 1 WHERE id = ? AND hours_h100 = ?",
            [(r.hours_h100, modality(r.modality), r.employer_company_id, batch_id, login, stamp, r.entry_id,
              r.old_hours_h100) for r in preview.changed],
        )  # fmt: skip
        _check_updated(result.rowcount, len(preview.changed))
    if preview.to_add or preview.changed:
        conn.exec_driver_sql(
            'INSERT INTO hourschange (commitment_id, participant_id, month, old_hours_h100, new_hours_h100, '
            'import_batch_id, "by", at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [(r.commitment_id, r.participant_id, month(r.month), r.old_hours_h100, r.hours_h100, batch_id, login, at)
             for rows in (preview.to_add, preview.changed) for r in rows],
        )  # fmt: skip


def _processor(column: Any, dialect: Any) -> Callable[[Any], Any]:
    """The column type's conversion of a Python value to what the driver receives (identity when none)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def _insert_entries(statement: Any, rows: list[dict[str, Any]], session: Session) -> None:
    try:
        session.execute(statement, rows)
    except IntegrityError:
        raise DomainError(STALE) from None


def _bind(name: str) -> Any:
    return bindparam(name)


def undo(session: Session, batch_id: int, user: CurrentUser) -> ImportBatch:
    """Restore every value an import changed and delete the entries it created (admin), in the caller's transaction."""
    require(user, Role.ADMIN)
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.kind != ImportKind.HOURS:
        raise DomainError("Import introuvable.")
    if batch.undone_at is not None:
        raise DomainError(f"Cet import a déjà été annulé par {batch.undone_by}.")
    ch, en = HoursChange.__table__, HoursEntry.__table__
    mine = session.execute(
        select(ch.c.id, ch.c.commitment_id, ch.c.participant_id, ch.c.month, ch.c.old_hours_h100, ch.c.new_hours_h100)
        .where(ch.c.import_batch_id == batch_id)
    ).all()  # fmt: skip
    keys = {(r.commitment_id, r.participant_id, r.month): r for r in mine}
    if mine:
        current = _current(session, set(keys))
        later = sum(
            1
            for key, r in keys.items()
            if current.get(key, (None, None))
            != ((batch_id, r.new_hours_h100) if r.new_hours_h100 is not None else (None, None))
        )
        if later:
            raise DomainError(
                f"Annulation impossible : {later} ligne(s) de cet import ont été modifiées depuis "
                "(import ultérieur ou saisie). Annulez d'abord les modifications plus récentes."
            )
    created = [r for r in mine if r.old_hours_h100 is None]
    changed = [r for r in mine if r.old_hours_h100 is not None]
    previous = _previous_batches(session, batch_id, changed)
    now = utcnow()
    conn = session.connection()
    if created:
        conn.execute(
            delete(en).where(
                en.c.commitment_id == _bind("b_c"), en.c.participant_id == _bind("b_p"), en.c.month == _bind("b_m")
            ),
            [{"b_c": r.commitment_id, "b_p": r.participant_id, "b_m": r.month} for r in created],
        )
    if changed:
        conn.execute(
            update(en)
            .where(en.c.commitment_id == _bind("b_c"), en.c.participant_id == _bind("b_p"), en.c.month == _bind("b_m"))
            .values(hours_h100=_bind("b_h"), import_batch_id=_bind("b_b"), entered_by=user.login, updated_at=now,
                    version=en.c.version + 1),
            [{"b_c": r.commitment_id, "b_p": r.participant_id, "b_m": r.month, "b_h": r.old_hours_h100,
              "b_b": previous.get(r.id)} for r in changed],
        )  # fmt: skip
    if mine:
        session.execute(
            insert(ch),
            [{"commitment_id": r.commitment_id, "participant_id": r.participant_id, "month": r.month,
              "old_hours_h100": r.new_hours_h100, "new_hours_h100": r.old_hours_h100, "import_batch_id": None,
              "by": user.login, "at": now} for r in mine],
        )  # fmt: skip
    hours_totals.refresh(session, {(r.commitment_id, r.month) for r in mine})
    batch.undone_at = now
    batch.undone_by = user.login
    session.add(batch)
    audit.record(
        session,
        user.login,
        "annulation d'import",
        "importbatch",
        batch_id,
        f"{batch.file_name} : {len(created)} ligne(s) supprimée(s), {len(changed)} rétablie(s)",
    )
    session.flush()
    return batch


def _current(session: Session, keys: set[tuple[int, int, date]]) -> dict[tuple[int, int, date], tuple[int | None, int]]:
    """(commitment, participant, month) → (batch that wrote it, hours) for the stored keys."""
    en = HoursEntry.__table__
    found: dict[tuple[int, int, date], tuple[int | None, int]] = {}
    commitments = sorted({k[0] for k in keys})
    months = sorted({k[2] for k in keys})
    for i in range(0, len(commitments), 500):
        rows = session.execute(
            select(en.c.commitment_id, en.c.participant_id, en.c.month, en.c.import_batch_id, en.c.hours_h100).where(
                en.c.commitment_id.in_(commitments[i : i + 500]), en.c.month.between(months[0], months[-1])
            )
        )
        for cid, pid, month, bid, hours in rows:
            if (cid, pid, month) in keys:
                found[(cid, pid, month)] = (bid, hours)
    return found


def _previous_batches(session: Session, batch_id: int, changed: list[Any]) -> dict[int, int | None]:
    """For each change of the batch (by id), the batch that brought the value it replaced."""
    if not changed:
        return {}
    ch = HoursChange.__table__
    wanted = {(r.commitment_id, r.participant_id, r.month): r.id for r in changed}
    best: dict[int, tuple[int, int | None]] = {}
    commitments = sorted({k[0] for k in wanted})
    for i in range(0, len(commitments), 500):
        rows = session.execute(
            select(ch.c.id, ch.c.commitment_id, ch.c.participant_id, ch.c.month, ch.c.import_batch_id).where(
                ch.c.commitment_id.in_(commitments[i : i + 500]),
                and_(ch.c.import_batch_id.is_not(None), ch.c.import_batch_id != batch_id),
            )
        )
        for rid, cid, pid, month, bid in rows:
            mine = wanted.get((cid, pid, month))
            if mine is not None and rid < mine and (mine not in best or best[mine][0] < rid):
                best[mine] = (rid, bid)
    return {k: v[1] for k, v in best.items()}


__all__ = [
    "FileError",
    "ImportRow",
    "LineError",
    "Preview",
    "RawTable",
    "apply",
    "checksum",
    "parse_hours",
    "parse_month",
    "preview",
    "read_table",
    "undo",
]


# --- for the screens ----------------------------------------------------------------------------------------------


def sheet_names(data: bytes) -> list[str]:
    """The sheets of an .xlsx file (to choose which one holds the statement)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001 - read_table gives the French message
        return []
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def describe(session: Session, rows: list[ImportRow], limit: int = 2_000) -> list[dict[str, Any]]:
    """Rows of a preview with names instead of ids (set-based reads), for display: at most ``limit`` rows."""
    rows = rows[:limit]
    commitment_ids = {r.commitment_id for r in rows}
    participant_ids = {r.participant_id for r in rows}
    labels: dict[int, tuple[str, str]] = {}
    if commitment_ids:
        for cid, company, reference in session.execute(
            select(Commitment.id, Company.name, Lot.reference)
            .join(Company, Company.id == Commitment.company_id)
            .join(Lot, Lot.id == Commitment.lot_id)
            .where(Commitment.id.in_(commitment_ids))
        ).all():
            labels[cid] = (company, reference)
    people: dict[int, str] = {}
    if participant_ids:
        for pid, last, first in session.execute(
            select(Participant.id, Participant.last_name, Participant.first_name).where(
                Participant.id.in_(participant_ids)
            )
        ).all():
            people[pid] = f"{last} {first}"
    return [
        {
            "Ligne": r.line,
            "Entreprise": labels.get(r.commitment_id, ("?", "?"))[0],
            "Lot": labels.get(r.commitment_id, ("?", "?"))[1],
            "Participant": people.get(r.participant_id, "?"),
            "Mois": r.month.strftime("%m/%Y"),
            "Heures": r.hours_h100 / 100,
            "Heures avant": None if r.old_hours_h100 is None else r.old_hours_h100 / 100,
            "Modalité": Modality(r.modality).label,
        }
        for r in rows
    ]


def list_batches(session: Session, limit: int = 50) -> list[ImportBatch]:
    """The latest hours imports, newest first."""
    return list(
        session.execute(
            select(ImportBatch).where(ImportBatch.kind == ImportKind.HOURS).order_by(ImportBatch.id.desc()).limit(limit)
        ).scalars()
    )
