"""Bytes → rows, for every import (hours statements, participants): one reader that trusts nothing in the file.

    table = read_table(data, "releve-mars.xlsx", limits=Limits())   # FileError (French) when it cannot be read whole
    table.header, table.body()                                    # header cells; (file line, cells) of each row

- CSV: UTF-8 with or without BOM, UTF-16 with BOM (Excel's « Texte Unicode »), or Windows-1252, decoded strictly:
  a byte that none of them can read, a UTF-8 file broken in the middle (mixed encodings), NUL bytes or control
  characters are refused with the line where they are, never replaced. ``;``, ``,`` or tab detected on the first
  line; quotes read strictly (an unclosed quote is an error, not a field that swallows the rest of the file).
- ``.xlsx``: every row of the chosen (or first) sheet whatever the sheet's stored dimension says (some generators
  write a dimension smaller than the data: openpyxl would stop there); the archive's uncompressed size is checked
  before anything is parsed (a small file can unzip to gigabytes); a workbook that cannot be read whole is refused.
- Limits (file size, uncompressed size, rows, columns, characters in a cell) are read while streaming, so a file
  over a limit stops the reading at the limit with a French message: nothing unbounded is held in memory.
- A cell longer than ``max_cell_chars`` is kept as a :class:`TooLong` marker; the line parser reports it as an
  error of its line and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from clausier.errors import DomainError

MB = 1024 * 1024


class FileError(DomainError):
    """The file as a whole cannot be used (format, encoding, limits, missing column): a French message."""


@dataclass(frozen=True, slots=True)
class LineError:
    """One refused cell: file line (header = 1), column as written in the file, value, French reason."""

    line: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class Limits:
    """Bounds of one import file (settings « Imports », DESIGN §5.1)."""

    max_file_bytes: int = 50 * MB
    max_uncompressed_bytes: int = 200 * MB
    max_rows: int = 250_000
    max_columns: int = 100
    max_cell_chars: int = 10_000  # participants' notes go up to 10,000 characters
    max_errors: int = 1_000  # errors kept and shown; the count goes on

    def describe(self) -> str:
        rows, chars = (f"{n:,}".replace(",", "\u202f") for n in (self.max_rows, self.max_cell_chars))
        return f"{rows} lignes, {self.max_columns} colonnes, {chars} caractères par cellule, {self.max_file_bytes // MB} Mo"


@dataclass(frozen=True, slots=True)
class TooLong:
    """A cell over the limit: its length and its first characters (the rest is not kept)."""

    length: int
    start: str

    def __str__(self) -> str:
        length = f"{self.length:,}".replace(",", "\u202f")
        return f"{self.start}… ({length} caractères)"


@dataclass
class Table:
    """The cells of a file as read, before any column is interpreted."""

    file_name: str
    checksum: str
    rows: list[list[Any]]  # every row, blank ones included; rows[i] is file line i + 1
    header_at: int  # index of the first non-blank row: the header
    encoding: str = ""
    separator: str = ""
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [text(c) for c in self.rows[self.header_at]]

    def body(self) -> Iterator[tuple[int, list[Any]]]:
        """(file line, cells) of every row after the header."""
        for index in range(self.header_at + 1, len(self.rows)):
            yield index + 1, self.rows[index]


def checksum(data: bytes) -> str:
    """SHA-256 of the file's bytes (recorded with the import)."""
    return hashlib.sha256(data).hexdigest()


