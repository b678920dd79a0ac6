"""Small builders of valid records for tests (STYLE: "test data from small builders").

Each ``make_*`` builds one row with plain, valid defaults, adds it to the session and flushes it (so it has
its id, and a refused constraint raises ``IntegrityError`` right there), and never commits: the test decides.
Any field can be overridden by keyword. A parent not given (neither ``lot=`` nor ``lot_id=``) is built too:
``make_lot(session)`` also makes an operation and its buyer. Unique values (SIRET, lot reference, names)
differ on each call.

    with Session(engine) as session:
        commitment = make_commitment(session, hours_committed_h100=50_000)  # + lot, operation, buyer, company
        make_hours_entry(session, commitment=commitment, month=date(2026, 3, 1), hours_h100=15_167)
        session.commit()
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel
from stdnum import luhn

from clausier.services import derived, hours_totals
from models import (
    Buyer,
    Commitment,
    Company,
    EmploymentContract,
    FollowUp,
    HoursEntry,
    Lot,
    Operation,
    Participant,
)

T = TypeVar("T", bound=SQLModel)

_serial = itertools.count(1)
_siret_serial = itertools.count(1_000_001)  # apart from the small n a test may pass to valid_siret


def valid_siret(n: int | None = None) -> str:
    """A 14-digit SIRET accepted by ``stdnum.fr.siret.validate`` (SIREN and SIRET Luhn keys).

    Each call gives a new one; the same ``n`` always gives the same SIRET."""
    n = next(_siret_serial) if n is None else n
    siren = f"{40_000_000 + n % 60_000_000:08d}"
    siren += luhn.calc_check_digit(siren)
    base = siren + f"{n // 60_000_000 + 1:04d}"  # NIC of the establishment
    return base + luhn.calc_check_digit(base)


def save(session: Session, record: T) -> T:
    """Add and flush one record (constraints are checked by the database here)."""
    session.add(record)
    session.flush()
    return record


def _parent_id(session: Session, fields: dict[str, Any], key: str, parent: Any, build: Any) -> Any:
    """The parent's id: ``key=`` given as is (even a missing one), else the parent's, else a new parent's."""
    if key in fields:
        return fields.pop(key)
    return (parent or build(session)).id


def make_buyer(session: Session, **fields: Any) -> Buyer:
    n = next(_serial)
    return save(session, Buyer(**{"name": f"Ville de Test {n}", **fields}))


def make_operation(session: Session, buyer: Buyer | None = None, **fields: Any) -> Operation:
    buyer_id = _parent_id(session, fields, "buyer_id", buyer, make_buyer)
    n = next(_serial)
    return save(session, Operation(**{"buyer_id": buyer_id, "name": f"Groupe scolaire {n}", **fields}))


def make_lot(session: Session, operation: Operation | None = None, **fields: Any) -> Lot:
    """A lot of 1 000 000 € at 50 % labour, 5 %, 30 €/h: 833 clause hours (DESIGN §3.1)."""
    operation_id = _parent_id(session, fields, "operation_id", operation, make_operation)
    n = next(_serial)
    defaults = {
        "operation_id": operation_id,
        "reference": f"LOT-{n:03d}",
        "label": "Gros œuvre",
        "amount_cents": 100_000_000,
        "labour_share_bp": 5000,
        "insertion_rate_bp": 500,
        "hourly_cost_cents": 3000,
        "hours_computed_h100": 83_300,
        "hours_contractual_h100": 83_300,
    }
    return save(session, Lot(**{**defaults, **fields}))


def make_company(session: Session, siret: str | None = None, **fields: Any) -> Company:
    """A company with a valid, new SIRET unless one is given (given as is: it may be invalid on purpose)."""
    siret = siret if siret is not None else valid_siret()
    return save(session, Company(**{"siret": siret, "name": f"Entreprise {siret[:9]}", **fields}))


