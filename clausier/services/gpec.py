"""GPEC (DESIGN §3.8): the needs by trade and quarter of the lots not yet finished, against the participants
available by trade and the trainings planned; the gaps as a table and a heat map. The rules are in
``clausier.rules.gpec``; this module reads what they need in a few set-based queries.

Lots counted: lots carrying a clause, of operations neither finished nor archived, whose execution ends today or
later, or whose operation is running (« en cours »), or with no end date yet (reported apart, not spread). A lot
with commitments needs the hours its companies have left (committed − achieved, from the kept totals
``commitmenthours``); a lot not awarded yet needs its clause hours (``hours_contractual_h100``) when its operation
has its clause (« clause intégrée », « en cours ») — and, when asked, when it is only « repérée » or « à l'étude ».
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import altair as alt
import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session, col

from clausier import settings
from clausier.formatting import fmt_date, fmt_number
from clausier.rules import gpec as rules
from clausier.rules.gpec import Candidate, GapCell, LotNeed, PlannedTraining, Quarter
from models import (
    Commitment,
    CommitmentHours,
    Commune,
    Eligibility,
    EmploymentContract,
    Lot,
    Operation,
    Participant,
    ParticipantTrade,
    Trade,
    Training,
    TrainingParticipant,
)
from models.enums import OperationStatus, ParticipantStatus, TrainingStatus

NO_TRADE_LABEL = "Métier non précisé"
WITH_CLAUSE = (OperationStatus.CLAUSE_INCLUDED, OperationStatus.RUNNING)
PROSPECTS = (OperationStatus.SPOTTED, OperationStatus.STUDY)
DEFAULT_HORIZON = 4
MAX_HORIZON = 12


@dataclass(frozen=True)
class LotDetail:
    """A lot counted in the need, for the detail table."""

    need: LotNeed
    reference: str
    label: str
    operation: str
    status: OperationStatus
    source: str  # « engagements » or « heures de la clause (non attribué) »


@dataclass(frozen=True)
class GpecResult:
    today: date
    horizon: list[Quarter]
    cells: list[GapCell]
    lots: list[LotDetail]
    unscheduled: list[LotDetail]
    trade_labels: dict[str, str]
    fte_hours_per_month: float
    validity_months: int
    territory: str | None = None
    include_prospects: bool = False
    notes: list[str] = field(default_factory=list)

    def trade_text(self, code: str) -> str:
        if code == rules.NO_TRADE:
            return NO_TRADE_LABEL
        return f"{code} – {self.trade_labels.get(code, '')}".rstrip(" –")


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- need -------------------------------------------------------------------------------------------------------


def _lots(
    session: Session, today: date, territory: str | None, include_prospects: bool
) -> tuple[list[LotDetail], list[LotDetail]]:
    statuses = list(WITH_CLAUSE) + (list(PROSPECTS) if include_prospects else [])
    query = (
        select(
            Lot.id,
            Lot.reference,
            Lot.label,
            Lot.trade_code,
            Lot.execution_start,
            Lot.execution_end,
            Lot.hours_contractual_h100,
            Operation.name,
            Operation.status,
        )
        .join(Operation, col(Operation.id) == col(Lot.operation_id))
        .where(
            col(Lot.carries_clause).is_(True),
            col(Operation.archived).is_(False),
            col(Operation.status).in_(statuses),
            or_(
                col(Lot.execution_end).is_(None),
                col(Lot.execution_end) >= today,
                col(Operation.status) == OperationStatus.RUNNING,
            ),
        )
    )
    if territory:
        query = query.join(Commune, col(Commune.id) == col(Operation.commune_id)).where(Commune.epci == territory)
    lots = session.connection().execute(query).all()
    if not lots:
        return [], []

    # Remaining hours per lot from its commitments (achieved from the kept totals), in SQL.
    left = Commitment.hours_committed_h100 - func.coalesce(CommitmentHours.hours_h100, 0)
    remaining_per_commitment = case((left > 0, left), else_=0)
    lot_ids = query.with_only_columns(Lot.id)
    by_lot = dict(
        session.connection()
        .execute(
            select(Commitment.lot_id, func.sum(remaining_per_commitment))
            .outerjoin(CommitmentHours, col(CommitmentHours.commitment_id) == col(Commitment.id))
            .where(col(Commitment.lot_id).in_(lot_ids))
            .group_by(Commitment.lot_id)
        )
        .all()
    )

    counted, unscheduled = [], []
    for lot_id, reference, label, trade, start, end, contractual, operation, status in lots:
        if lot_id in by_lot:
            remaining, source = int(by_lot[lot_id] or 0), "engagements"
        else:
            remaining, source = int(contractual or 0), "heures de la clause (non attribué)"
        if remaining <= 0:
            continue
        need = LotNeed(lot_id, trade, remaining, _as_date(start), _as_date(end))
        detail = LotDetail(need, reference, label, operation, OperationStatus(status), source)
        (counted if need.end is not None else unscheduled).append(detail)
    counted.sort(key=lambda d: (d.need.trade_code or "~", d.operation, d.reference))
    unscheduled.sort(key=lambda d: (d.operation, d.reference))
    return counted, unscheduled


# --- supply -----------------------------------------------------------------------------------------------------


def _candidates(session: Session, today: date, territory: str | None) -> list[Candidate]:
    people = select(Participant.id, Participant.available_from, Participant.anonymised_at, Participant.status).where(
        col(Participant.id).in_(select(ParticipantTrade.participant_id))
    )
    if territory:
        people = people.join(Commune, col(Commune.id) == col(Participant.commune_id)).where(Commune.epci == territory)
    rows = session.connection().execute(people).all()
    if not rows:
        return []
    ids = people.with_only_columns(Participant.id)
    trades: dict[int, set[str]] = defaultdict(set)
    for pid, code in session.connection().execute(
        select(ParticipantTrade.participant_id, ParticipantTrade.trade_code).where(
            col(ParticipantTrade.participant_id).in_(ids)
        )
    ):
        trades[pid].add(code)
    validations: dict[int, list[date]] = defaultdict(list)
    for pid, validated in session.connection().execute(
        select(Eligibility.participant_id, Eligibility.validated_on).where(col(Eligibility.participant_id).in_(ids))
    ):
        validations[pid].append(_as_date(validated))
    contracts: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    contract_end = func.coalesce(EmploymentContract.actual_end, EmploymentContract.planned_end)
    for pid, start, end in session.connection().execute(
        select(EmploymentContract.participant_id, EmploymentContract.start_date, contract_end).where(
            col(EmploymentContract.participant_id).in_(ids), or_(contract_end.is_(None), contract_end >= today)
        )
    ):
        contracts[pid].append((_as_date(start), _as_date(end)))
    return [
        Candidate(
            participant_id=pid,
            trade_codes=frozenset(trades[pid]),
            validations=tuple(validations[pid]),
            contracts=tuple(contracts[pid]),
            available_from=_as_date(available_from),
            anonymised=anonymised_at is not None,
            exited=ParticipantStatus(status) is ParticipantStatus.EXITED,
        )
        for pid, available_from, anonymised_at, status in rows
    ]


def _trainings(session: Session, horizon: list[Quarter]) -> list[PlannedTraining]:
    dropped = (
        select(TrainingParticipant.training_id, func.count().label("dropped"))
        .where(TrainingParticipant.status == TrainingStatus.DROPPED)
        .group_by(TrainingParticipant.training_id)
        .subquery()
    )
    rows = (
        session.connection()
        .execute(
            select(Training.id, Training.trade_code, Training.end_date, Training.seats, dropped.c.dropped)
            .outerjoin(dropped, dropped.c.training_id == col(Training.id))
            .where(
                and_(col(Training.end_date) >= horizon[0].start, col(Training.end_date) <= horizon[-1].end),
            )
        )
        .all()
    )
    return [PlannedTraining(tid, code, _as_date(end), int(seats), int(out or 0)) for tid, code, end, seats, out in rows]


# --- the whole ----------------------------------------------------------------------------------------------------


def compute(
    session: Session,
    today: date,
    horizon: int = DEFAULT_HORIZON,
    *,
    territory: str | None = None,
    include_prospects: bool = False,
    every_trade: bool = False,
) -> GpecResult:
    """Needs, supply and gaps by trade and quarter over ``horizon`` quarters from today's."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"L'horizon doit être compris entre 1 et {MAX_HORIZON} trimestres.")
    values = settings.get_all(session)
    fte_hours = float(values["fte_hours_per_month"])
    validity = int(values["eligibility_validity_months"])
    quarters = rules.quarters(today, horizon)

    counted, unscheduled = _lots(session, today, territory, include_prospects)
    need = rules.need_hours([d.need for d in counted], today, quarters)
    available = rules.available_people(_candidates(session, today, territory), quarters, today, validity)
    trained = rules.trained_people(_trainings(session, quarters), quarters)
    cells = rules.gaps(need, available, trained, quarters, fte_hours, every_trade=every_trade)

    codes = {c.trade_code for c in cells if c.trade_code} | {d.need.trade_code for d in counted if d.need.trade_code}
    labels = dict(session.exec(select(Trade.code, Trade.label).where(col(Trade.code).in_(sorted(codes)))).all())
    notes = []
    if territory:
        notes.append(
            f"Territoire {territory} : opérations dont la commune est dans ce territoire, participants qui y "
            "habitent ; les formations ne sont pas filtrées."
        )
    return GpecResult(
        today=today,
        horizon=quarters,
        cells=cells,
        lots=counted,
        unscheduled=unscheduled,
        trade_labels=labels,
        fte_hours_per_month=fte_hours,
        validity_months=validity,
        territory=territory,
        include_prospects=include_prospects,
        notes=notes,
    )


