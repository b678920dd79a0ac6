"""Totals of the home page (Tableau de bord), aggregated in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from clausier.services import derived, followup
from models import Buyer, Commitment, CommitmentHours, CommitmentMonthHours, JobOffer, Lot, Operation, Participant
from models.enums import OfferStatus, ParticipantStatus


@dataclass(frozen=True)
class Totals:
    hours_committed_h100: int
    hours_achieved_h100: int
    commitments: int
    companies: int
    operations: int
    lots: int
    participants: int
    participants_in_employment: int
    open_offers: int
    open_posts: int

    @property
    def rate(self) -> float | None:
        return self.hours_achieved_h100 / self.hours_committed_h100 if self.hours_committed_h100 else None


def totals(session: Session) -> Totals:
    committed = session.execute(select(func.coalesce(func.sum(Commitment.hours_committed_h100), 0))).scalar_one()
    achieved = session.execute(select(func.coalesce(func.sum(CommitmentHours.hours_h100), 0))).scalar_one()
    count = lambda model: session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    active = Participant.anonymised_at.is_(None)
    participants = session.execute(select(func.count()).where(active)).scalar_one()
    in_employment = session.execute(
        select(func.count()).where(active, Participant.status == ParticipantStatus.IN_EMPLOYMENT)
    ).scalar_one()
    offers, posts = session.execute(
        select(func.count(), func.coalesce(func.sum(JobOffer.posts), 0)).where(JobOffer.status == OfferStatus.OPEN)
    ).one()
    return Totals(
        hours_committed_h100=int(committed),
        hours_achieved_h100=int(achieved),
        commitments=count(Commitment),
        companies=session.execute(select(func.count(func.distinct(Commitment.company_id)))).scalar_one(),
        operations=count(Operation),
        lots=count(Lot),
        participants=participants,
        participants_in_employment=in_employment,
        open_offers=offers,
        open_posts=int(posts),
    )


@dataclass(frozen=True)
class BuyerRow:
    buyer: str
    operations: int
    hours_committed_h100: int
    hours_achieved_h100: int

    @property
    def rate(self) -> float | None:
        return self.hours_achieved_h100 / self.hours_committed_h100 if self.hours_committed_h100 else None


def by_buyer(session: Session) -> list[BuyerRow]:
    """Hours committed and achieved per buyer (from the totals kept per commitment), most committed first."""
    rows = session.execute(
        select(
            Buyer.name,
            func.count(func.distinct(Operation.id)),
            func.coalesce(func.sum(Commitment.hours_committed_h100), 0),
            func.coalesce(func.sum(CommitmentHours.hours_h100), 0),
        )
        .join(Operation, Operation.buyer_id == Buyer.id)
        .join(Lot, Lot.operation_id == Operation.id)
        .join(Commitment, Commitment.lot_id == Lot.id)
        .join(CommitmentHours, CommitmentHours.commitment_id == Commitment.id, isouter=True)
        .group_by(Buyer.id, Buyer.name)
        .order_by(func.coalesce(func.sum(Commitment.hours_committed_h100), 0).desc())
    ).all()
    return [BuyerRow(name, ops, int(c), int(a)) for name, ops, c, a in rows]


def hours_by_month(session: Session, since: date) -> list[tuple[date, int]]:
    rows = session.execute(
        select(CommitmentMonthHours.month, func.sum(CommitmentMonthHours.hours_h100))
        .where(CommitmentMonthHours.month >= since)
        .group_by(CommitmentMonthHours.month)
        .order_by(CommitmentMonthHours.month)
    ).all()
    return [(m, int(h)) for m, h in rows]


@dataclass(frozen=True)
class WeekTodo:
    """The home page's « À faire cette semaine » (DESIGN §3.7): the follow-ups of the logged-in person that are
    overdue or due within seven days (the first ``shown`` of them in full), the same counts for the team, and the
    situations six months after a contract's end to gather."""

    mine: list[followup.ContractDue]  # the oldest due first, at most ``shown``
    mine_count: int
    mine_overdue: int
    team: int
    team_overdue: int
    six_months_mine: int
    six_months_team: int


def todo_this_week(
    session: Session, login: str, as_of: date, shown: int = 10, *, with_personal_data: bool = False
) -> WeekTodo:
    """Counts from the next due dates kept on the contracts (one indexed query); names and companies only for the
    user's first ``shown`` rows, their phones only ``with_personal_data``."""
    limits = derived.follow_up_settings(session)
    counts = followup.due_counts(session, as_of)
    mine = followup.soonest_due(session, login, as_of, shown)
    details = followup.running_contracts(
        session, contract_ids=[cid for cid, _ in mine], limits=limits, with_personal_data=with_personal_data
    )
    six = followup.six_month_due_counts(session, as_of, limits=limits)
    mine_count, mine_overdue = counts.get(login, (0, 0))
    return WeekTodo(
        mine=details,
        mine_count=mine_count,
        mine_overdue=mine_overdue,
        team=sum(count for count, _ in counts.values()),
        team_overdue=sum(overdue for _, overdue in counts.values()),
        six_months_mine=six.get(login, 0),
        six_months_team=sum(six.values()),
    )
