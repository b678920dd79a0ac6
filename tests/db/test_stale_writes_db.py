"""No lost update (issue 10, item 2), on SQLite and PostgreSQL.

Every service that writes an existing record takes what the user saw — the record's version, or a token (the
award of a lot, a setting's stored value, the hours shown) — and refuses the save once someone else saved
(``ConcurrentEditError``, the French message), leaving the other person's save whole.

The sweep finds the update services by reading the code of ``clausier.services.*`` and ``clausier.settings``: a
public function that writes (``update_versioned``, SQL ``update``/``delete``/``insert``, ``session.add``/
``delete``, ``setattr``, ``x.version += 1``, or a call to such a function) must take a token parameter or be in
the commented allow-list below. A new update service without a version fails it; one with a version but without
its stale-save case in ``CASES`` fails it too."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from clausier import settings
from clausier.db import ConcurrentEditError
from clausier.errors import DomainError
from clausier.rules.candidacy import Action, CheckAnswers
from clausier.services import (
    candidacies,
    clauses,
    contracts,
    followup,
    meetings,
    offers,
    participants,
    partners,
    reference,
    territory,
    trainings,
    users,
)
from clausier.services.users import CurrentUser
from models import (
    Buyer,
    Candidacy,
    Commitment,
    Commune,
    Company,
    EmploymentContract,
    HoursEntry,
    JobOffer,
    Lot,
    Meeting,
    Operation,
    Participant,
    Partner,
    Qpv,
    Setting,
    Training,
    TrainingParticipant,
    User,
    WorkKind,
)
from models.enums import (
    ContractOutcome,
    MeetingKind,
    OfferStatus,
    PartnerKind,
    Role,
    SixMonthOutcome,
    TrainingStatus,
)
from tests.builders import (
    contract_input,
    make_buyer,
    make_commitment,
    make_company,
    make_contract,
    make_hours_entry,
    make_lot,
    make_operation,
    make_participant,
)

ROOT = Path(__file__).resolve().parents[2]
ADMIN = CurrentUser(login="admin", name="Admin", role=Role.ADMIN)
ANNE = CurrentUser(login="anne", name="Anne", role=Role.ADMIN)  # a second admin
SOPHIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
MARC = CurrentUser(login="marc", name="Marc", role=Role.SAISIE)
TODAY = date(2026, 4, 15)

# --- the sweep ------------------------------------------------------------------------------------------------------

TOKENS = {"version", "expected", "seen", "shown"}  # the names a service gives to what the user saw

# Public writers that need no token, each with the reason. Keep it short: an edit of a record never belongs here.
ALLOWED: dict[str, str] = {
    # Creations and append-only writes: no existing record is changed.
    "audit.record": "appends an audit line",
    "candidacies.position": "creates candidacies; a person already positioned on the offer is skipped",
    "clauses.create_buyer": "creation",
    "clauses.create_company": "creation",
    "clauses.create_lot": "creation",
    "clauses.create_operation": "creation",
    "contracts.create_contract": "creation (plus the derived links, status and next due below)",
    "decp.create_operation_from_market": "creates buyer, operation, lot, companies; awards its new lot at ''",
    "followup.add_follow_up": "appends a follow-up (never edited afterwards)",
    "meetings.create_meeting": "creation",
    "offers.create_offer": "creation",
    "participants.add_eligibility": "appends a validated criterion",
    "participants.create_participant": "creation",
    "partners.create_partner": "creation",
    "trainings.create_training": "creation",
    "users.create_user": "creation",
    "users.create_first_admin": "creation, only while there is no user",
    "settings.ensure_defaults": "inserts only the settings not stored yet",
    "reference.load_reference_data": "first start: inserts only the reference rows missing",
    "import_participants.save_mapping": "save-as under a name the user types: replacing that name is the request",
    # Derived data, computed again from the records (never a value a user typed).
    "contracts.link_hours": "derived: which hours entries a contract carries",
    "derived.link_unlinked_hours": "derived: which hours entries a contract carries",
    "derived.sync_participant_status": "derived: « en emploi » while a contract runs",
    "derived.refresh_next_due": "derived: the next follow-up due of running contracts",
    "derived.followup_changed": "derived: the next follow-up due of running contracts",
    "derived.hours_written": "derived: hours totals and the contract of new entries",
    "derived.settings_changed": "derived: what the settings feed (summaries, next dues)",
    "derived.rebuild_all": "derived: every kept value from its source (check --repair, demo)",
    "hours_totals.rebuild": "derived: hours totals",
    "hours_totals.rebuild_summary": "derived: hours summaries",
    "hours_totals.refresh": "derived: hours totals",
    # Files and whole-database tools.
    "import_hours.apply": "an import: each line written only if it still holds the value its preview read",
    "import_hours.undo": "restores only lines still holding the import's values, else refuses (French)",
    # Login bookkeeping and the user's own password.
    "users.change_own_password": "the current password, checked first, is what the user saw",
    "users.record_failure": "login throttle counter",
    "users.clear_failures": "login throttle counter",
    "users.record_success": "login throttle counter and last login time",
    "login_sessions.start": "creation: a new login session",
    "login_sessions.check": "the session's own last-seen time, and its end once expired, idle or its user inactive",
    "login_sessions.end": "logout: ends one session (already ended: nothing)",
    "login_sessions.end_all": "ends a user's open sessions, after a change that was itself checked",
    # Erasure and one-way removals.
    "participants.anonymise": "GDPR erasure: whatever changed meanwhile is wiped too (versions read in the same "
    "transaction guard its writes)",
    "participants.anonymise_expired": "the list shown is checked again at the write: new activity refuses it",
    "participants.remove_eligibility": "an eligibility is never edited (no update service): its id names exactly "
    "what the user saw; removed meanwhile → « déjà retiré »",
}
# Writers whose token travels inside an argument: they need a stale-save case like the ones with a token.
TOKEN_INSIDE: dict[str, str] = {
    "import_participants.apply": "the preview keeps each known person's version, read when it was shown",
}
SQL_WRITES = {"update", "delete", "insert"}
SESSION_WRITES = {"add", "add_all", "delete", "merge"}
NOT_FOLLOWED = {"audit.record"}  # every write audits: an audit line does not make a reader a writer


def _modules() -> list[tuple[str, str, Path]]:
    """(short name, dotted module, file) of settings and of every service; a service package's files all carry the
    package's short name (``participants.detail`` is named « participants »)."""
    found = [("settings", "clausier.settings", ROOT / "clausier" / "settings.py")]
    services = ROOT / "clausier" / "services"
    for path in sorted(services.rglob("*.py")):
        parts = path.relative_to(services).with_suffix("").parts
        if parts == ("__init__",):
            continue
        dotted = "clausier.services." + ".".join(p for p in parts if p != "__init__")
        found.append((parts[0], dotted, path))
    return found


