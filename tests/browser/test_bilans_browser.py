"""Bilans in a real browser on the S demo territory: a reader downloads the whole territory's bilan of the current
year as a PDF and one chart as a PNG, then opens the GPEC heat map."""

from __future__ import annotations

import io
import re
import struct
from datetime import date
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlmodel import Session

from clausier import db, demo
from clausier.services.users import hash_password
from clausier.setup import prepare_database
from models import User
from models.enums import Role
from tests.browser.conftest import download, start_server, stop_server
from tests.browser.test_app_browser import PASSWORD, TIMEOUT, do_login, wait_idle
from tests.browser.test_clauses_browser import open_page

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _demo_with_a_reader(url: str, today: date) -> None:
    engine = db.make_engine(url)
    prepare_database(engine)  # already done by the fixture's template: idempotent
    demo.generate(engine, size="S", seed=1, today=today)
    with Session(engine) as session:
        session.add(
            User(
                login="louis",
                name="Louis Lecture",
                email="l@plie.test",
                password_hash=hash_password(PASSWORD),
                role=Role.LECTURE,
            )
        )
        session.commit()
    engine.dispose()


def download_first(page, name: str):
    """Click the first download button of this name (a chart's « Image PNG »: one per chart); a click lost while
    Streamlit swaps the deferred file is tried again, as ``download`` does."""
    for attempt in range(3):
        try:
            with page.expect_download(timeout=30_000) as info:
                page.get_by_role("button", name=name, exact=True).first.click()
            return info.value
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            wait_idle(page)
    raise AssertionError("unreachable")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_bilan_pdf_and_chart_png_then_the_gpec_heat_map(browser, sqlite_url, output_dir):
    today = date.today()
    _demo_with_a_reader(sqlite_url, today)
    year = f"du 01/01/{today.year} au 31/12/{today.year}"
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR", accept_downloads=True)
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page.goto(server.url + "/bilans", timeout=TIMEOUT)
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        do_login(page, "louis", PASSWORD)
        page.get_by_role("heading", name="Bilans").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)

        # the defaults: the whole territory, the current year
        scope = page.locator("[data-testid='stRadio']").filter(has=page.get_by_text("Périmètre", exact=True))
        expect(scope.get_by_role("radio", name="Tout le territoire")).to_be_checked()
        period = page.locator("[data-testid='stRadio']").filter(has=page.get_by_text("Période", exact=True))
        expect(period.get_by_role("radio", name=f"Année {today.year}")).to_be_checked()
        page.get_by_text(f"Tout le territoire · période {year} · avancement au {today:%d/%m/%Y}").wait_for(
            timeout=TIMEOUT
        )
        expect(page.get_by_test_id("stMetric").first).to_be_visible()
        no_exception(page)
        page.screenshot(path=str(output_dir / "bilan-chiffres-cles.png"))
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        chart.scroll_into_view_if_needed()
        chart.locator("canvas, svg").first.wait_for(timeout=TIMEOUT)
        no_exception(page)
        page.screenshot(path=str(output_dir / "bilan-premier-graphique.png"), full_page=True)

        pdf = download(page, "Télécharger le bilan (PDF)", wait_idle)
        assert pdf.suggested_filename == f"bilan-all-{today.year}-01-01-{today.year}-12-31.pdf"
        data = Path(pdf.path()).read_bytes()
        assert data.startswith(b"%PDF")
        pdf.save_as(output_dir / pdf.suggested_filename)
        reader = pypdf.PdfReader(io.BytesIO(data))
        text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
        assert len(reader.pages) >= 1
        assert "Bilan de la clause sociale d'insertion" in text, text[:500]
        assert "Périmètre : Tout le territoire" in text, text[:500]
        assert f"Période : {year}" in text, text[:500]
        wait_idle(page)

        png = download_first(page, "Image PNG")
        assert re.fullmatch(rf"bilan-all-{today.year}-01-01-{today.year}-12-31-[\w-]+\.png", png.suggested_filename)
        image = Path(png.path()).read_bytes()
        width, height = png_size(image)
        assert width >= 800 and height > 0, (width, height)
        png.save_as(output_dir / png.suggested_filename)
        wait_idle(page)
        no_exception(page)

        # GPEC: the gaps by trade and quarter drawn as a heat map
        open_page(page, "GPEC")
        page.get_by_role("heading", name="Écart par métier et trimestre").wait_for(timeout=TIMEOUT)
        heat_map = page.locator("[data-testid='stVegaLiteChart']").first
        heat_map.scroll_into_view_if_needed()
        heat_map.locator("canvas, svg").first.wait_for(timeout=TIMEOUT)
        box = heat_map.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, box
        no_exception(page)
        page.screenshot(path=str(output_dir / "gpec.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(output_dir / "echec.png"), full_page=True)  # what the page showed
        raise
    finally:
        stop_server(server)
