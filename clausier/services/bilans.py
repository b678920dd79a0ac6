"""Bilans (DESIGN §3.9): the choices of scope, and the bilan of a scope over a period computed from the tables.

What the indicators mean, and the decisions the design left open, are written in :mod:`clausier.reports.bilan`
(its docstring); this module reads the tables in a handful of set-based queries and fills a
:class:`~clausier.reports.bilan.Bilan`. Its PDF is laid out by :mod:`clausier.reports.bilan_pdf` (``bilan_pdf``,
``add_bilan``, ``file_stem`` and ``section_headings`` are named here too, for the screens).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
from sqlalchemy import Date, and_, cast, func, null, or_, select, union_all
from sqlmodel import Session

from clausier import settings
from clausier.errors import DomainError
from clausier.formatting import fmt_date
from clausier.reports import bilan as indicators
from clausier.reports.bilan import Bilan, Period, Scope, ScopeKind
from clausier.reports.bilan_pdf import add_bilan, bilan_pdf, file_stem, section_headings
from clausier.services import progress as progress_service
from clausier.services.progress import Filters, Level
from models import (
    Buyer,
    Commitment,
    CommitmentMonthHours,
    Commune,
    Company,
    ContractType,
    Eligibility,
    EligibilityCriterion,
    EmploymentContract,
    HoursEntry,
    Lot,
    Operation,
    Participant,
)
from models.enums import ContractOutcome, Modality, QualificationLevel, Sex, SixMonthOutcome

__all__ = ["add_bilan", "bilan_pdf", "compute", "describe_scope", "file_stem", "lots_of", "scope_choices",
           "section_headings"]  # fmt: skip


def scope_choices(session: Session) -> dict[str, dict[int, str]]:
    """The buyers, operations and companies that have commitments (the choices of the progress filters)."""
    choices = progress_service.filter_choices(session)
    return {"buyers": choices["buyers"], "operations": choices["operations"], "companies": choices["companies"]}


def lots_of(session: Session, operation_id: int) -> dict[int, str]:
    """The lots of an operation: id → « LOT-01 Gros œuvre »."""
    rows = session.connection().execute(
        select(Lot.id, Lot.reference, Lot.label).where(Lot.operation_id == operation_id).order_by(Lot.reference)
    )
    return {lot_id: f"{reference} {label}" for lot_id, reference, label in rows}


def describe_scope(session: Session, scope: Scope) -> str:
    """« Tout le territoire », « Donneur d'ordre : Ville de Lille »… (raises when the item does not exist)."""
    kind = scope.kind
    if kind is ScopeKind.ALL:
        return kind.label
    conn = session.connection()
    if kind is ScopeKind.BUYER:
        row = conn.execute(select(Buyer.name).where(Buyer.id == scope.item_id)).first()
        text = None if row is None else row[0]
    elif kind is ScopeKind.OPERATION:
        row = conn.execute(
            select(Operation.name, Buyer.name)
            .join(Buyer, Buyer.id == Operation.buyer_id)
            .where(Operation.id == scope.item_id)
        ).first()
        text = None if row is None else f"{row[0]} ({row[1]})"
    elif kind is ScopeKind.LOT:
        row = conn.execute(
            select(Lot.reference, Lot.label, Operation.name)
            .join(Operation, Operation.id == Lot.operation_id)
            .where(Lot.id == scope.item_id)
        ).first()
        text = None if row is None else f"{row[0]} {row[1]} – {row[2]}"
    else:
        row = conn.execute(select(Company.name, Company.siret).where(Company.id == scope.item_id)).first()
        text = None if row is None else f"{row[0]} (SIRET {row[1]})"
    if text is None:
        raise DomainError(f"{kind.label} introuvable : il a peut-être été supprimé.")
    return f"{kind.label} : {text}"


def _filters(session: Session, scope: Scope) -> Filters:
    if scope.kind is ScopeKind.BUYER:
        return Filters(buyer_id=scope.item_id)
    if scope.kind is ScopeKind.OPERATION:
        return Filters(operation_id=scope.item_id)
    if scope.kind is ScopeKind.COMPANY:
        return Filters(company_id=scope.item_id)
    if scope.kind is ScopeKind.LOT:
        operation_id = session.connection().execute(select(Lot.operation_id).where(Lot.id == scope.item_id)).scalar()
        return Filters(operation_id=operation_id)
    return Filters()