def _reads_session(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "session"
        and n.attr in ("get", "exec", "execute", "scalar", "scalars")
        for n in ast.walk(node)
    )  # fmt: skip


def _loaded_records(function: ast.FunctionDef) -> set[str]:
    """Names bound to what the session read (``x = session.get(…)``, ``for x in session.exec(…)``): assigning
    one of their fields changes a stored record at the next flush."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and _reads_session(node.value):
            targets = [
                t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])
            ]
        elif isinstance(node, (ast.For, ast.comprehension)) and _reads_session(node.iter):
            targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
        else:
            continue
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _writers() -> dict[str, list[str]]:
    """Every public function of the services (and settings) that writes, with its parameters: ``module.name``."""
    modules = _modules()
    full = {dotted: short for short, dotted, _path in modules}
    functions: dict[str, tuple[bool, set[str], list[str]]] = {}
    for module, _dotted, path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: dict[str, tuple[str, str]] = {}  # local name → (module, original name), for `from x import y`
        aliases: dict[str, str] = {}  # local name → short module name, for `from clausier.services import x`
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    dotted = f"{node.module}.{alias.name}"
                    if dotted in full:
                        aliases[alias.asname or alias.name] = full[dotted]
                    else:
                        names[alias.asname or alias.name] = (node.module, alias.name)
        local = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            writes, calls = False, set()
            loaded = _loaded_records(node)
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call):
                    f = sub.func
                    if isinstance(f, ast.Name):
                        origin = names.get(f.id)
                        if f.id in ("setattr", "update_versioned"):
                            writes = True
                        elif origin and origin[1] in SQL_WRITES and origin[0].startswith(("sqlalchemy", "sqlmodel")):
                            writes = True
                        elif f.id in local:
                            calls.add(f"{module}.{f.id}")
                        elif origin and origin[0] in full:
                            calls.add(f"{full[origin[0]]}.{origin[1]}")
                    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                        if f.value.id == "session" and f.attr in SESSION_WRITES:
                            writes = True
                        elif f.value.id in aliases:
                            calls.add(f"{aliases[f.value.id]}.{f.attr}")
                elif isinstance(sub, (ast.Assign, ast.AugAssign)):
                    for target in sub.targets if isinstance(sub, ast.Assign) else [sub.target]:
                        for one in target.elts if isinstance(target, ast.Tuple) else [target]:
                            if isinstance(one, ast.Attribute) and (
                                one.attr == "version"
                                and isinstance(sub, ast.AugAssign)
                                or isinstance(one.value, ast.Name)
                                and one.value.id in loaded
                            ):
                                writes = True  # x.version += 1, or a field of a record read from the session
            params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            functions[f"{module}.{node.name}"] = (writes, calls - NOT_FOLLOWED, params)
    writing = {name for name, (writes, _calls, _params) in functions.items() if writes}
    grown = True
    while grown:  # a function that calls a writer writes
        grown = False
        for name, (_writes, calls, _params) in functions.items():
            if name not in writing and calls & writing:
                writing.add(name)
                grown = True
    return {name: functions[name][2] for name in sorted(writing) if not name.split(".", 1)[1].startswith("_")}


def test_every_update_service_takes_what_the_user_saw():
    writers = _writers()
    assert "clauses.award_lot" in writers and "settings.set_value" in writers  # the sweep sees them
    unguarded = [
        name for name, params in writers.items() if not TOKENS & set(params) and name not in ALLOWED | TOKEN_INSIDE
    ]
    assert unguarded == [], "update services without the version the user saw (add one, or a reason to ALLOWED)"
    outdated = [n for n in ALLOWED | TOKEN_INSIDE if n not in writers or TOKENS & set(writers[n])]
    assert outdated == [], "allow-list entries that no longer write, or now take a token: remove them"


def test_every_guarded_service_has_its_stale_save_case():
    writers = _writers()
    guarded = {name for name, params in writers.items() if TOKENS & set(params)} | set(TOKEN_INSIDE)
    assert sorted(guarded - set(CASES)) == [], "add the stale-save case of these services to CASES"
    assert sorted(set(CASES) - guarded) == []


# --- a stale save of every guarded service ----------------------------------------------------------------------
# A case builds its records, reads what user A sees (version or token), lets user B save in between (committed),
# and returns A's stale save and a reader of the records it would change: the save must be refused and leave
# them exactly as B saved them.

Case = tuple[Callable[[Session], object], Callable[[Session], object]]


def _setup(engine: Engine, build: Callable[[Session], object]):
    with Session(engine, expire_on_commit=False) as session:
        built = build(session)
        session.commit()
        return built


def _read(engine: Engine, read: Callable[[Session], object]):
    with Session(engine) as session:
        return read(session)


def _saved(engine: Engine, write: Callable[[Session], object]) -> None:
    with Session(engine) as session:
        write(session)
        session.commit()


def _version(model) -> Callable[[Engine, int], int]:
    return lambda engine, record_id: _read(engine, lambda s: s.get(model, record_id).version)


def _row(model, record_id) -> Callable[[Session], tuple]:
    """The record's columns, as a tuple (what a refused save must leave alone)."""
    return lambda s: tuple(s.get(model, record_id, populate_existing=True).model_dump().values())