def make_commitment(
    session: Session, lot: Lot | None = None, company: Company | None = None, **fields: Any
) -> Commitment:
    """The company commits to the lot's 833 h."""
    lot_id = _parent_id(session, fields, "lot_id", lot, make_lot)
    company_id = _parent_id(session, fields, "company_id", company, make_company)
    defaults = {"lot_id": lot_id, "company_id": company_id, "hours_committed_h100": 83_300}
    return save(session, Commitment(**{**defaults, **fields}))


def make_participant(session: Session, **fields: Any) -> Participant:
    n = next(_serial)
    defaults = {
        "last_name": f"Martin{n}",
        "first_name": "Camille",
        "name_key": f"martin{n} camille",
        "birth_date": date(1990, 5, 17),
    }
    return save(session, Participant(**{**defaults, **fields}))


def make_hours_entry(
    session: Session,
    commitment: Commitment | None = None,
    participant: Participant | None = None,
    **fields: Any,
) -> HoursEntry:
    """151,67 h (one full month) in March 2026."""
    defaults = {
        "commitment_id": _parent_id(session, fields, "commitment_id", commitment, make_commitment),
        "participant_id": _parent_id(session, fields, "participant_id", participant, make_participant),
        "month": date(2026, 3, 1),
        "hours_h100": 15_167,
    }
    entry = save(session, HoursEntry(**{**defaults, **fields}))
    hours_totals.refresh(session, [(entry.commitment_id, entry.month)])  # as every writer of hours does
    return entry


def make_contract(
    session: Session,
    participant: Participant | None = None,
    employer: Company | None = None,
    **fields: Any,
) -> EmploymentContract:
    """A six-month CDD from 1 March 2026, 35 h a week (``cdd`` comes with the reference data)."""
    defaults = {
        "participant_id": _parent_id(session, fields, "participant_id", participant, make_participant),
        "employer_company_id": _parent_id(session, fields, "employer_company_id", employer, make_company),
        "contract_type_code": "cdd",
        "start_date": date(2026, 3, 1),
        "planned_end": date(2026, 8, 31),
    }
    contract = save(session, EmploymentContract(**{**defaults, **fields}))
    derived.refresh_next_due(session, [contract.id])  # as every writer of contracts does
    return contract


def make_follow_up(session: Session, contract: EmploymentContract | None = None, **fields: Any) -> FollowUp:
    """A call on 8 March 2026 about the contract, by « sophie »; the contract's next follow-up due follows."""
    defaults = {
        "contract_id": _parent_id(session, fields, "contract_id", contract, make_contract),
        "on": date(2026, 3, 8),
        "by": "sophie",
    }
    entry = save(session, FollowUp(**{**defaults, **fields}))
    derived.refresh_next_due(session, [entry.contract_id])  # as every writer of follow-ups does
    return entry


def contract_input(company: Company, commitment: Commitment, person: Participant, **changes: Any):
    """The contract form filled for a direct hire of ``person`` by ``company`` on ``commitment``: a CDD from
    2 March to 31 August 2026, 35 h a week; ``changes`` override fields."""
    from clausier.services.contracts import ContractInput
    from models.enums import Modality

    data = ContractInput(
        participant_id=person.id,
        employer_company_id=company.id,
        user_company_id=company.id,
        commitment_id=commitment.id,
        contract_type_code="cdd",
        modality=Modality.DIRECT_HIRE,
        start_date=date(2026, 3, 2),
        planned_end=date(2026, 8, 31),
        weekly_hours="35",
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def set_setting(session: Session, key: str, value: Any, by: str = "test") -> Any:
    """Change a setting as an admin who has just read it (its current value is the token the save checks), then
    compute again what it feeds, as the settings service does."""
    from clausier import settings
    from clausier.services import derived

    saved = settings.set_value(session, key, value, by=by, expected=settings.tokens(session)[key])
    derived.settings_changed(session, {key})
    return saved