def _commitment_ids(scope: Scope):
    """The commitments of the scope as a subquery (None: all of them)."""
    if scope.kind is ScopeKind.ALL:
        return None
    query = select(Commitment.id)
    if scope.kind is ScopeKind.BUYER:
        query = query.join(Lot, Lot.id == Commitment.lot_id).join(Operation, Operation.id == Lot.operation_id)
        query = query.where(Operation.buyer_id == scope.item_id)
    elif scope.kind is ScopeKind.OPERATION:
        query = query.join(Lot, Lot.id == Commitment.lot_id).where(Lot.operation_id == scope.item_id)
    elif scope.kind is ScopeKind.LOT:
        query = query.where(Commitment.lot_id == scope.item_id)
    else:
        query = query.where(Commitment.company_id == scope.item_id)
    return query


def _hours_where(scope: Scope, period: Period) -> list:
    h = HoursEntry.__table__
    where = [h.c.month >= period.first_month, h.c.month <= period.end]
    ids = _commitment_ids(scope)
    if ids is not None:
        where.append(h.c.commitment_id.in_(ids))
    return where


def _as_date(value) -> date | None:
    """A date from the database or a frame (SQLite returns computed dates as text; pandas has NaT)."""
    if value is None or (not isinstance(value, date | str) and pd.isna(value)):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True, slots=True)
class _Person:
    """What the bilan reads of a person (no name)."""

    id: int
    sex: Sex | None
    birth_date: date | None
    qualification: QualificationLevel | None
    in_qpv: bool
    commune: str | None
    first_start: date | str | None  # start of the first contract of the scope running in the period
    first_month: date | str | None  # first month of hours in the period

    @property
    def age_band(self) -> str | None:
        """At the start of the first contract; without one, on the first month of hours (None: unknown)."""
        on = _as_date(self.first_start) or _as_date(self.first_month)
        birth = _as_date(self.birth_date)
        return None if birth is None or on is None else indicators.age_band(indicators.age_on(birth, on))


def _running(period: Period):
    """A contract runs from its start to its actual end, else its planned end, else for ever."""
    c = EmploymentContract.__table__
    end = func.coalesce(c.c.actual_end, c.c.planned_end)
    return and_(c.c.start_date <= period.end, or_(end.is_(None), end >= period.start))


def _contract_scope(scope: Scope) -> list:
    """Contracts of the scope: through their commitment; for a company, also those without commitment whose user
    company (or employer) it is; for the whole territory, every contract."""
    c = EmploymentContract.__table__
    ids = _commitment_ids(scope)
    if scope.kind is ScopeKind.COMPANY:
        own = and_(
            c.c.commitment_id.is_(None),
            or_(c.c.user_company_id == scope.item_id, c.c.employer_company_id == scope.item_id),
        )
        return [or_(c.c.commitment_id.in_(ids), own)]
    return [] if ids is None else [c.c.commitment_id.in_(ids)]


def _hours_by_commitment(conn, scope: Scope, period: Period) -> dict[int, int]:
    """Hours of the period per commitment of the scope, from the totals kept per commitment and month."""
    t = CommitmentMonthHours.__table__
    where = [t.c.month >= period.first_month, t.c.month <= period.end]
    ids = _commitment_ids(scope)
    if ids is not None:
        where.append(t.c.commitment_id.in_(ids))
    query = select(t.c.commitment_id, func.sum(t.c.hours_h100)).where(*where).group_by(t.c.commitment_id)
    return {cid: int(total) for cid, total in conn.execute(query)}