def _buyer_case(engine, archive: bool) -> Case:
    buyer_id = _setup(engine, lambda s: make_buyer(s, name="Ville de Bergues").id)
    seen = _version(Buyer)(engine, buyer_id)
    _saved(engine, lambda s: clauses.update_buyer(s, MARC, buyer_id, seen, clauses.BuyerInput(name="Bergues (B)")))
    if archive:
        return lambda s: clauses.archive_buyer(s, SOPHIE, buyer_id, seen), _row(Buyer, buyer_id)
    data = clauses.BuyerInput(name="Bergues (A)")
    return lambda s: clauses.update_buyer(s, SOPHIE, buyer_id, seen, data), _row(Buyer, buyer_id)


def _company_case(engine, archive: bool) -> Case:
    company = _setup(engine, lambda s: make_company(s, name="Bâti Flandre"))
    seen = company.version
    _saved(
        engine,
        lambda s: clauses.update_company(
            s, MARC, company.id, seen, clauses.CompanyInput(siret=company.siret, name="Bâti Flandre (B)")
        ),
    )
    if archive:
        return lambda s: clauses.archive_company(s, SOPHIE, company.id, seen), _row(Company, company.id)
    data = clauses.CompanyInput(siret=company.siret, name="Bâti Flandre (A)")
    return lambda s: clauses.update_company(s, SOPHIE, company.id, seen, data), _row(Company, company.id)


def case_update_operation(engine) -> Case:
    op = _setup(engine, lambda s: make_operation(s))
    _saved(engine, lambda s: clauses.update_operation(s, MARC, op.id, 1, clauses.OperationInput(op.buyer_id, "B")))
    data = clauses.OperationInput(op.buyer_id, "A")
    return lambda s: clauses.update_operation(s, SOPHIE, op.id, 1, data), _row(Operation, op.id)


def case_update_lot(engine) -> Case:
    lot = _setup(engine, lambda s: make_lot(s))

    def data(label: str) -> clauses.LotInput:
        return clauses.LotInput(lot.operation_id, lot.reference, label, amount_eur=1_000_000)

    _saved(engine, lambda s: clauses.update_lot(s, MARC, lot.id, 1, data("Gros œuvre (B)")))
    return lambda s: clauses.update_lot(s, SOPHIE, lot.id, 1, data("Gros œuvre (A)")), _row(Lot, lot.id)


def _award(lot_id: int) -> Callable[[Session], object]:
    return lambda s: sorted(
        (c.company_id, c.hours_committed_h100, c.version)
        for c in s.exec(select(Commitment).where(Commitment.lot_id == lot_id))
    )


