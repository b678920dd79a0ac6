"""Hours import on SQLite and PostgreSQL: apply in one transaction, idempotent re-import, correction, undo."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from clausier.errors import DomainError, PermissionDenied
from clausier.rules.names import name_key
from clausier.services import hours_totals
from clausier.services import import_hours as ih
from clausier.services.users import CurrentUser
from models import AuditEvent, HoursEntry
from models import CommitmentMonthHours as CMH
from models.enums import Role
from models.hours import HoursChange
from tests.builders import make_commitment, make_participant

TODAY = date(2026, 4, 15)
SAISIE = CurrentUser(login="claire", name="Claire", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)
ADMIN = CurrentUser(login="admin", name="Admin", role=Role.ADMIN)


def _run(engine, content: str, name: str = "releve.csv"):
    data = content.encode("cp1252")
    with Session(engine, expire_on_commit=False) as session:
        pv = ih.classify(session, ih.read_statement(data, name), TODAY)
        batch = ih.apply(session, pv, SAISIE)
        session.commit()
    return batch


def _totals_agree(engine) -> dict:
    """The kept totals per (commitment, month) equal the sum of the rows; returns them."""
    with Session(engine) as session:
        assert hours_totals.mismatches(session) == []
        return {(c, m): h for c, m, h in session.exec(select(CMH.commitment_id, CMH.month, CMH.hours_h100))}


def _hours(engine) -> dict:
    with Session(engine) as session:
        return {
            (p, m): h
            for p, m, h in session.exec(select(HoursEntry.participant_id, HoursEntry.month, HoursEntry.hours_h100))
        }


def test_apply_reimport_correction_and_undo(any_engine):
    with Session(any_engine) as session:
        commitment = make_commitment(session)
        siret = commitment and session.exec(select(HoursEntry)).all() == [] and None
        from models import Company

        siret = session.get(Company, commitment.company_id).siret
        people = [make_participant(session, last_name=f"Élève{i}", first_name="Zoé", name_key=name_key(f"Élève{i}", "Zoé"))
                  for i in range(3)]  # fmt: skip
        ids = [p.id for p in people]
        commitment_id = commitment.id
        session.commit()
    lines = [f"{siret};Eleve{i};zoe;{m:02d}/2026;{10 + i},5" for i in range(3) for m in (1, 2)]
    content = "siret;nom;prénom;mois;heures\r\n" + "\r\n".join(lines) + "\r\n"
    first = _run(any_engine, content)
    assert (first.rows_added, first.rows_changed) == (6, 0)
    assert sum(_hours(any_engine).values()) == 2 * (1050 + 1150 + 1250)
    assert sum(_totals_agree(any_engine).values()) == 2 * (1050 + 1150 + 1250)
    again = _run(any_engine, content)
    assert (again.rows_added, again.rows_changed, again.rows_unchanged) == (0, 0, 6)
    fixed = _run(any_engine, content.replace("Eleve1;zoe;02/2026;11,5", "Eleve1;zoe;02/2026;99"), "corrige.csv")
    assert (fixed.rows_added, fixed.rows_changed, fixed.rows_unchanged) == (0, 1, 5)
    assert _hours(any_engine)[(ids[1], date(2026, 2, 1))] == 9900
    assert _totals_agree(any_engine)[(commitment_id, date(2026, 2, 1))] == 1050 + 9900 + 1250
    with Session(any_engine) as session:
        assert len(session.exec(select(HoursChange)).all()) == 7
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "import des heures")).all()
        ih.undo(session, fixed.id, ADMIN)
        session.commit()
    assert _hours(any_engine)[(ids[1], date(2026, 2, 1))] == 1150
    assert _totals_agree(any_engine)[(commitment_id, date(2026, 2, 1))] == 1050 + 1150 + 1250
    with Session(any_engine) as session:
        ih.undo(session, first.id, ADMIN)
        session.commit()
    assert _hours(any_engine) == {}
    assert _totals_agree(any_engine) == {}


def test_a_stale_preview_writes_nothing(any_engine):
    with Session(any_engine) as session:
        commitment = make_commitment(session)
        from models import Company

        siret = session.get(Company, commitment.company_id).siret
        make_participant(session, last_name="Durand", first_name="Léa", name_key="durand lea")
        session.commit()
    _run(any_engine, f"siret;nom;prenom;mois;heures\n{siret};Durand;Léa;01/2026;10\n")
    content = f"siret;nom;prenom;mois;heures\n{siret};Durand;Léa;01/2026;12\n{siret};Durand;Léa;02/2026;12\n"
    with Session(any_engine) as session:
        pv = ih.classify(session, ih.read_statement(content.encode(), "x.csv"), TODAY)
    _run(any_engine, content.replace(";12\n", ";11\n", 1))  # someone imports a correction meanwhile
    with Session(any_engine) as session:
        with pytest.raises(DomainError, match="relancez l'aperçu"):
            ih.apply(session, pv, SAISIE)
        session.rollback()
    assert sorted(_hours(any_engine).values()) == [1100, 1200]


def test_the_totals_check_sees_a_row_written_behind_its_back_and_rebuild_mends_it(any_engine):
    with Session(any_engine) as session:
        commitment = make_commitment(session)
        person = make_participant(session)
        session.add(HoursEntry(commitment_id=commitment.id, participant_id=person.id, month=date(2026, 1, 1),
                               hours_h100=700))  # fmt: skip
        session.commit()
        assert hours_totals.mismatches(session) == [(commitment.id, date(2026, 1, 1), 0, 700)]
        assert hours_totals.rebuild(session) == 1
        session.commit()
        assert hours_totals.mismatches(session) == []
        assert (
            hours_totals.refresh(session, [(commitment.id, date(2026, 1, 1)), (commitment.id, date(2026, 2, 1))]) == 2
        )
        assert session.exec(select(CMH.hours_h100, CMH.entries)).all() == [(700, 1)]


def test_removal_is_all_or_nothing_kept_in_history_and_in_the_totals(any_engine):
    from clausier.services import manual_hours

    with Session(any_engine) as session:
        commitment = make_commitment(session)
        a, b = make_participant(session), make_participant(session, last_name="Autre")
        for person, hours in ((a, 1000), (b, 2000)):
            session.add(HoursEntry(commitment_id=commitment.id, participant_id=person.id, month=date(2026, 1, 1),
                                   hours_h100=hours))  # fmt: skip
        session.flush()
        hours_totals.refresh(session, [(commitment.id, date(2026, 1, 1))])
        session.commit()
        cid, ids = commitment.id, (a.id, b.id)
    with Session(any_engine) as session:  # b's value changed since it was shown: nothing deleted
        with pytest.raises(DomainError, match="modifiées depuis leur affichage"):
            manual_hours.remove(session, SAISIE, cid, [(ids[0], date(2026, 1, 1), 1000), (ids[1], date(2026, 1, 1), 9)])
        session.rollback()
    assert sum(_hours(any_engine).values()) == 3000
    with Session(any_engine) as session:
        with pytest.raises(PermissionDenied):
            manual_hours.remove(session, LECTURE, cid, [(ids[0], date(2026, 1, 1), 1000)])
        assert manual_hours.remove(session, SAISIE, cid, [(ids[0], date(2026, 1, 1), 1000)]) == 1
        session.commit()
    assert _hours(any_engine) == {(ids[1], date(2026, 1, 1)): 2000}
    assert _totals_agree(any_engine) == {(cid, date(2026, 1, 1)): 2000}
    with Session(any_engine) as session:
        change = session.exec(select(HoursChange)).one()
        assert (change.old_hours_h100, change.new_hours_h100, change.by) == (1000, None, "claire")