# --- tables and chart ---------------------------------------------------------------------------------------------

COLUMNS = [
    "Métier",
    "Trimestre",
    "Besoin (heures)",
    "Besoin (ETP)",
    "Disponibles",
    "Formés",
    "Écart (ETP)",
]


def gap_frame(result: GpecResult) -> pd.DataFrame:
    """One row per trade and quarter: need in hours and FTE, people available and trained, gap."""
    return pd.DataFrame(
        {
            "Métier": [result.trade_text(c.trade_code) for c in result.cells],
            "Trimestre": [c.quarter.label for c in result.cells],
            "Besoin (heures)": [round(c.need_hours, 1) for c in result.cells],
            "Besoin (ETP)": [round(c.need_fte, 1) for c in result.cells],
            "Disponibles": [c.available for c in result.cells],
            "Formés": [c.trained for c in result.cells],
            "Écart (ETP)": [round(c.gap, 1) for c in result.cells],
        },
        columns=COLUMNS,
    )


def summary_frame(result: GpecResult, value: str = "Écart (ETP)") -> pd.DataFrame:
    """Trades × quarters, ``value`` (a column of :func:`gap_frame`) in each cell: the committee dossier's table."""
    frame = gap_frame(result)
    quarters = [q.label for q in result.horizon]
    if frame.empty:
        return pd.DataFrame(columns=["Métier", *quarters])
    pivot = frame.pivot_table(index="Métier", columns="Trimestre", values=value, sort=False, aggfunc="sum")
    return pivot.reindex(columns=quarters).reset_index().rename_axis(columns=None)