def case_award_lot(engine) -> Case:
    lot_id, a, b = _setup(engine, lambda s: (make_lot(s).id, make_company(s).id, make_company(s).id))
    seen = _read(engine, lambda s: clauses.award_token(s, lot_id))  # "": not awarded yet
    _saved(engine, lambda s: clauses.award_lot(s, MARC, lot_id, seen, [clauses.Share(a, "833")]))
    shares = [clauses.Share(b, "833")]
    return lambda s: clauses.award_lot(s, SOPHIE, lot_id, seen, shares), _award(lot_id)


def _offer_world(session: Session) -> tuple[int, int, int]:
    commitment = make_commitment(session)
    offer = offers.create_offer(session, SOPHIE, _offer_input(commitment, "Maçon (H/F)"))
    person = make_participant(session)
    return offer.id, person.id, commitment.id


def _offer_input(commitment: Commitment, title: str) -> offers.OfferInput:
    return offers.OfferInput(
        company_id=commitment.company_id,
        lot_id=commitment.lot_id,
        trade_code="F1703",
        title=title,
        contract_type_code="cdd",
        start_date=date(2026, 6, 1),
        end_date=date(2026, 11, 30),
    )


def case_offers_update_offer(engine) -> Case:
    offer_id, _person, commitment_id = _setup(engine, _offer_world)
    commitment = _read(engine, lambda s: s.get(Commitment, commitment_id))
    _saved(engine, lambda s: offers.update_offer(s, MARC, offer_id, 1, _offer_input(commitment, "Maçon B")))
    data = _offer_input(commitment, "Maçon A")
    return lambda s: offers.update_offer(s, SOPHIE, offer_id, 1, data), _row(JobOffer, offer_id)


def case_offers_set_status(engine) -> Case:
    offer_id, _person, _commitment = _setup(engine, _offer_world)
    _saved(engine, lambda s: offers.set_status(s, MARC, offer_id, 1, OfferStatus.CANCELLED))
    return lambda s: offers.set_status(s, SOPHIE, offer_id, 1, OfferStatus.FILLED), _row(JobOffer, offer_id)


def case_candidacies_move(engine) -> Case:
    def build(s: Session) -> int:
        offer_id, person_id, _commitment = _offer_world(s)
        return candidacies.position(s, SOPHIE, offer_id, [person_id]).created[0]

    candidacy_id = _setup(engine, build)
    _saved(engine, lambda s: candidacies.move(s, MARC, candidacy_id, 1, Action.WITHDRAW, reason="Déménagement"))
    answers = CheckAnswers(True, True, True, True, "Motivé.")
    return (
        lambda s: candidacies.move(s, SOPHIE, candidacy_id, 1, Action.CHECK, answers=answers),
        _row(Candidacy, candidacy_id),
    )


def _contract_world(session: Session) -> tuple[int, object]:
    commitment = make_commitment(session)
    company = session.get(Company, commitment.company_id)
    person = make_participant(session)
    data = contract_input(company, commitment, person)
    return contracts.create_contract(session, SOPHIE, data, TODAY).contract_id, data


def case_contracts_update_contract(engine) -> Case:
    contract_id, data = _setup(engine, _contract_world)
    data.weekly_hours = "30"
    _saved(engine, lambda s: contracts.update_contract(s, MARC, contract_id, 1, data, TODAY))
    data_a = replace(data, weekly_hours="28")
    return (
        lambda s: contracts.update_contract(s, SOPHIE, contract_id, 1, data_a, TODAY),
        _row(EmploymentContract, contract_id),
    )


def case_followup_record_end(engine) -> Case:
    contract_id, data = _setup(engine, _contract_world)
    seen = _version(EmploymentContract)(engine, contract_id)
    data.weekly_hours = "30"
    _saved(engine, lambda s: contracts.update_contract(s, MARC, contract_id, seen, data, TODAY))
    return (
        lambda s: followup.record_end(
            s, SOPHIE, contract_id, seen, date(2026, 4, 10), ContractOutcome.COMPLETED, TODAY
        ),
        _row(EmploymentContract, contract_id),
    )


def case_followup_record_six_month(engine) -> Case:
    contract_id = _setup(
        engine,
        lambda s: (
            make_contract(
                s, start_date=date(2025, 3, 1), planned_end=date(2025, 8, 31), actual_end=date(2025, 8, 31)
            ).id
        ),
    )
    seen = _version(EmploymentContract)(engine, contract_id)
    _saved(
        engine,
        lambda s: followup.record_six_month(
            s, MARC, contract_id, seen, SixMonthOutcome.NO_SOLUTION, date(2026, 3, 1), TODAY
        ),
    )
    return (
        lambda s: followup.record_six_month(
            s, SOPHIE, contract_id, seen, SixMonthOutcome.SUSTAINABLE_JOB, date(2026, 3, 2), TODAY
        ),
        _row(EmploymentContract, contract_id),
    )


