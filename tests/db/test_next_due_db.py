"""The next follow-up due kept on each contract (DESIGN §3.7), on SQLite and PostgreSQL: every write that changes it
keeps it equal to the one computed from the contract's dates and log, a write behind the services' back is caught
and mended, and the home page's counts read from it are those of the computation."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from clausier import db
from clausier.rules import followup as rules
from clausier.rules.followup import Due, DueKind
from clausier.services import contracts, dashboard, derived, followup
from clausier.services.followup import FollowUpInput
from clausier.services.users import CurrentUser
from models import Eligibility, EmploymentContract, FollowUp
from models.enums import ContractOutcome, FollowUpKind, Role
from tests.builders import (
    contract_input,
    make_commitment,
    make_company,
    make_contract,
    make_follow_up,
    make_participant,
    set_setting,
)

SOPHIE = CurrentUser(login="sophie", name="Sophie Test", role=Role.SAISIE)
ADMIN = "admin"
TODAY = date(2026, 6, 15)


def _kept(session: Session, contract_id: int) -> Due | None:
    on, kind = session.execute(
        select(EmploymentContract.next_due_on, EmploymentContract.next_due_kind).where(
            EmploymentContract.id == contract_id
        )
    ).one()
    assert (on is None) == (kind is None)
    return None if on is None else Due(on, DueKind(kind))


def _assert_kept(session: Session) -> None:
    """Nothing differs from the computation, and each running contract keeps what ``next_due_of`` says."""
    assert derived.next_due_mismatches(session) == []
    for (cid,) in session.execute(select(EmploymentContract.id).where(EmploymentContract.actual_end.is_(None))):
        assert _kept(session, cid) == followup.next_due_of(session, cid), cid


def _person(session: Session, name: str):
    person = make_participant(session, last_name=name, first_name="Sam", name_key=f"{name.lower()} sam")
    session.add(Eligibility(participant_id=person.id, criterion_code="plie", validated_on=date(2025, 9, 1),
                            validated_by="x"))  # fmt: skip
    session.flush()
    return person


def _call(session: Session, contract_id: int, on: date, kind=FollowUpKind.CALL, next_due: date | None = None) -> None:
    followup.add_follow_up(session, SOPHIE, contract_id, FollowUpInput(on=on, kind=kind, next_due=next_due), TODAY)


def test_every_write_keeps_the_next_due_on_the_contract(any_engine):
    with Session(any_engine) as session:
        company = make_company(session, name="Bâtisseurs du Nord")
        commitment = make_commitment(session, company=company)
        nadia, yanis, lina = _person(session, "Leroy"), _person(session, "Roux"), _person(session, "Petit")

        # Created: the first contact a week after the start.
        data = contract_input(company, commitment, nadia)
        cid = contracts.create_contract(session, SOPHIE, data, TODAY).contract_id
        assert _kept(session, cid) == Due(date(2026, 3, 9), DueKind.FIRST_CONTACT)
        _assert_kept(session)

        # Its start moved: the first contact follows.
        data.start_date = date(2026, 3, 16)
        contracts.update_contract(session, SOPHIE, cid, 1, data, TODAY)
        assert _kept(session, cid) == Due(date(2026, 3, 23), DueKind.FIRST_CONTACT)
        _assert_kept(session)

        # A call without a next date: 30 days later, a site visit (a contract of more than three months).
        _call(session, cid, date(2026, 3, 20))
        assert _kept(session, cid) == Due(date(2026, 4, 19), DueKind.SITE_VISIT)
        _assert_kept(session)

        # A call that sets the next date.
        _call(session, cid, date(2026, 4, 10), next_due=date(2026, 4, 25))
        assert _kept(session, cid) == Due(date(2026, 4, 25), DueKind.SITE_VISIT)
        _assert_kept(session)

        # The site visit: then monthly contacts.
        _call(session, cid, date(2026, 4, 24), kind=FollowUpKind.SITE_VISIT)
        assert _kept(session, cid) == Due(date(2026, 5, 24), DueKind.CONTACT)
        _assert_kept(session)

        # Its planned end brought forward before that contact: the end is due.
        data.planned_end = date(2026, 5, 15)
        contracts.update_contract(session, SOPHIE, cid, 2, data, TODAY)
        assert _kept(session, cid) == Due(date(2026, 5, 15), DueKind.END)
        _assert_kept(session)

        # Its end recorded: nothing kept any more (the six-month situation is read from the end date).
        followup.record_end(session, SOPHIE, cid, 3, date(2026, 5, 15), ContractOutcome.COMPLETED, TODAY)
        assert _kept(session, cid) is None
        assert followup.next_due_of(session, cid) == Due(date(2026, 11, 15), DueKind.SIX_MONTHS)
        _assert_kept(session)

        # Created already ended: nothing kept.
        ended = contracts.create_contract(
            session, SOPHIE,
            contract_input(company, commitment, lina, start_date=date(2026, 1, 5), planned_end=date(2026, 2, 27),
                   actual_end=date(2026, 2, 27), outcome=ContractOutcome.COMPLETED),
            TODAY,
        ).contract_id  # fmt: skip
        assert _kept(session, ended) is None

        # The follow-up settings changed: every running contract follows.
        other = contracts.create_contract(
            session, SOPHIE, contract_input(company, commitment, yanis, start_date=date(2026, 5, 4)), TODAY
        ).contract_id
        fresh = contracts.create_contract(
            session, SOPHIE, contract_input(company, commitment, lina, start_date=date(2026, 6, 1)), TODAY
        ).contract_id
        _call(session, other, date(2026, 5, 6))
        assert _kept(session, other) == Due(date(2026, 6, 5), DueKind.SITE_VISIT)
        assert _kept(session, fresh) == Due(date(2026, 6, 8), DueKind.FIRST_CONTACT)
        set_setting(session, "followup_interval_days", 14, by=ADMIN)
        assert _kept(session, other) == Due(date(2026, 5, 20), DueKind.SITE_VISIT)
        _assert_kept(session)
        set_setting(session, "followup_first_contact_days", 3, by=ADMIN)
        assert _kept(session, fresh) == Due(date(2026, 6, 4), DueKind.FIRST_CONTACT)
        _assert_kept(session)
        set_setting(session, "followup_site_visit_min_months", 12, by=ADMIN)  # four months: no visit
        assert _kept(session, other) == Due(date(2026, 5, 20), DueKind.CONTACT)
        _assert_kept(session)
        assert _kept(session, cid) is None and _kept(session, ended) is None
        session.commit()
    with Session(any_engine) as session:  # committed with the writes
        assert _kept(session, other) == Due(date(2026, 5, 20), DueKind.CONTACT)
        _assert_kept(session)


def test_a_write_behind_the_services_back_is_caught_and_mended(any_engine):
    with Session(any_engine) as session:
        running = make_contract(session, start_date=date(2026, 3, 2), planned_end=None, in_charge="sophie")
        ending = make_contract(session, start_date=date(2026, 3, 2), in_charge="louis")
        assert derived.next_due_mismatches(session) == []
        assert _kept(session, running.id) == Due(date(2026, 3, 9), DueKind.FIRST_CONTACT)

        # A follow-up and an end written straight into the tables: the kept values are stale.
        session.add(FollowUp(contract_id=running.id, on=date(2026, 3, 6), kind=FollowUpKind.SITE_VISIT, by="x"))
        table = EmploymentContract.__table__
        session.execute(update(table).where(table.c.id == ending.id).values(actual_end=date(2026, 4, 30)))
        session.flush()
        assert derived.next_due_mismatches(session) == [
            (running.id, (date(2026, 3, 9), "premier_contact"), (date(2026, 4, 5), "contact")),
            (ending.id, (date(2026, 3, 9), "premier_contact"), (None, None)),
        ]

        # Mended for the contracts named (ids in chunks: far more than one IN list, most of them not contracts).
        assert derived.refresh_next_due(session, list(range(1, running.id + 2_000))) == 1
        assert derived.next_due_mismatches(session) == []
        assert _kept(session, running.id) == Due(date(2026, 4, 5), DueKind.CONTACT)
        assert _kept(session, ending.id) is None

        # And for all of them at once; a kind that is not one is caught too.
        session.execute(update(table).where(table.c.id == running.id).values(next_due_kind="?"))
        assert derived.next_due_mismatches(session) == [
            (running.id, (date(2026, 4, 5), "?"), (date(2026, 4, 5), "contact"))
        ]
        assert derived.refresh_next_due(session) == 1
        _assert_kept(session)


def test_two_follow_ups_logged_at_once_both_count(any_engine):
    """The second writer waits for the first to commit, then computes from both follow-ups (the contract's row is
    locked before its log is read): no date computed without the first one overwrites the right one."""
    with Session(any_engine) as session:
        cid = make_contract(session, start_date=date(2026, 3, 2), planned_end=None, in_charge="sophie").id
        session.commit()
    failures: list[BaseException] = []

    def second() -> None:
        try:
            with db.session_scope(any_engine) as session:
                _call(session, cid, date(2026, 5, 1))
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    with Session(any_engine) as first:
        _call(first, cid, date(2026, 5, 10))  # the later contact, not committed yet
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting for the first transaction
        first.commit()
    thread.join(30)
    assert not thread.is_alive() and failures == []
    with Session(any_engine) as session:
        assert len(followup.log(session, cid)) == 2
        assert _kept(session, cid) == Due(date(2026, 6, 9), DueKind.SITE_VISIT)  # 30 days after the 10th of May
        _assert_kept(session)


def _build_team(session: Session) -> dict[str, int]:
    """Running and ended contracts of several people in charge, due before, on and after the days tested."""
    ids: dict[str, int] = {}

    def contract(name: str, in_charge: str, start: date, planned_end: date | None = date(2026, 12, 31), **fields):
        ids[name] = make_contract(session, in_charge=in_charge, start_date=start, planned_end=planned_end, **fields).id
        return ids[name]

    contract("s1", "sophie", date(2026, 6, 1))  # first contact 08/06
    contract("s2", "sophie", date(2026, 6, 8))  # 15/06
    contract("s3", "sophie", date(2026, 6, 15))  # 22/06
    contract("s4", "sophie", date(2026, 6, 16))  # 23/06
    make_follow_up(session, contract_id=contract("s5", "sophie", date(2026, 3, 1)), on=date(2026, 5, 10))  # 09/06
    make_follow_up(session, contract_id=contract("s6", "sophie", date(2026, 3, 1)), on=date(2026, 5, 20),
                   next_due=date(2026, 7, 1))  # fmt: skip
    contract("s7", "sophie", date(2026, 6, 1))  # 08/06, the same day as s1
    make_follow_up(session, contract_id=contract("l1", "louis", date(2026, 1, 5), date(2026, 6, 10)),
                   on=date(2026, 1, 10))  # 09/02: four months late  # fmt: skip
    make_follow_up(session, contract_id=contract("l2", "louis", date(2026, 5, 1), date(2026, 6, 20)),
                   on=date(2026, 5, 25))  # the end, 20/06  # fmt: skip
    contract("l3", "louis", date(2026, 1, 5), date(2026, 6, 1), actual_end=date(2026, 6, 1),
             outcome=ContractOutcome.COMPLETED)  # ended: nothing due  # fmt: skip
    n1 = contract("n1", "nadia", date(2026, 4, 1), None)
    make_follow_up(session, contract_id=n1, on=date(2026, 3, 20), kind=FollowUpKind.SITE_VISIT)  # before: ignored
    make_follow_up(session, contract_id=n1, on=date(2026, 5, 1), kind=FollowUpKind.SITE_VISIT)
    make_follow_up(session, contract_id=n1, on=date(2026, 6, 1), next_due=date(2026, 6, 12))
    make_follow_up(session, contract_id=n1, on=date(2026, 6, 1), next_due=date(2026, 6, 19))  # the later one: 19/06
    contract("e1", "", date(2026, 6, 10))  # nobody in charge: 17/06
    return ids


def test_home_page_counts_are_those_computed_from_the_logs(any_engine):
    with Session(any_engine) as session:
        ids = _build_team(session)
        session.commit()
        _assert_kept(session)
        names = {cid: name for name, cid in ids.items()}
        dues = derived.follow_up_dues(session)
        for as_of in (date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 15), date(2026, 6, 16)):
            week = rules.this_week([((cid, who), due) for cid, who, due in dues], as_of)
            expected_counts: dict[str, tuple[int, int]] = {}
            for (_cid, who), due in week:
                count, late = expected_counts.get(who, (0, 0))
                expected_counts[who] = (count + 1, late + due.overdue(as_of))
            assert followup.due_counts(session, as_of) == expected_counts, as_of
            for login in ("sophie", "louis", "nadia", "", "nobody"):
                mine = sorted(((cid, due) for (cid, who), due in week if who == login), key=lambda p: (p[1].on, p[0]))
                for shown in (0, 2, 10):
                    todo = dashboard.todo_this_week(session, login, as_of, shown=shown)
                    assert (todo.mine_count, todo.mine_overdue) == (
                        len(mine),
                        sum(due.overdue(as_of) for _, due in mine),
                    ), (as_of, login)
                    assert (todo.team, todo.team_overdue) == (len(week), sum(due.overdue(as_of) for _, due in week))
                    assert [(r.contract_id, r.due) for r in todo.mine] == mine[:shown], (as_of, login, shown)
                    assert followup.soonest_due(session, login, as_of, shown) == mine[:shown]

        # The day of the example, by name: overdue before the 15th, this week up to the 22nd included.
        todo = dashboard.todo_this_week(session, "sophie", date(2026, 6, 15), shown=10)
        assert [names[r.contract_id] for r in todo.mine] == ["s1", "s7", "s5", "s2", "s3"]
        assert (todo.mine_count, todo.mine_overdue, todo.team, todo.team_overdue) == (5, 3, 9, 4)
        assert followup.due_counts(session, date(2026, 6, 15)) == {
            "sophie": (5, 3),
            "louis": (2, 1),
            "nadia": (1, 0),
            "": (1, 0),
        }
        assert todo.mine[2].due == Due(date(2026, 6, 9), DueKind.SITE_VISIT)
        assert _kept(session, ids["n1"]) == Due(date(2026, 6, 19), DueKind.CONTACT)
        assert _kept(session, ids["l2"]) == Due(date(2026, 6, 20), DueKind.END)
        assert dashboard.todo_this_week(session, "sophie", date(2026, 6, 15), shown=1).mine[0].contract_id == ids["s1"]
        # One more week: the kept dates are read against another day, nothing is written.
        later = dashboard.todo_this_week(session, "louis", TODAY + timedelta(days=7), shown=10)
        assert [names[r.contract_id] for r in later.mine] == ["l1", "l2"] and later.mine_overdue == 2


def test_the_settings_service_recomputes_what_the_settings_feed(any_engine):
    """Issue 13: settings.py only stores; the settings service (reference.save_settings) calls
    derived.settings_changed. A bare set_value would leave the kept dues behind, which the check sees."""
    from clausier import settings
    from clausier.services import derived, reference

    admin = CurrentUser(login="admin", name="Admin", role=Role.ADMIN)
    with Session(any_engine) as session:
        running = make_contract(session, start_date=date(2026, 3, 2), planned_end=None, in_charge="sophie")
        _call(session, running.id, date(2026, 3, 6))
        session.commit()
        before = _kept(session, running.id)
        reference.save_settings(session, admin, {"followup_interval_days": 10}, settings.tokens(session))
        assert _kept(session, running.id) == Due(date(2026, 3, 16), before.kind) != before
        assert derived.mismatches(session) == {"heures": [], "suivis": []}
        settings.set_value(session, "followup_interval_days", 20, by="x", expected=settings.tokens(session)[
            "followup_interval_days"])  # fmt: skip
        assert [m[0] for m in derived.mismatches(session)["suivis"]] == [running.id]
        derived.rebuild_all(session)
        assert derived.mismatches(session) == {"heures": [], "suivis": []}
