"""Export complet: all the data as one Excel workbook, for the PLIE's other tools and for archives (DESIGN §5.4).

- One sheet per table, named as the table, in alphabetical order, after a first sheet « lisez-moi » (date, who,
  complete or without personal data, units). The columns are the table's columns, named as in the database:
  those names are stable (README, « Export complet : colonnes »). A table longer than an Excel sheet goes on
  in ``<table>_2``, ``<table>_3``…
- Values: enums as their code (``embauche_directe``), dates and times as Excel dates (times in Paris time),
  booleans as TRUE/FALSE, hours in hundredths (``*_h100``), money in cents (``*_cents``), rates in basis points
  (``*_bp``) — as stored. Every text a spreadsheet could take for a formula is neutralised
  (``clausier.reports.exports``).
- Personal data only for ``admin``: the identity and contact of participants, free-text notes about people,
  users' e-mails and the audit journal. ``saisie`` gets the workbook without those sheets and columns (the
  « lisez-moi » sheet says which); ``lecture`` gets nothing (rows of people, even without names, are personal
  data). Password hashes and login throttling are never exported. Each export is logged in the journal.
- Rows are streamed from the database into sheets written straight as XML in the zip (see ``_XlsxWriter``):
  the workbook of size M is built in seconds.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from xml.sax.saxutils import escape

from sqlalchemy import Table, select
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (registers every table)
from clausier import privacy
from clausier.errors import PermissionDenied
from clausier.formatting import fmt_number
from clausier.reports import exports
from clausier.services import audit
from clausier.services.users import CurrentUser
from models.enums import Role

README_SHEET = "lisez-moi"
SHEET_ROWS = exports.EXCEL_MAX_ROWS - 1  # data rows per sheet, under the header
BATCH = 5_000

# Never exported: secrets, login throttling and login sessions (who was logged in when: no business data).
NEVER_TABLES = {"loginthrottle", "loginsession"}
NEVER_COLUMNS = {"app_user": {"password_hash"}}
# Personal data: only for admin.
PERSONAL_TABLES = {"auditevent"}
PERSONAL_COLUMNS = {
    "participant": {
        "last_name",
        "first_name",
        "name_key",
        "birth_date",
        "address",
        "phone",
        "email",
        "notes",
        "external_id",
    },
    "eligibility": {"reason"},
    "candidacy": {"check_comment", "refusal_reason"},
    "candidacyevent": {"comment"},
    "employmentcontract": {"notes"},
    "followup": {"notes"},
    "app_user": {"email"},
}


@dataclass(frozen=True)
class SheetPlan:
    table: str
    columns: list[str]
    left_out: list[str] = field(default_factory=list)  # personal columns left out for this user


@dataclass(frozen=True)
class FullExport:
    data: bytes
    file_name: str
    rows: dict[str, int]  # table → rows written
    personal_data: bool
    left_out_tables: list[str]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def may_export(user: CurrentUser | None) -> bool:
    """The full export holds rows about people: admin and saisie (DESIGN §1, §5.4)."""
    return privacy.may_export(user, personal_data=True)


def with_personal_data(user: CurrentUser | None) -> bool:
    return user is not None and user.can(Role.ADMIN)


def _tables() -> list[Table]:
    return sorted(SQLModel.metadata.tables.values(), key=lambda t: t.name)


def plan(user: CurrentUser | None) -> tuple[list[SheetPlan], list[str]]:
    """The sheets this user gets (table and columns), and the tables left out for their role."""
    personal = with_personal_data(user)
    sheets, left_out = [], []
    for table in _tables():
        if table.name in NEVER_TABLES:
            continue
        if table.name in PERSONAL_TABLES and not personal:
            left_out.append(table.name)
            continue
        hidden = set(NEVER_COLUMNS.get(table.name, set()))
        removed = [] if personal else [c.name for c in table.columns if c.name in PERSONAL_COLUMNS.get(table.name, ())]
        hidden |= set(removed)
        sheets.append(SheetPlan(table.name, [c.name for c in table.columns if c.name not in hidden], removed))
    return sheets, left_out


# --- a streaming .xlsx writer -------------------------------------------------------------------------------------
# openpyxl's write-only mode serialises each cell through an XML tree builder (about 50 µs a cell without lxml):
# the two million cells of size M took over a minute. The format of a plain sheet is small, so the sheets are
# written here as text straight into the zip (about 1 µs a cell). Tests read the result back with openpyxl.

_EPOCH = date(1899, 12, 30)
_EPOCH_TIME = datetime(1899, 12, 30)
FLUSH_ROWS = 1_000
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_STYLE_DATE, _STYLE_DATETIME, _STYLE_BOLD, _STYLE_TITLE = 1, 2, 3, 4
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{_MAIN_NS}">
<numFmts count="2"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/><numFmt numFmtId="165" formatCode="DD/MM/YYYY HH:MM"/></numFmts>
<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="14"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    text = escape(exports._text(text)[: exports.EXCEL_MAX_CELL_CHARS])
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def _cell_xml(ref: str, value, style: int = 0) -> str:
    """One stored value as a cell: enum codes, numbers, booleans, Excel dates (Paris time), neutralised text;
    nothing for None."""
    kind = type(value)
    if value is None:
        return ""
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if kind is str:
        return _text_cell(ref, value, style)
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Enum):
        return _text_cell(ref, str(value.value), style)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(exports.LOCAL_TZ).replace(tzinfo=None)
        delta = value - _EPOCH_TIME
        serial = delta.days + (delta.seconds + delta.microseconds / 1_000_000) / 86400
        return f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, float | Decimal):
        number = exports._plain(float(value))
        if isinstance(number, str):  # infinity, in words
            return _text_cell(ref, number, style)
        return "" if number is None else f'<c r="{ref}"><v>{number!r}</v></c>'
    return _text_cell(ref, str(value), style)


class _XlsxWriter:
    """Sheets written one after the other, rows streamed, into a zip in memory."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[str] = []
        self._stream = None
        self._row = 0
        self._letters: list[str] = []
        self._pending: list[str] = []

    def start_sheet(self, name: str, *, freeze_header: bool = True, widths: list[int] | None = None) -> None:
        self._end_sheet()
        self.sheets.append(name)
        self._stream = self.zip.open(f"xl/worksheets/sheet{len(self.sheets)}.xml", "w", force_zip64=True)
        head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN_NS}">'
        if freeze_header:
            head += (
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                ' state="frozen"/></sheetView></sheetViews>'
            )
        if widths:
            head += (
                "<cols>"
                + "".join(
                    f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)
                )
                + "</cols>"
            )
        self._stream.write((head + "<sheetData>").encode("utf-8"))
        self._row = 0

    def append(self, values: list, style: int = 0) -> None:
        self._row += 1
        row = self._row
        letters = self._letters
        while len(letters) < len(values):
            letters.append(_column_letter(len(letters)))
        cells = "".join([_cell_xml(f"{letters[i]}{row}", v, style) for i, v in enumerate(values)])
        self._pending.append(f'<row r="{row}">{cells}</row>')
        if len(self._pending) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._stream.write("".join(self._pending).encode("utf-8"))
            self._pending = []

    def _end_sheet(self) -> None:
        if self._stream is not None:
            self._flush()
            self._stream.write(b"</sheetData></worksheet>")
            self._stream.close()
            self._stream = None

    def close(self) -> bytes:
        self._end_sheet()
        n = len(self.sheets)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>' for i in range(1, n + 1)
        )
        self.zip.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self.zip.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        sheets = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(self.sheets, 1)
        )
        self.zip.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN_NS}" '
            f'xmlns:r="{_REL_NS}"><sheets>{sheets}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        rels += f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL_NS}">'
            f"{rels}</Relationships>",
        )
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.zip.close()
        return self.buffer.getvalue()