def _meeting_case(engine, delete: bool) -> Case:
    def data(title: str) -> meetings.MeetingInput:
        return meetings.MeetingInput(kind=MeetingKind.ESS_WORKING_GROUP, on=date(2026, 4, 3), title=title)

    meeting_id = _setup(engine, lambda s: meetings.create_meeting(s, SOPHIE, data("Lancement")).id)
    _saved(engine, lambda s: meetings.update_meeting(s, MARC, meeting_id, 1, data("Lancement (B)")))
    if delete:
        return lambda s: meetings.delete_meeting(s, SOPHIE, meeting_id, 1), _row(Meeting, meeting_id)
    return lambda s: meetings.update_meeting(s, SOPHIE, meeting_id, 1, data("Lancement (A)")), _row(Meeting, meeting_id)


def case_participants_update_participant(engine) -> Case:
    person_id = _setup(engine, lambda s: make_participant(s, last_name="Durand", first_name="Léa").id)

    def data(phone: str) -> participants.ParticipantInput:
        return participants.ParticipantInput(
            last_name="Durand", first_name="Léa", birth_date=date(1990, 5, 17), phone=phone
        )

    _saved(engine, lambda s: participants.update_participant(s, MARC, person_id, 1, data("0611223344"), TODAY))
    return (
        lambda s: participants.update_participant(s, SOPHIE, person_id, 1, data("0699887766"), TODAY),
        _row(Participant, person_id),
    )


def _partner_case(engine, archive: bool) -> Case:
    def data(name: str) -> partners.PartnerInput:
        return partners.PartnerInput(name=name, kind=PartnerKind.SIAE)

    partner_id = _setup(engine, lambda s: partners.create_partner(s, SOPHIE, data("Ateliers du Port")).id)
    _saved(engine, lambda s: partners.update_partner(s, MARC, partner_id, 1, data("Ateliers du Port (B)")))
    if archive:
        return lambda s: partners.archive_partner(s, SOPHIE, partner_id, 1), _row(Partner, partner_id)
    return (
        lambda s: partners.update_partner(s, SOPHIE, partner_id, 1, data("Ateliers du Port (A)")),
        _row(Partner, partner_id),
    )


def _training_world(session: Session) -> tuple[int, int, int]:
    data = trainings.TrainingInput(
        title="Coffreur-bancheur",
        trade_code="F1703",
        funder="Intérim Nord",
        start_date=date(2026, 6, 1),
        end_date=date(2026, 9, 15),
    )
    training = trainings.create_training(session, SOPHIE, data)
    first, second = make_participant(session).id, make_participant(session).id
    trainings.add_participant(session, SOPHIE, training.id, training.version, first)
    return training.id, first, second


def _training_state(training_id: int) -> Callable[[Session], object]:
    def read(s: Session):
        enrolled = s.exec(
            select(TrainingParticipant.participant_id, TrainingParticipant.status)
            .where(TrainingParticipant.training_id == training_id)
            .order_by(TrainingParticipant.participant_id)
        ).all()
        training = s.get(Training, training_id, populate_existing=True)
        return (None if training is None else tuple(training.model_dump().values()), [tuple(e) for e in enrolled])

    return read


def _training_case(engine, stale: Callable[[int, int, int, int], Callable[[Session], object]]) -> Case:
    training_id, first, second = _setup(engine, _training_world)
    seen = _version(Training)(engine, training_id)
    _saved(engine, lambda s: trainings.set_status(s, MARC, training_id, seen, first, TrainingStatus.COMPLETED))
    return stale(training_id, seen, first, second), _training_state(training_id)


def case_trainings_update_training(engine) -> Case:
    def stale(training_id, seen, _first, _second):
        data = trainings.TrainingInput(
            title="Coffreur (A)",
            trade_code="F1703",
            funder="Intérim Nord",
            start_date=date(2026, 6, 1),
            end_date=date(2026, 9, 15),
        )
        return lambda s: trainings.update_training(s, SOPHIE, training_id, seen, data)

    return _training_case(engine, stale)


def case_trainings_delete_training(engine) -> Case:
    return _training_case(engine, lambda t, seen, _f, _s: lambda s: trainings.delete_training(s, SOPHIE, t, seen))


def case_trainings_add_participant(engine) -> Case:
    return _training_case(
        engine, lambda t, seen, _f, second: lambda s: trainings.add_participant(s, SOPHIE, t, seen, second)
    )


def case_trainings_set_status(engine) -> Case:
    return _training_case(
        engine,
        lambda t, seen, first, _s: lambda s: trainings.set_status(s, SOPHIE, t, seen, first, TrainingStatus.DROPPED),
    )


def case_trainings_remove_participant(engine) -> Case:
    return _training_case(
        engine, lambda t, seen, first, _s: lambda s: trainings.remove_participant(s, SOPHIE, t, seen, first)
    )


def _user_world(session: Session) -> int:
    bob = User(login="bob", name="Bob Test", email="bob@plie.test", password_hash="x", role=Role.SAISIE)
    session.add(bob)
    session.flush()
    return bob.id


