"""The PDF documents (clausier.reports.pdf) and the bilan as a PDF on the demo data (DESIGN §3.9)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session

from clausier import demo
from clausier.formatting import fmt_number
from clausier.reports import bilan as B
from clausier.reports import bilan_pdf, pdf
from clausier.reports.pdf import PdfDocument
from clausier.services import bilans
from models import Company, Participant

PRODUCED = datetime(2026, 3, 16, 9, 30)
NBSP = "\u00a0"


def _read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def _texts(reader: PdfReader) -> list[str]:
    """The text of each page (pypdf reads the no-break space of French numbers as a space)."""
    return [page.extract_text().replace(NBSP, " ") for page in reader.pages]


def _doc(title: str = "Bilan de test") -> PdfDocument:
    return PdfDocument(
        title, ["Périmètre : Ville d'Évry", "Période : du 01/01/2026 au 31/12/2026"], produced_at=PRODUCED
    )


def test_title_block_and_page_numbers_on_every_page():
    doc = _doc()
    doc.heading("Première partie")
    doc.paragraph("Un paragraphe.")
    doc.page_break()
    doc.heading("Deuxième partie")
    doc.page_break()
    doc.paragraph("Fin.")
    reader = _read(doc.build())
    texts = _texts(reader)
    assert doc.page_count == len(reader.pages) == 3
    assert "Bilan de test" in texts[0]
    assert "Périmètre : Ville d'Évry" in texts[0]
    assert "Période : du 01/01/2026 au 31/12/2026" in texts[0]
    assert "Document produit le 16/03/2026 à 09:30" in texts[0]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} / 3" in text
    assert doc.headings == [(1, "Première partie", 1), (1, "Deuxième partie", 2)]
    assert [item.title for item in reader.outline] == ["Première partie", "Deuxième partie"]
    assert reader.metadata.title == "Bilan de test"


def test_french_text_accents_euro_and_ligatures_are_kept():
    doc = _doc("Synthèse été 2026")
    doc.paragraph("Cœur de métier : 1\u202f234,50 € « engagés » — déjà réalisés… Œuvre, ça, naïf, Noël")
    doc.key_figures([("Montant du marché", "12\u202f000 €"), ("Heures réalisées", "8\u202f000 h")])
    text = _texts(_read(doc.build()))[0]
    assert "Synthèse été 2026" in text
    assert "Cœur de métier : 1 234,50 € « engagés » — déjà réalisés… Œuvre, ça, naïf, Noël" in text
    assert "12 000 €" in text and "Montant du marché" in text


def test_characters_outside_the_fonts_are_replaced_not_dropped():
    assert pdf.pdf_text("1\u202f234") == f"1{NBSP}234"
    assert pdf.pdf_text("ĉ ŝ") == "c s"
    assert pdf.pdf_text("≥ 3") == ">= 3"
    assert pdf.pdf_text("😀") == "?"


def test_user_text_is_never_read_as_markup():
    evil = "<b>gras</b> & <a href='javascript:alert(1)'>lien</a> <font size=40>x</font> <br/>"
    doc = _doc(evil)
    doc.heading(evil)
    doc.paragraph(evil)
    doc.table(pd.DataFrame({"Nom <i>": [evil], "Heures": [3]}), title=evil)
    data = doc.build()
    texts = _texts(_read(data))
    assert texts[0].count("<b>gras</b> & <a href='javascript:alert(1)'>lien</a>") >= 4
    assert b"/URI" not in data and b"/Annots" not in data  # no link was made of it


def test_long_table_is_split_with_its_header_repeated():
    frame = pd.DataFrame(
        {
            "Entreprise": [f"Entreprise numéro {i}" for i in range(150)],
            "Heures": [i * 10.5 for i in range(150)],
            "Personnes": list(range(150)),
        }
    )
    doc = _doc()
    doc.table(frame, title="Entreprises")
    reader = _read(doc.build())
    texts = _texts(reader)
    assert len(texts) >= 3
    for text in texts:
        assert "Entreprise" in text and "Heures" in text and "Personnes" in text  # the header on every page
    everything = "\n".join(texts)
    assert all(f"Entreprise numéro {i}\n" in everything for i in range(150))
    assert "1 564,5" in everything  # 149 × 10,5 in French


def test_max_rows_keeps_the_first_rows_and_says_how_many_were_left_out():
    frame = pd.DataFrame({"Commune": [f"Commune {i}" for i in range(50)], "Personnes": [3] * 50})
    doc = _doc()
    doc.table(frame, max_rows=20)
    text = "\n".join(_texts(_read(doc.build())))
    assert "Commune 19" in text and "Commune 20" not in text
    assert "… et 30 autres lignes, dans l'export Excel de ce tableau." in text


def test_an_empty_table_says_so():
    doc = _doc()
    doc.table(pd.DataFrame({"Commune": [], "Personnes": []}), title="Personnes par commune")
    assert "Aucune donnée sur ce périmètre et cette période." in _texts(_read(doc.build()))[0]


def test_table_cells_in_french_format():
    assert pdf.cell_text(1234.5) == fmt_number(1234.5, 1)
    assert pdf.cell_text(1234.0) == fmt_number(1234)
    assert pdf.cell_text(7) == "7"
    assert pdf.cell_text(date(2026, 3, 1)) == "01/03/2026"
    assert pdf.cell_text(True) == "Oui"
    assert pdf.cell_text(None) == "" and pdf.cell_text(float("nan")) == ""
    assert pdf.cell_text("< 3") == "< 3"


def test_image_is_embedded_in_the_frame():
    picture = Image.new("RGB", (1600, 900), "white")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    doc = _doc()
    doc.image(buffer.getvalue(), width_cm=30)  # wider than the page: shrunk to the frame
    reader = _read(doc.build())
    assert len(reader.pages[0].images) == 1


def test_charts_are_drawn_with_their_labels_and_values():
    doc = _doc()
    doc.bar_chart("Heures par modalité", [("Embauche directe", 440.0, "440 h · 54 %"), ("Formation", 0.0, "0 h")])
    doc.progress_chart(
        None,
        [("Alpha", 1000.0, 740.0, 500.0, "#56B4E9", "74 % · en avance")],
        [("en avance", "#56B4E9")],
        subtitle="Au 30/06/2026",
    )
    text = _texts(_read(doc.build()))[0]
    for expected in ("Heures par modalité", "Embauche directe", "440 h · 54 %", "Alpha", "74 % · en avance"):
        assert expected in text
    assert "heures attendues à date" in text


def test_nice_steps_are_round():
    assert [pdf.nice_step(v) for v in (10, 23, 480, 20_000)] == [2, 5, 100, 5_000]


@pytest.fixture
def demo_s(engine):
    demo.generate(engine, "S", seed=1, today=date(2026, 3, 15))
    return engine


def _bilan(engine, scope: B.Scope) -> B.Bilan:
    with Session(engine) as session:
        return bilans.compute(session, scope, B.Period(date(2025, 1, 1), date(2025, 12, 31)), date(2026, 3, 15))


def test_bilan_pdf_of_the_demo_data_has_one_page_per_section(demo_s):
    b = _bilan(demo_s, B.Scope())
    doc = PdfDocument(b.title, b.subtitle_lines, produced_at=PRODUCED)
    headings = bilans.add_bilan(doc, b)
    reader = _read(doc.build())
    texts = _texts(reader)
    # nine sections, each begun on a new page and held on it: as many pages as sections
    assert len(headings) == len(bilan_pdf.SECTIONS) == 9
    assert len(reader.pages) == doc.page_count == len(headings)
    for number, (heading, text) in enumerate(zip(headings, texts, strict=True), start=1):
        assert text.startswith(heading) or heading in text.split("\n")[:8], (number, heading)
        assert f"Page {number} / {len(headings)}" in text
    assert [page for level, _, page in doc.headings if level == 1] == list(range(1, 10))
    assert "Périmètre : Tout le territoire" in texts[0]
    assert "Période : du 01/01/2025 au 31/12/2025" in texts[0]
    assert "Entreprises et leur avancement (tableau)" in texts[-1]


def test_company_bilan_pdf_names_the_company_and_no_person(demo_s):
    with Session(demo_s) as session:
        company_id, name = session.execute(select(Company.id, Company.name).order_by(Company.id)).first()
        people = session.execute(select(Participant.last_name, Participant.first_name)).all()
    b = _bilan(demo_s, B.Scope(B.ScopeKind.COMPANY, company_id))
    data = bilans.bilan_pdf(b, produced_at=PRODUCED)
    texts = _texts(_read(data))
    assert f"Périmètre : Entreprise : {name}" in re.sub(r"\s*\n\s*", " ", texts[0])
    assert "Lots de l'entreprise" in "\n".join(texts)
    everything = "\n".join(texts)
    for last_name, first_name in people:
        assert f"{last_name} {first_name}" not in everything and f"{first_name} {last_name}" not in everything
