"""Suivi › Import des heures through app.py: upload, preview, confirm, re-import changes nothing, admin undo."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from clausier import db
from clausier.rules.names import name_key
from models import HoursEntry
from models.enums import Role
from tests.builders import make_commitment, make_company, make_lot, make_participant
from tests.pages.conftest import logged_in, open_url_path


def _world(url: str) -> str:
    with Session(db.get_engine(url)) as session:
        company = make_company(session)
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
    return (
        "siret;nom;prenom;date_naissance;mois;heures\n"
        f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]};DUPONT;Helene;17/05/1990;01/2026;151,67\n"
        f"{siret};Dupont;Hélène;17/05/1990;février 2026;120\n"
    )


def _upload(at, content: str, name: str = "releve-janvier.csv"):
    at.get("file_uploader")[0].upload(name, content.encode("cp1252"), "text/csv")
    return at.run()


def _entries(url: str) -> dict:
    with Session(db.get_engine(url)) as session:
        return {e.month: e.hours_h100 for e in session.exec(select(HoursEntry))}


def test_import_preview_confirm_then_same_file_changes_nothing(with_users):
    content = _world(with_users)
    at = open_url_path(logged_in(Role.SAISIE).run(), "import-heures").run()
    assert at.title[0].value == "Import des heures"
    _upload(at, content)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Lignes à ajouter"] == "2" and metrics["Erreurs"] == "0"
    assert _entries(with_users) == {}  # nothing written before the confirmation
    next(b for b in at.button if b.label == "Confirmer l'import").click().run()
    assert not at.exception
    assert any("2 ligne(s) ajoutée(s)" in s.value for s in at.success)
    assert _entries(with_users) == {date(2026, 1, 1): 15_167, date(2026, 2, 1): 12_000}

    _upload(at, content, "releve-janvier-bis.csv")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Lignes à ajouter"], metrics["Inchangées"]) == ("0", "2")
    assert any("ne change rien" in i.value for i in at.info)


def test_a_file_with_an_error_shows_its_line_and_writes_nothing(with_users):
    content = _world(with_users) + "99999999999999;Dupont;Hélène;17/05/1990;03/2026;10\n"
    at = open_url_path(logged_in(Role.SAISIE).run(), "import-heures").run()
    _upload(at, content)
    assert {m.label: m.value for m in at.metric}["Erreurs"] == "1"
    errors = next(df.value for df in at.dataframe if "Problème" in df.value.columns)
    assert errors.iloc[0]["Ligne"] == 4 and errors.iloc[0]["Colonne"] == "siret"
    assert not [b for b in at.button if b.label == "Confirmer l'import"]
    assert _entries(with_users) == {}


def test_admin_undoes_an_import(with_users):
    content = _world(with_users)
    at = open_url_path(logged_in(Role.ADMIN).run(), "import-heures").run()
    _upload(at, content)
    next(b for b in at.button if b.label == "Confirmer l'import").click().run()
    assert len(_entries(with_users)) == 2
    at.selectbox(key="hours_import_undo_pick").select_index(0).run()
    next(b for b in at.button if b.label == "Annuler cet import").click().run()
    assert not at.exception
    assert _entries(with_users) == {}


def test_a_confirmation_refused_as_stale_drops_the_preview_and_keeps_only_an_audit_line(with_users):
    """Issue 10 items 3 and 11: someone imports the same file between the preview and the confirmation. The page
    says so in French, writes no import record, and the next look at the file is a fresh preview."""
    from clausier.services import import_hours
    from clausier.services.users import CurrentUser
    from models import AuditEvent
    from models.hours import ImportBatch

    content = _world(with_users)
    at = open_url_path(logged_in(Role.SAISIE).run(), "import-heures").run()
    _upload(at, content)
    assert {m.label: m.value for m in at.metric}["Lignes à ajouter"] == "2"
    with Session(db.get_engine(with_users)) as session:  # a colleague imports the same file meanwhile
        data = content.encode("cp1252")
        preview = import_hours.preview_file(session, data, "collegue.csv", date.today())
        import_hours.apply(session, preview, CurrentUser("colleague", "Collègue", Role.SAISIE))
        session.commit()
    next(b for b in at.button if b.label == "Confirmer l'import").click().run()
    assert not at.exception
    assert any("relancez l'aperçu" in e.value for e in at.error)
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(ImportBatch.file_name)).all() == ["collegue.csv"]
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "import des heures refusé")).all()
        assert len(refused) == 1 and "collegue" not in refused[0].summary
    next(b for b in at.button if b.label == "Relancer l'aperçu").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Inchangées"] == "2"
    assert any("ne change rien" in i.value for i in at.info)