def case_users_update_user(engine) -> Case:
    bob_id = _setup(engine, _user_world)
    _saved(
        engine,
        lambda s: users.update_user(
            s, ANNE, bob_id, 1, name="Bob Test", email="bob@plie.test", role=Role.SAISIE, active=False
        ),
    )
    return (
        lambda s: users.update_user(
            s, ADMIN, bob_id, 1, name="Bob Test", email="bob@plie.test", role=Role.ADMIN, active=True
        ),
        _row(User, bob_id),
    )


def case_users_reset_password(engine) -> Case:
    bob_id = _setup(engine, _user_world)
    _saved(
        engine,
        lambda s: users.update_user(
            s, ANNE, bob_id, 1, name="Bob Test", email="bob@plie.test", role=Role.SAISIE, active=False
        ),
    )
    password = "Marmotte-Soleil-77"
    return lambda s: users.reset_password(s, ADMIN, bob_id, 1, password, password), _row(User, bob_id)


def case_reference_save_work_kinds(engine) -> Case:
    seen = _read(engine, lambda s: {k.code: k.version for k in reference.list_work_kinds(s)})

    def row(share: float) -> reference.WorkKindRow:
        return reference.WorkKindRow("peinture", "Peinture, revêtements de sols et murs", share, 27, 7)

    _saved(engine, lambda s: reference.save_work_kinds(s, ANNE, [row(65)], seen))
    return (
        lambda s: reference.save_work_kinds(s, ADMIN, [row(72.5)], seen),
        lambda s: tuple(s.get(WorkKind, "peinture", populate_existing=True).model_dump().values()),
    )


def _settings_state(s: Session):
    return sorted(tuple(r) for r in s.exec(select(Setting.key, Setting.value, Setting.changed_by)).all())


def case_reference_save_settings(engine) -> Case:
    seen = _read(engine, settings.tokens)
    _saved(engine, lambda s: reference.save_settings(s, ANNE, {"retention_years": 6}, seen))
    return lambda s: reference.save_settings(s, ADMIN, {"retention_years": 7}, seen), _settings_state


def case_settings_set_value(engine) -> Case:
    seen = _read(engine, settings.tokens)["followup_interval_days"]
    _saved(engine, lambda s: settings.set_value(s, "followup_interval_days", 21, by="anne", expected=seen))
    return (
        lambda s: settings.set_value(s, "followup_interval_days", 14, by="admin", expected=seen),
        _settings_state,
    )


def _communes_state(s: Session):
    return [tuple(c.model_dump().values()) for c in s.exec(select(Commune).order_by(Commune.id)).all()]


def case_territory_save_communes(engine) -> Case:
    def rows_and_seen(s: Session):
        communes = territory.list_communes(s)
        rows = [territory.CommuneRow(c.id, c.name, c.insee_code, c.postal_codes, c.epci) for c in communes]
        return rows, {c.id: c.version for c in communes}

    rows, seen = _read(engine, rows_and_seen)  # what A's table shows
    theirs, _ = _read(engine, rows_and_seen)
    next(r for r in theirs if r.name == "Gravelines").postal_codes = "59820"
    _saved(engine, lambda s: territory.save_communes(s, ANNE, theirs, seen))
    next(r for r in rows if r.name == "Gravelines").postal_codes = "59820;59821"
    return lambda s: territory.save_communes(s, ADMIN, rows, seen), _communes_state


def case_territory_save_qpv(engine) -> Case:
    def rows_and_seen(s: Session):
        qpvs = territory.list_qpv(s)
        rows = [territory.QpvRow(q.id, q.name, q.code, None, q.list_year) for q in qpvs]
        return rows, {q.id: q.version for q in qpvs}

    rows, seen = _read(engine, rows_and_seen)
    theirs, _ = _read(engine, rows_and_seen)
    theirs[0].code = "QN05901B"
    _saved(engine, lambda s: territory.save_qpv(s, ANNE, theirs, seen))
    rows[0].code = "QN05901A"
    return (
        lambda s: territory.save_qpv(s, ADMIN, rows, seen),
        lambda s: [tuple(q.model_dump().values()) for q in s.exec(select(Qpv).order_by(Qpv.id)).all()],
    )


def _hours_world(session: Session) -> tuple[int, int]:
    lot = make_lot(session, execution_start=date(2025, 9, 1), execution_end=date(2026, 12, 31))
    commitment = make_commitment(session, lot=lot)
    person = make_participant(session)
    make_contract(session, participant=person, employer_id=commitment.company_id, commitment_id=commitment.id)
    make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 3, 1), hours_h100=10_000)
    return commitment.id, person.id


def _hours_state(commitment_id: int) -> Callable[[Session], object]:
    return lambda s: sorted(
        (e.participant_id, e.month, e.hours_h100)
        for e in s.exec(select(HoursEntry).where(HoursEntry.commitment_id == commitment_id))
    )