def _readme_lines(user: CurrentUser, now: datetime, sheets: list[SheetPlan], left_out: list[str]) -> list[str]:
    personal = with_personal_data(user)
    lines = [
        f"Produit le {now.astimezone(exports.LOCAL_TZ).strftime('%d/%m/%Y à %H:%M')} par {user.login}.",
        "Contenu : "
        + (
            "toutes les données, y compris les données personnelles (rôle Administrateur)."
            if personal
            else "toutes les données sauf les données personnelles (réservées au rôle Administrateur)."
        ),
        "Une feuille par table, nommée comme la table ; les colonnes portent le nom des colonnes de la base "
        "(noms stables, décrits dans le README, « Export complet : colonnes »). Une table plus longue qu'une "
        "feuille Excel continue dans <table>_2, <table>_3…",
        "Unités : heures en centièmes (*_h100 : 15167 = 151,67 h), montants en centimes (*_cents), taux en "
        "points de base (*_bp : 500 = 5 %). Les listes de valeurs sont données par leur code. Dates et heures en "
        "heure de Paris.",
        "Un texte qui commence par =, +, -, @, une tabulation ou un retour chariot est précédé d'une apostrophe.",
    ]
    if left_out:
        lines.append("Feuilles non fournies (données personnelles) : " + ", ".join(left_out) + ".")
    removed = [f"{s.table} ({', '.join(s.left_out)})" for s in sheets if s.left_out]
    if removed:
        lines.append("Colonnes non fournies (données personnelles) : " + " ; ".join(removed) + ".")
    lines.append("Jamais exportés : les empreintes de mots de passe et les blocages de connexion.")
    return lines


