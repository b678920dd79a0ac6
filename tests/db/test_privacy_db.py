"""Personal data where it is read (README « Données personnelles »; issue 10, item 8), on SQLite and PostgreSQL.

On the S demo with every personal field filled (``tests.personal_data``), each service that reads personal data is
called as ``lecture`` and as ``saisie``: what it returns to ``lecture`` holds none of the personal values — phones,
e-mails, addresses, birth dates, PLIE identifiers, notes, comments, reasons —, what it returns to ``saisie`` holds
them (the test is not empty), and the copies given without them are never written back."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from clausier import demo, privacy
from clausier.errors import PermissionDenied
from clausier.services import (
    audit,
    candidacies,
    contracts,
    dashboard,
    followup,
    full_export,
    participants,
    trainings,
)
from clausier.services.contracts import ContractFilters
from clausier.services.participants import ParticipantFilters
from clausier.services.users import CurrentUser
from models import Candidacy, EmploymentContract, FollowUp, Participant, Training
from models.enums import Role
from tests.personal_data import Needles, fill_blank_personal_fields, personal_values

TODAY = date(2026, 3, 15)
LOUIS = CurrentUser(login="louis", name="Louis Test", role=Role.LECTURE)
SOPHIE = CurrentUser(login="sophie", name="Sophie Test", role=Role.SAISIE)
ADMIN = CurrentUser(login="admin", name="Admin Test", role=Role.ADMIN)


def test_one_function_decides_from_the_role():
    assert [privacy.with_personal_data(u) for u in (None, LOUIS, SOPHIE, ADMIN)] == [False, False, True, True]
    for user in (None, LOUIS, SOPHIE, ADMIN):  # the older names ask the same function
        assert participants.may_see_contact(user) is privacy.with_personal_data(user)
        assert privacy.may_export(user, personal_data=True) is privacy.with_personal_data(user)


def _strings(value: Any) -> Iterator[str]:
    """Every text a returned value holds, dates as ``dd/mm/yyyy`` and ISO (as a screen or a file shows them)."""
    if isinstance(value, Enum):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, datetime | date):
        yield value.isoformat()
        yield value.strftime("%d/%m/%Y")
    elif isinstance(value, SQLModel):
        yield from _strings(value.model_dump())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def _found(needles: Needles, value: Any) -> set[str]:
    return {kind for _needle, kind in needles.find("\n".join(_strings(value)))}


@pytest.fixture
def demo_db(any_engine) -> Iterator[tuple[Any, Needles, str]]:
    demo.generate(any_engine, size="S", seed=7, today=TODAY)
    with Session(any_engine) as session:
        person = fill_blank_personal_fields(session, LOUIS.login)
        needles = personal_values(session)
    yield any_engine, needles, person


def _ids(session: Session) -> dict[str, list[int]]:
    followed = select(FollowUp.contract_id).distinct()
    c = Candidacy
    return {
        "contracts": list(session.execute(followed.order_by(FollowUp.contract_id).limit(40)).scalars()),
        "candidacies": list(
            session.execute(
                select(c.id).where((c.check_comment != "") | (c.refusal_reason != "")).order_by(c.id).limit(40)
            ).scalars()
        ),
        "participants": list(
            session.execute(
                select(EmploymentContract.participant_id).distinct().order_by(EmploymentContract.participant_id)
            ).scalars()
        )[:40],
        "trainings": list(session.execute(select(Training.id).order_by(Training.id)).scalars()),
    }


def _reads(session: Session, user: CurrentUser, person: str) -> dict[str, Any]:
    """What every read path of personal data gives this user."""
    personal = privacy.with_personal_data(user)
    ids = _ids(session)
    six_months_on = TODAY + timedelta(days=400)  # every ended contract's situation is due by then
    return {
        "followup.running_contracts": followup.running_contracts(session, with_personal_data=personal),
        "followup.six_month_due": followup.six_month_due(session, six_months_on, with_personal_data=personal),
        "followup.log": [followup.log(session, i, with_personal_data=personal) for i in ids["contracts"]],
        "dashboard.todo_this_week": dashboard.todo_this_week(
            session, LOUIS.login, TODAY, shown=50, with_personal_data=personal
        ),
        "contracts.get_contract": [
            contracts.get_contract(session, i, with_personal_data=personal) for i in ids["contracts"]
        ],
        "contracts.list_contracts": contracts.list_contracts(
            session, ContractFilters(state="all"), with_personal_data=personal
        ),
        "contracts.find_participants": contracts.find_participants(session, person, with_personal_data=personal),
        "contracts.participant_labels": contracts.participant_labels(
            session, ids["participants"], with_personal_data=personal
        ),
        "candidacies.detail": [candidacies.detail(session, i, with_personal_data=personal) for i in ids["candidacies"]],
        "candidacies.history": [
            candidacies.history(session, i, with_personal_data=personal) for i in ids["candidacies"]
        ],
        "trainings.enrolments": [
            trainings.enrolments(session, i, with_personal_data=personal) for i in ids["trainings"]
        ],
        "trainings.participant_choices": trainings.participant_choices(session, with_personal_data=personal),
        "participants.list_participants": participants.list_participants(session, user, today=TODAY),
        "participants.detail": [participants.detail(session, user, i, TODAY) for i in ids["participants"]],
    }


def test_lecture_gets_no_personal_value_from_any_read(demo_db):
    engine, needles, person = demo_db
    with Session(engine) as session:
        hidden = {name: _found(needles, value) for name, value in _reads(session, LOUIS, person).items()}
        shown = {name: _found(needles, value) for name, value in _reads(session, SOPHIE, person).items()}
    assert {name: kinds for name, kinds in hidden.items() if kinds} == {}
    assert [name for name, kinds in shown.items() if not kinds] == []  # each read does carry personal data


def test_what_saisie_reads_is_what_is_stored(demo_db):
    engine, needles, person = demo_db
    with Session(engine) as session:
        reads = _reads(session, SOPHIE, person)
        phones = dict(session.execute(select(Participant.id, Participant.phone)).all())
        notes = dict(session.execute(select(EmploymentContract.id, EmploymentContract.notes)).all())
    assert all(r.phone == phones[r.participant_id] for r in reads["followup.running_contracts"])
    assert all(r.phone == phones[r.participant_id] for r in reads["followup.six_month_due"])
    assert all(c.notes == notes[c.id] for c in reads["contracts.get_contract"])
    assert all("né(e) le" in label for label in reads["contracts.participant_labels"].values())
    for d in reads["candidacies.detail"]:
        assert d.candidacy.check_comment or d.candidacy.refusal_reason
    assert any(entry.notes for log in reads["followup.log"] for entry in log)


def test_the_copies_without_personal_data_are_never_written_back(demo_db):
    engine, _needles, _person = demo_db
    with Session(engine) as session:
        ids = _ids(session)
        before = {
            "contracts": dict(session.execute(select(EmploymentContract.id, EmploymentContract.notes)).all()),
            "candidacies": {
                i: (comment, reason)
                for i, comment, reason in session.execute(
                    select(Candidacy.id, Candidacy.check_comment, Candidacy.refusal_reason)
                )
            },
        }
        for contract_id in ids["contracts"]:
            assert contracts.get_contract(session, contract_id).notes == ""
        for candidacy_id in ids["candidacies"]:
            shown = candidacies.detail(session, candidacy_id).candidacy
            assert (shown.check_comment, shown.refusal_reason) == ("", "")
        session.commit()
    with Session(engine) as session:
        assert (
            dict(session.execute(select(EmploymentContract.id, EmploymentContract.notes)).all())
            == (before["contracts"])
        )
        after = {
            i: (comment, reason)
            for i, comment, reason in session.execute(
                select(Candidacy.id, Candidacy.check_comment, Candidacy.refusal_reason)
            )
        }
        assert after == before["candidacies"]


def test_lecture_cannot_search_by_phone_nor_take_the_files_of_people(demo_db):
    engine, _needles, _person = demo_db
    with Session(engine) as session:
        pid, phone = session.execute(
            select(Participant.id, Participant.phone).where(Participant.phone != "").order_by(Participant.id)
        ).first()
        search = ParticipantFilters(search=phone.replace(" ", ""))
        assert participants.list_participants(session, LOUIS, search, today=TODAY)[1] == 0
        assert participants.list_participants(session, SOPHIE, search, today=TODAY)[1] >= 1
        with pytest.raises(PermissionDenied):
            full_export.build(session, LOUIS)
        with pytest.raises(PermissionDenied):
            participants.personal_data_workbook(session, LOUIS, pid, TODAY)
        with pytest.raises(PermissionDenied):
            audit.record_export(session, LOUIS, "participants", "participants.csv", 1, personal_data=True)
        assert session.execute(select(func.count()).select_from(Participant)).scalar_one() == 300
