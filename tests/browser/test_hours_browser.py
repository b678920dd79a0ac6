"""In a real browser: upload an hours statement, confirm it, then download the dashboard chart as a PNG."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from clausier import db
from clausier.rules.names import name_key
from clausier.services.users import hash_password
from models import HoursEntry, User
from models.enums import Role
from tests.browser.conftest import download as download_png
from tests.browser.conftest import start_server, stop_server
from tests.browser.test_app_browser import PASSWORD, TIMEOUT, do_login, wait_idle
from tests.builders import make_commitment, make_company, make_lot, make_participant

pytestmark = pytest.mark.browser


def test_upload_hours_then_download_the_chart_png(browser, sqlite_url, output_dir):
    engine = db.make_engine(sqlite_url)
    with Session(engine) as session:
        session.add(
            User(
                login="sophie",
                name="Sophie",
                email="s@plie.test",
                role=Role.SAISIE,
                password_hash=hash_password(PASSWORD),
            )
        )
        company = make_company(session, name="Bâti Flandre")
        lot = make_lot(session, reference="LOT-A", execution_start=date(2025, 1, 1), execution_end=date(2026, 12, 31))
        make_commitment(session, lot=lot, company=company)
        make_participant(
            session,
            last_name="Dupont",
            first_name="Hélène",
            name_key=name_key("Dupont", "Hélène"),
            birth_date=date(1990, 5, 17),
        )
        session.commit()
        siret = company.siret
    csv_path = output_dir / "releve-janvier.csv"
    csv_path.write_bytes(
        (
            "SIRET;Nom;Prénom;Date de naissance;Mois;Heures\n"
            f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]};DUPONT;Hélène;17/05/1990;janvier 2026;151,67\n"
        ).encode("cp1252")
    )
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(server.url + "/import-heures", timeout=TIMEOUT)
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        do_login(page, "sophie", PASSWORD)
        page.get_by_role("heading", name="Import des heures").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)
        page.locator("input[type='file']").set_input_files(str(csv_path))
        wait_idle(page)
        page.get_by_role("button", name="Confirmer l'import").click()
        page.get_by_text("Import n° 1 enregistré : 1 ligne(s) ajoutée(s)").wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(output_dir / "import.png"), full_page=True)

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Tableau de bord", exact=True).click()
        page.get_by_role("heading", name="Tableau de bord").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        chart.scroll_into_view_if_needed()
        chart.locator("canvas, svg").first.wait_for(timeout=TIMEOUT)  # the chart is drawn in the page too
        page.screenshot(path=str(output_dir / "tableau-de-bord.png"), full_page=True)
        download = download_png(page, "Image PNG pour diaporama", wait_idle)
        assert download.suggested_filename.startswith("avancement-company-") and download.suggested_filename.endswith(
            ".png"
        )
        png = output_dir / download.suggested_filename
        download.save_as(png)
    finally:
        stop_server(server)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width >= 1200  # fit for a slide
    with Session(engine) as session:
        assert [e.hours_h100 for e in session.exec(select(HoursEntry))] == [15_167]
    engine.dispose()


def test_hostile_files_get_french_reasons_and_an_erp_workbook_is_read_whole(browser, sqlite_url, output_dir):
    """Issue 10 as a user sees it: a workbook whose stored dimension says 10 rows while it holds 30 is read whole;
    a file with odd numbers and a month out of the lot's execution is refused line by line, in French."""
    import io
    import re
    import zipfile

    import openpyxl

    engine = db.make_engine(sqlite_url)
    with Session(engine) as session:
        session.add(User(login="sophie", name="Sophie", email="s@plie.test", role=Role.SAISIE,
                         password_hash=hash_password(PASSWORD)))  # fmt: skip
        company = make_company(session, name="Bâti Flandre")
        lot = make_lot(session, reference="LOT-A", execution_start=date(2024, 1, 1), execution_end=date(2026, 12, 31))
        make_commitment(session, lot=lot, company=company)
        for i in range(3):
            make_participant(session, last_name=f"Martin{i}", first_name="Léa", name_key=name_key(f"Martin{i}", "Léa"))
        session.commit()
        siret = company.siret
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["siret", "nom", "prenom", "mois", "heures"])
    for i in range(30):
        sheet.append([siret, f"Martin{i % 3}", "Léa", f"{1 + i // 3:02d}/2025", 7.5])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    erp = io.BytesIO()
    with zipfile.ZipFile(erp, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:E11"/>', data)
            target.writestr(info, data)
    (output_dir / "erp.xlsx").write_bytes(erp.getvalue())
    (output_dir / "faux.csv").write_bytes(
        (
            "siret;nom;prenom;mois;heures;heures\n"  # « heures » twice: refused whole
            f"{siret};Martin0;Léa;03/2025;7;8\n"
        ).encode()
    )
    (output_dir / "nombres.csv").write_bytes(
        (
            "siret;nom;prenom;mois;heures\n"
            f"{siret};Martin0;Léa;03/2025;1_5\n"
            f"{siret};Martin1;Léa;01/1990;7\n"
            f"{siret};Martin2;Léa;04/2025;12,345\n"
        ).encode()
    )
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url + "/import-heures", timeout=TIMEOUT)
        page.get_by_text("Connexion à Clausier").wait_for(timeout=TIMEOUT)
        do_login(page, "sophie", PASSWORD)
        page.get_by_role("heading", name="Import des heures").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)
        page.locator("input[type='file']").set_input_files(str(output_dir / "erp.xlsx"))
        wait_idle(page)
        page.get_by_text("Heures à ajouter (30)").wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(output_dir / "classeur-erp-lu-en-entier.png"), full_page=True)

        page.locator("input[type='file']").set_input_files(str(output_dir / "faux.csv"))
        wait_idle(page)
        page.get_by_text("La colonne « heures » figure deux fois").wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(output_dir / "colonne-en-double.png"), full_page=True)

        page.locator("input[type='file']").set_input_files(str(output_dir / "nombres.csv"))
        wait_idle(page)
        page.get_by_text("Le fichier comporte 3 erreur(s)").wait_for(timeout=TIMEOUT)
        for reason in ("n'est pas un nombre d'heures valide", "avant le début d'exécution du lot"):
            page.get_by_text(reason).first.wait_for(state="attached", timeout=TIMEOUT)  # a grid cell (canvas)
        page.screenshot(path=str(output_dir / "erreurs-ligne-par-ligne.png"), full_page=True)
        with Session(engine) as session:
            assert session.exec(select(HoursEntry)).all() == []  # nothing written by any of them
    finally:
        stop_server(server)
        engine.dispose()
