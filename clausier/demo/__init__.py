"""Demo data at the named sizes of DESIGN §6: a coherent territory of the Communauté urbaine de Dunkerque.

``generate(engine, "S")`` fills a database that has its schema and reference data (``prepare_database``) and no
business data yet. Everything follows from ``seed`` and ``today``: the same pair gives the same database.

How the figures hold together:
- operations start from ``history_years`` (plus a year of lead-in) before ``today`` to 18 months after; their status
  follows the dates;
- every lot's hours follow DESIGN §3.1 with its kind of work's labour share and hourly cost;
- each awarded lot has one company (sometimes a group whose split adds up to the lot's hours) and a target
  progress (late, on time, ahead, reached, missed), reached through contracts and monthly hours entries that stay
  inside the lot's execution, the contract and the past (only months before ``today``'s month);
- lot amounts are scaled once so that the number of hours rows meets the size's target.

Rows are written with SQLAlchemy Core in chunks, with explicit ids (PostgreSQL sequences are moved past them).
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel
from stdnum import luhn

from clausier.demo import data as D
from clausier.rules.calendar import add_months
from clausier.rules.hours import insertion_hours_h100
from clausier.rules.names import ascii_fold, name_key
from clausier.services import derived
from models import (
    Buyer,
    Candidacy,
    CandidacyEvent,
    Commitment,
    Commune,
    Company,
    ContractType,
    Eligibility,
    EligibilityCriterion,
    EmploymentContract,
    FollowUp,
    HoursEntry,
    JobOffer,
    Lot,
    Meeting,
    MeetingOperation,
    Operation,
    Participant,
    ParticipantTrade,
    Partner,
    PartnerTrade,
    Qpv,
    Trade,
    Training,
    TrainingParticipant,
    WorkKind,
)
from models.enums import (
    BuyerKind,
    CandidacyStatus,
    ClauseKind,
    CompanyKind,
    CompanySize,
    ContractOutcome,
    ExperienceLevel,
    FollowUpKind,
    LegalBasis,
    MeetingKind,
    Modality,
    OfferChannel,
    OfferStatus,
    OperationStatus,
    ParticipantStatus,
    PartnerKind,
    QualificationLevel,
    Sex,
    SixMonthOutcome,
    TrainingStatus,
)

NOT_EMPTY_MESSAGE = "La base contient déjà des données : la démo ne se charge que sur une base vide."
CHUNK = 10_000
ELIGIBILITY_VALIDITY_DAYS = 730  # 24 months, the default of the setting


@dataclass(frozen=True)
class DemoSize:
    """Targets of one named size (the first four are those of DESIGN §6)."""

    participants: int
    operations: int
    lots: int
    hours_rows: int
    buyers: int
    companies: int  # ordinary companies that win lots
    special_companies: int  # ETTI, temp agencies, GEIQ, AI, EI, ACI, EA, ESAT, ESS
    history_years: int
    facilitators: int
    counsellors: int
    institutional_partners: int
    training_bodies: int
    trainings: int
    meetings: int
    open_offers: int


SIZES: dict[str, DemoSize] = {
    "S": DemoSize(
        300,
        60,
        150,
        4_000,
        buyers=15,
        companies=70,
        special_companies=16,
        history_years=3,
        facilitators=4,
        counsellors=8,
        institutional_partners=6,
        training_bodies=3,
        trainings=4,
        meetings=12,
        open_offers=10,
    ),
    "M": DemoSize(
        3_000,
        600,
        1_500,
        40_000,
        buyers=40,
        companies=350,
        special_companies=30,
        history_years=10,
        facilitators=6,
        counsellors=14,
        institutional_partners=9,
        training_bodies=5,
        trainings=15,
        meetings=80,
        open_offers=40,
    ),
    "L": DemoSize(
        50_000,
        10_000,
        25_000,
        1_000_000,
        buyers=250,
        companies=3_000,
        special_companies=120,
        history_years=10,
        facilitators=20,
        counsellors=60,
        institutional_partners=11,
        training_bodies=8,
        trainings=80,
        meetings=500,
        open_offers=400,
    ),
}


@dataclass
class DemoReport:
    """Rows written per table, the total hours written (hundredths) and the time it took."""

    size: str
    seed: int
    today: date
    buyers: int = 0
    operations: int = 0
    lots: int = 0
    companies: int = 0
    commitments: int = 0
    partners: int = 0
    partner_trades: int = 0
    participants: int = 0
    participant_trades: int = 0
    eligibilities: int = 0
    job_offers: int = 0
    candidacies: int = 0
    candidacy_events: int = 0
    contracts: int = 0
    follow_ups: int = 0
    hours_entries: int = 0
    trainings: int = 0
    training_participants: int = 0
    meetings: int = 0
    meeting_operations: int = 0
    hours_total_h100: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Rows per table (report field name → count)."""
        skip = {"size", "seed", "today", "hours_total_h100", "seconds"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    def total_rows(self) -> int:
        return sum(self.counts().values())

    def summary(self) -> str:
        """The report in French, one line a table (for the command line and the benchmarks)."""
        lines = [f"{_LABELS[name]:<40}{_french_number(count):>12}" for name, count in self.counts().items()]
        hours = f"{self.hours_total_h100 / 100:,.2f}".replace(",", "\u202f").replace(".", ",")
        lines.append(f"{'Heures réalisées':<40}{hours:>12} h")
        lines.append(f"{'Durée de génération':<40}{self.seconds:>12.1f} s".replace(".", ","))
        return "\n".join(lines)


_LABELS = {
    "buyers": "Donneurs d'ordre",
    "operations": "Opérations",
    "lots": "Lots",
    "companies": "Entreprises",
    "commitments": "Engagements",
    "partners": "Partenaires",
    "partner_trades": "Métiers des partenaires",
    "participants": "Participants",
    "participant_trades": "Métiers des participants",
    "eligibilities": "Critères d'éligibilité validés",
    "job_offers": "Offres d'emploi",
    "candidacies": "Positionnements",
    "candidacy_events": "Étapes des positionnements",
    "contracts": "Contrats de travail",
    "follow_ups": "Suivis dans l'emploi",
    "hours_entries": "Lignes d'heures réalisées",
    "trainings": "Actions de formation",
    "training_participants": "Inscriptions en formation",
    "meetings": "Réunions",
    "meeting_operations": "Opérations présentées en réunion",
}


def _french_number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


# table name → DemoReport field
_REPORT_FIELDS = {
    "buyer": "buyers",
    "operation": "operations",
    "lot": "lots",
    "company": "companies",
    "commitment": "commitments",
    "partner": "partners",
    "partnertrade": "partner_trades",
    "participant": "participants",
    "participanttrade": "participant_trades",
    "eligibility": "eligibilities",
    "joboffer": "job_offers",
    "candidacy": "candidacies",
    "candidacyevent": "candidacy_events",
    "employmentcontract": "contracts",
    "followup": "follow_ups",
    "hoursentry": "hours_entries",
    "training": "trainings",
    "trainingparticipant": "training_participants",
    "meeting": "meetings",
    "meetingoperation": "meeting_operations",
}
# Tables whose rows mean the database already holds business data.
_BUSINESS_TABLES = (Buyer, Operation, Company, Participant, Partner)


def generate(engine: Engine, size: str = "S", seed: int = 1, today: date | None = None) -> DemoReport:
    """Fill an empty (but prepared) database with the demo territory at ``size`` (S, M or L), in one transaction."""
    key = size.strip().upper()
    if key not in SIZES:
        raise ValueError(f"Taille inconnue : {size} (S, M ou L).")
    today = today or date.today()
    started = time.perf_counter()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a larger page cache for the index inserts, on this connection only, while it lasts
            connection.exec_driver_sql("PRAGMA cache_size=-200000")
            connection.commit()
        try:
            with Session(bind=connection) as session:
                for model in _BUSINESS_TABLES:
                    if session.execute(select(func.count()).select_from(model)).scalar_one():
                        raise ValueError(NOT_EMPTY_MESSAGE)
                generator = _Generator(session, SIZES[key], seed, today)
                generator.run()
                derived.rebuild_all(session)  # the hours totals, the next follow-up due kept on every contract
                session.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA cache_size=-2000")
                connection.commit()
    report = DemoReport(size=key, seed=seed, today=today)
    for table_name, count in generator.writer.counts.items():
        setattr(report, _REPORT_FIELDS[table_name], count)
    report.hours_total_h100 = generator.hours_total
    report.seconds = time.perf_counter() - started
    return report


# --- small helpers --------------------------------------------------------------------------------------------


def _mi(d: date) -> int:
    """Month index of a date (year × 12 + month − 1)."""
    return d.year * 12 + d.month - 1


def _md(index: int) -> date:
    """First day of a month index."""
    return date(index // 12, index % 12 + 1, 1)


def _month_end(index: int) -> date:
    return _md(index + 1) - timedelta(days=1)


def _birthday(birth: date, age: int) -> date:
    """The day a person born on ``birth`` turns ``age`` (1 March for those born on 29 February)."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return date(birth.year + age, 3, 1)


def _at(d: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def _slug(value: str, sep: str = ".") -> str:
    """Lower-case ASCII words joined by ``sep`` (e-mail local parts, domains)."""
    return sep.join("".join(c if c.isalnum() else " " for c in ascii_fold(value).lower()).split())


class _Weighted:
    """Repeated weighted draws from a fixed list (cumulative weights, bisect)."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        self.items = items
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.total)]


class _Writer:
    """Buffers rows per table and writes them in chunks, parents before children."""

    def __init__(self, session: Session, chunk: int = CHUNK) -> None:
        self.session = session
        self.chunk = chunk
        self.order: list[Table] = list(SQLModel.metadata.sorted_tables)
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}
        self.pending = 0

    def add(self, table: Table, row: dict[str, Any]) -> None:
        self.buffers.setdefault(table.name, []).append(row)
        self.pending += 1
        if self.pending >= self.chunk:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows = self.buffers.get(table.name)
            if rows:
                self.session.execute(insert(table), rows)
                self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
                rows.clear()
        self.pending = 0


