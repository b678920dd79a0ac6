"""Rows of an hours statement (DESIGN §5.1) → typed lines and line errors; no database here.

    table = reading.read_table(data, "releve.csv", limits=limits)
    statement = hours_statement.parse(table, limits)    # FileError: missing or duplicated column, no line
    statement.lines       # StatementLine per data line (fields None where the cell is refused)
    statement.errors      # LineError: line, column as written in the file, value, French reason

One strict grammar per column, so that a file means one thing or is refused:
- ``heures``: ASCII digits, one decimal mark (``,`` or ``.``) with at most two decimals, optional spaces (or
  no-break spaces) as thousands separators: ``151,67``, ``1 234.5``. Not ``1_5``, ``1e2``, ``١٥``, ``１５``,
  ``1.234,5``; an Excel number with more than two decimals is refused, never rounded.
- ``mois``: ``2026-03``, ``03/2026``, ``mars 2026``, ``31/03/2026`` or an Excel date (its month).
- ``siret``: 14 ASCII digits (spaces allowed) with a valid key; ``employeur_siret`` the same.
- ``id_participant``: the participant's identifier in the PLIE's software, as written (never the database's id).
- ``date_naissance``: ``jj/mm/aaaa``, ``aaaa-mm-jj`` or an Excel date.
A column named twice, a file with no data line and a line with cells beyond the header are refused.
To add a column: an entry in ``COLUMNS``, a field in ``StatementLine``, its parser in ``_parse_line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from clausier.imports.reading import FileError, Limits, LineError, Table, TooLong, column_letter, is_blank, text
from clausier.rules.names import ascii_fold
from clausier.rules.siret import check_siret
from models.enums import Modality

# canonical name → accepted headers (case, accents, spaces, « _ », « - », « . », quotes ignored)
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
REQUIRED = ("siret", "mois", "heures")
EXPECTED = (
    "Attendu : siret, nom, prenom (ou id_participant), mois, heures ; facultatif : marche, date_naissance, "
    "modalite, employeur_siret."
)


def norm_header(value: object) -> str:
    return re.sub(r"[\s_\-.'’()°]", "", ascii_fold(str(value or "")).lower())


_ALIASES = {alias: canonical for canonical, aliases in COLUMNS.items() for alias in aliases}


class Bad(ValueError):
    """A cell value refused, with its French reason."""


# --- one parser per column ----------------------------------------------------------------------------------------

_HOURS = re.compile(r"(?:[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,][0-9]{1,2})?", re.ASCII)


def parse_hours(value: Any) -> int:
    """Hundredths of an hour from ``151,67``, ``151.67``, ``1 234,5`` or an Excel number with two decimals at most."""
    if isinstance(value, bool) or isinstance(value, TooLong):
        raise Bad("n'est pas un nombre d'heures")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or abs(value) > 1e9:
            raise Bad("n'est pas un nombre d'heures")
        scaled = value * 100
        if abs(scaled - round(scaled)) > 1e-6:
            raise Bad("plus de deux décimales (écrivez les heures au centième : 151,67)")
        return int(round(scaled))
    raw = str(value if value is not None else "").strip()
    if not raw:
        raise Bad("heures absentes")
    if len(raw) > 20 or not _HOURS.fullmatch(raw):
        raise Bad(
            "n'est pas un nombre d'heures valide (attendu des chiffres et au plus deux décimales après « , » ou « . », "
            "par exemple 151,67)"
        )
    whole, _, decimals = raw.replace(",", ".").partition(".")
    whole = re.sub(r"[ \u00a0\u202f]", "", whole)
    return int(whole) * 100 + int(decimals.ljust(2, "0") or 0)


MONTHS_FR = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10,
    "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_RE_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$", re.ASCII)
_RE_MY = re.compile(r"^(?:(\d{1,2})[-/.])?(\d{1,2})[-/.](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$", re.ASCII)
_RE_NAMED = re.compile(r"^([a-z]+)\.?[\s\-/]*(\d{4}|\d{2})$", re.ASCII)


def _month_key(year: int, month: int, day: int | None = None) -> date:
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise Bad("mois impossible")
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise Bad("date impossible") from None
    return date(year, month, 1)


def parse_month(value: Any) -> date:
    """The first day of the month of ``2026-03``, ``03/2026``, ``3/2026``, ``mars 2026``, ``31/03/2026`` or a date."""
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    written = text(value) if not isinstance(value, TooLong) else "?"
    if any(c.isdigit() and not c.isascii() for c in written):
        raise Bad("mois illisible : chiffres autres que 0 à 9")
    raw = ascii_fold(written).lower()
    if not raw:
        raise Bad("mois absent")
    m = _RE_YM.match(raw)
    if m:
        return _month_key(int(m[1]), int(m[2]), int(m[3]) if m[3] else None)
    m = _RE_MY.match(raw)
    if m:
        return _month_key(int(m[3]), int(m[2]), int(m[1]) if m[1] else None)
    m = _RE_NAMED.match(raw)
    if m and m[1] in MONTHS_FR:
        year = int(m[2])
        return _month_key(year + 2000 if year < 100 else year, MONTHS_FR[m[1]])
    raise Bad("mois illisible (attendu 2026-03, 03/2026, mars 2026 ou 31/03/2026)")


_RE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", re.ASCII)
_RE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T][0-9:.]*)?$", re.ASCII)


def parse_birth_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value) if not isinstance(value, TooLong) else "?"
    try:
        m = _RE_DMY.match(raw)
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        m = _RE_ISO.match(raw)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise Bad("date de naissance impossible") from None
    raise Bad("date de naissance illisible (attendu jj/mm/aaaa)")


def siret_text(value: Any) -> str:
    """The SIRET as written; an Excel number gets its leading zeros back."""
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value)).zfill(14)
    return text(value)


def parse_siret(value: Any) -> str:
    if isinstance(value, TooLong):
        raise Bad("n'est pas un SIRET")
    raw = siret_text(value)
    if raw and not raw.replace(" ", "").isascii():
        raise Bad("le SIRET ne doit contenir que des chiffres 0 à 9")
    try:
        return check_siret(raw)
    except ValueError as error:
        raise Bad(str(error)) from None


def _modality_names() -> dict[str, Modality]:
    names: dict[str, Modality] = {}
    for m in Modality:
        for label in (m.value, m.label, m.label.split("(")[0], m.name):
            names[norm_header(label)] = m
    extra = {
        "embauche": Modality.DIRECT_HIRE, "directe": Modality.DIRECT_HIRE, "cdi": Modality.DIRECT_HIRE,
        "cdd": Modality.DIRECT_HIRE, "mad": Modality.PROVISION, "miseadisposition": Modality.PROVISION,
        "interim": Modality.PROVISION, "etti": Modality.PROVISION, "geiq": Modality.PROVISION,
        "ai": Modality.PROVISION, "soustraitance": Modality.SUBCONTRACTING, "cotraitance": Modality.SUBCONTRACTING,
        "formation": Modality.TRAINING,
    }  # fmt: skip
    names.update(extra)
    return names


MODALITIES = _modality_names()


def parse_modality(value: Any) -> Modality | None:
    raw = text(value) if not isinstance(value, TooLong) else "?"
    if not raw:
        return None
    found = MODALITIES.get(norm_header(raw))
    if found is None:
        raise Bad("modalité inconnue (embauche directe, mise à disposition, sous-traitance, formation)")
    return found


def _plain(value: Any, what: str) -> str:
    if isinstance(value, TooLong):
        raise Bad(f"{what} trop long")
    return text(value)


# --- the statement ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class StatementLine:
    """One data line, typed. A field is None when its cell was refused (the error is in ``Statement.errors``);
    ``participant_id`` and ``commitment_id`` are set only by the manual entry screen, never from a file."""

    line: int
    siret: str | None
    lot: str
    external_id: str
    last_name: str
    first_name: str
    birth_date: date | None
    month: date | None
    hours_h100: int | None
    modality: Modality | None
    employer_siret: str | None
    ok: bool = True  # no cell of the line was refused
    participant_id: int | None = None
    commitment_id: int | None = None


@dataclass
class Statement:
    file_name: str
    checksum: str
    labels: dict[str, str]  # canonical column → its header as written in the file
    lines: list[StatementLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    ignored: list[tuple[int, str]] = field(default_factory=list)  # (line, why): blank or total lines
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    file_hours_h100: int = 0  # every readable hours cell of the data lines, refused lines included

    def label(self, canonical: str) -> str:
        return self.labels.get(canonical, canonical)


def columns_of(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Position of each known column and the headers not recognised; FileError on a missing or doubled column."""
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        canonical = _ALIASES.get(norm_header(name))
        if canonical is None:
            if name:
                unknown.append(name)
            continue
        if canonical in columns:
            first = columns[canonical]
            raise FileError(
                f"La colonne « {canonical} » figure deux fois : « {header[first]} » (colonne {column_letter(first)}) "
                f"et « {name} » (colonne {column_letter(index)}). Gardez-en une seule : rien n'a été lu."
            )
        columns[canonical] = index
    missing = [c for c in REQUIRED if c not in columns]
    if "id_participant" not in columns and not ("nom" in columns and "prenom" in columns):
        missing.append("nom et prenom (ou id_participant)")
    if missing:
        found = ", ".join(h for h in header if h) or "aucune"
        raise FileError(
            f"Colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}. Colonnes trouvées : {found}. {EXPECTED}"
        )
    return columns, unknown


