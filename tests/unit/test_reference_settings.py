"""Reference data loaded on first start, settings with defaults, the territory and kinds of work (admin edits)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from clausier import settings
from clausier.errors import PermissionDenied, ValidationError
from clausier.services import reference, territory
from clausier.services.users import CurrentUser
from clausier.setup import prepare_database
from models import (
    Commune,
    ContractType,
    EligibilityCriterion,
    Participant,
    Qpv,
    Setting,
    Trade,
    WorkKind,
)
from models.enums import Modality, Role
from tests.builders import set_setting

ADMIN = CurrentUser(login="admin", name="Anne", role=Role.ADMIN)
SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_first_start_loads_every_reference_list(engine):
    with Session(engine) as session:
        assert count(session, Trade) == 532
        assert session.get(Trade, "F1703").label == "Maçonnerie"
        assert count(session, Commune) == 17
        dunkerque = session.exec(select(Commune).where(Commune.name == "Dunkerque")).one()
        assert (dunkerque.insee_code, dunkerque.epci) == ("59183", "CUD")
        assert dunkerque.postal_codes.split(";")[0] == "59140"
        gravelines = session.exec(select(Commune).where(Commune.name == "Gravelines")).one()
        assert gravelines.insee_code is None  # unknown in the shipped file: left empty, not invented
        assert count(session, Qpv) == 7
        coeur = session.exec(select(Qpv).where(Qpv.name == "Cœur de Ville")).one()
        assert session.get(Commune, coeur.commune_id).name == "Cappelle-la-Grande"
        assert count(session, WorkKind) == len(reference.WORK_KINDS)
        assert count(session, EligibilityCriterion) == 13
        assert session.get(EligibilityCriterion, "avis_motive").needs_reason
        assert session.get(ContractType, "ctti").usual_modality is Modality.PROVISION
        assert count(session, Setting) == len(settings.DEFINITIONS)


def test_reference_loading_is_idempotent_and_keeps_admin_changes(engine):
    with Session(engine) as session:
        zuydcoote = session.exec(select(Commune).where(Commune.name == "Zuydcoote")).one()
        session.delete(zuydcoote)
        set_setting(session, "eligibility_validity_months", 18, by="admin")
        session.commit()
    report = prepare_database(engine)
    assert report.total() == 0
    with Session(engine) as session:
        assert count(session, Commune) == 16  # the territory is not reloaded over the admin's edits
        assert settings.get(session, "eligibility_validity_months") == 18


def test_building_lot_worked_example_defaults():
    """DESIGN §3.1: labour shares seen in practice (painting 70 %, masonry 50 %, metal framework 20 %)."""
    shares = {code: share for code, _label, share, _cost, _rate in reference.WORK_KINDS}
    assert shares["peinture"] == 7000 and shares["gros_oeuvre"] == 5000 and shares["charpente_metal"] == 2000
    assert all(2500 <= cost <= 3200 for *_x, cost, _r in reference.WORK_KINDS)


def test_settings_defaults_and_checked_changes(engine):
    with Session(engine) as session:
        assert settings.get(session, "eligibility_validity_months") == 24
        assert settings.get(session, "status_on_time_pace") == 0.8
        with pytest.raises(ValueError, match="au plus 120"):
            set_setting(session, "eligibility_validity_months", 500, by="admin")
        with pytest.raises(ValueError, match="valeur invalide"):
            set_setting(session, "eligibility_validity_months", 2.5, by="admin")
        assert set_setting(session, "decp_places", "59; 62", by="admin") == ["59", "62"]
        row = session.get(Setting, "decp_places")
        assert row.changed_by == "admin"


def test_save_settings_is_admin_only_and_all_or_nothing(engine):
    with Session(engine) as session:
        with pytest.raises(PermissionDenied):
            reference.save_settings(session, SAISIE, {"retention_years": 6}, settings.tokens(session))
        with pytest.raises(ValidationError) as error:
            reference.save_settings(
                session, ADMIN, {"retention_years": 6, "login_max_failures": 0}, settings.tokens(session)
            )
        assert set(error.value.errors) == {"login_max_failures"}
        assert settings.get(session, "retention_years") == 5
        seen = settings.tokens(session)
        assert reference.save_settings(session, ADMIN, {"retention_years": 6, "login_max_failures": 5}, seen) == 1


def test_work_kinds_edit_converts_to_integer_units_and_refuses_bad_values(engine):
    with Session(engine) as session:
        kind = session.get(WorkKind, "peinture")
        row = reference.WorkKindRow("peinture", kind.label, 72.5, 27.35, 7, True)
        assert reference.save_work_kinds(session, ADMIN, [row], {"peinture": kind.version}) == 1
        assert (kind.labour_share_bp, kind.hourly_cost_cents, kind.default_insertion_rate_bp) == (7250, 2735, 700)
        with pytest.raises(ValidationError) as error:
            reference.save_work_kinds(
                session, ADMIN, [reference.WorkKindRow("peinture", "Peinture", 120, 0, 5)], {"peinture": 2}
            )
        assert len(error.value.errors) == 2
        with pytest.raises(PermissionDenied):
            reference.save_work_kinds(session, SAISIE, [row], {"peinture": 2})


def _versions(session) -> dict[int, int]:
    return {c.id: c.version for c in territory.list_communes(session)}


def _rows(session) -> list[territory.CommuneRow]:
    return [
        territory.CommuneRow(c.id, c.name, c.insee_code, c.postal_codes, c.epci, c.in_territory)
        for c in territory.list_communes(session)
    ]


def test_admin_adds_a_cchf_commune_and_fixes_gravelines(engine):
    with Session(engine) as session:
        rows = _rows(session)
        gravelines = next(r for r in rows if r.name == "Gravelines")
        gravelines.insee_code, gravelines.postal_codes = "59273", "59820"
        rows.append(territory.CommuneRow(None, "Bergues", "59067", "59380", "cchf"))
        assert territory.save_communes(session, ADMIN, rows, _versions(session)) == (1, 1, 0)
        session.commit()
        bergues = session.exec(select(Commune).where(Commune.name == "Bergues")).one()
        assert bergues.epci == "CCHF"
        assert [c.name for c in territory.territory_communes(session, "CCHF")] == ["Bergues"]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda rows: rows.append(territory.CommuneRow(None, "Bergues", "5906", "", "CCHF")), "5 caractères"),
        (lambda rows: rows.append(territory.CommuneRow(None, "Bergues", "59183", "", "CCHF")), "figure déjà ligne"),
        (lambda rows: rows.append(territory.CommuneRow(None, "Dunkerque", None, "", "CUD")), "figure déjà ligne"),
        (lambda rows: rows.append(territory.CommuneRow(None, "Bergues", None, "5938", "CCHF")), "5 chiffres"),
        (lambda rows: rows.append(territory.CommuneRow(None, " ", None, "", "CCHF")), "obligatoire"),
    ],
)
def test_bad_territory_rows_are_refused_and_nothing_is_written(engine, change, message):
    with Session(engine) as session:
        rows = _rows(session)
        change(rows)
        with pytest.raises(ValidationError) as error:
            territory.save_communes(session, ADMIN, rows, _versions(session))
        assert any(message in m for m in error.value.errors.values())
        assert count(session, Commune) == 17


def test_a_commune_in_use_cannot_be_deleted(engine):
    with Session(engine) as session:
        dunkerque = session.exec(select(Commune).where(Commune.name == "Dunkerque")).one()
        session.add(Participant(last_name="Durand", first_name="Léa", commune_id=dunkerque.id))
        session.flush()
        rows = [r for r in _rows(session) if r.name not in ("Dunkerque", "Zuydcoote")]
        with pytest.raises(ValidationError) as error:
            territory.save_communes(session, ADMIN, rows, _versions(session))
        assert list(error.value.errors.values()) == [
            "« Dunkerque » ne peut pas être supprimée : des données y sont rattachées. "
            "Décochez plutôt « Dans le territoire »."
        ]
        rows.append(next(r for r in _rows(session) if r.name == "Dunkerque"))
        assert territory.save_communes(session, ADMIN, rows, _versions(session)) == (0, 0, 1)  # Zuydcoote, unused, goes


def test_qpv_edit(engine):
    with Session(engine) as session:
        rows = [territory.QpvRow(q.id, q.name, q.code, None, q.list_year) for q in territory.list_qpv(session)]
        rows.append(territory.QpvRow(None, "Quartier Nord", "QN05901M", "Dunkerque", 2024))
        seen = {q.id: q.version for q in territory.list_qpv(session)}
        assert territory.save_qpv(session, ADMIN, rows, seen)[0] == 1
        rows.append(territory.QpvRow(None, "Quartier Sud", None, "Paris", 2024))
        with pytest.raises(ValidationError, match="n'est pas dans le territoire"):
            territory.save_qpv(session, ADMIN, rows, seen)
        with pytest.raises(PermissionDenied):
            territory.save_qpv(session, SAISIE, rows[:-1], seen)
