"""A4 PDF documents in French for committees and buyers (DESIGN §3.9): bilans, committee dossiers, brochures.

Build a document with its parts in reading order, then ``build()`` returns the PDF bytes::

    doc = PdfDocument("Bilan de la clause d'insertion", ["Périmètre : tout le territoire", "Période : …"])
    doc.heading("Heures")
    doc.key_figures([("Heures engagées", "12 000 h"), ("Heures réalisées", "8 000 h")])
    doc.table(frame, title="Heures par modalité", max_rows=40)
    doc.image(charts.chart_png(chart), width_cm=16)
    pdf = doc.build()

- A title block opens the first page: the title, the ``subtitle_lines`` (scope, period…) and the date of
  production. Every page has « Page n / N » in its footer (two passes: the total is known at the end).
- Fonts: the PDF standard Helvetica, in its WinAnsi (Windows-1252) encoding: French accents, « », œ, €, — and …
  are in it. A character outside it is replaced (``pdf_text``): the narrow no-break space of French numbers by a
  no-break space, a letter with a diacritic outside the set by its base letter, anything else by « ? ».
- All text is escaped: what a user typed is never read as reportlab markup (``<b>``, ``<a href>``, ``&``…).
- Tables split across pages with their header row repeated on each; numbers are right-aligned in French format.
  ``max_rows`` keeps the first rows and says how many were left out (the full table is in the Excel export).
- Charts: ``image(png)`` for a picture (a vl-convert PNG), or ``bar_chart`` / ``progress_chart`` drawn as vector
  graphics (quick to build, sharp on paper, their labels searchable), in the house style of
  ``clausier.reports.charts``: Okabe-Ito colours, every value written next to its bar (readable in black and white).
- After ``build()``, ``page_count`` holds the number of pages and ``headings`` the (level, text, page) of every
  heading, which are also the PDF's bookmarks.
"""

from __future__ import annotations

import io
import math
import numbers
import unicodedata
from datetime import date, datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pandas as pd
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from clausier.formatting import fmt_date, fmt_number

LOCAL_TZ = ZoneInfo("Europe/Paris")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 1.8 * cm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
FRAME_HEIGHT = PAGE_HEIGHT - 2 * MARGIN
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
ENCODING = "cp1252"  # the WinAnsi encoding of the standard fonts
GREY = colors.HexColor("#555555")
HEADER_FILL = colors.HexColor("#E8E8E8")
STRIPE_FILL = colors.HexColor("#F6F6F6")
RULE = colors.HexColor("#9E9E9E")

_REPLACEMENTS = {
    "\u202f": "\u00a0",  # narrow no-break space (French thousands) → no-break space
    "\u2009": " ",
    "\u2007": "\u00a0",
    "\u2212": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2192": "->",
    "\u2248": "~",
}