def parse(table: Table, limits: Limits | None = None) -> Statement:
    """Every line of the table, typed, with the errors of its cells (at most ``limits.max_errors`` kept)."""
    limits = limits or Limits()
    header = table.header
    columns, unknown = columns_of(header)
    statement = Statement(
        table.file_name,
        table.checksum,
        {c: header[i] for c, i in columns.items()},
        ignored_columns=unknown,
        warnings=list(table.warnings),
    )
    body = list(table.body())
    if all(is_blank(cells) for _, cells in body):
        raise FileError("Le fichier ne contient aucune ligne d'heures : seulement l'en-tête. Rien à importer.")
    identity = [columns[c] for c in ("siret", "marche", "nom", "prenom", "id_participant", "date_naissance", "mois")
                if c in columns]  # fmt: skip
    width = len(header)
    i_hours = columns["heures"]

    last = len(body) - 1
    while last >= 0 and is_blank(body[last][1]):
        last -= 1
    total_at: int | None = None
    if last >= 1:
        cells = body[last][1]
        says_total = any(isinstance(c, str) and "total" in c.lower() for c in cells)
        if says_total or all(text(_cell(cells, i)) == "" for i in identity):
            total_at = last

    parser = _LineParser(columns, statement)
    for position, (line, cells) in enumerate(body):
        if is_blank(cells):
            statement.ignored.append((line, "ligne vide"))
            continue
        if position == total_at:
            try:
                total = parse_hours(_cell(cells, i_hours))
            except Bad:
                total = None
            if total is not None and total == statement.file_hours_h100:
                statement.ignored.append((line, "ligne de total"))
                continue
            if all(text(_cell(cells, i)) == "" for i in identity):
                statement.errors.append(
                    LineError(line, statement.label("heures"), text(_cell(cells, i_hours)),
                              "ligne de total qui ne correspond pas à la somme des lignes "
                              f"({statement.file_hours_h100 / 100:g} h)".replace(".", ","))
                )  # fmt: skip
                continue
        if len(cells) > width and not is_blank(cells[width:]):
            extra = next(i for i in range(width, len(cells)) if not is_blank([cells[i]]))
            statement.errors.append(
                LineError(line, f"colonne {column_letter(extra)}", text(cells[extra])[:60],
                          "valeur hors des colonnes de l'en-tête (séparateur en trop dans la ligne ?)")
            )  # fmt: skip
        statement.lines.append(parser.line(line, cells))
    statement.errors.sort(key=lambda e: e.line)
    return statement