def lots_frame(result: GpecResult, unscheduled: bool = False) -> pd.DataFrame:
    details = result.unscheduled if unscheduled else result.lots
    return pd.DataFrame(
        {
            "Opération": [d.operation for d in details],
            "Lot": [f"{d.reference} – {d.label}" for d in details],
            "Statut": [d.status.label for d in details],
            "Métier": [result.trade_text(d.need.trade_code or rules.NO_TRADE) for d in details],
            "Heures restantes": [d.need.remaining_h100 / 100 for d in details],
            "Début": [d.need.start for d in details],
            "Fin": [d.need.end for d in details],
            "Source": [d.source for d in details],
        },
        columns=["Opération", "Lot", "Statut", "Métier", "Heures restantes", "Début", "Fin", "Source"],
    )


def totals(result: GpecResult) -> dict[str, float]:
    """Sums over the horizon (for the key figures)."""
    return {
        "need_fte": sum(c.need_fte for c in result.cells),
        "need_hours": sum(c.need_hours for c in result.cells),
        "shortfall_cells": sum(1 for c in result.cells if c.gap > 0.05),
        "trades": len({c.trade_code for c in result.cells}),
    }


# Colour-blind-safe diverging palette (ColorBrewer PuOr ends, blue for a surplus, orange for a shortfall): the
# value is written in each cell, so the chart reads in black and white too.
SURPLUS_COLOUR, NEUTRAL_COLOUR, SHORTFALL_COLOUR = "#2166AC", "#F7F7F7", "#B35806"
CELL_WIDTH, CELL_HEIGHT = 90, 26