class _Sirets:
    """Unique, valid SIRENs and SIRETs (Luhn key on both)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sirens: set[str] = set()
        self.sirets: set[str] = set()

    def siren(self, prefix: str = "") -> str:
        while True:
            width = 8 - len(prefix)
            body = prefix + f"{self.rng.randrange(10**width):0{width}d}"
            number = body + luhn.calc_check_digit(body)
            if number not in self.sirens and not number.startswith("356000000"):
                self.sirens.add(number)
                return number

    def siret(self, siren: str, establishment: int = 1) -> str:
        while True:
            body = f"{siren}{establishment:04d}"
            number = body + luhn.calc_check_digit(body)
            if number not in self.sirets:
                self.sirets.add(number)
                return number
            establishment += 1


# --- plan records (kept small: __slots__) ---------------------------------------------------------------------


class _Lot:
    __slots__ = (
        "id",
        "op",
        "reference",
        "label",
        "trade",
        "work_kind",
        "carries",
        "clause_kind",
        "raw_amount",
        "amount",
        "share",
        "rate",
        "cost",
        "computed",
        "contractual",
        "start",
        "end",
        "override",
    )


class _Op:
    __slots__ = (
        "id",
        "buyer",
        "name",
        "commune",
        "work_kind",
        "status",
        "basis",
        "start",
        "end",
        "family",
        "lots",
        "created",
    )


class _Commitment:
    __slots__ = (
        "id",
        "lot",
        "company",
        "weight",
        "hours",
        "progress",
        "target",
        "rows",
        "modality",
        "etti",
        "agency",
        "geiq",
        "ai",
        "siae",
        "pooling",
        "facilitator",
        "ms",
        "me",
        "le",
        "contracts",
    )


class _Contract:
    __slots__ = (
        "id",
        "commitment",
        "trade",
        "ctype",
        "modality",
        "employer",
        "start",
        "planned_end",
        "actual_end",
        "busy_until",
        "weekly",
        "presence",
        "m0",
        "m_last",
        "participant",
        "offer",
        "candidacy",
        "outcome",
        "outcome_6m",
        "outcome_6m_on",
        "seq",
    )


# Contract types by a commitment's usual modality (codes of the reference list).
_TYPE_WEIGHTS: dict[Modality, dict[str, int]] = {
    Modality.DIRECT_HIRE: {
        "cdd": 45,
        "cdi": 10,
        "apprentissage": 15,
        "professionnalisation": 15,
        "ctti": 9,
        "interim": 6,
    },
    Modality.PROVISION: {"ctti": 55, "interim": 25, "geiq": 12, "mad_ai": 6, "cdd": 2},
    Modality.SUBCONTRACTING: {"cddi": 85, "ctti": 10, "cdd": 5},
    Modality.TRAINING: {"formation": 50, "professionnalisation": 30, "cdd": 20},
}
# Contract length in months (hours months), by contract type.
_LENGTHS: dict[str, tuple[int, int]] = {
    "cdd": (3, 12),
    "apprentissage": (12, 24),
    "professionnalisation": (6, 12),
    "pec": (6, 12),
    "interim": (1, 6),
    "ctti": (2, 9),
    "geiq": (6, 18),
    "mad_ai": (1, 6),
    "cddi": (4, 12),
    "formation": (1, 3),
}
_SIAE_KINDS = ("ei", "aci", "ea", "esat")
_OPEN = 10**9  # busy for good (open-ended contract)
_LICENCE_ORDER = ("B", "C", "CACES R482", "CACES R486", "CACES R489")


class _Generator:
    def __init__(self, session: Session, spec: DemoSize, seed: int, today: date) -> None:
        self.session = session
        self.spec = spec
        self.rng = random.Random(seed)
        self.today = today
        self.t_ord = today.toordinal()
        self.month_now = _mi(today)
        self.last_month = self.month_now - 1  # hours only for months already over
        self.writer = _Writer(session)
        self.sirets = _Sirets(self.rng)
        self.hours_total = 0
        self.next_ids: dict[str, int] = {}

    # --- ids, reference data ---

    def _new_id(self, table: Table) -> int:
        name = table.name
        if name not in self.next_ids:
            current = self.session.execute(select(func.max(table.c.id))).scalar()
            self.next_ids[name] = (current or 0) + 1
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def _load_reference(self) -> None:
        s = self.session
        communes = s.execute(
            select(Commune.id, Commune.name, Commune.insee_code, Commune.postal_codes)
            .where(Commune.in_territory)
            .order_by(Commune.id)
        ).all()
        work_kinds = s.execute(
            select(
                WorkKind.code, WorkKind.labour_share_bp, WorkKind.hourly_cost_cents, WorkKind.default_insertion_rate_bp
            ).order_by(WorkKind.code)
        ).all()
        trades = s.execute(select(Trade.code, Trade.label).order_by(Trade.code)).all()
        contract_types = s.execute(
            select(ContractType.code, ContractType.usual_modality)
            .where(ContractType.active)
            .order_by(ContractType.code)
        ).all()
        criteria = (
            s.execute(
                select(EligibilityCriterion.code).where(EligibilityCriterion.active).order_by(EligibilityCriterion.code)
            )
            .scalars()
            .all()
        )
        if not communes or not work_kinds or not trades or not contract_types or not criteria:
            raise ValueError(
                "Les données de référence manquent : préparez d'abord la base (migrations et référentiels)."
            )
        self.communes = [tuple(c) for c in communes]
        self.commune_by_name = {c[1]: c for c in self.communes}
        self.commune_draw = _Weighted(
            self.communes, [D.COMMUNE_WEIGHTS.get(c[1], D.DEFAULT_COMMUNE_WEIGHT) for c in self.communes]
        )
        self.work_kinds = {w[0]: (w[1], w[2], w[3]) for w in work_kinds}
        self.trade_labels = {t[0]: t[1] for t in trades}
        self.contract_modality = {c[0]: Modality(c[1]) for c in contract_types}
        self.criteria = list(criteria)
        qpvs = s.execute(select(Qpv.id, Qpv.name, Qpv.commune_id).order_by(Qpv.id)).all()
        self.qpv_by_commune: dict[int, list[int]] = {}
        for qpv_id, name, commune_id in qpvs:
            if commune_id is None:
                commune_name = next(
                    (c for k, c in D.QPV_COMMUNES.items() if k.lower() in name.lower()), D.QPV_DEFAULT_COMMUNE
                )
                commune = self.commune_by_name.get(commune_name)
                commune_id = commune[0] if commune else None
            if commune_id is not None:
                self.qpv_by_commune.setdefault(commune_id, []).append(qpv_id)

    def _trade(self, code: str | None) -> str | None:
        return code if code in self.trade_labels else None

    def _ctype(self, code: str) -> str:
        return (
            code
            if code in self.contract_modality
            else ("cdd" if "cdd" in self.contract_modality else next(iter(self.contract_modality)))
        )

    # --- the whole run ---

    def run(self) -> None:
        self._load_reference()
        self._make_staff()
        self._make_buyers()
        self._make_companies()
        self._make_partners()
        self._make_operations()
        self._make_commitments()
        self._calibrate()
        self._write_operations_and_commitments()
        self._plan_contracts()
        self._make_participants()
        self._assign_participants()
        self._plan_offers()
        self._write_participants()
        self._write_offers()
        self._write_contracts()
        self._write_hours()
        self._make_trainings()
        self._make_meetings()
        self.writer.flush()
        self._move_sequences()

    # --- staff: facilitators (logins) and counsellors (CIP) of the antennas ---

    def _person(self) -> tuple[str, str, Sex]:
        rng = self.rng
        sex = Sex.FEMALE if rng.random() < 0.5 else Sex.MALE
        first = rng.choice(D.FIRST_NAMES_F if sex is Sex.FEMALE else D.FIRST_NAMES_M)
        return first, rng.choice(D.LAST_NAMES), sex

    def _make_staff(self) -> None:
        self.facilitators: list[str] = []
        while len(self.facilitators) < self.spec.facilitators:
            first, last, _ = self._person()
            login = f"{ascii_fold(first)[0].lower()}.{_slug(last).replace('.', '')}"
            if login not in self.facilitators:
                self.facilitators.append(login)
        self.counsellors: dict[str, list[str]] = {a: [] for a in D.ANTENNAS}
        for i in range(max(self.spec.counsellors, len(D.ANTENNAS))):  # every antenna has someone
            first, last, _ = self._person()
            self.counsellors[D.ANTENNAS[i % len(D.ANTENNAS)]].append(f"{first} {last}")
        self.pace_draw = _Weighted([(0.3, 0.79), (0.8, 0.99), (1.0, 1.3)], [30, 35, 35])
        self.weekly_draw = _Weighted([3500, 3900, 2800], [85, 10, 5])
        self.weekly_siae_draw = _Weighted([3500, 3900, 2800, 2600, 2000], [40, 5, 10, 30, 15])
        self.outcome_draw = _Weighted(
            [
                ContractOutcome.COMPLETED,
                ContractOutcome.HIRED_ON,
                ContractOutcome.EARLY_END_EMPLOYEE,
                ContractOutcome.EARLY_END_EMPLOYER,
                ContractOutcome.TRIAL_END,
                ContractOutcome.OTHER,
            ],
            [55, 20, 9, 6, 7, 3],
        )
        self.six_month_draw = _Weighted(list(SixMonthOutcome), [35, 30, 10, 25])
        self.size_draw = _Weighted(
            [CompanySize.MICRO, CompanySize.SMALL, CompanySize.MEDIUM, CompanySize.LARGE], [25, 60, 12, 3]
        )

    def _contact(self, organisation: str) -> tuple[str, str, str]:
        first, last, _ = self._person()
        domain = _slug(organisation, "-")[:30].strip("-") or "contact"
        email = f"{_slug(first)}.{_slug(last)}@{domain}.example.org"
        phone = f"03 53 01 {self.rng.randrange(100):02d} {self.rng.randrange(100):02d}"
        return f"{first} {last}", email, phone

    def _address(self, commune: tuple | None, town: str = "Lille", postal: str = "59000") -> str:
        rng = self.rng
        if commune is not None:
            town, postal = commune[1], (commune[3] or "").split(";")[0]
        return f"{rng.randint(1, 180)} {rng.choice(D.STREETS)}, {postal} {town}".replace("  ", " ")

    # --- buyers ---

    def _make_buyers(self) -> None:
        rng = self.rng
        table = Buyer.__table__
        first_day = self.today - timedelta(days=365 * self.spec.history_years)
        self.buyers: list[tuple[int, str, str, tuple | None]] = []  # id, name, kind, commune
        weights: list[float] = []
        specs = list(D.BUYERS[: self.spec.buyers])
        used_names = {b[0] for b in specs}
        while len(specs) < self.spec.buyers:
            name = f"SCCV {rng.choice(D.PROGRAMMES)}"
            suffix = 2
            while name in used_names:
                name = f"SCCV {rng.choice(D.PROGRAMMES)} {['', '', 'II', 'III', 'IV', 'V'][min(suffix, 5)]}".strip()
                suffix += 1
                if suffix > 6:
                    name = f"SCCV {rng.choice(D.PROGRAMMES)} – tranche {len(specs)}"
            used_names.add(name)
            specs.append((name, "prive", None, 0, None))
        for name, kind, commune_name, weight, siren in specs:
            commune = self.commune_by_name.get(commune_name) if commune_name else None
            if kind == "prive" and commune is None:
                commune = self.commune_draw.draw(rng)
            if siren is None:
                insee = (commune[2] if commune else None) or D.KNOWN_INSEE.get(commune_name or "")
                if kind == "collectivite" and commune is not None and insee:
                    body = f"21{insee[:2]}0{insee[2:]}"
                    siren = body + luhn.calc_check_digit(body)
                    self.sirets.sirens.add(siren)
                else:
                    prefix = {
                        "etat": "1",
                        "collectivite": "2",
                        "epci": "24",
                        "bailleur_social": "27",
                        "hopital": "26",
                        "etablissement_public": "20",
                    }.get(kind, str(rng.choice([4, 5, 8, 9])))
                    siren = self.sirets.siren(prefix)
            else:
                self.sirets.sirens.add(siren)
            buyer_id = self._new_id(table)
            contact, email, phone = self._contact(name)
            self.writer.add(
                table,
                {
                    "id": buyer_id,
                    "name": name,
                    "kind": BuyerKind(kind),
                    "siret": self.sirets.siret(siren),
                    "commune_id": commune[0] if commune else None,
                    "address": self._address(commune),
                    "contact_name": f"{contact} ({rng.choice(D.BUYER_CONTACT_ROLES)})",
                    "contact_email": email,
                    "contact_phone": phone,
                    "notes": "",
                    "archived": False,
                    "created_at": _at(first_day - timedelta(days=rng.randint(30, 200))),
                    "version": 1,
                },
            )
            self.buyers.append((buyer_id, name, kind, commune))
            weights.append(weight)
        extra = weights.count(0)
        if extra:  # programmes of private developers: 12 % of the operations together
            each = 0.12 * sum(weights) / 0.88 / extra
            weights = [w or each for w in weights]
        self.buyer_draw = _Weighted(self.buyers, weights)

    # --- companies ---

    def _company_row(
        self, name: str, kind: str, size: CompanySize | None, sector: str, siret: str, commune: tuple | None, town: str
    ) -> int:
        rng = self.rng
        company_id = self._new_id(Company.__table__)
        contact, email, phone = self._contact(name)
        self.writer.add(
            Company.__table__,
            {
                "id": company_id,
                "siret": siret,
                "name": name[:200],
                "kind": CompanyKind(kind),
                "size": size,
                "sector": sector[:120],
                "commune_id": commune[0] if commune else None,
                "address": self._address(commune, town, "59000" if town == "Lille" else "62000"),
                "contact_name": contact,
                "contact_email": email,
                "contact_phone": phone,
                "notes": "",
                "archived": False,
                "created_at": _at(self.today - timedelta(days=365 * self.spec.history_years + rng.randint(0, 120))),
                "version": 1,
            },
        )
        return company_id

    def _make_companies(self) -> None:
        rng = self.rng
        used: set[str] = set()
        self.company_kind: dict[int, str] = {}
        self.company_names: dict[int, str] = {}
        self.ordinary_by_wk: dict[str, list[int]] = {}
        self.ordinary: list[int] = []
        wk_weights = {
            "gros_oeuvre": 16,
            "second_oeuvre": 26,
            "peinture": 8,
            "charpente_metal": 6,
            "lots_techniques": 14,
            "demolition": 4,
            "vrd": 12,
            "espaces_verts": 7,
            "nettoyage": 6,
            "collecte_dechets": 1,
            "services": 1,
        }
        kinds = [k for k in wk_weights if k in D.SECTORS]
        draw = _Weighted(kinds, [wk_weights[k] for k in kinds])
        group_sirens = {g: self.sirets.siren(str(rng.choice([3, 4, 5]))) for g in D.FICTIONAL_GROUPS}
        for i in range(self.spec.companies):
            wk = kinds[i] if i < len(kinds) else draw.draw(rng)
            activity = rng.choice(D.ACTIVITY_WORDS[wk])
            last = rng.choice(D.LAST_NAMES)
            pattern = rng.random()
            siren = None
            size = self.size_draw.draw(rng)
            if pattern < 0.35:
                name = f"{last} {activity}"
            elif pattern < 0.60:
                name = f"{rng.choice(D.PLACE_WORDS)} {activity}"
            elif pattern < 0.70:
                name = f"{rng.choice(D.LEGAL_FORMS)} {last} et Fils"
            elif pattern < 0.80:
                name = f"Établissements {last}"
            elif pattern < 0.86:
                group = rng.choice(D.FICTIONAL_GROUPS)
                name = f"{group} {activity} – agence de {rng.choice(['Dunkerque', 'Grande-Synthe', 'Gravelines', 'Calais'])}"
                siren = group_sirens[group]
                size = rng.choice([CompanySize.MEDIUM, CompanySize.LARGE])
            else:
                letters = "".join(rng.choice("ABCDEFGHJLMNPRSTV") for _ in range(rng.choice([2, 3, 3, 4])))
                name = f"{letters} {activity}"
            base = name
            while name in used:
                name = f"{base} {rng.choice(D.PLACE_WORDS + D.OTHER_PLACES)}"
                if name in used:
                    name = f"{base} {len(used)}"
            used.add(name)
            local = rng.random() < 0.85
            commune = self.commune_draw.draw(rng) if local else None
            town = "Lille" if local else rng.choice(D.OTHER_PLACES)
            siret = (
                self.sirets.siret(siren, rng.randint(1, 60))
                if siren
                else self.sirets.siret(self.sirets.siren(str(rng.choice([3, 4, 5, 7, 8, 9]))))
            )
            company_id = self._company_row(name, "classique", size, rng.choice(D.SECTORS[wk]), siret, commune, town)
            self.company_kind[company_id] = "classique"
            self.company_names[company_id] = name
            self.ordinary_by_wk.setdefault(wk, []).append(company_id)
            self.ordinary.append(company_id)

        # Insertion structures, temp agencies, GEIQ…: the named ones first, then more with a place in the name.
        minimum = {"etti": 2, "interim": 2, "geiq": 1, "ai": 1, "ei": 2, "aci": 2, "ea": 1, "esat": 1, "ess": 1}
        plan: list[str] = [k for k, n in minimum.items() for _ in range(n)]
        kind_draw = _Weighted(list(D.SPECIAL_KIND_WEIGHTS), list(D.SPECIAL_KIND_WEIGHTS.values()))
        while len(plan) < self.spec.special_companies:
            plan.append(kind_draw.draw(rng))
        self.special_by_kind: dict[str, list[int]] = {k: [] for k in D.SPECIAL_COMPANIES}
        seen: dict[str, int] = {}
        for kind in plan:
            templates = D.SPECIAL_COMPANIES[kind]
            fixed = [t for t in templates if "{place}" not in t]
            index = seen.get(kind, 0)
            seen[kind] = index + 1
            if index < len(fixed):
                name = fixed[index]
            else:
                template = rng.choice([t for t in templates if "{place}" in t] or templates)
                name = template.format(place=rng.choice(list(D.COMMUNE_WEIGHTS) + D.OTHER_PLACES))
            base = name
            n = 2
            while name in used:
                name = f"{base} {n}"
                n += 1
            used.add(name)
            commune = self.commune_draw.draw(rng)
            size = CompanySize.SMALL if kind in ("interim", "geiq", "etti") else CompanySize.MICRO
            prefix = "7" if kind in ("ai", "aci", "esat", "ess", "ea") else str(rng.choice([4, 5, 8]))
            siret = self.sirets.siret(self.sirets.siren(prefix))
            company_id = self._company_row(name, kind, size, D.SPECIAL_SECTORS[kind], siret, commune, commune[1])
            self.company_kind[company_id] = kind
            self.company_names[company_id] = name
            self.special_by_kind[kind].append(company_id)
        self.siae = [c for k in _SIAE_KINDS for c in self.special_by_kind[k]]

    # --- partners ---

    def _partner(
        self,
        name: str,
        kind: PartnerKind,
        company_id: int | None,
        siret: str | None,
        commune: tuple | None,
        trades: list[str],
    ) -> int:
        rng = self.rng
        partner_id = self._new_id(Partner.__table__)
        contact, email, phone = self._contact(name)
        self.writer.add(
            Partner.__table__,
            {
                "id": partner_id,
                "name": name[:200],
                "kind": kind,
                "siret": siret,
                "company_id": company_id,
                "commune_id": commune[0] if commune else None,
                "address": self._address(commune),
                "contact_name": contact,
                "contact_email": email,
                "contact_phone": phone,
                "notes": "",
                "archived": False,
                "created_at": _at(self.today - timedelta(days=365 * self.spec.history_years + rng.randint(0, 90))),
                "version": 1,
            },
        )
        for code in dict.fromkeys(t for t in trades if self._trade(t)):
            self.writer.add(PartnerTrade.__table__, {"partner_id": partner_id, "trade_code": code})
        return partner_id

    def _make_partners(self) -> None:
        rng = self.rng
        dunkerque = self.commune_by_name.get("Dunkerque") or self.communes[0]
        building = [t for _, t, _ in D.BUILDING_LOTS]
        green_clean = ["A1203", "A1202", "K2204", "K2303"]
        for name, kind in D.INSTITUTIONAL_PARTNERS[: self.spec.institutional_partners]:
            self._partner(name, PartnerKind(kind), None, None, dunkerque, [])
        self.training_bodies: list[int] = []
        for name in D.TRAINING_BODIES[: self.spec.training_bodies]:
            trades = rng.sample(building + green_clean, rng.randint(3, 8))
            siret = self.sirets.siret(self.sirets.siren(str(rng.choice([1, 7, 8]))))
            self.training_bodies.append(self._partner(name, PartnerKind.TRAINING_BODY, None, siret, dunkerque, trades))
        kinds = {
            "etti": PartnerKind.SIAE,
            "ei": PartnerKind.SIAE,
            "aci": PartnerKind.SIAE,
            "ai": PartnerKind.SIAE,
            "interim": PartnerKind.TEMP_AGENCY,
            "geiq": PartnerKind.GEIQ,
            "ess": PartnerKind.ESS,
            "ea": PartnerKind.OTHER,
            "esat": PartnerKind.OTHER,
        }
        for kind, companies in self.special_by_kind.items():
            for company_id in companies:
                name = self.company_names[company_id]
                if kind in ("aci", "esat") or "Propreté" in name:
                    trades = rng.sample(green_clean, 2)
                elif kind in ("ei", "ess"):
                    trades = rng.sample(building, 2) + [rng.choice(green_clean)]
                else:
                    trades = rng.sample(building, rng.randint(3, 6))
                self._partner(name, kinds[kind], company_id, None, None, trades)

    # --- operations and lots ---

    def _templates(self, family: str, buyer: tuple) -> list[str]:
        special = D.BUYER_TEMPLATES.get(buyer[1], {}).get(family)
        if special:
            return special
        by_kind = D.OPERATION_TEMPLATES[family]
        return by_kind.get(buyer[2]) or by_kind["collectivite"]

    def _make_operations(self) -> None:
        rng = self.rng
        spec = self.spec
        family_draw = _Weighted(["building", "vrd", "services"], [55, 20, 25])
        history = 365 * spec.history_years
        self.ops: list[_Op] = []
        lot_counts: list[int] = []
        maxima: list[int] = []
        for _ in range(spec.operations):
            op = _Op()
            op.id = self._new_id(Operation.__table__)
            op.buyer = self.buyer_draw.draw(rng)
            op.family = family_draw.draw(rng)
            buyer_commune = op.buyer[3]
            local_authority = op.buyer[2] == "collectivite" and buyer_commune is not None
            op.commune = buyer_commune if local_authority else self.commune_draw.draw(rng)
            template = rng.choice(self._templates(op.family, op.buyer))
            commune_name = op.commune[1]
            quarter = rng.choice(D.DUNKERQUE_QUARTERS) if commune_name == "Dunkerque" else commune_name
            op.name = template.format(
                person=rng.choice(D.PERSONS),
                residence=rng.choice(D.RESIDENCES),
                quarter=quarter,
                commune=commune_name,
                n=rng.choice([12, 16, 24, 30, 36, 48, 60, 80, 120]) if "logements" in template else rng.randint(1, 6),
                programme=rng.choice(D.PROGRAMMES),
                street=rng.choice(D.STREETS),
            )[:250]
            op.start = self.today + timedelta(days=rng.randint(-history - 365, 540))  # a year of lead-in
            months = {"building": (10, 30), "vrd": (4, 18), "services": (12, 48)}[op.family]
            op.end = add_months(op.start, rng.randint(*months)) - timedelta(days=1)
            if op.family == "services":
                lowered = op.name.lower()
                if "nettoyage" in lowered or "propreté" in lowered:
                    op.work_kind = "nettoyage"
                elif "collecte" in lowered:
                    op.work_kind = "collecte_dechets"
                elif "restauration" in lowered:
                    op.work_kind = "services"
                else:
                    op.work_kind = "espaces_verts"
                maxima.append(6)
                lot_counts.append(rng.choice([1, 1, 2, 2, 3]))
            elif op.family == "vrd":
                op.work_kind = "vrd"
                maxima.append(len(D.VRD_LOTS))
                lot_counts.append(rng.choice([1, 2, 2, 3, 4, 5]))
            else:
                op.work_kind = (
                    "gros_oeuvre" if "Construction" in op.name or "Reconstruction" in op.name else "second_oeuvre"
                )
                maxima.append(len(D.BUILDING_LOTS))
                lot_counts.append(rng.choice([2, 3, 3, 4, 4, 5, 6, 7, 8]))
            if op.end < self.today:
                op.status = OperationStatus.FINISHED
            elif op.start <= self.today:
                op.status = OperationStatus.RUNNING
            elif op.start > self.today + timedelta(days=200):
                op.status = OperationStatus.SPOTTED if rng.random() < 0.5 else OperationStatus.STUDY
            else:
                op.status = OperationStatus.CLAUSE_INCLUDED
            if op.buyer[2] == "prive":
                op.basis = LegalBasis.PRIVATE_CONTRACT
            elif op.family == "services":
                op.basis = _Weighted(
                    [
                        LegalBasis.EXECUTION_CONDITION,
                        LegalBasis.CCAG_2021,
                        LegalBasis.AWARD_CRITERION,
                        LegalBasis.RESERVED_MARKET,
                        LegalBasis.INSERTION_MARKET,
                    ],
                    [58, 15, 12, 9, 6],
                ).draw(rng)
            else:
                op.basis = _Weighted(
                    [LegalBasis.EXECUTION_CONDITION, LegalBasis.CCAG_2021, LegalBasis.AWARD_CRITERION], [65, 22, 13]
                ).draw(rng)
            op.created = min(op.start - timedelta(days=rng.randint(60, 300)), self.today - timedelta(days=1))
            self.ops.append(op)

        # exactly spec.lots lots
        total = sum(lot_counts)
        while total > spec.lots:
            i = rng.randrange(len(lot_counts))
            if lot_counts[i] > 1:
                lot_counts[i] -= 1
                total -= 1
        while total < spec.lots:
            i = rng.randrange(len(lot_counts))
            if lot_counts[i] < maxima[i]:
                lot_counts[i] += 1
                total += 1

        lot_weights = {
            "gros_oeuvre": 3.0,
            "lots_techniques": 2.0,
            "vrd": 1.6,
            "second_oeuvre": 1.2,
            "demolition": 1.0,
            "charpente_metal": 1.0,
            "peinture": 0.8,
            "espaces_verts": 0.5,
        }
        building_weights = [
            3 if wk in ("gros_oeuvre", "lots_techniques") else 2 if t in ("F1601", "F1606") else 1
            for _, t, wk in D.BUILDING_LOTS
        ]
        self.lots: list[_Lot] = []
        for op, count in zip(self.ops, lot_counts, strict=True):
            if op.family == "building":
                keys = sorted(
                    range(len(D.BUILDING_LOTS)), key=lambda j: -(rng.random() ** (1.0 / building_weights[j]))
                )[:count]
                catalogue = [D.BUILDING_LOTS[j] for j in sorted(keys)]
                budget = rng.lognormvariate(math.log(1_400_000), 0.8) * (count / 4) ** 0.7
            elif op.family == "vrd":
                catalogue = [D.VRD_LOTS[j] for j in sorted(rng.sample(range(len(D.VRD_LOTS)), count))]
                budget = rng.lognormvariate(math.log(900_000), 0.8)
            else:
                family = D.SERVICE_LOTS[op.work_kind]
                catalogue = [family[j % len(family)] for j in range(count)]
                years = max(1.0, (op.end - op.start).days / 365)
                budget = rng.lognormvariate(math.log(180_000), 0.7) * years * count
            weights = [lot_weights.get(wk, 1.0) * rng.uniform(0.6, 1.4) for _, _, wk in catalogue]
            sector = 0
            op.lots = []
            span = (op.end - op.start).days
            for j, ((label, trade, wk), weight) in enumerate(zip(catalogue, weights, strict=True)):
                lot = _Lot()
                lot.id = self._new_id(Lot.__table__)
                lot.op = op
                lot.reference = f"Lot {j + 1:02d}"
                if "{n}" in label:
                    sector += 1
                    label = label.format(n=sector)
                lot.label = label
                lot.trade = self._trade(trade)
                lot.work_kind = wk if wk in self.work_kinds else None
                share, cost, default_rate = self.work_kinds.get(wk, (5000, 3000, 500))
                lot.share, lot.cost = share, cost
                if op.basis in (LegalBasis.RESERVED_MARKET, LegalBasis.INSERTION_MARKET):
                    lot.rate = rng.choice([1500, 2000, 2500])
                elif op.family == "services":
                    lot.rate = _Weighted([700, 1000, 1500, 2000], [15, 40, 30, 15]).draw(rng)
                else:
                    lot.rate = _Weighted([500, 700, 1000, 1500], [45, 25, 20, 10]).draw(rng)
                lot.rate = max(lot.rate, default_rate)
                amount_eur = max(15_000.0, budget * weight / sum(weights))
                lot.raw_amount = int(amount_eur * 100) + rng.randrange(100)
                lot.carries = amount_eur >= 60_000 and rng.random() >= 0.04
                lot.clause_kind = ClauseKind.SHARE_OF_HOURS if rng.random() < 0.05 else ClauseKind.HOURS
                lot.override = rng.random() < 0.08
                if op.family == "services":
                    lot.start, lot.end = op.start, op.end
                else:
                    offset = int(span * 0.35 * j / max(1, count) * rng.uniform(0.5, 1.0))
                    lot.start = op.start + timedelta(days=offset)
                    remaining = (op.end - lot.start).days
                    lot.end = min(op.end, lot.start + timedelta(days=max(30, int(remaining * rng.uniform(0.6, 1.0)))))
                op.lots.append(lot)
                self.lots.append(lot)

    # --- commitments ---

    def _make_commitments(self) -> None:
        rng = self.rng
        awarded = (OperationStatus.CLAUSE_INCLUDED, OperationStatus.RUNNING, OperationStatus.FINISHED)
        modality_draw = _Weighted(
            [Modality.DIRECT_HIRE, Modality.PROVISION, Modality.SUBCONTRACTING, Modality.TRAINING], [42, 46, 7, 5]
        )
        self.commitments: list[_Commitment] = []
        month_start = _md(self.month_now)
        for lot in self.lots:
            op = lot.op
            if op.status not in awarded or not lot.carries:
                continue
            reserved = op.basis in (LegalBasis.RESERVED_MARKET, LegalBasis.INSERTION_MARKET)
            if reserved and self.siae:
                kinds = ["aci"] if op.work_kind == "espaces_verts" else ["ei"]
                if rng.random() < 0.2:
                    kinds = ["ea", "esat"]
                pool = [c for k in kinds for c in self.special_by_kind[k]] or self.siae
                members = [rng.choice(pool)]
            else:
                pool = self.ordinary_by_wk.get(lot.work_kind or "", []) if rng.random() < 0.85 else []
                members = [rng.choice(pool or self.ordinary)]
                if rng.random() < 0.12:
                    for _ in range(rng.choice([1, 1, 2])):
                        other = rng.choice(self.ordinary)
                        if other not in members:
                            members.append(other)
            ms, me = _mi(lot.start), _mi(lot.end)
            le = min(me, self.last_month)
            for k, company in enumerate(members):
                c = _Commitment()
                c.id = self._new_id(Commitment.__table__)
                c.lot, c.company = lot, company
                c.weight = rng.uniform(1.5, 2.5) if k == 0 else rng.uniform(0.4, 1.2)
                c.modality = (
                    Modality.SUBCONTRACTING if self.company_kind[company] in _SIAE_KINDS else modality_draw.draw(rng)
                )
                c.etti = rng.choice(self.special_by_kind["etti"]) if self.special_by_kind["etti"] else None
                c.agency = rng.choice(self.special_by_kind["interim"]) if self.special_by_kind["interim"] else None
                c.geiq = rng.choice(self.special_by_kind["geiq"]) if self.special_by_kind["geiq"] else None
                c.ai = rng.choice(self.special_by_kind["ai"]) if self.special_by_kind["ai"] else None
                c.siae = rng.choice(self.siae) if self.siae else None
                c.pooling = rng.random() < 0.04
                c.facilitator = rng.choice(self.facilitators)
                c.ms, c.me, c.le = ms, me, le
                c.contracts = []
                # target progress, as a share of the commitment's hours
                if le < ms:
                    c.progress = 0.0
                elif lot.end < month_start:
                    c.progress = rng.uniform(1.0, 1.2) if rng.random() < 0.65 else rng.uniform(0.5, 0.99)
                else:
                    elapsed = (month_start - lot.start).days / max(1, (lot.end - lot.start).days)
                    elapsed = min(1.0, max(0.02, elapsed))
                    pace = self.pace_draw.draw(rng)
                    c.progress = min(1.3, elapsed * rng.uniform(*pace))
                self.commitments.append(c)

    def _lot_hours(self, lot: _Lot, scale: float) -> None:
        lot.amount = max(1_500_000, int(lot.raw_amount * scale))
        if not lot.carries:
            lot.rate = 0
            lot.computed = lot.contractual = 0
            return
        lot.computed = insertion_hours_h100(lot.amount, lot.share, lot.rate, lot.cost)
        lot.contractual = lot.computed
        if lot.override and lot.computed > 5_000:
            lot.contractual = max(100, round(lot.computed * self.rng.uniform(0.85, 1.2) / 5_000) * 5_000)
        lot.contractual = max(lot.contractual, 100)

    def _split(self) -> None:
        """Hours of each commitment: the lot's contractual hours split by weight, in whole hours, adding up."""
        by_lot: dict[int, list[_Commitment]] = {}
        for c in self.commitments:
            by_lot.setdefault(c.lot.id, []).append(c)
        for group in by_lot.values():
            hours = group[0].lot.contractual // 100
            total = sum(c.weight for c in group)
            parts = [int(hours * c.weight / total) for c in group]
            parts[0] += hours - sum(parts)
            for c, part in zip(group, parts, strict=True):
                c.hours = part * 100

    def _calibrate(self) -> None:
        """Scale lot amounts once so that the hours rows meet the size's target at 50 to 110 h a row."""
        rng = self.rng
        for lot in self.lots:
            self._lot_hours(lot, 1.0)
        self._split()
        wanted = self.spec.hours_rows
        achieved = sum(c.hours * c.progress for c in self.commitments)
        per_row = min(11_000.0, max(5_000.0, achieved / wanted)) if achieved else 8_000.0
        scale = per_row * wanted / achieved if achieved else 1.0
        if abs(scale - 1.0) > 1e-9:
            for lot in self.lots:
                self._lot_hours(lot, scale)
            self._split()
        for c in self.commitments:
            c.target = int(c.hours * c.progress)
            c.rows = max(1, round(c.target / per_row)) if c.target >= 100 and c.le >= c.ms else 0
            c.rows = min(c.rows, max(0, c.le - c.ms + 1) * 30)
        active = [c for c in self.commitments if c.rows]
        if not active:
            return
        draw = _Weighted(active, [c.target for c in active])
        diff = wanted - sum(c.rows for c in active)
        guard = 0
        while diff and guard < 50 * wanted:
            guard += 1
            c = draw.draw(rng)
            if diff > 0 and c.rows < (c.le - c.ms + 1) * 30:
                c.rows += 1
                diff -= 1
            elif diff < 0 and c.rows > 1:
                c.rows -= 1
                diff += 1

    def _write_operations_and_commitments(self) -> None:
        rng = self.rng
        for op in self.ops:
            self.writer.add(
                Operation.__table__,
                {
                    "id": op.id,
                    "buyer_id": op.buyer[0],
                    "name": op.name,
                    "commune_id": op.commune[0],
                    "work_kind_code": op.work_kind if op.work_kind in self.work_kinds else None,
                    "status": op.status,
                    "legal_basis": op.basis,
                    "description": f"Clause sociale : {op.basis.label}.",
                    "planned_start": op.start,
                    "planned_end": op.end,
                    "decp_id": None,
                    "archived": False,
                    "created_at": _at(op.created),
                    "version": 1,
                },
            )
            for lot in op.lots:
                self.writer.add(
                    Lot.__table__,
                    {
                        "id": lot.id,
                        "operation_id": op.id,
                        "reference": lot.reference,
                        "label": lot.label,
                        "trade_code": lot.trade,
                        "work_kind_code": lot.work_kind,
                        "carries_clause": lot.carries,
                        "clause_kind": lot.clause_kind,
                        "amount_cents": lot.amount,
                        "labour_share_bp": lot.share,
                        "insertion_rate_bp": lot.rate,
                        "hourly_cost_cents": lot.cost,
                        "hours_computed_h100": lot.computed,
                        "hours_contractual_h100": lot.contractual,
                        "execution_start": lot.start,
                        "execution_end": lot.end,
                        "created_at": _at(op.created, 10),
                        "version": 1,
                    },
                )
        for c in self.commitments:
            created = min(c.lot.start - timedelta(days=rng.randint(10, 60)), self.today - timedelta(days=1))
            training_cap = int(c.hours * 0.3) if c.modality is Modality.TRAINING or rng.random() < 0.1 else None
            self.writer.add(
                Commitment.__table__,
                {
                    "id": c.id,
                    "lot_id": c.lot.id,
                    "company_id": c.company,
                    "hours_committed_h100": c.hours,
                    "usual_modality": c.modality,
                    "pooling_allowed": c.pooling,
                    "training_cap_h100": training_cap,
                    "notes": "",
                    "created_at": _at(created, 11),
                    "version": 1,
                },
            )

    # --- contracts (planned per commitment, then given a participant in date order) ---

    def _employer(self, c: _Commitment, ctype: str) -> int | None:
        kind = self.company_kind[c.company]
        if ctype == "ctti":
            return c.etti
        if ctype == "interim":
            return c.agency
        if ctype == "geiq":
            return c.geiq
        if ctype == "mad_ai":
            return c.ai
        if ctype == "cddi":
            return c.company if kind in _SIAE_KINDS else c.siae
        return c.company

    def _day_between(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days))

    def _plan_contracts(self) -> None:
        rng = self.rng
        self.type_draws = {
            m: _Weighted([self._ctype(k) for k in w], list(w.values())) for m, w in _TYPE_WEIGHTS.items()
        }
        draws = self.type_draws
        self.contracts: list[_Contract] = []
        seq = 0
        for c in self.commitments:
            if not c.rows:
                continue
            lot = c.lot
            done = 0
            related = [t for t in D.RELATED_TRADES.get(lot.trade or "", []) if self._trade(t)]
            while done < c.rows:
                ctype = draws[c.modality].draw(rng)
                employer = self._employer(c, ctype)
                if employer is None:
                    ctype, employer = self._ctype("cdd"), c.company
                k = _Contract()
                k.seq = seq
                seq += 1
                k.commitment = c
                k.ctype = ctype
                k.modality = self.contract_modality[ctype]
                k.employer = employer
                k.trade = rng.choice(related) if related and rng.random() < 0.15 else lot.trade
                k.m0 = rng.randint(c.ms, c.le)
                lo = lot.start if k.m0 == c.ms else _md(k.m0)
                hi = min(_month_end(k.m0), lot.end, self.today - timedelta(days=1))
                k.start = self._day_between(lo, hi)
                need = c.rows - done
                if ctype == "cdi":
                    em = c.me
                    rows = min(em, c.le) - k.m0 + 1
                    open_ended = rows <= need
                    if not open_ended:
                        em = k.m0 + need - 1
                else:
                    open_ended = False
                    em = min(c.me, k.m0 + rng.randint(*_LENGTHS.get(ctype, (1, 6))) - 1)
                    if min(em, c.le) - k.m0 + 1 > need:
                        em = k.m0 + need - 1
                k.m_last = min(em, c.le)
                done += k.m_last - k.m0 + 1
                if open_ended:
                    end = None
                else:
                    lo = k.start if em == k.m0 else _md(em)
                    hi = min(_month_end(em), lot.end)
                    end = hi if rng.random() < 0.4 else self._day_between(lo, hi)
                self._contract_end(k, end)
                k.weekly = (self.weekly_siae_draw if ctype in ("cddi", "mad_ai") else self.weekly_draw).draw(rng)
                k.presence = rng.uniform(0.6, 1.0)
                k.participant = None
                k.offer = k.candidacy = None
                c.contracts.append(k)
                self.contracts.append(k)

    def _contract_end(self, k: _Contract, end: date | None) -> None:
        """Actual or planned end, outcome and situation six months later of a contract ending on ``end``."""
        rng = self.rng
        k.outcome = k.outcome_6m = k.outcome_6m_on = None
        if end is None:  # open-ended contract still running
            k.planned_end = k.actual_end = None
            k.busy_until = _OPEN
            return
        if end >= self.today:
            k.planned_end, k.actual_end = end, None
            k.busy_until = _OPEN
            return
        k.actual_end = end
        k.busy_until = _md(_mi(end) + 1).toordinal()
        if k.ctype == "cdi":
            k.planned_end = None
            k.outcome = rng.choice([ContractOutcome.EARLY_END_EMPLOYEE, ContractOutcome.OTHER])
        else:
            k.outcome = self.outcome_draw.draw(rng)
            early = k.outcome in (
                ContractOutcome.EARLY_END_EMPLOYEE,
                ContractOutcome.EARLY_END_EMPLOYER,
                ContractOutcome.TRIAL_END,
            )
            k.planned_end = min(k.commitment.lot.end, end + timedelta(days=rng.randint(20, 120))) if early else end
            if k.planned_end == end and early:
                k.outcome = ContractOutcome.COMPLETED
        six = add_months(end, 6)
        if six + timedelta(days=20) <= self.today and rng.random() < 0.75:
            if k.outcome is ContractOutcome.HIRED_ON and rng.random() < 0.8:
                k.outcome_6m = SixMonthOutcome.SUSTAINABLE_JOB
            else:
                k.outcome_6m = self.six_month_draw.draw(rng)
            k.outcome_6m_on = six + timedelta(days=rng.randint(0, 20))

    # --- participants ---

    def _make_participants(self) -> None:
        rng = self.rng
        n = self.spec.participants
        demand: dict[str, float] = {}
        for k in self.contracts:
            if k.trade:
                demand[k.trade] = demand.get(k.trade, 0) + (k.m_last - k.m0 + 1)
        catalogue = [t for _, t, _ in D.BUILDING_LOTS + D.VRD_LOTS] + [
            t for family in D.SERVICE_LOTS.values() for _, t, _ in family
        ]
        floor = max(1.0, sum(demand.values()) * 0.005)
        for t in catalogue:
            if self._trade(t):
                demand[t] = demand.get(t, 0) + floor
        trade_draw = _Weighted(list(demand), list(demand.values()))
        qualification = _Weighted(list(QualificationLevel), [35, 35, 20, 7, 3])
        year_draw = _Weighted(
            list(range(1965, 2007)), [1.0 if y < 1975 else 1.6 if y < 1998 else 1.3 for y in range(1965, 2007)]
        )
        self.p_last: list[str] = []
        self.p_first: list[str] = []
        self.p_sex: list[Sex] = []
        self.p_birth: list[date] = []
        self.p_commune: list[tuple] = []
        self.p_trades: list[dict[str, list[int]]] = []  # trade → [experience level index, months]
        self.p_adult: list[int] = []
        self.p_senior: list[int] = []
        self.trade_pool: dict[str, list[int]] = {}
        for pid in range(n):
            first, last, sex = self._person()
            if rng.random() < 0.04:
                last = f"{last}-{rng.choice(D.LAST_NAMES)}"
            year = year_draw.draw(rng)
            birth = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
            self.p_last.append(last)
            self.p_first.append(first)
            self.p_sex.append(sex)
            self.p_birth.append(birth)
            self.p_commune.append(self.commune_draw.draw(rng))
            self.p_adult.append(_birthday(birth, 18).toordinal())
            self.p_senior.append(_birthday(birth, 64).toordinal())
            trades: dict[str, list[int]] = {}
            for _ in range(rng.choice([1, 1, 2, 2, 3])):
                t = trade_draw.draw(rng)
                if t not in trades:
                    level = _Weighted([0, 1, 2, 3], [40, 30, 20, 10]).draw(rng)
                    months = [0, rng.randint(1, 6), rng.randint(6, 24), rng.randint(24, 120)][level]
                    trades[t] = [level, months]
                    self.trade_pool.setdefault(t, []).append(pid)
            self.p_trades.append(trades)
        self.p_qualification = [qualification.draw(rng) for _ in range(n)]
        self.p_free = [0] * n
        self.p_contracts: list[list[_Contract]] = [[] for _ in range(n)]
        self.p_needs: list[list[int]] = [[] for _ in range(n)]  # dates needing a valid eligibility
        self.p_licences: list[set[str]] = [set() for _ in range(n)]
        self.p_first_seen: list[int] = [_OPEN] * n

    def _available(self, pid: int, day: int) -> bool:
        return self.p_free[pid] <= day and self.p_adult[pid] <= day <= self.p_senior[pid]

    def _assign_participants(self) -> None:
        rng = self.rng
        n = self.spec.participants
        self.contracts.sort(key=lambda k: (k.start, k.seq))
        kept: list[_Contract] = []
        for k in self.contracts:
            day = k.start.toordinal()
            pid = None
            pool = self.trade_pool.get(k.trade or "")
            if pool:
                for _ in range(8):
                    candidate = pool[rng.randrange(len(pool))]
                    if self._available(candidate, day):
                        pid = candidate
                        break
            if pid is None:
                for _ in range(60):
                    candidate = rng.randrange(n)
                    if self._available(candidate, day):
                        pid = candidate
                        break
            if pid is None:
                k.commitment.contracts.remove(k)
                continue
            k.participant = pid
            self.p_free[pid] = k.busy_until
            self.p_contracts[pid].append(k)
            self.p_needs[pid].append(day)
            kept.append(k)
        self.dropped_contracts = len(self.contracts) - len(kept)
        self.contracts = kept
        table = EmploymentContract.__table__
        for k in sorted(kept, key=lambda k: k.seq):
            k.id = self._new_id(table)
            months = k.m_last - k.m0 + 1
            trades = self.p_trades[k.participant]
            if k.trade:
                if k.trade not in trades:
                    trades[k.trade] = [0, 0]
                    self.trade_pool.setdefault(k.trade, []).append(k.participant)
                entry = trades[k.trade]
                entry[1] += months
                entry[0] = max(entry[0], 1 if entry[1] < 6 else 2 if entry[1] < 18 else 3)

    # --- offers and candidacies ---

    def _pick_candidates(self, trade: str | None, exclude: set[int], count: int, day: int) -> list[int]:
        rng = self.rng
        pool = self.trade_pool.get(trade or "") or []
        chosen: list[int] = []
        for _ in range(count * 4):
            if len(chosen) >= count:
                break
            pid = (
                pool[rng.randrange(len(pool))]
                if pool and rng.random() < 0.85
                else rng.randrange(self.spec.participants)
            )
            if pid not in exclude and self.p_adult[pid] <= day:
                exclude.add(pid)
                chosen.append(pid)
        return chosen

    def _offer(
        self,
        c: _Commitment,
        trade: str | None,
        ctype: str,
        start: date,
        end: date | None,
        weekly: int,
        status: OfferStatus,
        created: date,
        posts: int = 1,
    ) -> dict[str, Any]:
        rng = self.rng
        lot = c.lot
        trade = trade or lot.trade or next(iter(self.trade_labels))
        row = {
            "id": self._new_id(JobOffer.__table__),
            "company_id": c.company,
            "lot_id": lot.id,
            "trade_code": trade,
            "title": f"{self.trade_labels.get(trade, 'Poste')} (H/F)"[:200],
            "contract_type_code": ctype,
            "posts": posts,
            "start_date": start,
            "end_date": end,
            "weekly_hours_h100": weekly,
            "place_commune_id": lot.op.commune[0],
            "place": f"Chantier : {lot.op.name}"[:200],
            "requirements": ";".join(D.TRADE_REQUIREMENTS.get(trade, [])),
            "description": f"{lot.reference} – {lot.label}. Poste ouvert au titre de la clause sociale.",
            "channel": OfferChannel.CANDIDATHEQUE if rng.random() < 0.6 else OfferChannel.ANTENNAS,
            "status": status,
            "created_by": c.facilitator,
            "created_at": _at(created, rng.randint(8, 11)),
            "version": 1,
        }
        self.offer_rows.append(row)
        return row

    def _candidacy(
        self,
        offer: dict[str, Any],
        pid: int,
        path: list[CandidacyStatus],
        moments: list[datetime],
        facilitator: str,
        hired: bool = False,
    ) -> int:
        rng = self.rng
        candidacy_id = self._new_id(Candidacy.__table__)
        checked = CandidacyStatus.CHECKED in path
        score = rng.randint(60, 100) if hired else rng.randint(20, 95)
        fit = (hired or rng.random() < 0.8) if checked else None
        comment = rng.choice(D.CHECK_COMMENTS) if checked else ""
        refusal = rng.choice(D.REFUSAL_REASONS) if path[-1] is CandidacyStatus.NOT_HIRED else ""
        # kept as a tuple (memory at size L); rows and events are built when written
        self.candidacy_plans.append(
            (candidacy_id, offer["id"], pid, tuple(path), tuple(moments), facilitator, score, fit, comment, refusal)
        )
        if CandidacyStatus.PRESENTED in path:
            self.p_needs[pid].append(offer["start_date"].toordinal())
        self.p_first_seen[pid] = min(self.p_first_seen[pid], moments[0].date().toordinal())
        return candidacy_id

    def _moments(self, days: list[date]) -> list[datetime]:
        """Office-hours timestamps for successive steps: never before the previous one, never after today."""
        rng = self.rng
        moments: list[datetime] = []
        for d in days:
            moment = _at(min(d, self.today), rng.randint(8, 16), rng.choice([0, 15, 30, 45]))
            if moments and moment <= moments[-1]:
                moment = moments[-1] + timedelta(minutes=10)
            moments.append(moment)
        return moments

    def _plan_offers(self) -> None:
        rng = self.rng
        S = CandidacyStatus
        full = [S.POSITIONED, S.CHECKED, S.VALIDATED, S.PRESENTED]
        self.offer_rows: list[dict[str, Any]] = []
        self.candidacy_plans: list[tuple] = []
        filled = 0
        for k in sorted(self.contracts, key=lambda k: k.seq):
            if rng.random() >= 0.25:
                continue
            filled += 1
            c = k.commitment
            decided = k.start - timedelta(days=rng.randint(2, 10))
            presented = decided - timedelta(days=rng.randint(1, 7))
            validated = presented - timedelta(days=rng.randint(1, 4))
            checked = validated - timedelta(days=rng.randint(1, 4))
            positioned = checked - timedelta(days=rng.randint(1, 7))
            created = positioned - timedelta(days=rng.randint(1, 10))
            offer = self._offer(c, k.trade, k.ctype, k.start, k.planned_end, k.weekly, OfferStatus.FILLED, created)
            steps = [positioned, checked, validated, presented]
            k.offer = offer["id"]
            k.candidacy = self._candidacy(
                offer, k.participant, full + [S.HIRED], self._moments(steps + [decided]), c.facilitator, hired=True
            )
            for req in D.TRADE_REQUIREMENTS.get(offer["trade_code"], []):
                self.p_licences[k.participant].add(req)
            others = self._pick_candidates(
                k.trade, {k.participant}, rng.choice([0, 1, 1, 2, 2, 3]), k.start.toordinal()
            )
            for pid in others:
                fate = rng.random()
                if fate < 0.45:
                    path, days = full + [S.NOT_HIRED], steps + [decided]
                elif fate < 0.75:
                    cut = rng.randint(1, 3)
                    path, days = full[:cut] + [S.WITHDRAWN], steps[:cut] + [steps[cut]]
                else:
                    cut = rng.randint(2, 3)
                    path, days = full[:cut], steps[:cut]
                self._candidacy(offer, pid, path, self._moments(days), c.facilitator)

        # cancelled offers, in the past
        started = [c for c in self.commitments if c.rows]
        for _ in range(max(1, filled // 25) if started else 0):
            c = rng.choice(started)
            start = self._day_between(max(c.lot.start, _md(c.ms)), min(c.lot.end, _month_end(c.le)))
            created = start - timedelta(days=rng.randint(15, 45))
            trade = c.lot.trade
            offer = self._offer(c, trade, self._ctype("cdd"), start, None, 3500, OfferStatus.CANCELLED, created)
            for pid in self._pick_candidates(trade, set(), rng.randint(0, 2), start.toordinal()):
                day = created + timedelta(days=rng.randint(1, 5))
                self._candidacy(
                    offer,
                    pid,
                    [S.POSITIONED, S.WITHDRAWN],
                    self._moments([day, day + timedelta(days=rng.randint(1, 10))]),
                    c.facilitator,
                )

        # open offers: starting soon on running or upcoming lots
        horizon = self.today + timedelta(days=90)
        upcoming = [c for c in self.commitments if c.lot.end >= horizon and c.lot.start <= horizon]
        for _ in range(self.spec.open_offers if upcoming else 0):
            c = rng.choice(upcoming)
            start = max(c.lot.start, self.today + timedelta(days=rng.randint(7, 75)))
            created = self.today - timedelta(days=rng.randint(3, 40))
            ctype = self.type_draws[c.modality].draw(rng)
            end = None if ctype == "cdi" else min(c.lot.end, add_months(start, rng.randint(2, 8)))
            offer = self._offer(
                c, c.lot.trade, ctype, start, end, 3500, OfferStatus.OPEN, created, posts=rng.choice([1, 1, 1, 2, 3])
            )
            span = (self.today - created).days
            for pid in self._pick_candidates(c.lot.trade, set(), rng.randint(0, 5), start.toordinal()):
                if self.p_free[pid] > start.toordinal():
                    continue
                reached = rng.randint(1, 4)
                offsets = sorted(rng.randint(1, max(1, span)) for _ in range(reached))
                days = [min(created + timedelta(days=o), self.today) for o in offsets]
                path = full[:reached]
                if rng.random() < 0.12:
                    path, days = path + [S.WITHDRAWN], days + [days[-1]]
                self._candidacy(offer, pid, path, self._moments(days), c.facilitator)

    # --- eligibility, trades, identity rows ---

    def _criterion(self, age: int, avoid: str | None = None) -> str:
        rng = self.rng
        options = {
            "deld": 30,
            "rsa": 30,
            "plie": 15,
            "rqth": 8,
            "ass": 5,
            "aah": 3,
            "salarie_siae": 4,
            "avis_motive": 3,
            "ai_ata": 1,
            "pension_invalidite": 1,
        }
        if age < 26:
            options.update({"jeune_26": 60, "epide_e2c": 6})
        if age >= 50:
            options["senior_50"] = 45
        items = [k for k in options if k in self.criteria and k != avoid] or [c for c in self.criteria if c != avoid]
        if not items:
            return self.criteria[0]
        return _Weighted(items, [options.get(k, 1) for k in items]).draw(rng)

    def _write_participants(self) -> None:
        rng = self.rng
        w = self.writer
        t_participant, t_trade, t_elig = Participant.__table__, ParticipantTrade.__table__, Eligibility.__table__
        self.participant_ids: list[int] = [self._new_id(t_participant) for _ in range(self.spec.participants)]
        horizon_lo = self.t_ord - 900
        for pid in range(self.spec.participants):
            birth = self.p_birth[pid]
            validations: list[int] = []
            needs = sorted(self.p_needs[pid])
            valid_until = -1
            for day in needs:
                if day <= valid_until:
                    continue
                v = min(day - rng.randint(5, 150), self.t_ord - rng.randint(1, 20))
                v = max(v, self.p_adult[pid] - 730, (validations[-1] + 1) if validations else v)
                validations.append(v)
                valid_until = v + ELIGIBILITY_VALIDITY_DAYS - 1
            if not needs and rng.random() < 0.92:
                v = max(rng.randint(self.t_ord - 900, self.t_ord - 3), self.p_adult[pid] - 730)
                if v < self.t_ord:
                    validations.append(v)
            eligibility_rows: list[dict[str, Any]] = []  # written after the participant (foreign key)
            for v in validations:
                on = date.fromordinal(v)
                age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
                codes = [self._criterion(age)]
                if rng.random() < 0.25:
                    codes.append(self._criterion(age, avoid=codes[0]))
                for code in dict.fromkeys(codes):
                    eligibility_rows.append(
                        {
                            "id": self._new_id(t_elig),
                            "participant_id": self.participant_ids[pid],
                            "criterion_code": code,
                            "proof_date": on - timedelta(days=rng.randint(0, 60)),
                            "validated_on": on,
                            "validated_by": rng.choice(self.facilitators),
                            "reason": rng.choice(D.AVIS_MOTIVE_REASONS) if code == "avis_motive" else "",
                            "created_at": _at(on, 10, rng.choice([0, 20, 40])),
                        }
                    )
            first_seen = min(
                [self.p_first_seen[pid]] + validations + [k.start.toordinal() for k in self.p_contracts[pid]]
            )
            if first_seen >= _OPEN:
                first_seen = rng.randint(horizon_lo, self.t_ord - 1)
            created = date.fromordinal(max(first_seen - rng.randint(0, 45), self.p_adult[pid] - 730))
            contracts = self.p_contracts[pid]
            running = any(k.actual_end is None for k in contracts)
            if running:
                status = ParticipantStatus.IN_EMPLOYMENT
            elif contracts and contracts[-1].actual_end and (self.today - contracts[-1].actual_end).days > 365:
                status = ParticipantStatus.EXITED if rng.random() < 0.4 else ParticipantStatus.ACTIVE
            else:
                status = ParticipantStatus.EXITED if rng.random() < 0.05 else ParticipantStatus.ACTIVE
            commune = self.p_commune[pid]
            qpvs = self.qpv_by_commune.get(commune[0])
            qpv = rng.choice(qpvs) if qpvs and rng.random() < 0.55 else None
            licences = self.p_licences[pid]
            trades = self.p_trades[pid]
            for t in trades:
                for req in D.TRADE_REQUIREMENTS.get(t, []):
                    if rng.random() < 0.5:
                        licences.add(req)
            if rng.random() < 0.55:
                licences.add("B")
            if "B" in licences and rng.random() < 0.08:
                licences.add("C")
            if rng.random() < 0.06:  # forklift, common among job seekers from logistics
                licences.add("CACES R489")
            own_vehicle = "B" in licences and rng.random() < 0.7
            antenna = D.COMMUNE_ANTENNA.get(commune[1]) or rng.choice(D.DUNKERQUE_ANTENNAS)
            first, last = self.p_first[pid], self.p_last[pid]
            w.add(
                t_participant,
                {
                    "id": self.participant_ids[pid],
                    "last_name": last,
                    "first_name": first,
                    "name_key": name_key(last, first),
                    "sex": self.p_sex[pid],
                    "birth_date": birth,
                    "commune_id": commune[0],
                    "address": self._address(commune),
                    "qpv_id": qpv,
                    "phone": f"06 39 98 {rng.randrange(100):02d} {rng.randrange(100):02d}",
                    "email": f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@example.org"
                    if rng.random() < 0.7
                    else "",
                    "qualification_level": self.p_qualification[pid],
                    "counsellor": rng.choice(self.counsellors[antenna]),
                    "antenna": antenna,
                    "licences": ";".join(x for x in _LICENCE_ORDER if x in licences),
                    "own_vehicle": own_vehicle,
                    "max_distance_km": (rng.choice([20, 30, 40, 50]) if own_vehicle else rng.choice([5, 10, 15]))
                    if rng.random() < 0.7
                    else None,
                    "available_from": None,
                    "status": status,
                    "notes": "",
                    "external_id": f"PLIE-{self.participant_ids[pid]:06d}",
                    "anonymised_at": None,
                    "created_at": _at(created, 9, rng.choice([0, 15, 30, 45])),
                    "version": 1,
                },
            )
            for row in eligibility_rows:
                w.add(t_elig, row)
            levels = list(ExperienceLevel)
            for code, (level, months) in trades.items():
                w.add(
                    t_trade,
                    {
                        "participant_id": self.participant_ids[pid],
                        "trade_code": code,
                        "experience": levels[level],
                        "experience_months": months,
                    },
                )

    def _write_offers(self) -> None:
        pids = self.participant_ids
        for row in self.offer_rows:
            self.writer.add(JobOffer.__table__, row)
        t_candidacy, t_event = Candidacy.__table__, CandidacyEvent.__table__
        checked_status = CandidacyStatus.CHECKED
        for candidacy_id, offer_id, pid, path, moments, by, score, fit, comment, refusal in self.candidacy_plans:
            checked = checked_status in path
            self.writer.add(
                t_candidacy,
                {
                    "id": candidacy_id,
                    "offer_id": offer_id,
                    "participant_id": pids[pid],
                    "status": path[-1],
                    "score": score,
                    "check_pathway": True if checked else None,
                    "check_motivation": True if checked else None,
                    "check_eligibility": True if checked else None,
                    "check_fit": fit,
                    "check_comment": comment,
                    "checked_by": by if checked else None,
                    "checked_at": moments[path.index(checked_status)] if checked else None,
                    "refusal_reason": refusal,
                    "in_charge": by,
                    "created_by": by,
                    "created_at": moments[0],
                    "updated_at": moments[-1],
                    "version": 1,
                },
            )
            previous = None
            for status, moment in zip(path, moments, strict=True):
                self.writer.add(
                    t_event,
                    {
                        "id": self._new_id(t_event),
                        "candidacy_id": candidacy_id,
                        "from_status": previous,
                        "to_status": status,
                        "by": by,
                        "at": moment,
                        "comment": "",
                    },
                )
                previous = status
        self.offer_rows, self.candidacy_plans = [], []

    def _write_contracts(self) -> None:
        rng = self.rng
        w = self.writer
        t_contract, t_follow = EmploymentContract.__table__, FollowUp.__table__
        notes = D.FOLLOW_UP_NOTES
        for k in sorted(self.contracts, key=lambda k: k.id):
            c = k.commitment
            w.add(
                t_contract,
                {
                    "id": k.id,
                    "participant_id": self.participant_ids[k.participant],
                    "employer_company_id": k.employer,
                    "user_company_id": c.company,
                    "commitment_id": c.id,
                    "offer_id": k.offer,
                    "candidacy_id": k.candidacy,
                    "contract_type_code": k.ctype,
                    "modality": k.modality,
                    "start_date": k.start,
                    "planned_end": k.planned_end,
                    "actual_end": k.actual_end,
                    "weekly_hours_h100": k.weekly,
                    "in_charge": c.facilitator,
                    "outcome": k.outcome,
                    "outcome_6m": k.outcome_6m,
                    "outcome_6m_recorded_on": k.outcome_6m_on,
                    "notes": "",
                    "created_at": _at(
                        max(k.start - timedelta(days=rng.randint(1, 10)), c.lot.start - timedelta(days=30)), 14
                    ),
                    "version": 1,
                },
            )
            # follow-up in employment: first contact, site visit, recent monthly calls, end review
            stop = min(k.actual_end or self.today, self.today)
            visits: list[tuple[date, FollowUpKind, str]] = []
            first = k.start + timedelta(days=rng.randint(2, 7))
            if first <= stop:
                visits.append((first, FollowUpKind.CALL, rng.choice(notes["first"])))
            length = ((k.actual_end or k.planned_end or self.today) - k.start).days
            if length >= 90:
                visit = k.start + timedelta(days=rng.randint(30, 60))
                if visit <= stop:
                    visits.append((visit, FollowUpKind.SITE_VISIT, rng.choice(notes["visit"])))
            if k.actual_end is None and rng.random() < 0.85:
                for back in (90, 60, 30):
                    day = self.today - timedelta(days=back - rng.randint(0, 10))
                    if day > k.start + timedelta(days=20):
                        kind = FollowUpKind.CALL if rng.random() < 0.7 else FollowUpKind.MAIL
                        visits.append((day, kind, rng.choice(notes["monthly"])))
            if k.actual_end is not None:
                end_review = min(k.actual_end + timedelta(days=rng.randint(0, 10)), self.today)
                visits.append((end_review, FollowUpKind.MEETING, rng.choice(notes["end"])))
            visits.sort(key=lambda v: v[0])
            for i, (day, kind, note) in enumerate(visits):
                last = i == len(visits) - 1
                next_due = (
                    None
                    if last and k.actual_end is not None
                    else (visits[i + 1][0] if not last else day + timedelta(days=30))
                )
                w.add(
                    t_follow,
                    {
                        "id": self._new_id(t_follow),
                        "contract_id": k.id,
                        "on": day,
                        "kind": kind,
                        "by": c.facilitator,
                        "notes": note,
                        "next_due": next_due,
                        "created_at": _at(day, 17),
                    },
                )

    # --- hours: per commitment, rescaled to its target progress ---

    def _write_hours(self) -> None:
        rng = self.rng
        w = self.writer
        table = HoursEntry.__table__
        pids = self.participant_ids
        stamped: dict[int, datetime] = {}
        latest = _at(self.today, 7)
        next_id = self._new_id(table)
        for c in self.commitments:
            if not c.contracts:
                continue
            rows: list[tuple[_Contract, int, float, float]] = []
            for k in c.contracts:
                capacity = k.weekly * 52 / 12
                end_month = _mi(k.actual_end or k.planned_end) if (k.actual_end or k.planned_end) else _OPEN
                for m in range(k.m0, k.m_last + 1):
                    days = (_month_end(m) - _md(m)).days + 1
                    first_day = k.start.day if m == k.m0 else 1
                    last_day = (k.actual_end or k.planned_end).day if m == end_month else days
                    share = (last_day - first_day + 1) / days
                    rows.append((k, m, capacity * k.presence * share * rng.uniform(0.9, 1.05), capacity))
            raw_total = sum(r[2] for r in rows)
            factor = c.target / raw_total if raw_total else 1.0
            company = c.company
            for k, m, raw, capacity in rows:
                value = raw * factor
                if abs(value - capacity) < capacity * 0.03:
                    hours = int(round(capacity))
                else:
                    hours = int(round(value / 25)) * 25
                hours = max(100, min(hours, 25_000, int(capacity * 1.25)))
                stamp = stamped.get(m)
                if stamp is None:
                    stamp = stamped[m] = min(_at(_md(m + 1) + timedelta(days=9), 8), latest)
                w.add(
                    table,
                    {
                        "id": next_id,
                        "commitment_id": c.id,
                        "participant_id": pids[k.participant],
                        "contract_id": k.id,
                        "month": _md(m),
                        "hours_h100": hours,
                        "modality": k.modality,
                        "employer_company_id": k.employer if k.employer != company else None,
                        "import_batch_id": None,
                        "entered_by": c.facilitator,
                        "updated_at": stamp,
                        "version": 1,
                    },
                )
                next_id += 1
                self.hours_total += hours
        self.next_ids[table.name] = next_id

    # --- trainings and meetings ---

    def _make_trainings(self) -> None:
        rng = self.rng
        w = self.writer
        history = 365 * self.spec.history_years
        catalogue = [(title, code) for title, code in D.TRAININGS if self._trade(code)]
        if not catalogue:
            return
        for i in range(self.spec.trainings):
            title, code = catalogue[i % len(catalogue)] if i < len(catalogue) else rng.choice(catalogue)
            past = rng.random() < 0.5
            start = (
                self.today - timedelta(days=rng.randint(60, max(61, history)))
                if past
                else (self.today + timedelta(days=rng.randint(-20, 150)))
            )
            end = start + timedelta(weeks=rng.randint(3, 12))
            seats = rng.randint(8, 14)
            training_id = self._new_id(Training.__table__)
            w.add(
                Training.__table__,
                {
                    "id": training_id,
                    "title": title,
                    "trade_code": code,
                    "partner_id": rng.choice(self.training_bodies) if self.training_bodies else None,
                    "funder": rng.choice(D.TRAINING_FUNDERS),
                    "start_date": start,
                    "end_date": end,
                    "seats": seats,
                    "notes": "",
                    "created_at": _at(min(start - timedelta(days=rng.randint(20, 90)), self.today), 10),
                    "version": 1,
                },
            )
            filled = seats - rng.randint(0, 4) if start <= self.today else int(seats * rng.uniform(0.4, 1.0))
            for pid in self._pick_candidates(code, set(), filled, start.toordinal()):
                if end < self.today:
                    status = TrainingStatus.COMPLETED if rng.random() < 0.85 else TrainingStatus.DROPPED
                else:
                    status = TrainingStatus.REGISTERED if rng.random() < 0.95 else TrainingStatus.DROPPED
                w.add(
                    TrainingParticipant.__table__,
                    {
                        "training_id": training_id,
                        "participant_id": self.participant_ids[pid],
                        "status": status,
                    },
                )

    def _make_meetings(self) -> None:
        rng = self.rng
        w = self.writer
        history = 365 * self.spec.history_years
        kinds = _Weighted(list(MeetingKind), [35, 10, 30, 10, 15])
        launched = [
            op
            for op in self.ops
            if op.status in (OperationStatus.RUNNING, OperationStatus.FINISHED, OperationStatus.CLAUSE_INCLUDED)
        ]
        core = [
            "Communauté urbaine de Dunkerque",
            "PLIE – équipe clauses sociales",
            "France Travail",
            "Département du Nord",
            "Maison de l'Emploi du Dunkerquois",
        ]
        trades = [t for t in ("F1703", "F1606", "K2204", "A1203", "F1702") if self._trade(t)]
        for _ in range(self.spec.meetings):
            kind = kinds.draw(rng)
            operations: list[_Op] = []
            if kind is MeetingKind.SITE_LAUNCH and launched:
                op = rng.choice(launched)
                day = op.start - timedelta(days=rng.randint(0, 14))
                operations = [op]
                title = D.MEETING_TITLES[kind.value].format(operation=op.name)
                attendees = [op.buyer[1], "PLIE – équipe clauses sociales"] + [
                    self.company_names[c.company] for lot in op.lots for c in self.commitments_by_lot(lot)
                ][:6]
            else:
                day = self.today + timedelta(days=rng.randint(-history, 60))
                trade = self.trade_labels[rng.choice(trades)] if trades else ""
                title = D.MEETING_TITLES[kind.value].format(trade=trade)
                attendees = list(core)
                if kind in (MeetingKind.TECHNICAL_COMMITTEE, MeetingKind.STEERING_COMMITTEE) and launched:
                    for _ in range(30):
                        op = rng.choice(launched)
                        if op.start <= day <= op.end and op not in operations:
                            operations.append(op)
                        if len(operations) >= rng.randint(2, 6):
                            break
            meeting_id = self._new_id(Meeting.__table__)
            w.add(
                Meeting.__table__,
                {
                    "id": meeting_id,
                    "kind": kind,
                    "on": day,
                    "title": title[:200],
                    "place": rng.choice(D.MEETING_PLACES),
                    "attendees": " ; ".join(dict.fromkeys(attendees)),
                    "notes": "Point sur l'avancement des heures, les recrutements en cours et les besoins à venir.",
                    "created_by": rng.choice(self.facilitators),
                    "created_at": _at(min(day - timedelta(days=rng.randint(5, 20)), self.today), 9),
                    "version": 1,
                },
            )
            for op in operations:
                w.add(MeetingOperation.__table__, {"meeting_id": meeting_id, "operation_id": op.id})

    def commitments_by_lot(self, lot: _Lot) -> list[_Commitment]:
        if not hasattr(self, "_by_lot"):
            self._by_lot: dict[int, list[_Commitment]] = {}
            for c in self.commitments:
                self._by_lot.setdefault(c.lot.id, []).append(c)
        return self._by_lot.get(lot.id, [])

    # --- PostgreSQL: sequences after explicit ids ---

    def _move_sequences(self) -> None:
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for name in self.next_ids:
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT max(id) FROM \"{name}\"))"
                    f' WHERE EXISTS (SELECT 1 FROM "{name}")'
                )
            )