def build(session: Session, user: CurrentUser | None, *, now: datetime | None = None) -> FullExport:
    """The workbook for this user (see the module docstring); not logged: see :func:`export`."""
    if not may_export(user):
        raise PermissionDenied(
            "L'export complet contient des lignes sur les participants : il est réservé aux rôles Administrateur "
            "et Saisie."
        )
    assert user is not None
    now = now or datetime.now(exports.LOCAL_TZ)
    sheets, left_out = plan(user)
    writer = _XlsxWriter()
    writer.start_sheet(README_SHEET, freeze_header=False, widths=[120])
    writer.append(["Clausier – export complet des données"], style=_STYLE_TITLE)
    for line in _readme_lines(user, now, sheets, left_out):
        writer.append([line])

    tables = SQLModel.metadata.tables
    rows_written: dict[str, int] = {}
    connection = session.connection()
    for sheet_plan in sheets:
        table = tables[sheet_plan.table]
        columns = [table.c[name] for name in sheet_plan.columns]
        widths = [max(10, min(40, len(name) + 4)) for name in sheet_plan.columns]
        header = list(sheet_plan.columns)
        order = list(table.primary_key.columns) or columns[:1]
        query = select(*columns).order_by(*order).execution_options(yield_per=BATCH)
        part, count, in_sheet = 1, 0, SHEET_ROWS
        for batch in connection.execute(query).partitions():
            for row in batch:
                if in_sheet >= SHEET_ROWS:  # a new sheet: the first one, or the table goes on
                    name = sheet_plan.table if part == 1 else f"{sheet_plan.table}_{part}"
                    writer.start_sheet(name[:31], widths=widths)
                    writer.append(header, style=_STYLE_BOLD)
                    part, in_sheet = part + 1, 0
                writer.append(row)
                in_sheet += 1
                count += 1
        if count == 0:  # an empty table still gets its sheet and header
            writer.start_sheet(sheet_plan.table[:31], widths=widths)
            writer.append(header, style=_STYLE_BOLD)
        rows_written[sheet_plan.table] = count
    data = writer.close()
    suffix = "" if with_personal_data(user) else "-sans-donnees-personnelles"
    return FullExport(
        data=data,
        file_name=f"clausier-export-complet{suffix}-{now.strftime('%Y-%m-%d')}.xlsx",
        rows=rows_written,
        personal_data=with_personal_data(user),
        left_out_tables=left_out,
    )


def export(session: Session, user: CurrentUser | None, *, now: datetime | None = None) -> FullExport:
    """Build the workbook and log the export in the journal (action « export »), in the caller's transaction."""
    result = build(session, user, now=now)
    audit.record_export(
        session, user, "export-complet", result.file_name, result.total_rows, personal_data=result.personal_data
    )
    return result


def describe_rows(result: FullExport) -> str:
    return f"{len(result.rows)} feuilles, {fmt_number(result.total_rows)} lignes"