def compute(session: Session, scope: Scope, period: Period, today: date) -> Bilan:
    """The bilan of ``scope`` over ``period`` (see the module docstring), read at ``min(today, period.end)``."""
    values = settings.get_all(session)
    threshold = int(values["small_cell_threshold"])
    delay = int(values["outcome_after_months"])
    limits = progress_service.thresholds(session)
    scope_label = describe_scope(session, scope)
    as_of = min(today, period.end)
    conn = session.connection()

    # 1. Progress up to the period's end (the rules of §3.4), and the hours of the period per commitment.
    base = _filters(session, scope)
    rows = progress_service.commitment_progress(session, as_of, replace(base, period_end=period.end), limits)
    if scope.kind is ScopeKind.LOT:
        rows = [r for r in rows if r.lot_id == scope.item_id]
    within = _hours_by_commitment(conn, scope, period)
    rows = [
        r
        for r in rows
        if within.get(r.commitment_id, 0) > 0
        or (
            (r.progress.start is None or r.progress.start <= period.end)
            and (r.progress.end is None or r.progress.end >= period.start)
        )
    ]
    overall = progress_service.total(rows, as_of, limits)
    level = Level.LOT if scope.kind is ScopeKind.COMPANY else Level.COMPANY
    groups = progress_service.roll_ups(rows, level, as_of, limits)
    period_hours: dict = defaultdict(int)
    for r in rows:
        period_hours[r.lot_id if level is Level.LOT else r.company_id] += within.get(r.commitment_id, 0)
    progress_frame = indicators.progress_frame(groups, period_hours, level)

    # 2. Hours of the period by modality and contract type (summed by the database).
    h = HoursEntry.__table__
    c = EmploymentContract.__table__
    hours_rows = conn.execute(
        select(h.c.modality, c.c.contract_type_code, func.sum(h.c.hours_h100))
        .select_from(h.outerjoin(c, c.c.id == h.c.contract_id))
        .where(*_hours_where(scope, period))
        .group_by(h.c.modality, c.c.contract_type_code)
    ).all()
    modality_hours: dict = defaultdict(int)
    type_hours: dict[str | None, int] = defaultdict(int)
    for modality, code, value in hours_rows:
        modality_hours[modality] += int(value)
        type_hours[code] += int(value)

    # 3. Contracts: running in the period, ended in it, six-month situation due in it.
    six_from, six_to = indicators.due_window(period, delay)
    in_scope = _contract_scope(scope)
    n_contracts = conn.execute(select(func.count()).select_from(c).where(_running(period), *in_scope)).scalar_one()
    ended = conn.execute(
        select(c.c.outcome, func.count())
        .where(c.c.actual_end >= period.start, c.c.actual_end <= period.end, *in_scope)
        .group_by(c.c.outcome)
    ).all()
    due = conn.execute(
        select(c.c.outcome_6m, func.count())
        .where(c.c.actual_end >= six_from, c.c.actual_end <= six_to, *in_scope)
        .group_by(c.c.outcome_6m)
    ).all()

    # 4. The people: with hours in the period, or a contract running in it; the date their age is read at.
    # (« + 0 »: grouped after a scan of the period's rows; through the participant index SQLite reads all of them
    # at random, four times slower at size L.)
    no_date = cast(null(), Date)
    hours_pid = (h.c.participant_id + 0).label("pid")
    contract_pid = (c.c.participant_id + 0).label("pid")
    firsts = union_all(
        select(hours_pid, func.min(h.c.month).label("first_month"), no_date.label("first_start"))
        .where(*_hours_where(scope, period))
        .group_by(hours_pid),
        select(contract_pid, no_date.label("first_month"), func.min(c.c.start_date).label("first_start"))
        .where(_running(period), *in_scope)
        .group_by(contract_pid),
    ).subquery()
    people_query = (
        select(
            firsts.c.pid,
            func.min(firsts.c.first_month).label("first_month"),
            func.min(firsts.c.first_start).label("first_start"),
        )
        .group_by(firsts.c.pid)
        .subquery()
    )
    p = Participant.__table__
    people = [
        _Person(*row)
        for row in conn.execute(
            select(
                p.c.id,
                p.c.sex,
                p.c.birth_date,
                p.c.qualification_level,
                p.c.qpv_id.is_not(None),
                Commune.name,
                people_query.c.first_start,
                people_query.c.first_month,
            )
            .join(people_query, people_query.c.pid == p.c.id)
            .join(Commune, Commune.id == p.c.commune_id, isouter=True)
        )
    ]
    people_ids = {person.id for person in people}
    criteria = conn.execute(
        select(Eligibility.participant_id, EligibilityCriterion.label, EligibilityCriterion.sort_order)
        .join(EligibilityCriterion, EligibilityCriterion.code == Eligibility.criterion_code)
        .join(people_query, people_query.c.pid == Eligibility.participant_id)
        .where(Eligibility.validated_on <= period.end)
        .distinct()
    ).all()
    type_labels: dict[str, str] = {}
    type_order: dict[str, int] = {}
    for i, (code, label) in enumerate(
        conn.execute(
            select(ContractType.code, ContractType.label).order_by(ContractType.sort_order, ContractType.label)
        )
    ):
        type_labels[code], type_order[code] = label, i

    # 5. The tables.
    n_people = len(people)
    by_modality = indicators.hours_breakdown(
        "modalites",
        "Heures par modalité",
        "Modalité",
        [(m.label, modality_hours.get(m, 0)) for m in Modality],
    )
    ordered = sorted((k for k in type_hours if k is not None), key=lambda k: (type_order.get(k, 999), k))
    by_type = indicators.hours_breakdown(
        "types-contrat",
        "Heures par type de contrat",
        "Type de contrat",
        [(type_labels.get(k, k), type_hours[k]) for k in ordered]
        + ([(indicators.NO_CONTRACT, type_hours[None])] if type_hours.get(None) else []),
    )

    breakdowns = [
        indicators.people_breakdown(
            "sexe",
            "Personnes par sexe",
            "Sexe",
            indicators.counts([x.sex for x in people], list(Sex), indicators.NOT_GIVEN),
            threshold,
            n_people,
        ),
        indicators.people_breakdown(
            "age",
            "Personnes par âge au début du contrat",
            "Âge au début du contrat",
            indicators.counts([x.age_band for x in people], indicators.AGE_BANDS, indicators.NOT_GIVEN),
            threshold,
            n_people,
            note="Âge au début du premier contrat de la période (sans contrat : au premier mois d'heures).",
        ),
        indicators.people_breakdown(
            "qualification",
            "Personnes par niveau de qualification",
            "Niveau de qualification",
            indicators.counts([x.qualification for x in people], list(QualificationLevel), indicators.NOT_GIVEN),
            threshold,
            n_people,
        ),
        indicators.people_breakdown(
            "criteres",
            "Personnes par critère d'éligibilité",
            "Critère d'éligibilité",
            indicators.criterion_counts(criteria, people_ids),
            threshold,
            n_people,
            note="Une personne relevant de plusieurs critères compte dans chacun : les parts dépassent 100 %.",
        ),
        indicators.people_breakdown(
            "qpv",
            "Personnes résidant en quartier prioritaire (QPV)",
            "Résidence en QPV",
            indicators.counts(["Oui" if x.in_qpv else "Non" for x in people], ["Oui", "Non"], indicators.NOT_GIVEN),
            threshold,
            n_people,
        ),
        indicators.people_breakdown(
            "communes",
            "Personnes par commune de résidence",
            "Commune",
            indicators.commune_counts([x.commune for x in people]),
            threshold,
            n_people,
        ),
    ]
    ended_counts = {outcome: int(n) for outcome, n in ended}
    outcomes = indicators.people_breakdown(
        "sorties",
        "Situation à la fin du contrat",
        "Situation à la fin du contrat",
        indicators.counts_of(ended_counts, list(ContractOutcome), indicators.NOT_GIVEN_F),
        threshold,
        sum(ended_counts.values()),
        unit=indicators.CONTRACTS,
        note="Contrats terminés pendant la période.",
    )
    due_counts = {outcome: int(n) for outcome, n in due}
    outcomes_6m = indicators.people_breakdown(
        "sorties-6-mois",
        f"Situation {delay} mois après la fin du contrat",
        f"Situation à {delay} mois",
        indicators.counts_of(due_counts, list(SixMonthOutcome), indicators.NOT_GIVEN_F),
        threshold,
        sum(due_counts.values()),
        unit=indicators.CONTRACTS,
        note=f"Contrats terminés entre le {fmt_date(six_from)} et le {fmt_date(six_to)}, "
        f"dont la situation à {delay} mois tombait dans la période.",
    )
    return Bilan(
        scope=scope,
        scope_label=scope_label,
        period=period,
        as_of=as_of,
        threshold=threshold,
        overall=overall,
        achieved_in_period_h100=sum(within.get(r.commitment_id, 0) for r in rows),
        commitments=len(rows),
        people=n_people,
        contracts=int(n_contracts),
        hours_by_modality=by_modality,
        hours_by_contract_type=by_type,
        people_breakdowns=breakdowns,
        outcomes=outcomes,
        outcomes_6m=outcomes_6m,
        progress_level=level,
        progress_items=[(g.label, g.progress) for g in groups],
        progress_frame=progress_frame,
    )
