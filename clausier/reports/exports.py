"""Exports of any table (DESIGN §5.4): CSV as French Excel opens it, and ``.xlsx``.

- CSV: UTF-8 with BOM, ``;`` separator, decimal comma, dates ``dd/mm/yyyy``, whole numbers without decimals,
  booleans « Oui » / « Non ».
- Excel: numbers, dates and booleans typed as such, header row bold and frozen, readable column widths.
- Both neutralise every text cell a spreadsheet could take for a formula (it starts with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return): it gets a leading ``'`` and, in Excel, is written as a string. A negative
  *number* stays a number; only text is touched.
- Exports of personal data are for ``admin`` and ``saisie`` only, and logged (``record_export``).
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from clausier.formatting import fmt_number

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LOCAL_TZ = ZoneInfo("Europe/Paris")  # timestamps are stored in UTC; the team reads them in local time
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # refused by the xlsx format (tab, LF, CR allowed)
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """A text a spreadsheet would run as a formula gets a leading quote: « =HYPERLINK(…) » → « '=HYPERLINK(…) »."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: object) -> str:
    """User text made safe for a spreadsheet: control characters dropped first, then neutralised."""
    return neutralise(_CONTROL_CHARS.sub("", str(value)))


def _plain(value: Any) -> Any:
    """One cell as None, bool, int, float, date, naive local datetime or (neutralised) str."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return _number(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool) or kind.__name__ == "bool_":  # numpy's boolean too
        return bool(value)
    if isinstance(value, Enum):
        return _text(getattr(value, "label", value.value))
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Decimal | numbers.Real):
        return _number(float(value))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return value
    return _text(value)


def _number(number: float) -> Any:
    """A float as a number cell: blank when missing, whole numbers as int (written without decimals)."""
    if math.isnan(number):
        return None
    if math.isinf(number):
        return _text("infini" if number > 0 else "moins l'infini")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _column(series: pd.Series) -> list[Any]:
    """A column's cells; a column of datetimes all at midnight is a column of dates."""
    values = series.tolist()
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iub":
        return values  # numpy integers and booleans: Python ints and bools already, never missing
    cells = [_plain(v) for v in values]
    if series.dtype.kind in "OM":  # objects, datetimes (with or without a time zone)
        stamps = [c for c in cells if isinstance(c, datetime)]
        if stamps and all(c.hour == c.minute == c.second == c.microsecond == 0 for c in stamps):
            cells = [c.date() if isinstance(c, datetime) else c for c in cells]
    return cells


def _header(name: Any) -> str:
    if isinstance(name, tuple):  # MultiIndex columns
        name = " – ".join(str(part) for part in name if str(part))
    return _text(name)


def _table(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """Headers and columns of cells (by position: duplicate column names are kept)."""
    headers = [_header(name) for name in frame.columns]
    columns = [_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return headers, columns


# --- CSV ---------------------------------------------------------------------------------------------------------


def _csv_number(number: float) -> str:
    text = f"{number:.10f}".rstrip("0").rstrip(".")
    return ("0" if text in ("", "-0") else text).replace(".", ",")


def _csv_cell(cell: Any) -> str:
    if type(cell) is str:
        return cell
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "Oui" if cell else "Non"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        return _csv_number(cell)
    if isinstance(cell, datetime):
        return cell.strftime("%d/%m/%Y %H:%M")
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y")
    return cell


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as a CSV file that French Excel opens as is (UTF-8 with BOM, ``;``, decimal comma, dd/mm/yyyy)."""
    headers, columns = _table(frame)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(zip(*([_csv_cell(cell) for cell in cells] for cells in columns), strict=True))
    return buffer.getvalue().encode("utf-8-sig")


# --- Excel -------------------------------------------------------------------------------------------------------

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
MIN_WIDTH, MAX_WIDTH = 8, 60
WIDTH_SAMPLE = 2_000  # rows looked at to size a column


def _sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_FORBIDDEN.sub(" ", _CONTROL_CHARS.sub("", name)).strip().strip("'")[:31]
    return cleaned or "Export"


def _display_width(cell: Any) -> int:
    if cell is None:
        return 0
    if isinstance(cell, datetime):
        return 16
    if isinstance(cell, date):
        return 10
    if isinstance(cell, float):
        return len(f"{cell:,.2f}")
    if isinstance(cell, int):
        return len(f"{cell:,}")
    return max((len(line) for line in str(cell).splitlines()), default=0)


def _xlsx_cell(sheet: Any, cell: Any) -> Any:
    if isinstance(cell, datetime):
        out = WriteOnlyCell(sheet, value=cell)
        out.number_format = DATETIME_FORMAT
        return out
    if isinstance(cell, date):
        out = WriteOnlyCell(sheet, value=cell)
        out.number_format = DATE_FORMAT
        return out
    if isinstance(cell, str):
        # Neutralised, so never read as a formula (openpyxl makes a formula only of a text starting with "=").
        return cell[:EXCEL_MAX_CELL_CHARS]
    return cell  # None, bool, int, float: typed by openpyxl


def to_xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "Export", title: str | None = None) -> bytes:
    """The table as an Excel workbook of one sheet: an optional title line, a bold frozen header row with a
    filter, then the rows with numbers, dates and booleans typed as such."""
    headers, columns = _table(frame)
    first_row = 2 if title else 1  # the header row
    if frame.shape[0] + first_row > EXCEL_MAX_ROWS:
        raise ValueError(
            f"Ce tableau a {fmt_number(frame.shape[0])} lignes : c'est plus qu'Excel n'en accepte. "
            "Exportez-le en CSV ou filtrez-le."
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_name(sheet_name))
    for index, (header, cells) in enumerate(zip(headers, columns, strict=True), start=1):
        width = max([len(header)] + [_display_width(c) for c in cells[:WIDTH_SAMPLE]])
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    sheet.freeze_panes = f"A{first_row + 1}"
    if headers:
        sheet.auto_filter.ref = f"A{first_row}:{get_column_letter(len(headers))}{first_row + frame.shape[0]}"

    if title:
        title_cell = WriteOnlyCell(sheet, value=_text(title)[:EXCEL_MAX_CELL_CHARS])
        title_cell.data_type = "s"
        title_cell.font = Font(bold=True, size=14)
        sheet.append([title_cell])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in zip(*columns, strict=True):
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