def case_manual_hours_save(engine) -> Case:
    from clausier.services import manual_hours

    commitment_id, person_id = _setup(engine, _hours_world)
    shown = _read(engine, _hours_state(commitment_id))  # [(person, 03/2026, 100 h)]
    typed = [manual_hours.ManualRow(person_id, "03/2026", "120")]
    _saved(engine, lambda s: manual_hours.save(s, MARC, commitment_id, typed, TODAY, shown))
    mine = [manual_hours.ManualRow(person_id, "03/2026", "90")]
    return lambda s: manual_hours.save(s, SOPHIE, commitment_id, mine, TODAY, shown), _hours_state(commitment_id)


def case_manual_hours_remove(engine) -> Case:
    from clausier.services import manual_hours

    commitment_id, person_id = _setup(engine, _hours_world)
    shown = _read(engine, _hours_state(commitment_id))
    typed = [manual_hours.ManualRow(person_id, "03/2026", "120")]
    _saved(engine, lambda s: manual_hours.save(s, MARC, commitment_id, typed, TODAY, shown))
    return lambda s: manual_hours.remove(s, SOPHIE, commitment_id, shown), _hours_state(commitment_id)


def case_import_participants_apply(engine) -> Case:
    from clausier.rules.names import name_key
    from clausier.services import import_participants as ip

    person_id = _setup(
        engine,
        lambda s: make_participant(s, last_name="Durand", first_name="Léa", name_key=name_key("Durand", "Léa")).id,
    )
    data = "Nom;Prénom;Date de naissance;E-mail\r\nDurand;Léa;17/05/1990;lea.durand@exemple.fr\r\n".encode("utf-8-sig")

    def preview(s: Session):
        raw = ip.read_file(data, "export.csv")
        return ip.preview(s, raw, ip.guess_mapping(raw.header), TODAY)

    shown = _read(engine, preview)  # Léa is known: her e-mail would be added (at the version read here)
    assert [p.participant_id for p in shown.known] == [person_id]
    _saved(
        engine,
        lambda s: participants.update_participant(
            s,
            MARC,
            person_id,
            1,
            participants.ParticipantInput(
                last_name="Durand", first_name="Léa", birth_date=date(1990, 5, 17), email="lea@autre.fr"
            ),
            TODAY,
        ),
    )
    return (
        lambda s: ip.apply(s, shown, SOPHIE, "export.csv", "c" * 64, today=TODAY),
        _row(Participant, person_id),
    )


CASES: dict[str, Callable[[Engine], Case]] = {
    "clauses.update_buyer": lambda e: _buyer_case(e, archive=False),
    "clauses.archive_buyer": lambda e: _buyer_case(e, archive=True),
    "clauses.update_company": lambda e: _company_case(e, archive=False),
    "clauses.archive_company": lambda e: _company_case(e, archive=True),
    "clauses.update_operation": case_update_operation,
    "clauses.update_lot": case_update_lot,
    "clauses.award_lot": case_award_lot,
    "offers.update_offer": case_offers_update_offer,
    "offers.set_status": case_offers_set_status,
    "candidacies.move": case_candidacies_move,
    "contracts.update_contract": case_contracts_update_contract,
    "followup.record_end": case_followup_record_end,
    "followup.record_six_month": case_followup_record_six_month,
    "meetings.update_meeting": lambda e: _meeting_case(e, delete=False),
    "meetings.delete_meeting": lambda e: _meeting_case(e, delete=True),
    "participants.update_participant": case_participants_update_participant,
    "partners.update_partner": lambda e: _partner_case(e, archive=False),
    "partners.archive_partner": lambda e: _partner_case(e, archive=True),
    "trainings.update_training": case_trainings_update_training,
    "trainings.delete_training": case_trainings_delete_training,
    "trainings.add_participant": case_trainings_add_participant,
    "trainings.set_status": case_trainings_set_status,
    "trainings.remove_participant": case_trainings_remove_participant,
    "users.update_user": case_users_update_user,
    "users.reset_password": case_users_reset_password,
    "reference.save_work_kinds": case_reference_save_work_kinds,
    "reference.save_settings": case_reference_save_settings,
    "settings.set_value": case_settings_set_value,
    "territory.save_communes": case_territory_save_communes,
    "territory.save_qpv": case_territory_save_qpv,
    "manual_hours.save": case_manual_hours_save,
    "manual_hours.remove": case_manual_hours_remove,
    "import_participants.apply": case_import_participants_apply,
}


@pytest.mark.parametrize("service", sorted(CASES))
def test_a_stale_save_is_refused_and_the_other_save_stays(any_engine, service):
    stale_save, state = CASES[service](any_engine)
    before = _read(any_engine, state)
    with Session(any_engine) as session:
        with pytest.raises(DomainError) as refused:
            stale_save(session)
            session.flush()
        session.rollback()
    if service in TOKEN_INSIDE:
        assert "relancez l'aperçu" in str(refused.value)
    elif service == "manual_hours.remove":  # its token is the hours shown; its own French message
        assert "modifiées depuis leur affichage" in str(refused.value)
    else:
        assert isinstance(refused.value, ConcurrentEditError), refused.value
        assert str(refused.value).startswith("Quelqu'un d'autre a modifié ")
    assert _read(any_engine, state) == before