def gap_chart(result: GpecResult, filters: list[str] | None = None) -> alt.LayerChart:
    """Heat map of the gaps: trades down, quarters across; « +2,5 » (shortfall) or « −1,0 » (surplus) in each cell."""
    frame = gap_frame(result)
    frame["texte"] = [_signed(v) for v in frame["Écart (ETP)"]]
    frame["sens"] = ["manque" if v > 0.05 else ("surplus" if v < -0.05 else "équilibre") for v in frame["Écart (ETP)"]]
    frame = frame.rename(columns={"Écart (ETP)": "ecart", "Besoin (ETP)": "besoin", "Métier": "metier"})
    frame = frame.rename(columns={"Trimestre": "trimestre", "Disponibles": "disponibles", "Formés": "formes"})
    extreme = float(frame["ecart"].abs().max()) if not frame.empty else 1.0
    extreme = max(extreme, 1.0)
    order_x = [q.label for q in result.horizon]
    order_y = list(dict.fromkeys(frame["metier"]))
    x = alt.X("trimestre:N", sort=order_x, title="Trimestre", axis=alt.Axis(orient="top", labelAngle=0))
    y = alt.Y("metier:N", sort=order_y, title=None, axis=alt.Axis(labelLimit=300))
    tooltip = [
        alt.Tooltip("metier:N", title="Métier"),
        alt.Tooltip("trimestre:N", title="Trimestre"),
        alt.Tooltip("besoin:Q", title="Besoin (ETP)", format=".1f"),
        alt.Tooltip("disponibles:Q", title="Disponibles"),
        alt.Tooltip("formes:Q", title="Formés"),
        alt.Tooltip("texte:N", title="Écart (ETP)"),
    ]
    base = alt.Chart(frame)
    rect = base.mark_rect(stroke="#606060", strokeWidth=0.5).encode(
        x=x,
        y=y,
        color=alt.Color(
            "ecart:Q",
            scale=alt.Scale(domain=[-extreme, 0, extreme], range=[SURPLUS_COLOUR, NEUTRAL_COLOUR, SHORTFALL_COLOUR]),
            legend=alt.Legend(
                title="Écart (ETP) : > 0 manque, < 0 surplus", titleLimit=400, orient="bottom", gradientLength=240
            ),
        ),
        tooltip=tooltip,
    )
    # Dark cells get white text, light ones black: both readable when printed in grey.
    text = base.mark_text(fontSize=12, fontWeight="bold").encode(
        x=x,
        y=y,
        text=alt.Text("texte:N"),
        color=alt.condition(f"abs(datum.ecart) > {extreme * 0.55:.3f}", alt.value("white"), alt.value("black")),
        tooltip=tooltip,
    )
    subtitle = [
        f"Situation au {fmt_date(result.today)} · besoin en ETP ({fmt_number(result.fte_hours_per_month, 2)} h par "
        "mois) − (participants disponibles + formés)",
        "Filtres : " + (" · ".join(filters) if filters else "aucun"),
    ]
    return alt.layer(rect, text).properties(
        title=alt.TitleParams(text="GPEC : écart par métier et trimestre", subtitle=subtitle, anchor="start"),
        width=max(1, len(order_x)) * CELL_WIDTH,
        height=max(1, len(order_y)) * CELL_HEIGHT,
        # the cells keep their size: the trade labels come on top of it (Streamlit's default « fit » would
        # squeeze the cells into what the long labels leave)
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
    )


def _signed(value: float) -> str:
    if abs(value) < 0.05:
        return "0"
    return ("+" if value > 0 else "−") + fmt_number(abs(value), 1)