def text(value: Any) -> str:
    """A cell as the user wrote it, trimmed (Excel's 12.0 → « 12 »)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value).strip()


def is_blank(cells: Iterable[Any]) -> bool:
    for c in cells:  # a plain loop: it stops at the first filled cell, i.e. usually the first one
        if c is None or (isinstance(c, str) and not c.strip()):
            continue
        return False
    return True


def column_letter(index: int) -> str:
    """« A », « B », … « AA » for a 0-based column index (to name a column the header leaves empty)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- CSV ---------------------------------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding's name, or a FileError saying where it cannot be read."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise FileError(
                f"Le fichier (UTF-16) est illisible à partir de la ligne {_line_of(data, error.start)} : "
                "il est tronqué ou abîmé."
            ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise FileError(
            f"Le fichier contient des octets nuls (ligne {_line_of(data, nul)}) : ce n'est pas un fichier texte. "
            "Enregistrez-le en CSV (UTF-8 ou Windows-1252) ou en classeur Excel (.xlsx)."
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        bad, why = error.start, error.reason
    readable = data[:bad]
    if len(data) - bad < 4 and why == "unexpected end of data":
        raise FileError(
            f"Le fichier s'arrête au milieu d'un caractère (ligne {_line_of(data, bad)}) : il est tronqué. "
            "Enregistrez-le de nouveau."
        )
    if any(b >= 0x80 for b in readable):
        # Accented letters read fine as UTF-8 up to here: a UTF-8 file with a foreign byte, not Windows-1252.
        raise FileError(
            f"Encodage incohérent ligne {_line_of(data, bad)} : le début du fichier est en UTF-8, cette ligne "
            "ne l'est pas (fichiers collés ?). Enregistrez le fichier en « CSV UTF-8 »."
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise FileError(
            f"Octet illisible ligne {_line_of(data, error.start)} : le fichier n'est ni en UTF-8 ni en Windows-1252 "
            "(ou ce n'est pas un fichier texte). Enregistrez-le en « CSV UTF-8 » ou en .xlsx."
        ) from None


def _separator(content: str) -> str:
    first = next((line for line in content.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ";"


def _cells(row: list[str], limits: Limits) -> list[Any]:
    cap = limits.max_cell_chars
    for i, value in enumerate(row):
        if len(value) > cap:
            row[i] = TooLong(len(value), value[:40])
    return row


def _read_csv(data: bytes, limits: Limits) -> tuple[list[list[Any]], str, str]:
    content, encoding = decode(data)
    control = _CONTROL.search(content)
    if control is not None:
        raise FileError(
            f"Caractère de contrôle (code {ord(control.group())}) ligne {content.count(chr(10), 0, control.start()) + 1} : "
            "ce n'est pas un texte de tableau. Enregistrez le fichier en CSV ou en .xlsx."
        )
    sep = _separator(content)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=sep, strict=True)
    rows: list[list[Any]] = []
    try:
        for row in reader:
            if len(rows) >= limits.max_rows + 1:  # + the header
                _too_many_rows(limits)
            if len(row) > limits.max_columns:
                _too_many_columns(reader.line_num, len(row), limits)
            rows.append(_cells(row, limits))
    except csv.Error as error:
        raise FileError(
            f"Ligne {reader.line_num} : guillemets mal placés ou fichier tronqué ({error}). "
            "Vérifiez la ligne ou enregistrez le fichier de nouveau en CSV."
        ) from None
    return rows, encoding, sep


csv.field_size_limit(2**31 - 1)  # cells are bounded by Limits.max_cell_chars (reported), not by a csv.Error


def _too_many_rows(limits: Limits) -> None:
    rows = f"{limits.max_rows:,}".replace(",", "\u202f")
    raise FileError(
        f"Le fichier dépasse {rows} lignes (limite des imports, réglable par l'administrateur) : "
        "découpez-le par mois ou par entreprise."
    )


def _too_many_columns(line: int, count: int, limits: Limits) -> None:
    raise FileError(
        f"Ligne {line} : {count} colonnes, plus que les {limits.max_columns} admises : "
        "ce fichier n'est pas un relevé (ou ses séparateurs sont faux)."
    )


# --- Excel -------------------------------------------------------------------------------------------------------


def _open_book(data: bytes, limits: Limits):
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > limits.max_uncompressed_bytes:
                raise FileError(
                    f"Le classeur décompressé pèserait {unpacked // MB} Mo, plus que les "
                    f"{limits.max_uncompressed_bytes // MB} Mo admis : découpez-le ou enregistrez-le en CSV."
                )
            broken = archive.testzip()  # every part inflated once (sizes checked above): CRC errors found now
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError):
        raise FileError(
            "Le fichier Excel est abîmé (archive illisible) : enregistrez-le de nouveau en .xlsx."
        ) from None
    if broken is not None:
        raise FileError(f"Le fichier Excel est abîmé (partie « {broken} » illisible) : enregistrez-le de nouveau.")
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 — InvalidFileException, KeyError, XML errors … all mean the same here
        raise FileError(
            f"Le fichier Excel ne peut pas être lu ({type(error).__name__}) : enregistrez-le de nouveau en .xlsx."
        ) from None


def sheet_names(data: bytes) -> list[str]:
    """The sheets of an .xlsx file (to choose which one holds the table); [] when it cannot be opened."""
    try:
        book = _open_book(data, Limits())
    except FileError:
        return []
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _read_xlsx(data: bytes, sheet: str | None, limits: Limits) -> tuple[list[list[Any]], str, list[str]]:
    book = _open_book(data, limits)
    warnings: list[str] = []
    try:
        if sheet:
            if sheet not in book.sheetnames:
                raise FileError(
                    f"La feuille « {sheet} » n'existe pas ; feuilles du classeur : {', '.join(book.sheetnames)}."
                )
            ws = book[sheet]
        else:
            ws = book.worksheets[0]
            if len(book.sheetnames) > 1:
                others = ", ".join(f"« {name} »" for name in book.sheetnames[1:])
                warnings.append(
                    f"Le classeur a {len(book.sheetnames)} feuilles : seule « {ws.title} » est lue ({others} non)."
                )
        if not hasattr(ws, "reset_dimensions"):
            raise FileError(
                f"« {ws.title} » n'est pas une feuille de calcul (graphique ?) : choisissez une autre feuille."
            )
        ws.reset_dimensions()  # read every row, whatever the stored dimension says
        rows: list[list[Any]] = []
        cap = limits.max_cell_chars
        try:
            for values in ws.iter_rows(values_only=True):
                if len(rows) >= limits.max_rows + 1:
                    _too_many_rows(limits)
                row = list(values)
                while row and row[-1] is None:  # rows padded to the widest one: trailing empties are not data
                    row.pop()
                if len(row) > limits.max_columns:
                    _too_many_columns(len(rows) + 1, len(row), limits)
                for i, value in enumerate(row):
                    if isinstance(value, str) and len(value) > cap:
                        row[i] = TooLong(len(value), value[:40])
                rows.append(row)
        except FileError:
            raise
        except Exception as error:  # noqa: BLE001 — a sheet cut or broken in its middle
            raise FileError(
                f"La feuille « {ws.title} » est illisible après la ligne {len(rows)} ({type(error).__name__}) : "
                "le classeur est abîmé, rien n'a été lu. Enregistrez-le de nouveau."
            ) from None
        return rows, ws.title, warnings
    finally:
        book.close()


# --- both --------------------------------------------------------------------------------------------------------


def read_table(data: bytes, file_name: str, sheet: str | None = None, limits: Limits | None = None) -> Table:
    """Every row of a CSV or ``.xlsx`` file (first or chosen sheet), or a FileError in French."""
    limits = limits or Limits()
    if len(data) > limits.max_file_bytes:
        raise FileError(
            f"Le fichier pèse {len(data) // MB} Mo, plus que les {limits.max_file_bytes // MB} Mo admis : découpez-le."
        )
    if not data.strip():
        raise FileError("Le fichier est vide.")
    suffix = PurePath(file_name).suffix.lower()
    encoding = separator = ""
    sheet_name = None
    warnings: list[str] = []
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        rows, sheet_name, warnings = _read_xlsx(data, sheet, limits)
    elif suffix == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileError("Le format .xls (Excel 97) n'est pas lu : enregistrez le fichier en .xlsx ou en CSV.")
    elif suffix in (".ods", ".pdf", ".zip", ".docx"):
        raise FileError(f"Le format {suffix} n'est pas lu : enregistrez le tableau en .xlsx ou en CSV.")
    else:
        rows, encoding, separator = _read_csv(data, limits)
    header_at = next((i for i, r in enumerate(rows) if not is_blank(r)), None)
    if header_at is None:
        raise FileError("Le fichier est vide.")
    return Table(file_name, checksum(data), rows, header_at, encoding, separator, sheet_name, warnings)