# --- the two editors of issue 10 --------------------------------------------------------------------------------


def test_a_stale_award_does_not_undo_a_colleagues_split(any_engine):
    """A splits a lot between two companies; B, whose form still shows the old award (everything to the first),
    gives it all to a third company: B is refused, A's split stays whole."""
    with Session(any_engine, expire_on_commit=False) as session:
        lot = make_lot(session, hours_contractual_h100=83_300)
        first, second, third = (make_company(session, name=n).id for n in ("Alpha BTP", "Bêta TP", "Gamma"))
        session.commit()
        clauses.award_lot(session, SOPHIE, lot.id, "", [clauses.Share(first, "833")])
        session.commit()
    with Session(any_engine) as a_form, Session(any_engine) as b_form:  # both open the award form
        a_token, b_token = clauses.award_token(a_form, lot.id), clauses.award_token(b_form, lot.id)
    assert a_token == b_token != ""
    with Session(any_engine) as session:  # A splits the lot
        split = [clauses.Share(first, "500"), clauses.Share(second, "333")]
        clauses.award_lot(session, SOPHIE, lot.id, a_token, split)
        session.commit()
    with Session(any_engine) as session:  # B saves what the old form showed
        with pytest.raises(ConcurrentEditError) as refused:
            clauses.award_lot(session, MARC, lot.id, b_token, [clauses.Share(third, "833")])
        session.rollback()
    assert str(refused.value) == (
        f"Quelqu'un d'autre a modifié l'attribution du lot « {lot.reference} » pendant votre saisie. "
        "Rechargez la page pour voir sa version, puis refaites votre modification."
    )
    with Session(any_engine) as session:
        award = {c.company_id: c.hours_committed_h100 for c in session.exec(select(Commitment))}
        assert award == {first: 50_000, second: 33_300}
        assert session.exec(select(func.count()).select_from(Commitment)).one() == 2
        # B, having reloaded, sees A's split and may change it
        clauses.award_lot(session, MARC, lot.id, clauses.award_token(session, lot.id), [clauses.Share(third, "833")])
        session.commit()
        assert {c.company_id for c in session.exec(select(Commitment))} == {third}


def test_two_first_awards_of_a_lot_at_once_one_is_refused(any_engine):
    """Two editors award a lot nobody awarded yet, their transactions open together: the lot's row is locked by
    the first, the second (waiting on SQLite's write lock or PostgreSQL's row lock) then sees the first award."""
    import threading

    with Session(any_engine, expire_on_commit=False) as session:
        lot = make_lot(session, hours_contractual_h100=83_300)
        first, second = make_company(session).id, make_company(session).id
        session.commit()
    outcomes: list[str] = []
    started = threading.Barrier(2)

    def award(company_id: int) -> None:
        with Session(any_engine) as session:
            started.wait()
            try:
                clauses.award_lot(session, SOPHIE, lot.id, "", [clauses.Share(company_id, "833")])
                session.commit()
                outcomes.append("saved")
            except ConcurrentEditError:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=award, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "saved"]
    with Session(any_engine) as session:
        assert session.exec(select(func.count()).select_from(Commitment)).one() == 1


def test_two_admins_saving_one_setting_the_second_is_refused(any_engine):
    """Settings have no version column: the stored value is the compare-and-set token, including a first write
    (no stored row: an insert that does nothing when another admin's row is there)."""
    with Session(any_engine) as session:
        session.delete(session.get(Setting, "retention_years"))  # never saved: the default is shown
        session.commit()
    with Session(any_engine) as session:
        seen = settings.tokens(session)["retention_years"]
    assert seen is None
    with Session(any_engine) as session:
        settings.set_value(session, "retention_years", 6, by="anne", expected=seen)
        session.commit()
    with Session(any_engine) as session:
        with pytest.raises(ConcurrentEditError, match="le paramètre « Anonymisation après la fin"):
            settings.set_value(session, "retention_years", 8, by="admin", expected=seen)
        session.rollback()
    with Session(any_engine) as session:
        row = session.get(Setting, "retention_years")
        assert (row.value, row.changed_by, settings.get(session, "retention_years")) == ("6", "anne", 6)
        # an admin who changed another setting only saves that one (the colleague's value is not sent back)
        seen_all = settings.tokens(session)
    with Session(any_engine) as session:
        settings.set_value(session, "retention_years", 9, by="anne", expected=seen_all["retention_years"])
        session.commit()
    with Session(any_engine) as session:
        form = {d.key: settings.value_of(d.key, seen_all[d.key]) for d in settings.DEFINITIONS}
        form["login_lock_minutes"] = 30
        assert reference.save_settings(session, ADMIN, form, seen_all) == 1
        session.commit()
        assert (settings.get(session, "retention_years"), settings.get(session, "login_lock_minutes")) == (9, 30)
