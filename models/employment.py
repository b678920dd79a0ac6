"""Job offers, candidacies, employment contracts and follow-up in employment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_field, enum_field, utcnow
from models.enums import (
    CandidacyStatus,
    ContractOutcome,
    FollowUpKind,
    Modality,
    OfferChannel,
    OfferStatus,
    SixMonthOutcome,
)


class JobOffer(SQLModel, table=True):
    """Offre d'emploi opened by a company under a clause (DESIGN §3.5)."""

    __table_args__ = (
        CheckConstraint("posts >= 1", name="posts_positive"),
        CheckConstraint("weekly_hours_h100 > 0 AND weekly_hours_h100 <= 4800", name="weekly_hours_range"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    lot_id: int | None = Field(default=None, foreign_key="lot.id", index=True)
    trade_code: str = Field(foreign_key="trade.code", index=True)
    title: str = Field(max_length=200)
    contract_type_code: str = Field(foreign_key="contracttype.code")
    posts: int = 1
    start_date: date
    end_date: date | None = None
    weekly_hours_h100: int = 3500
    place_commune_id: int | None = Field(default=None, foreign_key="commune.id")
    place: str = Field(default="", max_length=200)
    requirements: str = Field(default="", max_length=300)  # licences and certificates, ";"-separated
    description: str = Field(default="", sa_type=Text)
    channel: OfferChannel = enum_field(OfferChannel, OfferChannel.CANDIDATHEQUE)
    status: OfferStatus = enum_field(OfferStatus, OfferStatus.OPEN)
    created_by: str = Field(default="", max_length=60)
    created_at: datetime = created_field()
    version: int = 1


class Candidacy(SQLModel, table=True):
    """Positionnement of a participant on an offer, with the phone check answers."""

    __table_args__ = (UniqueConstraint("offer_id", "participant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="joboffer.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    status: CandidacyStatus = enum_field(CandidacyStatus, CandidacyStatus.POSITIONED)
    score: int | None = None
    check_pathway: bool | None = None
    check_motivation: bool | None = None
    check_eligibility: bool | None = None
    check_fit: bool | None = None
    check_comment: str = Field(default="", sa_type=Text)
    checked_by: str | None = Field(default=None, max_length=60)
    checked_at: datetime | None = None
    refusal_reason: str = Field(default="", sa_type=Text)
    in_charge: str = Field(default="", max_length=60)
    created_by: str = Field(default="", max_length=60)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    version: int = 1


class CandidacyEvent(SQLModel, table=True):
    """One step of a candidacy: who moved it, when, from what to what."""

    id: int | None = Field(default=None, primary_key=True)
    candidacy_id: int = Field(foreign_key="candidacy.id", index=True)
    from_status: CandidacyStatus | None = enum_field(CandidacyStatus, None, ck="from_status", nullable=True)
    to_status: CandidacyStatus = enum_field(CandidacyStatus, ck="to_status")
    by: str = Field(max_length=60)
    at: datetime = Field(default_factory=utcnow)
    comment: str = Field(default="", sa_type=Text)


class EmploymentContract(SQLModel, table=True):
    """The contract that carries clause hours (DESIGN §3.3, §3.7)."""

    __table_args__ = (
        CheckConstraint("planned_end IS NULL OR planned_end >= start_date", name="planned_end_after_start"),
        CheckConstraint("actual_end IS NULL OR actual_end >= start_date", name="actual_end_after_start"),
        CheckConstraint("weekly_hours_h100 > 0 AND weekly_hours_h100 <= 4800", name="weekly_hours_range"),
        # The home page's « À faire cette semaine » reads the running contracts by person in charge and due date:
        # « WHERE actual_end IS NULL AND next_due_on <= ? GROUP BY in_charge » for the counts, and « … AND
        # in_charge = ? ORDER BY next_due_on » for one person's list. A partial index holds the running contracts
        # only (14,000 of 216,000 at size L, the ended ones never due), in (in_charge, next_due_on) order: both
        # queries read the index alone, the counts grouped in index order without a sort, the list a range from
        # its first row. A query uses it when its WHERE repeats « actual_end IS NULL » (SQLite needs the term).
        Index(
            "ix_employmentcontract_running_due",
            "in_charge",
            "next_due_on",
            sqlite_where=text("actual_end IS NULL"),
            postgresql_where=text("actual_end IS NULL"),
        ),
        # The contracts running on a day (eligibilities to renew under contract): « actual_end IS NULL AND
        # start_date <= ? » or « actual_end >= ? », two ranges of this index instead of a scan of every contract.
        Index("ix_employmentcontract_actual_end_start", "actual_end", "start_date"),
        # The six-month situations to gather, counted by person in charge: the ended contracts without one,
        # by end date, read from the index alone.
        Index(
            "ix_employmentcontract_six_month_due",
            "actual_end",
            "in_charge",
            sqlite_where=text("outcome_6m IS NULL"),
            postgresql_where=text("outcome_6m IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    employer_company_id: int = Field(foreign_key="company.id", index=True)  # legal employer (ETTI, GEIQ…)
    user_company_id: int | None = Field(default=None, foreign_key="company.id", index=True)
    commitment_id: int | None = Field(default=None, foreign_key="commitment.id", index=True)
    offer_id: int | None = Field(default=None, foreign_key="joboffer.id", index=True)
    candidacy_id: int | None = Field(default=None, foreign_key="candidacy.id")
    contract_type_code: str = Field(foreign_key="contracttype.code")
    modality: Modality = enum_field(Modality, Modality.DIRECT_HIRE)
    start_date: date
    planned_end: date | None = None
    actual_end: date | None = None
    weekly_hours_h100: int = 3500
    in_charge: str = Field(default="", max_length=60)  # facilitator following the contract
    outcome: ContractOutcome | None = enum_field(ContractOutcome, None, nullable=True)
    outcome_6m: SixMonthOutcome | None = enum_field(SixMonthOutcome, None, nullable=True)
    outcome_6m_recorded_on: date | None = None
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = created_field()
    version: int = 1
    # The next follow-up due (DESIGN §3.7), kept by ``clausier.services.followup.refresh_next_due`` in the
    # transaction of every write that changes it (the contract's dates or end, its follow-ups, the settings);
    # None once the actual end is recorded. ``next_due_kind`` is a ``clausier.rules.followup.DueKind`` value.
    next_due_on: date | None = None
    next_due_kind: str | None = Field(default=None, max_length=20)


class FollowUp(SQLModel, table=True):
    """A call, mail or site visit about a contract."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="employmentcontract.id", index=True)
    on: date
    kind: FollowUpKind = enum_field(FollowUpKind, FollowUpKind.CALL)
    by: str = Field(max_length=60)
    notes: str = Field(default="", sa_type=Text)
    next_due: date | None = None
    created_at: datetime = created_field()
