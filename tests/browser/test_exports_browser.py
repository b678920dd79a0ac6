"""Exports in a real browser: the files are built on click (deferred data), arrive with their name, and are logged."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select

from clausier import db
from clausier.services import partners
from clausier.services.partners import PartnerInput
from clausier.services.users import CurrentUser, hash_password
from models import AuditEvent, User
from models.enums import PartnerKind, Role
from tests.browser.conftest import download, start_server, stop_server
from tests.browser.test_app_browser import PASSWORD, TIMEOUT, do_login, wait_idle

pytestmark = pytest.mark.browser


def test_partners_directory_downloads_as_csv_and_excel(browser, sqlite_url, output_dir):
    engine = db.make_engine(sqlite_url)
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
        partners.create_partner(
            session,
            CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE),
            PartnerInput(name="=Régie de l'Île", kind=PartnerKind.SIAE, contact_name="Inès Ziani"),
        )
        session.commit()
    server = start_server(sqlite_url, output_dir / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page.goto(server.url + "/partenaires", timeout=TIMEOUT)
        do_login(page, "louis", PASSWORD)
        page.get_by_role("heading", name="Partenaires").first.wait_for(timeout=TIMEOUT)
        wait_idle(page)

        csv_download = download(page, "Télécharger l'annuaire (CSV)", wait_idle)
        assert re.fullmatch(r"partenaires-\d{4}-\d{2}-\d{2}\.csv", csv_download.suggested_filename)
        data = Path(csv_download.path()).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert "'=Régie de l'Île;SIAE;" in data.decode("utf-8-sig")
        wait_idle(page)

        xlsx_download = download(page, "Télécharger l'annuaire (Excel)", wait_idle)
        assert xlsx_download.suggested_filename.endswith(".xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.path()).read_bytes())).active
        assert sheet["A2"].value == "'=Régie de l'Île" and sheet["A2"].data_type == "s"
        wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(output_dir / "partenaires.png"), full_page=True)
    finally:
        stop_server(server)

    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    engine.dispose()
    # one event per download (a click retried by `download` may add one more, never fewer)
    assert {(e.who, e.table_name) for e in events} == {("louis", "partenaires")}
    assert any(".csv : 1 ligne(s)" in e.summary for e in events)
    assert any(".xlsx : 1 ligne(s)" in e.summary for e in events)