STYLES = {
    "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=20, leading=24, spaceAfter=6),
    "subtitle": ParagraphStyle("subtitle", fontName=FONT, fontSize=11, leading=14, textColor=GREY),
    "h1": ParagraphStyle("h1", fontName=FONT_BOLD, fontSize=15, leading=19, spaceBefore=12, spaceAfter=6),
    "h2": ParagraphStyle("h2", fontName=FONT_BOLD, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4),
    "h3": ParagraphStyle("h3", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3),
    "body": ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13, spaceAfter=4),
    "note": ParagraphStyle("note", fontName=FONT, fontSize=8.5, leading=11, textColor=GREY, spaceAfter=4),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10.5),
    "cell_right": ParagraphStyle("cell_right", fontName=FONT, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
    "head": ParagraphStyle("head", fontName=FONT_BOLD, fontSize=8.5, leading=10.5),
    "head_right": ParagraphStyle("head_right", fontName=FONT_BOLD, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
    "figure_value": ParagraphStyle("figure_value", fontName=FONT_BOLD, fontSize=14, leading=17),
    "figure_label": ParagraphStyle("figure_label", fontName=FONT, fontSize=8.5, leading=10.5, textColor=GREY),
}
CELL_FONT_SIZE = 8.5
CELL_PADDING = 3
FIGURES_PER_ROW = 3


def pdf_text(value: object) -> str:
    """Text the standard fonts can draw (Windows-1252): see the module docstring. Not escaped."""
    text = str(value)
    out = []
    for char in text:
        char = _REPLACEMENTS.get(char, char)
        try:
            char.encode(ENCODING)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            try:
                base.encode(ENCODING)
                char = base or "?"
            except UnicodeEncodeError:
                char = "?"
        out.append(char)
    return "".join(out)


def markup(value: object) -> str:
    """Plain text made safe for a reportlab Paragraph: drawable, escaped, line breaks kept."""
    return escape(pdf_text(value)).replace("\r\n", "\n").replace("\n", "<br/>")


def cell_text(value: object) -> str:
    """One table cell as French text: numbers « 1 234 » or « 1 234,5 », dates dd/mm/yyyy, nothing for missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, numbers.Integral):
        return fmt_number(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return ""
        return fmt_number(number, 0 if number.is_integer() else 1)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, date | datetime):
        return fmt_date(value)
    return str(value)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


BAR_COLOUR = "#0072B2"  # Okabe-Ito blue
CHART_FONT_SIZE = 8
ROW_HEIGHT = 13
AXIS_HEIGHT = 26
COMMITTED_FILL = colors.HexColor("#E0E0E0")
COMMITTED_STROKE = colors.HexColor("#707070")


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) giving about ``ticks`` intervals up to ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def _fit(text: str, width: float, font: str = FONT, size: float = CHART_FONT_SIZE) -> str:
    """The text cut with « … » to fit ``width`` points."""
    text = pdf_text(text)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


LEGEND_LINE = 12


def _legend_lines(
    legend: list[tuple[str, str]], left: float, width: float
) -> list[list[tuple[float, str, str | None]]]:
    """The legend's items (x, label, colour) cut into lines that fit; the expected-hours tick comes last."""
    items = [(pdf_text(label), colour) for label, colour in legend] + [("heures attendues à date", None)]
    lines: list[list[tuple[float, str, str | None]]] = [[]]
    x = left
    for label, colour in items:
        item_width = 11 + stringWidth(label, FONT, 7.5) + 12
        if lines[-1] and x + item_width > width:
            lines.append([])
            x = left
        lines[-1].append((x, label, colour))
        x += item_width
    return lines


def _bars_drawing(rows: list[tuple], axis_title: str, legend: list[tuple[str, str]]) -> Drawing:
    """rows: (label, value, text, achieved or None, expected or None, colour). With ``achieved`` set, ``value`` is
    the committed hours drawn in grey under the achieved bar (progress); else ``value`` is the bar."""
    width = FRAME_WIDTH
    label_width = min(max(stringWidth(pdf_text(r[0]), FONT, CHART_FONT_SIZE) for r in rows) + 6, width * 0.34)
    text_width = min(max(stringWidth(pdf_text(r[2]), FONT, CHART_FONT_SIZE) for r in rows) + 8, width * 0.3)
    plot_left = label_width
    plot_width = width - label_width - text_width
    legend_lines = _legend_lines(legend, plot_left, width) if legend else []
    legend_height = len(legend_lines) * LEGEND_LINE + (4 if legend_lines else 0)
    height = len(rows) * ROW_HEIGHT + AXIS_HEIGHT + legend_height + 4
    top = max(max(r[1], r[3] or 0, r[4] or 0) for r in rows) or 1.0
    step = nice_step(top)
    top = math.ceil(top / step) * step
    drawing = Drawing(width, height)
    base_y = AXIS_HEIGHT + legend_height

    def x_of(value: float) -> float:
        return plot_left + plot_width * value / top

    # grid and axis
    tick = 0.0
    while tick <= top + step / 2:
        x = x_of(tick)
        drawing.add(Line(x, base_y, x, height - 2, strokeColor=colors.HexColor("#D0D0D0"), strokeWidth=0.4))
        label = fmt_number(tick, 0 if float(tick).is_integer() else 1)
        drawing.add(
            String(x, base_y - 10, pdf_text(label), fontName=FONT, fontSize=7, fillColor=GREY, textAnchor="middle")
        )
        tick += step
    drawing.add(Line(plot_left, base_y, plot_left + plot_width, base_y, strokeColor=colors.black, strokeWidth=0.6))
    if axis_title:
        drawing.add(
            String(
                plot_left + plot_width / 2,
                base_y - 21,
                pdf_text(axis_title),
                fontName=FONT,
                fontSize=7.5,
                fillColor=colors.black,
                textAnchor="middle",
            )
        )
    # bars
    for i, (label, value, text, achieved, expected, colour) in enumerate(rows):
        y = height - 2 - (i + 1) * ROW_HEIGHT
        middle = y + ROW_HEIGHT / 2 - 3
        drawing.add(
            String(
                label_width - 4,
                middle,
                _fit(label, label_width - 6),
                fontName=FONT,
                fontSize=CHART_FONT_SIZE,
                textAnchor="end",
            )
        )
        fill = colors.HexColor(colour)
        end = value
        if achieved is None:
            drawing.add(
                Rect(
                    plot_left,
                    y + 2,
                    x_of(value) - plot_left,
                    ROW_HEIGHT - 4,
                    fillColor=fill,
                    strokeColor=colors.black,
                    strokeWidth=0.4,
                )
            )
        else:
            drawing.add(
                Rect(
                    plot_left,
                    y + 1.5,
                    x_of(value) - plot_left,
                    ROW_HEIGHT - 3,
                    fillColor=COMMITTED_FILL,
                    strokeColor=COMMITTED_STROKE,
                    strokeWidth=0.4,
                )
            )
            drawing.add(
                Rect(
                    plot_left,
                    y + 4,
                    x_of(min(achieved, top)) - plot_left,
                    ROW_HEIGHT - 8,
                    fillColor=fill,
                    strokeColor=colors.black,
                    strokeWidth=0.3,
                )
            )
            if expected is not None:
                x = x_of(min(float(expected), top))
                drawing.add(Line(x, y + 1, x, y + ROW_HEIGHT - 1, strokeColor=colors.black, strokeWidth=1.8))
            end = max(value, achieved)
        drawing.add(
            String(x_of(min(end, top)) + 3, middle, _fit(text, text_width - 4), fontName=FONT, fontSize=CHART_FONT_SIZE)
        )
    # legend, on as many lines as it needs (from the bottom up)
    for line_index, line in enumerate(legend_lines):
        y = 3 + (len(legend_lines) - 1 - line_index) * LEGEND_LINE
        for x, label, colour in line:
            if colour is None:  # the tick of the expected hours
                drawing.add(Line(x + 4, y, x + 4, y + 8, strokeColor=colors.black, strokeWidth=1.8))
            else:
                drawing.add(
                    Rect(x, y, 8, 8, fillColor=colors.HexColor(colour), strokeColor=colors.black, strokeWidth=0.3)
                )
            drawing.add(String(x + 11, y + 1, label, fontName=FONT, fontSize=7.5))
    return drawing


class _Heading(Paragraph):
    """A heading paragraph that remembers its plain text and level (for the bookmarks and ``headings``)."""

    def __init__(self, text: str, level: int, style: ParagraphStyle) -> None:
        super().__init__(markup(text), style)
        self.plain_text = pdf_text(text)
        self.level = level


class _Template(SimpleDocTemplate):
    """Records on which page each heading lands, and adds it to the PDF outline."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.headings: list[tuple[int, str, int]] = []

    def afterFlowable(self, flowable):  # noqa: N802 (reportlab's name)
        if isinstance(flowable, _Heading):
            page = self.canv.getPageNumber()
            previous = self.headings[-1][0] if self.headings else 0
            level = min(flowable.level, previous + 1)  # an outline may not skip a level
            key = f"h{len(self.headings)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.plain_text, key, level=level - 1, closed=False)
            self.headings.append((level, flowable.plain_text, page))


class _NumberedCanvas(rl_canvas.Canvas):
    """Keeps every page until the end, then writes « Page n / N » on each (the total is known only then)."""

    footer_text = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, MARGIN - 0.5 * cm, PAGE_WIDTH - MARGIN, MARGIN - 0.5 * cm)
        self.setFont(FONT, 8)
        self.setFillColor(GREY)
        left = self.footer_text
        limit = FRAME_WIDTH - 3 * cm
        while left and stringWidth(left, FONT, 8) > limit:
            left = left[:-2] + "…"
        self.drawString(MARGIN, MARGIN - 0.9 * cm, left)
        self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 0.9 * cm, f"Page {self._pageNumber} / {total}")
        self.restoreState()


class PdfDocument:
    """An A4 portrait document: title block, then the parts added in order (see the module docstring)."""

    def __init__(self, title: str, subtitle_lines: list[str], *, produced_at: datetime | None = None) -> None:
        self.title = title
        self.subtitle_lines = list(subtitle_lines)
        self.produced_at = produced_at or datetime.now(LOCAL_TZ)
        self.page_count: int | None = None
        self.headings: list[tuple[int, str, int]] = []
        self._story: list = []
        self._title_block()

    # --- parts -----------------------------------------------------------------------------------------------
    def _title_block(self) -> None:
        self._story.append(Paragraph(markup(self.title), STYLES["title"]))
        for line in self.subtitle_lines:
            self._story.append(Paragraph(markup(line), STYLES["subtitle"]))
        produced = self.produced_at.strftime("%d/%m/%Y à %H:%M")
        self._story.append(Paragraph(markup(f"Document produit le {produced}"), STYLES["subtitle"]))
        self._story.append(Spacer(1, 0.5 * cm))

    def heading(self, text: str, level: int = 1) -> None:
        """A section title (levels 1 to 3); never left alone at the bottom of a page."""
        level = min(max(level, 1), 3)
        self._story.append(CondPageBreak(3 * cm))
        self._story.append(_Heading(text, level, STYLES[f"h{level}"]))

    def paragraph(self, text: str) -> None:
        self._story.append(Paragraph(markup(text), STYLES["body"]))

    def note(self, text: str) -> None:
        """A small grey paragraph: a source, a caveat, a rule of reading."""
        self._story.append(Paragraph(markup(text), STYLES["note"]))

    def spacer(self, height_cm: float = 0.4) -> None:
        self._story.append(Spacer(1, height_cm * cm))

    def key_figures(self, pairs: list[tuple[str, str]]) -> None:
        """Figures in a grid, three a row: the value in large bold over its label."""
        if not pairs:
            return
        cells = [
            [Paragraph(markup(value), STYLES["figure_value"]), Paragraph(markup(label), STYLES["figure_label"])]
            for label, value in pairs
        ]
        rows = [cells[i : i + FIGURES_PER_ROW] for i in range(0, len(cells), FIGURES_PER_ROW)]
        rows[-1] = rows[-1] + [""] * (FIGURES_PER_ROW - len(rows[-1]))
        width = FRAME_WIDTH / FIGURES_PER_ROW
        grid = Table(rows, colWidths=[width] * FIGURES_PER_ROW, hAlign="LEFT")
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if cell != "":
                    style.append(("BOX", (c, r), (c, r), 0.5, RULE))
        grid.setStyle(TableStyle(style))
        self._story.append(grid)
        self._story.append(Spacer(1, 0.3 * cm))

    def table(self, frame: pd.DataFrame, title: str | None = None, max_rows: int | None = None) -> None:
        """A table of ``frame`` (its columns as header), split across pages with the header repeated."""
        parts: list = []
        if title:
            parts.append(Paragraph(markup(title), STYLES["h3"]))
        if frame.shape[0] == 0:
            parts.append(Paragraph(markup("Aucune donnée sur ce périmètre et cette période."), STYLES["note"]))
            self._story.append(KeepTogether(parts))
            return
        shown = frame if max_rows is None else frame.head(max_rows)
        left_out = frame.shape[0] - shown.shape[0]
        numeric = [_is_numeric(frame[col]) for col in frame.columns]
        texts = [[cell_text(v) for v in shown[col].tolist()] for col in frame.columns]  # by column
        headers = [pdf_text(col) for col in frame.columns]
        widths = self._column_widths(headers, texts, numeric)
        data = [[Paragraph(escape(h), STYLES["head_right" if numeric[c] else "head"]) for c, h in enumerate(headers)]]
        for r in range(shown.shape[0]):
            row = []
            for c in range(len(headers)):
                text = pdf_text(texts[c][r])
                # a number is drawn as a plain string (never parsed); text as an escaped Paragraph, so it wraps
                row.append(text if numeric[c] else Paragraph(escape(text), STYLES["cell"]))
            data.append(row)
        table = LongTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        style = [
            ("FONT", (0, 1), (-1, -1), FONT, CELL_FONT_SIZE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE_FILL]),
        ]
        for c, is_number in enumerate(numeric):
            if is_number:
                style.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
        table.setStyle(TableStyle(style))
        if parts:
            # the title stays with the header and the first rows
            self._story.append(CondPageBreak(3 * cm))
        self._story.extend(parts)
        self._story.append(table)
        if left_out > 0:
            self.note(f"… et {fmt_number(left_out)} autres lignes, dans l'export Excel de ce tableau.")
        self._story.append(Spacer(1, 0.3 * cm))

    @staticmethod
    def _column_widths(headers: list[str], texts: list[list[str]], numeric: list[bool]) -> list[float]:
        """Widths from the longest text of each column (header in bold), shrunk to the frame when needed:
        the wide columns give way first; a text column keeps at least its header's longest word (and at most
        4 cm of it), a number column its longest number (numbers never wrap)."""
        pad = 2 * CELL_PADDING + 2
        natural, minimum = [], []
        for header, column, is_number in zip(headers, texts, numeric, strict=True):
            longest = max((stringWidth(pdf_text(t), FONT, CELL_FONT_SIZE) for t in column[:200]), default=0)
            head = stringWidth(header, FONT_BOLD, CELL_FONT_SIZE)
            word = max((stringWidth(w, FONT_BOLD, CELL_FONT_SIZE) for w in header.split()), default=0)
            natural.append(max(longest, head) + pad)
            minimum.append(max(longest, word) + pad if is_number else min(word + pad, 4 * cm))
        total = sum(natural)
        if total <= FRAME_WIDTH:
            return natural

        # numbers first get what they need (their longest number, or their header's longest word), the text
        # columns share the rest: the widest give way first (a common cap, found by bisection); then what is
        # left goes back to the number columns, whose headers wrap less
        numbers_min = sum(m for m, is_number in zip(minimum, numeric, strict=True) if is_number)
        room = FRAME_WIDTH - numbers_min
        text_natural = [n for n, is_number in zip(natural, numeric, strict=True) if not is_number]
        text_min = [m for m, is_number in zip(minimum, numeric, strict=True) if not is_number]

        def capped(cap: float) -> list[float]:
            return [min(n, max(cap, m)) for n, m in zip(text_natural, text_min, strict=True)]

        if sum(text_natural) <= room:
            texts_width = text_natural
        else:
            low, high = 0.0, max(text_natural, default=0.0)
            for _ in range(40):
                cap = (low + high) / 2
                if sum(capped(cap)) > room:
                    high = cap
                else:
                    low = cap
            texts_width = capped(low)
        left = max(0.0, room - sum(texts_width))
        wants = [n - m if is_number else 0.0 for n, m, is_number in zip(natural, minimum, numeric, strict=True)]
        share = min(1.0, left / sum(wants)) if sum(wants) > 0 else 0.0
        text_iter = iter(texts_width)
        return [minimum[i] + wants[i] * share if numeric[i] else next(text_iter) for i in range(len(natural))]

    def image(self, png: bytes, width_cm: float = 16, max_height_cm: float | None = None) -> None:
        """A picture (a chart's PNG) at ``width_cm``, kept in the frame (and ``max_height_cm``) and its
        proportions."""
        reader = ImageReader(io.BytesIO(png))
        px_width, px_height = reader.getSize()
        width = min(width_cm * cm, FRAME_WIDTH)
        height = width * px_height / px_width
        limit = FRAME_HEIGHT - 2 * cm
        if max_height_cm is not None:
            limit = min(limit, max_height_cm * cm)
        if height > limit:
            width, height = width * limit / height, limit
        picture = Image(io.BytesIO(png), width=width, height=height)
        picture.hAlign = "LEFT"
        self._story.append(picture)
        self._story.append(Spacer(1, 0.3 * cm))

    def bar_chart(
        self,
        title: str | None,
        items: list[tuple[str, float, str]],
        *,
        subtitle: str | None = None,
        axis_title: str = "",
        colour: str = BAR_COLOUR,
    ) -> None:
        """Horizontal bars drawn as vector graphics (sharp on paper, and quick: no image to render): ``items``
        are (label, value, text written at the end of the bar). Readable in black and white: the value is
        written, the colour only repeats it."""
        if not items:
            return
        rows = [(label, max(0.0, float(value)), text, None, None, colour) for label, value, text in items]
        self._chart_parts(title, subtitle, _bars_drawing(rows, axis_title, []))

    def progress_chart(
        self,
        title: str | None,
        items: list[tuple[str, float, float, float | None, str, str]],
        legend: list[tuple[str, str]],
        *,
        subtitle: str | None = None,
        axis_title: str = "Heures",
    ) -> None:
        """Progress bars as vector graphics: ``items`` are (label, committed, achieved, expected or None, colour
        of the achieved bar, text at the end); the committed hours in light grey, the achieved hours over them,
        a black tick at the expected hours. ``legend``: (label, colour) of the achieved bars."""
        if not items:
            return
        rows = [
            (label, max(0.0, float(committed)), text, max(0.0, float(achieved)), expected, colour)
            for label, committed, achieved, expected, colour, text in items
        ]
        self._chart_parts(title, subtitle, _bars_drawing(rows, axis_title, legend))

    def _chart_parts(self, title: str | None, subtitle: str | None, drawing: Drawing) -> None:
        parts: list = [Paragraph(markup(title), STYLES["h3"])] if title else []
        if subtitle:
            parts.append(Paragraph(markup(subtitle), STYLES["note"]))
        parts.append(drawing)
        parts.append(Spacer(1, 0.3 * cm))
        self._story.append(KeepTogether(parts))

    def page_break(self) -> None:
        self._story.append(PageBreak())

    # --- output ----------------------------------------------------------------------------------------------
    def build(self) -> bytes:
        """The PDF bytes; sets ``page_count``."""
        buffer = io.BytesIO()
        template = _Template(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=pdf_text(self.title),
            author="Clausier",
            subject=pdf_text(" · ".join(self.subtitle_lines)),
            creator="Clausier",
            lang="fr-FR",
        )
        footer = pdf_text(f"Clausier · {self.title}")

        class Canvas(_NumberedCanvas):
            footer_text = footer

        pages: list[int] = []

        def count(canvas, _doc) -> None:
            pages.append(canvas.getPageNumber())

        template.build(list(self._story), onFirstPage=count, onLaterPages=count, canvasmaker=Canvas)
        self.page_count = len(pages)
        self.headings = list(template.headings)
        return buffer.getvalue()
