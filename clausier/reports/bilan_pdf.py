"""The bilan as a PDF for a committee or a buyer (DESIGN §3.9): layout only, from a computed :class:`Bilan`.

Laid out in a :class:`~clausier.reports.pdf.PdfDocument`, one section a page (``SECTIONS``), each with its charts and
its tables. The charts of the PDF are the page's charts (same bars, values and shares written out, same colours)
drawn as vector graphics by reportlab rather than as vl-convert images: sharp on paper, and about 0.3 to 0.8 s
quicker each (eleven charts would take 4 to 7 s on this machine; the whole PDF now takes a fraction of a second).
The page's PNG downloads are still made by vl-convert. The tables of the PDF are cut (``PDF_ROWS``) so that every
section holds on its page; the Excel and CSV downloads of the page give every line. ``add_bilan`` appends the
sections to another document (the committee dossier), ``bilan_pdf`` makes the whole PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from clausier.formatting import fmt_date
from clausier.reports import bilan as indicators
from clausier.reports.bilan import Bilan, Breakdown
from clausier.reports.pdf import PdfDocument

PDF_ROWS = {"communes": 22, "progress": 36}  # lines of the longest tables in the PDF (the exports have all)
CHART_BARS = {"communes": 15, "progress": 40}


# --- the PDF -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One page of the bilan: its heading and what it draws."""

    heading: str
    draw: Callable[[PdfDocument, Bilan], None]


AXIS_TITLES = {indicators.HOURS: "Heures", indicators.PEOPLE: "Personnes", indicators.CONTRACTS: "Contrats"}


def _breakdown(doc: PdfDocument, b: Bilan, breakdown: Breakdown) -> None:
    doc.heading(breakdown.title, level=2)
    if breakdown.frame.empty:
        doc.note("Aucune donnée sur ce périmètre et cette période.")
        return
    limit = CHART_BARS.get(breakdown.key, indicators.CHART_BARS)
    items = indicators.chart_items(breakdown, limit)
    if items:
        subtitle = None
        if len(breakdown.frame) > limit:
            subtitle = f"Les {limit} premières lignes sur {len(breakdown.frame)}."
        doc.bar_chart(None, items, subtitle=subtitle, axis_title=AXIS_TITLES[breakdown.unit])
    doc.table(breakdown.frame, max_rows=PDF_ROWS.get(breakdown.key))
    if breakdown.note:
        doc.note(breakdown.note)


def _summary(doc: PdfDocument, b: Bilan) -> None:
    doc.key_figures(b.key_figures())
    doc.note(
        f"Heures engagées : les engagements du périmètre dont le lot s'exécute pendant la période ou qui y ont "
        f"des heures. Taux, reste et statut au {fmt_date(b.as_of)}. Les effectifs inférieurs à "
        f"{b.threshold} personnes sont regroupés ou masqués pour que personne ne soit reconnaissable ; "
        f"ce bilan ne contient aucun nom de personne."
    )
    _breakdown(doc, b, b.hours_by_modality)


def _people(*keys: str) -> Callable[[PdfDocument, Bilan], None]:
    def draw(doc: PdfDocument, b: Bilan) -> None:
        by_key = {t.key: t for t in b.people_breakdowns}
        for key in keys:
            _breakdown(doc, b, by_key[key])

    return draw


def _outcomes(doc: PdfDocument, b: Bilan) -> None:
    _breakdown(doc, b, b.outcomes)
    _breakdown(doc, b, b.outcomes_6m)


def _progress_chart(doc: PdfDocument, b: Bilan) -> None:
    limit = CHART_BARS["progress"]
    items = indicators.progress_items(b, limit)
    if not items:
        doc.note("Aucun engagement sur ce périmètre et cette période.")
        return
    subtitle = f"Au {fmt_date(b.as_of)} ; heures engagées en gris, réalisées en couleur selon le statut."
    if len(b.progress_items) > limit:
        subtitle += f" Les {limit} qui demandent le plus d'attention sur {len(b.progress_items)}."
    doc.progress_chart(None, items, indicators.status_legend(b, limit), subtitle=subtitle)


def _progress_table(doc: PdfDocument, b: Bilan) -> None:
    frame = b.progress_frame.copy()
    hours = [c for c in frame.columns if c.startswith(("Heures", "Réalisées", "Reste"))]
    frame[hours] = frame[hours].round(0)  # whole hours on paper; the exports keep the hundredths
    doc.table(frame, max_rows=PDF_ROWS["progress"])


SECTIONS: list[Section] = [
    Section("Synthèse", _summary),
    Section("Heures par type de contrat", lambda d, b: _breakdown(d, b, b.hours_by_contract_type)),
    Section("Les personnes (1/3) : sexe et âge", _people("sexe", "age")),
    Section("Les personnes (2/3) : qualification et quartiers prioritaires", _people("qualification", "qpv")),
    Section("Les personnes (3/3) : critères d'éligibilité", _people("criteres")),
    Section("Les personnes : commune de résidence", _people("communes")),
    Section("Sorties de contrat", _outcomes),
    Section("Avancement (graphique)", _progress_chart),
    Section("Avancement (tableau)", _progress_table),
]


def section_headings(b: Bilan) -> list[str]:
    """The page headings of the bilan, in order (the progress pages name companies or lots)."""
    title = indicators.progress_title(b)
    return [s.heading.replace("Avancement", title) for s in SECTIONS]


def add_bilan(doc: PdfDocument, b: Bilan, *, new_page: bool = False) -> list[str]:
    """Append the bilan's sections to ``doc``, each on its own page; return their headings."""
    headings = section_headings(b)
    for i, (section, heading) in enumerate(zip(SECTIONS, headings, strict=True)):
        if i > 0 or new_page:
            doc.page_break()
        doc.heading(heading, level=1)
        section.draw(doc, b)
    return headings


def bilan_pdf(b: Bilan, produced_at: datetime | None = None) -> bytes:
    """The bilan as an A4 PDF: title block, one section a page, page numbers."""
    doc = PdfDocument(b.title, b.subtitle_lines, produced_at=produced_at)
    add_bilan(doc, b)
    return doc.build()


def file_stem(b: Bilan) -> str:
    """« bilan-entreprise-12-2026-01-01-2026-12-31 »: a file name without the scope's name."""
    scope = b.scope.kind.value + ("" if b.scope.item_id is None else f"-{b.scope.item_id}")
    return f"bilan-{scope}-{b.period.start.isoformat()}-{b.period.end.isoformat()}"