def _cell(cells: list[Any], index: int | None) -> Any:
    return cells[index] if index is not None and index < len(cells) else None


class _LineParser:
    """Parses the cells of each line; values repeated down a file (SIRET, month, names) are parsed once."""

    def __init__(self, columns: dict[str, int], statement: Statement) -> None:
        self.c = columns
        self.statement = statement
        self.caches: dict[str, dict[Any, Any]] = {name: {} for name in ("siret", "mois", "heures", "naissance")}

    def _cached(self, name: str, value: Any, parse: Any) -> Any:
        cache = self.caches[name]
        key = value if isinstance(value, str | int | date | TooLong) or value is None else repr(value)
        try:
            found = cache[key]
        except KeyError:
            try:
                found = cache[key] = parse(value)
            except Bad as bad:
                found = cache[key] = bad
        return found

    def line(self, line: int, cells: list[Any]) -> StatementLine:
        c, st = self.c, self.statement
        errors = st.errors
        bad = False

        def refuse(column: str, value: Any, reason: str) -> None:
            nonlocal bad
            bad = True
            errors.append(LineError(line, st.label(column), str(value) if isinstance(value, TooLong) else text(value),
                                    reason))  # fmt: skip

        raw_hours = _cell(cells, c["heures"])
        hours = self._cached("heures", raw_hours, parse_hours)
        if isinstance(hours, Bad):
            refuse("heures", raw_hours, str(hours))
            hours = None
        else:
            st.file_hours_h100 += hours

        raw_month = _cell(cells, c["mois"])
        month = self._cached("mois", raw_month, parse_month)
        if isinstance(month, Bad):
            refuse("mois", raw_month, str(month))
            month = None

        raw_siret = _cell(cells, c["siret"])
        siret = self._cached("siret", raw_siret, parse_siret)
        if isinstance(siret, Bad):
            refuse("siret", siret_text(raw_siret) if not isinstance(raw_siret, TooLong) else raw_siret, str(siret))
            siret = None

        texts: dict[str, str] = {}
        for name, what in (("marche", "lot"), ("id_participant", "identifiant"), ("nom", "nom"), ("prenom", "prénom")):
            raw = _cell(cells, c.get(name))
            try:
                texts[name] = _plain(raw, what)
            except Bad as error:
                refuse(name, raw, str(error))
                texts[name] = ""

        birth = None
        raw_birth = _cell(cells, c.get("date_naissance"))
        if raw_birth is not None and (isinstance(raw_birth, TooLong) or text(raw_birth)):
            birth = self._cached("naissance", raw_birth, parse_birth_date)
            if isinstance(birth, Bad):
                refuse("date_naissance", raw_birth, str(birth))
                birth = None

        modality = None
        raw_mod = _cell(cells, c.get("modalite"))
        try:
            modality = parse_modality(raw_mod)
        except Bad as error:
            refuse("modalite", raw_mod, str(error))

        employer = None
        raw_emp = _cell(cells, c.get("employeur_siret"))
        if raw_emp is not None and (isinstance(raw_emp, TooLong) or text(raw_emp)):
            employer = self._cached("siret", raw_emp, parse_siret)
            if isinstance(employer, Bad):
                reason = str(employer).replace("Le SIRET", "Le SIRET de l'employeur", 1)
                refuse("employeur_siret", raw_emp, reason)
                employer = None

        return StatementLine(
            line, siret, texts["marche"], texts["id_participant"], texts["nom"], texts["prenom"], birth, month, hours,
            modality, employer, ok=not bad,
        )  # fmt: skip
